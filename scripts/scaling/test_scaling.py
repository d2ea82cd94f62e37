"""Tests of scaling.py: report numbers from fixture CSVs against values worked out by hand,
the cost model against hand calculations, and the plots as valid PNG files.

Run: python3 -m unittest discover -s scripts/scaling -v
"""
import json
import os
import shutil
import struct
import tempfile
import unittest

import scaling

HERE = os.path.dirname(os.path.abspath(__file__))


class AggregateTests(unittest.TestCase):
    def setUp(self):
        self.table = scaling.aggregate(scaling.read_rows(os.path.join(HERE, "fixtures", "runs.csv")))
        self.points = {(p["mode"], p["ranks"]): p for p in self.table}

    def test_medians_over_repeats(self):
        one = self.points[("weak", 1)]
        self.assertEqual(one["repeats"], 3)
        self.assertAlmostEqual(one["seconds_per_epoch"], 1.0)   # median of 1.0, 1.2, 0.8
        self.assertAlmostEqual(one["samples_per_second"], 60000)  # median of 60000, 50000, 75000
        self.assertAlmostEqual(one["compute_seconds_per_epoch"], 0.9)

    def test_accuracy_drops_flag_only_points_more_than_half_a_point_below_one_rank(self):
        table = [
            {"mode": "weak", "ranks": 1, "test_accuracy": 0.9168, "global_batch": 100},
            {"mode": "weak", "ranks": 2, "test_accuracy": 0.9130, "global_batch": 200},   # 0.38 below
            {"mode": "weak", "ranks": 4, "test_accuracy": 0.9100, "global_batch": 400},   # 0.68 below
            {"mode": "strong", "ranks": 2, "test_accuracy": 0.80, "global_batch": 200},   # no 1-rank point
        ]
        drops = scaling.accuracy_drops(table)
        self.assertEqual([(p["ranks"], round(d, 2)) for p, d in drops], [(4, 0.68)])

    def test_speedup_and_efficiency_by_hand(self):
        two = self.points[("weak", 2)]
        # median samples/s at 2 ranks: 100000; speed-up 100000 / 60000 = 1.6667; efficiency 0.8333
        self.assertAlmostEqual(two["speedup"], 100000 / 60000)
        self.assertAlmostEqual(two["efficiency"], 100000 / 60000 / 2)
        four = self.points[("weak", 4)]
        self.assertAlmostEqual(four["speedup"], 1.0)
        self.assertAlmostEqual(four["efficiency"], 0.25)
        self.assertTrue(four["oversubscribed"])
        strong = self.points[("strong", 2)]
        self.assertAlmostEqual(strong["speedup"], 120000 / 66666.67, places=4)

    def test_time_shares_by_hand(self):
        two = self.points[("weak", 2)]
        # medians: epoch 0.6, compute 0.45, allreduce 0.1 -> other 0.05, share 0.1 / 0.6
        self.assertAlmostEqual(two["other_seconds_per_epoch"], 0.05)
        self.assertAlmostEqual(two["communication_share"], 0.1 / 0.6)


class CostModelTests(unittest.TestCase):
    def test_ring_time_by_hand(self):
        # P = 4, 1 MB, 10 us, 1 GB/s: 2 * 3/4 * 1e6 / 1e9 + 2 * 3 * 1e-5 = 1.5e-3 + 6e-5
        self.assertAlmostEqual(scaling.ring_time(4, 1e6, 1e-5, 1e9), 1.56e-3)
        self.assertEqual(scaling.ring_time(1, 1e6, 1e-5, 1e9), 0.0)

    def test_fit_recovers_latency_and_bandwidth(self):
        # Fixture: on 2 ranks time = bytes / 1e9 + 2 * 1e-6 exactly.
        sweep = json.load(open(os.path.join(HERE, "fixtures", "allreduce.json")))["sweep"]
        latency, bandwidth = scaling.fit_ring(sweep, 2)
        self.assertAlmostEqual(latency, 1e-6, places=12)
        self.assertAlmostEqual(bandwidth / 1e9, 1.0, places=6)

    def test_prediction_by_hand(self):
        # compute 1 ms, 1 MB, 1 us, 1 GB/s; P = 2: 1e-3 + 1e-3 + 2e-6 -> efficiency 0.4995
        rows = scaling.predict(1e-3, 1e6, 1e-6, 1e9, [2, 64])
        self.assertAlmostEqual(rows[0]["step_seconds"], 2.002e-3)
        self.assertAlmostEqual(rows[0]["efficiency"], 1e-3 / 2.002e-3)
        # P = 64: 2 * 63/64 * 1e-3 + 126e-6 + 1e-3
        self.assertAlmostEqual(rows[1]["step_seconds"], 1e-3 + 2 * 63 / 64 * 1e-3 + 126e-6)
        self.assertAlmostEqual(rows[1]["speedup"], 64 * rows[1]["efficiency"])


@unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed (scripts/scaling.sh installs it)")
class ReportTests(unittest.TestCase):
    def test_report_and_plots_are_written(self):
        folder = tempfile.mkdtemp()
        try:
            for name in ("runs.csv", "allreduce.json"):
                shutil.copy(os.path.join(HERE, "fixtures", name), folder)
            table, model = scaling.write_report(folder)
            self.assertEqual(len(table), 5)
            self.assertIsNotNone(model)
            # compute per step from the 1-rank weak point: 0.9 s / 600 steps
            self.assertAlmostEqual(model["compute_seconds_per_step"], 0.9 / 600)
            self.assertEqual(model["message_bytes"], (269322 + 3) * 4)
            report = open(os.path.join(folder, "report.md")).read()
            self.assertIn("| 4 (oversubscribed) | weak", report)
            self.assertIn("error", report)
            for name in ("speedup.png", "breakdown.png", "accuracy.png"):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    head = handle.read(24)
                self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n", name)
                width, height = struct.unpack(">II", head[16:24])
                self.assertGreater(width, 100)
                self.assertGreater(height, 100)
                self.assertGreater(os.path.getsize(path), 5000, name)
            scaling.compare(os.path.join(folder, "cmp"), [folder, folder])
            self.assertTrue(os.path.getsize(os.path.join(folder, "cmp", "speedup.png")) > 5000)
        finally:
            shutil.rmtree(folder)

    def test_models_side_by_side(self):
        # The fixture as the MLP and a copy as a convolutional model: a quarter of the
        # parameters, three times the compute. Its exchange / compute ratio must be a twelfth.
        folder = tempfile.mkdtemp()
        try:
            mlp, cnn = os.path.join(folder, "mlp"), os.path.join(folder, "lenet5")
            for target in (mlp, cnn):
                os.makedirs(target)
                shutil.copy(os.path.join(HERE, "fixtures", "allreduce.json"), target)
            shutil.copy(os.path.join(HERE, "fixtures", "runs.csv"), mlp)
            rows = scaling.read_rows(os.path.join(HERE, "fixtures", "runs.csv"))
            for row in rows:
                row["parameter_count"] = (269322 + 3) // 4 - 3
                for key in ("seconds_per_epoch", "compute_seconds_per_epoch"):
                    row[key] *= 3
                row["samples_per_second"] /= 3
                scaling.append_row(os.path.join(cnn, "runs.csv"), row)
            _, mlp_model = scaling.write_report(mlp, plots=False)
            _, cnn_model = scaling.write_report(cnn, plots=False)
            scaling.models_report(os.path.join(folder, "both"), [mlp, cnn], plots=False)
            report = open(os.path.join(folder, "both", "report.md")).read()
            self.assertIn("| mlp | 269,322 | 1 | weak | not recorded |", report)
            self.assertIn("| lenet5 | 67,328 | 2 | weak | not recorded |", report)

            def ratio(model):
                ring = scaling.ring_time(2, model["message_bytes"], model["latency_seconds"],
                                         model["bandwidth_bytes_per_second"])
                return ring / model["compute_seconds_per_step"]
            self.assertAlmostEqual(cnn_model["compute_seconds_per_step"], 3 * mlp_model["compute_seconds_per_step"])
            self.assertIn(f"| mlp | {mlp_model['message_bytes']:,} | ", report)
            self.assertIn(f"| {ratio(mlp_model):.3f} |", report)
            self.assertIn(f"| {ratio(cnn_model):.3f} |", report)
            self.assertLess(ratio(cnn_model), ratio(mlp_model) / 3)
            self.assertIn("lenet5 spends", report)
            figures = json.load(open(os.path.join(folder, "both", "models.json")))
            self.assertAlmostEqual(figures["lenet5"]["exchange_over_compute_np2"], ratio(cnn_model))
            self.assertEqual(figures["mlp"]["points"]["weak_np2"]["predicted_efficiency"],
                             scaling.predicted_at(mlp_model, 2))
        finally:
            shutil.rmtree(folder)

    def test_time_to_target_column(self):
        # Fixture rows have no time to target: no column. Summaries with one: the median.
        self.assertNotIn("time to target", scaling.markdown_table(
            scaling.aggregate(scaling.read_rows(os.path.join(HERE, "fixtures", "runs.csv")))))
        folder = tempfile.mkdtemp()
        try:
            path = os.path.join(folder, "runs.csv")
            base = {"ranks": 2, "epochs": 12, "epochs_run": 5, "batch_size": 100, "global_batch": 200,
                    "steps_per_epoch": 300, "train_seconds": 5.0, "samples_per_second": 60000,
                    "compute_seconds": 4.0, "allreduce_seconds": 0.5, "test_accuracy": 0.981,
                    "peak_rss_bytes": 1, "parameter_count": 269322}
            for repeat, (seconds, reached) in enumerate([(9.0, True), (7.0, True), (8.0, True), (1.0, False)]):
                summary = dict(base, time_to_target_seconds=seconds, target_reached=reached)
                scaling.append_row(path, scaling.row_from_summary(summary, "weak", repeat, cores=2))
            table = scaling.aggregate(scaling.read_rows(path))
            self.assertAlmostEqual(table[0]["time_to_target_seconds"], 8.0)  # median of 9, 7, 8; unreached left out
            self.assertIn("| 8.00 |", scaling.markdown_table(table))
        finally:
            shutil.rmtree(folder)

    def test_plot_metrics(self):
        folder = tempfile.mkdtemp()
        try:
            metrics = os.path.join(folder, "run.jsonl")
            with open(metrics, "w") as handle:
                for epoch, cost in enumerate([2.0, 1.0, 0.5]):
                    handle.write(json.dumps({"epoch": epoch, "cost": cost, "test_accuracy": 0.5 + epoch / 10}) + "\n")
            out = os.path.join(folder, "curves.png")
            scaling.plot_metrics(out, [metrics, metrics])
            with open(out, "rb") as handle:
                self.assertEqual(handle.read(8), b"\x89PNG\r\n\x1a\n")
        finally:
            shutil.rmtree(folder)


if __name__ == "__main__":
    unittest.main()
