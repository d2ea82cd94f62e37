"""Tests of simulate.py: the step found in a recorded trace, platforms, the namespace link, the
report (python3 -m unittest discover -s scripts/simulate)."""
import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simulate  # noqa: E402


def synthetic_trace(steps, calls, start_up=5):
    """A trace of `start_up` unrelated calls, then `steps` steps of `calls` [(before, seconds,
    call, elements, bytes)], times accumulated as a real run's would be."""
    events, clock = [], 0.0
    for i in range(start_up):
        clock += 0.01
        events.append((clock, clock + 0.001, "allreduce", 1 + i, 8, 2))
        clock += 0.001
    for _ in range(steps):
        for before, seconds, call, elements, size in calls:
            clock += before
            events.append((clock, clock + seconds, call, elements, size, 2))
            clock += seconds
    return events


class ScheduleTests(unittest.TestCase):
    def test_one_call_a_step(self):
        step = simulate.schedule(synthetic_trace(100, [(0.0015, 0.0002, "allreduce", 269325, 4)]))
        self.assertEqual(len(step["calls"]), 1)
        self.assertAlmostEqual(step["calls"][0]["before_seconds"], 0.0015)
        self.assertAlmostEqual(step["measured_step_seconds"], 0.0017)

    def test_several_calls_start_after_the_longest_local_stretch(self):
        # Overlapped-like: three nonblocking sums started in backward, waited for at the end;
        # the forward (the longest stretch) comes before the first. Whatever the phase the
        # steady part starts at, the schedule starts there.
        calls = [(0.001, 0.0001, "iallreduce", 3, 4), (0.0005, 0.0003, "iallreduce", 5000, 4),
                 (0.0002, 0.0002, "wait", 0, 0)]
        for start_up in (5, 6, 7):
            step = simulate.schedule(synthetic_trace(90, calls, start_up=start_up))
            self.assertEqual([c["elements"] for c in step["calls"]], [3, 5000, 0])
        self.assertAlmostEqual(step["local_seconds"], 0.0017)
        self.assertAlmostEqual(step["measured_step_seconds"], 0.0017 + 0.0006)

    def test_cpu_clock_takes_the_local_work_as_the_thread_ran_it(self):
        # Ranks sharing cores: between its calls a rank waited for the core as long as it worked.
        # The wall clock sees 2 ms before the sum, the thread's CPU time 1 ms.
        events, clock, cpu = [], 0.0, 0.0
        for _ in range(60):
            clock += 0.002
            cpu += 0.001
            events.append((clock, clock + 0.0005, "allreduce", 269325, 4, 2, "world", cpu, cpu + 0.0001))
            clock += 0.0005
            cpu += 0.0001
        self.assertAlmostEqual(simulate.schedule(events)["calls"][0]["before_seconds"], 0.002)
        step = simulate.schedule(events, cpu=True)
        self.assertAlmostEqual(step["calls"][0]["before_seconds"], 0.001)
        self.assertEqual(step["local_clock"], "cpu")
        self.assertAlmostEqual(step["measured_step_seconds"], 0.0025)  # the step itself is wall time

    def test_roles_tell_the_node_from_the_job(self):
        # The shared-memory reducer on 2 nodes of 2: a node barrier, the chunk's sum across nodes,
        # a node barrier. A barrier of the whole job is another call.
        calls = [("barrier", 0, 0, 2, "node"), ("allreduce", 134656, 4, 2, "cross"), ("barrier", 0, 0, 2, "node")]
        events, clock = [], 0.0
        for _ in range(60):
            for index, (call, elements, size, ranks, role) in enumerate(calls):
                clock += 0.0005 if index == 0 else 0.00001  # compute, then the chunk's additions
                events.append((clock, clock + 0.0001, call, elements, size, ranks, role, clock, clock + 0.0001))
                clock += 0.0001
        step = simulate.schedule(events)
        self.assertEqual([(c["call"], c["role"]) for c in step["calls"]],
                         [("barrier", "node"), ("allreduce", "cross"), ("barrier", "node")])
        simulate.check_replayable(step, 4, "test")
        other = dict(step, calls=[dict(step["calls"][0], role="other")])
        with self.assertRaises(SystemExit):
            simulate.check_replayable(other, 4, "test")

    def test_calls_alike_at_different_points_of_a_step_are_told_apart_by_their_gaps(self):
        # The shared-memory reducer on one node: two node barriers a step, alike but for the
        # 1.5 ms of compute before one and the 20 us of additions before the other.
        calls = [(0.0015, 0.00001, "barrier", 0, 0), (0.00002, 0.00001, "barrier", 0, 0)]
        for start_up in (5, 6):
            step = simulate.schedule(synthetic_trace(100, calls, start_up=start_up))
            self.assertEqual(len(step["calls"]), 2)
            self.assertEqual([round(c["before_seconds"], 6) for c in step["calls"]], [0.0015, 0.00002])
            self.assertAlmostEqual(step["local_seconds"], 0.00152)

    def test_point_to_point_calls_merge_into_one_exchange(self):
        # The deterministic reducer on 2 nodes of 2: a node barrier, the rows of the other node's
        # part sent and received, the root's parts gathered, a node barrier.
        calls = [(0.0008, 0.0001, "barrier", 0, 0), (0.000005, 0.000001, "irecv", 538624, 1),
                 (0.000001, 0.00004, "isend", 538624, 1), (0.000001, 0.0008, "waitall", 2, 0),
                 (0.00002, 0.0005, "allgatherv", 67328, 4), (0.000002, 0.000001, "barrier", 0, 0)]
        step = simulate.schedule(synthetic_trace(80, calls))
        self.assertEqual([(c["call"], c["elements"]) for c in step["calls"]],
                         [("barrier", 0), ("exchange", 538624), ("allgatherv", 67328), ("barrier", 0)])
        self.assertAlmostEqual(step["calls"][1]["before_seconds"], 0.000007)
        simulate.check_replayable(step, 2, "test")

    def test_no_period_is_none(self):
        events = [(float(i), float(i) + 0.1, "allreduce", i + 1, 4, 2) for i in range(50)]
        self.assertIsNone(simulate.schedule(events))


class RankScheduleTests(unittest.TestCase):
    def test_each_rank_of_a_larger_run_gets_its_own(self):
        folder = tempfile.mkdtemp()
        try:
            prefix = os.path.join(folder, "run.trace")
            for rank, before in enumerate((0.002, 0.003, 0.004)):
                with open(f"{prefix}.{rank}", "w") as handle:
                    for start, end, call, elements, size, _ in synthetic_trace(60, [(before, 0.001, "allreduce", 269325, 4)]):
                        handle.write(f"{start} {end} {call} {elements} {size} 3\n")
            out = os.path.join(folder, "run.sched")
            stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
            try:
                simulate.write_schedule(prefix, out)
            finally:
                sys.stdout = stdout
            self.assertFalse(os.path.exists(out + ".0"))
            for rank, before in ((1, 0.003), (2, 0.004)):
                lines = [line for line in open(f"{out}.{rank}").read().splitlines() if not line.startswith("#")]
                line = lines[0].split()
                self.assertAlmostEqual(float(line[0]), before)
                self.assertEqual(line[1:], ["allreduce", "269325", "4", "world"])
        finally:
            shutil.rmtree(folder)


    def test_a_rank_cut_elsewhere_is_rotated_to_rank_zeros_start(self):
        def step(*calls):
            return {"calls": [{"call": c, "elements": n, "bytes": 4, "before_seconds": t} for c, n, t in calls]}
        reference = step(("wait", 0, 0.002), ("iallreduce", 853, 0.001), ("iallreduce", 156, 0.0005))
        own = step(("iallreduce", 156, 0.0004), ("wait", 0, 0.003), ("iallreduce", 853, 0.001))
        rotated = simulate.aligned(own, reference)
        self.assertEqual([(c["call"], c["elements"], c["before_seconds"]) for c in rotated["calls"]],
                         [("wait", 0, 0.003), ("iallreduce", 853, 0.001), ("iallreduce", 156, 0.0004)])
        self.assertIsNone(simulate.aligned(step(("wait", 0, 0.1), ("iallreduce", 9, 0.1), ("iallreduce", 156, 0.1)), reference))


class ScaledScheduleTests(unittest.TestCase):
    def test_local_work_as_on_one_node(self):
        folder = tempfile.mkdtemp()
        try:
            nodes, one, out = (os.path.join(folder, name) for name in ("nodes.json", "one.json", "grid.sched"))
            with open(nodes, "w") as handle:
                json.dump({"calls": [{"call": "barrier", "elements": 0, "bytes": 0, "role": "node", "before_seconds": 0.0008},
                                     {"call": "exchange", "elements": 538624, "bytes": 1, "role": "cross", "before_seconds": 0.0002}],
                           "local_seconds": 0.001, "ranks_per_node": 2, "nodes": 2}, handle)
            with open(one, "w") as handle:
                json.dump({"calls": [], "local_seconds": 0.0006}, handle)
            stdout, sys.stdout = sys.stdout, io.StringIO()
            try:
                simulate.write_scaled(nodes, one, out)
            finally:
                sys.stdout = stdout
            lines = open(out).read().splitlines()
            self.assertEqual(lines[0], "# ranks_per_node 2 nodes 2")
            self.assertEqual([line.split() for line in lines[2:]],
                             [["0.000480000", "barrier", "0", "0", "node"], ["0.000120000", "exchange", "538624", "1", "cross"]])
        finally:
            shutil.rmtree(folder)


class PlatformTests(unittest.TestCase):
    def test_flat_and_fat_tree(self):
        flat = ElementTree.fromstring(simulate.platform(8, "10Gbps", "5us", "flat").split("\n", 2)[2])
        cluster = flat.find("cluster")
        self.assertEqual(cluster.get("radical"), "0-7")
        self.assertEqual(cluster.get("bw"), "10Gbps")
        tree = ElementTree.fromstring(simulate.platform(100, "1Gbps", "50us", "fattree").split("\n", 2)[2])
        cluster = tree.find("cluster")
        self.assertEqual(cluster.get("topology"), "FAT_TREE")
        # 4 leaves of 32 hosts (128 >= 100), 4 spines.
        self.assertEqual(cluster.get("topo_parameters"), "2;32,4;1,4;1,1")
        self.assertEqual(cluster.get("radical"), "0-127")

    def test_nodes_of_several_ranks(self):
        folder = tempfile.mkdtemp()
        try:
            xml, hosts = os.path.join(folder, "p.xml"), os.path.join(folder, "hosts")
            loopback = os.path.join(folder, "loopback.json")
            with open(loopback, "w") as handle:
                json.dump({"bandwidth": "8.5GBps", "latency": "0.40us"}, handle)
            simulate.write_platform("64", "10Gbps", "5us", "fattree:8", xml, hosts, loopback)
            cluster = ElementTree.fromstring(open(xml).read().split("\n", 2)[2]).find("cluster")
            self.assertEqual(cluster.get("core"), "8")
            self.assertEqual(cluster.get("loopback_bw"), "8.5GBps")
            self.assertEqual(cluster.get("radical"), "0-7")  # 8 nodes, one leaf
            lines = open(hosts).read().split()
            self.assertEqual(len(lines), 64)
            self.assertEqual(lines[:9], ["host-0"] * 8 + ["host-1"])  # consecutive ranks share a node
            with self.assertRaises(SystemExit) as raised:  # 4 ranks do not fill a node of 8
                simulate.write_platform("4", "10Gbps", "5us", "fattree:8", xml, hosts, loopback)
            self.assertEqual(raised.exception.code, 3)
            with self.assertRaises(SystemExit):
                simulate.topology_parts("torus:2")
        finally:
            shutil.rmtree(folder)

    def test_shared_memory_loopback(self):
        sweep = [{"bytes": 4, "seconds": 1e-6}, {"bytes": 1024, "seconds": 1e-6},
                 {"bytes": 1 << 20, "seconds": 200e-6}, {"bytes": 4 << 20, "seconds": 0.001001}]
        link = fitted_link(sweep, "shm")
        self.assertAlmostEqual(link["latency_seconds"], 0.5e-6)
        # 4 MiB in 1.001 ms less two latencies: 4.194 GB/s.
        self.assertEqual(link["bandwidth"], "4.1943GBps")

    def test_namespace_link(self):
        sweep = [{"bytes": 4, "seconds": 40e-6}, {"bytes": 64, "seconds": 60e-6}, {"bytes": 1024, "seconds": 50e-6},
                 {"bytes": 4 << 20, "seconds": 0.05005}]
        for rate, expected in (("10gbit", "1.2500GBps"), ("100mbit", "0.0125GBps")):  # tc's rate
            link = fitted_link(sweep, rate)
            self.assertEqual(link["bandwidth"], expected)
            self.assertAlmostEqual(link["latency_seconds"], 25e-6)  # half the median of 40, 60, 50 us
        with self.assertRaises(SystemExit):
            fitted_link(sweep, "fast")


def fitted_link(sweep, rate):
    """What `simulate.py fit SWEEP RATE` prints for a 2-rank sweep, parsed."""
    folder = tempfile.mkdtemp()
    try:
        path = os.path.join(folder, "sweep.json")
        with open(path, "w") as handle:
            json.dump({"ranks": 2, "sweep": sweep}, handle)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            simulate.fit(path, rate)
        return json.loads(printed.getvalue())
    finally:
        shutil.rmtree(folder)


class ReportTests(unittest.TestCase):
    def test_winner_and_validation(self):
        folder = tempfile.mkdtemp()
        try:
            rows = [
                ("mlp", "none", "flat", "1Gbps", 2, 0.010, 0.001, 0.1, "", "simulated"),
                ("mlp", "bf16", "flat", "1Gbps", 2, 0.006, 0.0012, 0.001 / 0.006, "", "simulated"),
                ("mlp", "none", "flat", "1gbit: 1Gbps 28us", 2, 0.011, 0.001, 0.001 / 0.011, 0.010, "validation"),
            ]
            with open(os.path.join(folder, "points.csv"), "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(simulate.FIELDS)
                writer.writerows(rows)
            stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
            try:
                simulate.write_report(folder)
            finally:
                sys.stdout = stdout
            report = open(os.path.join(folder, "report.md")).read()
            self.assertIn("| 1Gbps | bf16 | **0.17** |", report)
            self.assertIn("| 1Gbps | none | 0.10 |", report)
            self.assertIn("+10.0%", report)
            figures = json.load(open(os.path.join(folder, "simulated.json")))
            self.assertAlmostEqual(figures["validation"][0]["relative_error"], 0.1)
            self.assertAlmostEqual(figures["efficiency"]["mlp.flat.1Gbps.none.np2"], 0.1)
            self.assertAlmostEqual(figures["validated"]["mlp.none.1gbit.np2"]["error_percent"], 10.0)
            self.assertAlmostEqual(figures["validated"]["mlp.none.1gbit.np2"]["measured_ms"], 10.0)
        finally:
            shutil.rmtree(folder)


if __name__ == "__main__":
    unittest.main()
