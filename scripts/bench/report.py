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


def allocations(work, kernels, steps_per_epoch):
    """Heap allocations of a 1- and a 3-epoch run, and the difference per step."""
    counts = {}
    for epochs in (1, 3):
        files = glob.glob(f"{work}/malloc-{kernels}.{epochs}")
        counts[epochs] = int(open(files[0]).read()) if files else None
    per_step = (counts[3] - counts[1]) / (2 * steps_per_epoch) if None not in counts.values() else None
    return {"run_1_epoch": counts[1], "run_3_epochs": counts[3], "per_step": per_step}


def label(pair):
    """"np2-g200-bits12" as "np2 G=200 --same-bits-on 1,2"."""
    text = pair.replace("-g", " G=")
    return text.replace("-bits12", " --same-bits-on 1,2")


def main():
    work, repeats, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    machine = load(f"{work}/machine.json")
    floors = {}
    for name in ("openblas fp32", "onednn fp32", "onednn bf16"):
        measured = [load(path) for path in sorted(glob.glob(f"{work}/floor-{name.replace(' ', '-')}-*.json"))]
        if measured:
            seconds = statistics.median(s for m in measured for s in m["floor_runs"])
            # Each product's seconds per epoch: the median over the repetitions' medians.
            products = {p["name"]: dict(p, seconds=statistics.median(
                q["seconds"] for m in measured for q in m.get("products", []) if q["name"] == p["name"]))
                for p in measured[0].get("products", [])}
            floors[name] = dict(measured[0], floor_seconds=seconds,
                                gflops_per_second=measured[0]["gflop_per_epoch"] / seconds,
                                floor_runs=[s for m in measured for s in m["floor_runs"]], products=products)
    allreduce = load(f"{work}/allreduce.json")
    pairs = ["np1-g200", "np2-g200", "np2-g600", "np2-g200-bits12"]
    names = ["np1", "np1-openblas", "np1-bf16", "np2", "np2-bf16", "np2-mpi", "np2-overlap", "np2-compress"] + [
        f"{mode}-{pair}" for pair in pairs for mode in ("same", "det")]
    configs = {name: runs(work, name, repeats) for name in names if glob.glob(f"{work}/{name}-1.json")}
    epoch = {name: statistics.median(per_epoch(s) for s in rs) for name, rs in configs.items()}
    samples = {name: statistics.median(s["samples_per_second"] for s in rs) for name, rs in configs.items()}
    accuracy = {name: statistics.mean(s["test_accuracy"] for s in rs) for name, rs in configs.items()}
    share = {name: statistics.median(s["allreduce_seconds"] / s["train_seconds"] for s in rs)
             for name, rs in configs.items()}
    kernels = {name: f"{rs[0].get('kernels')} {rs[0].get('precision')} {rs[0].get('kernel_implementations') or rs[0].get('blas_core')}"
               for name, rs in configs.items()}
    rss = [max(s["peak_rss_bytes_per_rank"][i] for name in configs if name.startswith("np2") for s in configs[name])
           for i in range(2)]
    rss_np1 = max(s["peak_rss_bytes_per_rank"][0] for name in configs if name.startswith("np1") for s in configs[name])
    steps_per_epoch = configs["np1"][0]["steps_per_epoch"]
    allocs = {"default kernels (" + configs["np1"][0].get("kernels", "?") + ")": allocations(work, "auto", steps_per_epoch),
              "openblas": allocations(work, "openblas", steps_per_epoch)}

    fp32_floor_name = min((n for n in floors if n.endswith("fp32")), key=lambda n: floors[n]["floor_seconds"])
    fp32_floor = floors[fp32_floor_name]["floor_seconds"]
    # Per product, the faster float32 library: what a per-shape choice of kernels could reach.
    fp32_floors = [floors[n] for n in floors if n.endswith("fp32") and floors[n]["products"]]
    per_product = {}
    for product in (fp32_floors[0]["products"] if fp32_floors else {}):
        times = {n: floors[n]["products"][product]["seconds"] for n in floors if product in floors[n]["products"]}
        fp32_times = {n: t for n, t in times.items() if n.endswith("fp32")}
        shape = fp32_floors[0]["products"][product]
        per_product[product] = {"m": shape["m"], "n": shape["n"], "k": shape["k"], "seconds": times,
                                "faster_fp32": min(fp32_times, key=fp32_times.get)}
    best_per_product_fp32 = sum(p["seconds"][p["faster_fp32"]] for p in per_product.values()) if per_product else None
    fp32_np1 = min(epoch["np1"], epoch["np1-openblas"])
    best_np2 = min(epoch[n] for n in epoch if n.startswith("np2"))
    result = {
        "machine": machine,
        "floors": {name: {"seconds": f["floor_seconds"], "gflops_per_second": f["gflops_per_second"],
                          "implementations": f.get("implementations", []), "openblas_core": f.get("openblas_core")}
                   for name, f in floors.items()},
        "fastest_fp32_floor": fp32_floor_name,
        "floor_products": per_product,
        "fp32_floor_faster_library_per_product_seconds": best_per_product_fp32,
        "kernels": kernels,
        "epoch_seconds": epoch,
        "samples_per_second": samples,
        "np1_fp32_over_fastest_fp32_floor": fp32_np1 / fp32_floor,
        # The same question asked inside each run: its epochs against its own products' time
        # (product_seconds), free of the drift between the floor's runs and the trainer's.
        "np1_over_own_products": {name: statistics.median(s["train_seconds"] / s["product_seconds"] for s in configs[name])
                                  for name in ("np1", "np1-openblas", "np1-bf16")
                                  if name in configs and all(s.get("product_seconds") for s in configs[name])},
        "np1_bf16_over_np1_fp32": epoch["np1-bf16"] / fp32_np1 if "np1-bf16" in epoch else None,
        "np1_bf16_over_bf16_floor": epoch["np1-bf16"] / floors["onednn bf16"]["floor_seconds"]
        if "np1-bf16" in epoch and "onednn bf16" in floors else None,
        "onednn_over_openblas_np1": epoch["np1"] / epoch["np1-openblas"],
        "weak_scaling_efficiency": {k: samples[k] / (2 * samples["np1-bf16" if k == "np2-bf16" else "np1"])
                                    for k in samples if k.startswith("np2")},
        "allreduce_share_of_step": share,
        "allreduce_swift_seconds": allreduce["swift_seconds"],
        "allreduce_raw_c_seconds": allreduce["raw_c_seconds"],
        "allreduce_swift_over_raw": allreduce["swift_over_raw"],
        "allreduce_method_np2": configs["np2"][0].get("allreduce_method"),
        "peak_rss_bytes_per_rank_np2": rss,
        "peak_rss_bytes_np1": rss_np1,
        "allocations": allocs,
        "test_accuracy_after_epochs": accuracy,
        "best_np2_epoch_seconds": best_np2,
        "repeats": repeats,
        "epochs_per_run": configs["np1"][0]["epochs"],
    }
    # --deterministic over the default at the same global batch: the median of each repetition's
    # ratio (the two ran back to back, so drift between repetitions cancels).
    result["deterministic_over_default"] = {
        pair: statistics.median(per_epoch(d) / per_epoch(s) for d, s in zip(configs[f"det-{pair}"], configs[f"same-{pair}"]))
        for pair in pairs if f"det-{pair}" in configs and f"same-{pair}" in configs}
    result["deterministic_fingerprints"] = {
        pair: sorted({s.get("parameter_fingerprint") for s in configs[f"det-{pair}"]}) for pair in pairs if f"det-{pair}" in configs}
    bf16_ratio = result["np1_bf16_over_np1_fp32"]
    default_allocs = next(iter(allocs.values()))["per_step"]
    blas_allocs = allocs["openblas"]["per_step"]
    targets = [
        (f"float32 -np 1 epoch <= 1.05 x fastest float32 floor ({fp32_floor_name})",
         result["np1_fp32_over_fastest_fp32_floor"] <= 1.05, f"{result['np1_fp32_over_fastest_fp32_floor']:.2f} x"),
        ("bfloat16 -np 1 epoch <= 1.20 x the bfloat16 floor", result["np1_bf16_over_bf16_floor"] is not None
         and result["np1_bf16_over_bf16_floor"] <= 1.20,
         f"{result['np1_bf16_over_bf16_floor']:.2f} x" if result["np1_bf16_over_bf16_floor"] is not None
         else f"not measured (oneDNN: {machine['onednn']}, native bfloat16: {machine['bf16']})"),
        ("bfloat16 -np 1 epoch <= 0.6 x float32's", bf16_ratio is not None and bf16_ratio <= 0.6,
         f"{bf16_ratio:.2f} x" if bf16_ratio is not None
         else f"not measured (oneDNN: {machine['onednn']}, native bfloat16: {machine['bf16']})"),
        ("Swift allreduce <= 1.03 x raw C", result["allreduce_swift_over_raw"] <= 1.03,
         f"{result['allreduce_swift_over_raw']:.3f} x"),
        ("2-rank weak-scaling efficiency >= 0.90", result["weak_scaling_efficiency"]["np2"] >= 0.90,
         f"{result['weak_scaling_efficiency']['np2']:.3f}"),
        ("peak RSS <= 100 MB per rank at -np 2", max(rss) <= 100e6, " / ".join(f"{r / 1e6:.0f} MB" for r in rss)),
        ("peak RSS <= 100 MB at -np 1", rss_np1 <= 100e6, f"{rss_np1 / 1e6:.0f} MB"),
        ("no heap allocation per training step, default kernels", default_allocs is not None and default_allocs < 1,
         (f"{default_allocs:.4f} per step" + (" (oneDNN's dnnl_primitive_execute: its execution context's"
                                               " argument maps, ~6 small allocations a product)"
                                               if default_allocs >= 1 and "onednn" in kernels.get("np1", "") else ""))
         if default_allocs is not None else "not measured"),
        ("no heap allocation per training step, OpenBLAS", blas_allocs is not None and blas_allocs < 1,
         f"{blas_allocs:.4f} per step" if blas_allocs is not None else "not measured"),
    ] + [(f"--deterministic epoch <= {limit:.2f} x the default's, {label(pair)}",
          result["deterministic_over_default"].get(pair, float("inf")) <= limit,
          f"{result['deterministic_over_default'][pair]:.3f} x" if pair in result["deterministic_over_default"] else "not measured")
         for pair, limit in (("np1-g200", 1.10), ("np2-g200", 1.15), ("np2-g600", 1.15), ("np2-g200-bits12", 1.15))]
    result["targets"] = {name: {"met": met, "value": value} for name, met, value in targets}
    with open(out, "w") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)

    print()
    print(f"CPU: {machine['cpu']}; oneDNN: {machine['onednn']}; native bfloat16: {machine['bf16']}")
    print()
    print(f"| measurement (medians of {repeats}, {result['epochs_per_run']} epochs a run) | value |")
    print("|---|---|")
    for name, floor in floors.items():
        used = ", ".join(floor.get("implementations") or []) or f"OpenBLAS {floor.get('openblas_core')}"
        print(f"| compute floor of one epoch, 1 thread, {name} ({used}; median of {len(floor['floor_runs'])}) | "
              f"{floor['floor_seconds']:.3f} s "
              f"({floor['gflops_per_second']:.0f} GFLOP/s) |")
    for name in epoch:
        print(f"| {name}: s/epoch, samples/s, allreduce share, accuracy | {epoch[name]:.3f} s, {samples[name]:,.0f}, "
              f"{share[name] * 100:.1f}%, {accuracy[name] * 100:.2f}% ({kernels[name]}) |")
    print(f"| -np 1 float32 / fastest float32 floor | {result['np1_fp32_over_fastest_fp32_floor']:.2f} |")
    for name, ratio in result["np1_over_own_products"].items():
        print(f"| {name}: epoch / its own matrix products, timed in the same run | {ratio:.3f} |")
    print(f"| -np 1 oneDNN / OpenBLAS (default kernels / --kernels openblas) | {result['onednn_over_openblas_np1']:.2f} |")
    if bf16_ratio is not None:
        print(f"| -np 1 bfloat16 / float32 | {bf16_ratio:.2f} |")
    print(f"| allreduce of {allreduce['elements']} floats: Swift / raw C | {allreduce['swift_seconds'] * 1e6:.1f} us / "
          f"{allreduce['raw_c_seconds'] * 1e6:.1f} us = {allreduce['swift_over_raw']:.3f} |")
    for pair, ratio in result["deterministic_over_default"].items():
        print(f"| --deterministic / default s/epoch, {label(pair)} (each repetition's pair; fingerprint "
              f"{', '.join(result['deterministic_fingerprints'][pair])}) | {ratio:.3f} |")
    for name, value in result["weak_scaling_efficiency"].items():
        print(f"| weak-scaling efficiency, {name} | {value:.3f} |")
    print(f"| peak RSS per rank at -np 2, at -np 1 | {' / '.join(f'{r / 1e6:.0f} MB' for r in rss)}, {rss_np1 / 1e6:.0f} MB |")
    for name, counts in allocs.items():
        per_step = counts["per_step"]
        print(f"| heap allocations of the main thread, {name}: 1 epoch, 3 epochs, per step | {counts['run_1_epoch']}, "
              f"{counts['run_3_epochs']}, {per_step if per_step is None else round(per_step, 4)} |")
    print("| against TensorFlow and PyTorch | scripts/bench-frameworks.sh (same machine, same session) |")
    if per_product:
        names = [n for n in floors if any(n in p["seconds"] for p in per_product.values())]
        print()
        print("| floor product, s per epoch (C[m, n] = A[m, k] B[k, n]) | " + " | ".join(names) + " | faster float32 |")
        print("|---|" + "---|" * (len(names) + 1))
        for product, p in per_product.items():
            cells = " | ".join(f"{p['seconds'][n]:.3f}" if n in p["seconds"] else "-" for n in names)
            print(f"| {product} ({p['m']} x {p['n']} x {p['k']}) | {cells} | {p['faster_fp32']} |")
        print(f"| sum | " + " | ".join(f"{sum(p['seconds'].get(n, 0) for p in per_product.values()):.3f}" for n in names)
              + f" | {best_per_product_fp32:.3f} (-np 1 float32 / this: {fp32_np1 / best_per_product_fp32:.2f}) |")
    print()
    for name, met, value in targets:
        print(f"{'met    ' if met else 'NOT MET'}  {name}: {value}")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
