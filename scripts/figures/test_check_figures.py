"""check_figures.py fails on each kind of drift and passes a page that cites correctly."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_figures.py")
RECORD = {"cpu": {"short": "AMD EPYC Zen 4", "model_name": "AMD EPYC", "family": 25, "model": 17, "flags": []},
          "command": "scripts/bench.sh", "date": "2026-12-03",
          "figures": {"weak_scaling_efficiency.np2": 0.79312, "np1_ratio": 1.0891}}


def check(readme, docs=""):
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs", "results"))
        with open(os.path.join(root, "docs", "results", "bench-zen4.json"), "w") as handle:
            json.dump(RECORD, handle)
        with open(os.path.join(root, "README.md"), "w") as handle:
            handle.write(readme)
        with open(os.path.join(root, "docs", "page.md"), "w") as handle:
            handle.write(docs)
        run = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True)
        return run.returncode, run.stderr


class CheckFiguresTests(unittest.TestCase):
    def test_a_correct_citation_passes(self):
        status, errors = check("On an AMD EPYC Zen 4: efficiency 0.793<!-- figure bench-zen4 weak_scaling_efficiency.np2 -->, "
                               "ratio 1.09<!-- figure bench-zen4 np1_ratio --> x.\n")
        self.assertEqual(status, 0, errors)

    def test_a_drifted_figure_fails(self):
        status, errors = check("On an AMD EPYC Zen 4: efficiency 0.81<!-- figure bench-zen4 weak_scaling_efficiency.np2 -->.\n")
        self.assertEqual(status, 1)
        self.assertIn("quotes 0.81", errors)

    def test_a_figure_without_its_cpu_fails(self):
        status, errors = check("Efficiency 0.793<!-- figure bench-zen4 weak_scaling_efficiency.np2 -->.\n")
        self.assertEqual(status, 1)
        self.assertIn("does not name its CPU", errors)

    def test_a_missing_result_or_key_fails(self):
        self.assertEqual(check("AMD EPYC Zen 4: 1.0<!-- figure other np1_ratio -->\n")[0], 1)
        self.assertEqual(check("AMD EPYC Zen 4: 1.0<!-- figure bench-zen4 nothing -->\n")[0], 1)

    def test_here_beside_a_figure_and_session_talk_fail(self):
        self.assertIn("'here'", check("", "It takes 2.5 s here.\n")[1])
        self.assertIn("when or by whom", check("", "A later " + "session measured 3 ms.\n")[1])


if __name__ == "__main__":
    unittest.main()
