"""Combines the measurements of scripts/bench.sh into a table and results/bench.json.

Usage: report.py WORK_DIR REPEATS OUT_JSON
"""
import glob
import json
import statistics
import sys

# Framework ratios come only from runs on the same machine in the same session
# (scripts/bench-frameworks.sh): figures measured elsewhere are not scored against.


def load(path):
    with open(path) as handle:
        return json.load(handle)


def runs(work, name, repeats):
    return [load(f"{work}/{name}-{r}.json") for r in range(1, repeats + 1)]


def per_epoch(summary):
    return summary["train_seconds"] / summary["epochs_run"]


def main():
    work, repeats, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    floor = load(f"{work}/floor.json")
    allreduce = load(f"{work}/allreduce.json")
    configs = {name: runs(work, name, repeats) for name in ["np1", "np2", "np2-mpi", "np2-overlap", "np2-compress"]}
    epoch = {name: statistics.median(per_epoch(s) for s in rs) for name, rs in configs.items()}
    samples = {name: statistics.median(s["samples_per_second"] for s in rs) for name, rs in configs.items()}
    accuracy = {name: statistics.mean(s["test_accuracy"] for s in rs) for name, rs in configs.items()}
    share = {name: statistics.median(s["allreduce_seconds"] / s["train_seconds"] for s in rs)
             for name, rs in configs.items()}
    rss = [max(s["peak_rss_bytes_per_rank"][i] for s in configs["np2"]) for i in range(2)]
    rss_np1 = max(s["peak_rss_bytes_per_rank"][0] for s in configs["np1"])
    counts = {}
    for epochs in (1, 3):
        files = glob.glob(f"{work}/malloc.{epochs}")
        counts[epochs] = int(open(files[0]).read()) if files else None
    steps_per_epoch = configs["np1"][0]["steps_per_epoch"]
    allocations_per_step = (
        (counts[3] - counts[1]) / (2 * steps_per_epoch) if None not in counts.values() else None)

    best_np2 = min(epoch["np2"], epoch["np2-mpi"], epoch["np2-overlap"], epoch["np2-compress"])
    result = {
        "floor_seconds": floor["floor_seconds"],
        "floor_gflops_per_second": floor["gflops_per_second"],
        "epoch_seconds": epoch,
        "samples_per_second": samples,
        "np1_over_floor": epoch["np1"] / floor["floor_seconds"],
        "weak_scaling_efficiency": {k: samples[k] / (2 * samples["np1"]) for k in samples if k != "np1"},
        "allreduce_share_of_step": share,
        "allreduce_swift_seconds": allreduce["swift_seconds"],
        "allreduce_raw_c_seconds": allreduce["raw_c_seconds"],
        "allreduce_swift_over_raw": allreduce["swift_over_raw"],
        "allreduce_method_np2": configs["np2"][0].get("allreduce_method"),
        "peak_rss_bytes_per_rank_np2": rss,
        "peak_rss_bytes_np1": rss_np1,
        "allocations": {"run_1_epoch": counts[1], "run_3_epochs": counts[3],
                        "per_step": allocations_per_step},
        "test_accuracy_after_epochs": accuracy,
        "best_np2_epoch_seconds": best_np2,
        "repeats": repeats,
        "epochs_per_run": configs["np1"][0]["epochs"],
    }
    targets = [
        ("-np 1 epoch <= 1.2 x sgemm floor", result["np1_over_floor"] <= 1.2, f"{result['np1_over_floor']:.2f} x"),
        ("Swift allreduce <= 1.03 x raw C", result["allreduce_swift_over_raw"] <= 1.03,
         f"{result['allreduce_swift_over_raw']:.3f} x"),
        ("2-rank weak-scaling efficiency >= 0.90", result["weak_scaling_efficiency"]["np2"] >= 0.90,
         f"{result['weak_scaling_efficiency']['np2']:.3f}"),
        ("peak RSS <= 100 MB per rank at -np 2", max(rss) <= 100e6, " / ".join(f"{r / 1e6:.0f} MB" for r in rss)),
        ("peak RSS <= 100 MB at -np 1", rss_np1 <= 100e6, f"{rss_np1 / 1e6:.0f} MB"),
        ("no heap allocation per training step", allocations_per_step is not None and allocations_per_step < 1,
         f"{allocations_per_step:.4f} per step" if allocations_per_step is not None else "not measured"),
    ]
    result["targets"] = {name: {"met": met, "value": value} for name, met, value in targets}
    with open(out, "w") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)

    print()
    print(f"| measurement (medians of {repeats}, {result['epochs_per_run']} epochs a run) | value |")
    print("|---|---|")
    print(f"| sgemm floor of one epoch, 1 thread | {floor['floor_seconds']:.3f} s ({floor['gflops_per_second']:.0f} GFLOP/s) |")
    for name in ["np1", "np2", "np2-mpi", "np2-overlap", "np2-compress"]:
        print(f"| {name}: s/epoch, samples/s, allreduce share, accuracy | {epoch[name]:.3f} s, {samples[name]:,.0f}, "
              f"{share[name] * 100:.1f}%, {accuracy[name] * 100:.2f}% |")
    print(f"| -np 1 / floor | {result['np1_over_floor']:.2f} |")
    print(f"| allreduce of {allreduce['elements']} floats: Swift / raw C | {allreduce['swift_seconds'] * 1e6:.1f} us / "
          f"{allreduce['raw_c_seconds'] * 1e6:.1f} us = {allreduce['swift_over_raw']:.3f} |")
    for name, value in result["weak_scaling_efficiency"].items():
        print(f"| weak-scaling efficiency, {name} | {value:.3f} |")
    print(f"| peak RSS per rank at -np 2 | {' / '.join(f'{r / 1e6:.0f} MB' for r in rss)} |")
    print(f"| heap allocations of the main thread: 1 epoch, 3 epochs, per step | {counts[1]}, {counts[3]}, "
          f"{allocations_per_step if allocations_per_step is None else round(allocations_per_step, 4)} |")
    print("| against TensorFlow and PyTorch | scripts/bench-frameworks.sh (same machine, same session) |")
    print()
    for name, met, value in targets:
        print(f"{'met    ' if met else 'NOT MET'}  {name}: {value}")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
