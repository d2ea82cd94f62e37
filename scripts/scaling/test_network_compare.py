"""network_compare.py: efficiency and the per-compression cost model worked out by hand."""
import csv
import json
import os
import tempfile
import unittest

import network_compare
import scaling


class NetworkCompareTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        rows = [
            # 1 rank: 1 ms compute a step, 100,000 samples/s.
            dict(rate="1gbit", compression="none", ranks=1, step_seconds=0.001, compute_step_seconds=0.001,
                 allreduce_step_seconds=0, samples_per_second=100000, floats_first_sum=0, floats_second_sum=0),
            dict(rate="1gbit", compression="none", ranks=2, step_seconds=0.009, compute_step_seconds=0.001,
                 allreduce_step_seconds=0.008, samples_per_second=22222, floats_first_sum=250000, floats_second_sum=0),
            dict(rate="1gbit", compression="powersgd", ranks=2, step_seconds=0.0015, compute_step_seconds=0.001,
                 allreduce_step_seconds=0.0005, samples_per_second=133333, floats_first_sum=5000, floats_second_sum=2000),
        ]
        with open(os.path.join(self.folder, "runs.csv"), "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=network_compare.FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({**{k: 0 for k in network_compare.FIELDS}, "steps_per_epoch": 300,
                                 "test_accuracy": 0.9, "exchanged_bytes_per_step": 0, "parameter_count": 0, **row})
        # A sweep on exactly 1e-5 s latency and 1.25e8 bytes/s (1 Gbit/s), 2 ranks.
        sweep = [{"bytes": b, "seconds": scaling.ring_time(2, b, 1e-5, 1.25e8)} for b in (4, 4096, 65536, 1048576)]
        with open(os.path.join(self.folder, "allreduce-1gbit.json"), "w") as handle:
            json.dump({"ranks": 2, "sweep": sweep}, handle)
        with open(os.path.join(self.folder, "compression.json"), "w") as handle:
            json.dump({"seconds_per_step": {"bf16": 0.0001, "powersgd": 0.0002}}, handle)

    def test_efficiency_and_model_by_hand(self):
        analysis = network_compare.analyse(self.folder)
        by = {r["compression"]: r for r in analysis["results"]}
        self.assertAlmostEqual(by["none"]["efficiency"], 22222 / 200000)
        self.assertAlmostEqual(by["powersgd"]["efficiency"], 133333 / 200000)
        self.assertAlmostEqual(by["none"]["bandwidth_bytes_per_second"], 1.25e8, delta=1)
        # none: 1 ms + ring(2, 1,000,000 B) = 1 ms + 8 ms + 20 us.
        self.assertAlmostEqual(by["none"]["predicted_step_seconds"], 0.001 + 0.008 + 2e-5, places=7)
        # powersgd: 1 ms + ring(20,000 B) + ring(8,000 B) + 0.2 ms of its own compute.
        expected = 0.001 + (20000 / 1.25e8 + 2e-5) + (8000 / 1.25e8 + 2e-5) + 0.0002
        self.assertAlmostEqual(by["powersgd"]["predicted_step_seconds"], expected, places=7)

    def test_report_writes_table_and_plot(self):
        network_compare.report(self.folder)
        text = open(os.path.join(self.folder, "report.md")).read()
        self.assertIn("| 1 Gbit/s | powersgd |", text)
        with open(os.path.join(self.folder, "efficiency.png"), "rb") as handle:
            self.assertEqual(handle.read(8), b"\x89PNG\r\n\x1a\n")

    def test_rates_sort_with_unlimited_last(self):
        self.assertEqual(sorted(["unlimited", "10gbit", "1gbit", "500mbit"], key=network_compare.rate_bits),
                         ["500mbit", "1gbit", "10gbit", "unlimited"])


if __name__ == "__main__":
    unittest.main()
