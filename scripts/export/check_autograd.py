"""One SGD step of mnist-mpi against PyTorch autograd, layer by layer.

    python check_autograd.py --data DIR --before a.safetensors --after b.safetensors --lr 0.5 \
        [--tolerance 1e-5]

`before` and `after` are mnist-mpi's model (exported to safetensors) before and after one plain
SGD step over the whole of DIR's training set (one batch: its order does not change the mean).
PyTorch rebuilds the same nn.Sequential (check_export.sequential_from_layers) in float64, loads
`before` with strict=True, takes the mean softmax cross-entropy of that batch, and autograd's
gradient gives the step it expects, -lr * grad. Each tensor's step (after - before, in float64)
must agree with it to `tolerance` of the tensor's largest step: convolutions (stride, padding),
max and average pooling, flatten, dense and the activation all pass their gradients back
through it. Prints a line per tensor; exits non-zero naming each tensor that differs.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_files import load  # noqa: E402
from check_export import sequential_from_layers  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="the folder the step trained on (its whole training set is the batch)")
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()

    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    torch.set_num_threads(1)
    with safe_open(args.before, framework="pt") as handle:
        metadata = handle.metadata() or {}
    architecture, activation = metadata["architecture"], metadata["activation"]
    network = sequential_from_layers(torch, architecture, metadata.get("image", "28x28x1"), activation).double()
    before = load_file(args.before)
    after = load_file(args.after)
    network.load_state_dict({name: tensor.double() for name, tensor in before.items()}, strict=True)

    images = load(args.data, "train-images-idx3-ubyte")
    labels = torch.from_numpy(load(args.data, "train-labels-idx1-ubyte").astype(np.int64))
    # What the trainer feeds: grey level times the float32 1/255.
    pixels = images.reshape(len(images), -1).astype(np.float32) * np.float32(1.0 / 255.0)
    loss = torch.nn.functional.cross_entropy(network(torch.from_numpy(pixels).double()), labels)
    loss.backward()

    failures = []
    parameters = dict(network.named_parameters())
    for name in sorted(before, key=lambda n: (int(n.split(".")[0]), n)):
        expected = -args.lr * parameters[name].grad
        taken = after[name].double() - before[name].double()
        scale = float(expected.abs().max())
        difference = float((taken - expected).abs().max())
        relative = difference / scale if scale > 0 else difference
        verdict = "ok" if relative <= args.tolerance else "DIFFERS"
        print(f"  {name:10} {str(list(before[name].shape)):16} largest step {scale:.3e}, "
              f"differs by {difference:.2e} = {relative:.1e} of it: {verdict}")
        if not relative <= args.tolerance:
            failures.append(name)
    print(f"{architecture} {activation}: loss {loss.item():.6f} over {len(labels)} examples, "
          f"{len(before)} tensors, torch {torch.__version__} autograd in float64")
    if failures:
        sys.exit(f"FAILED: mnist-mpi's step differs from PyTorch autograd's by more than "
                 f"{args.tolerance:g} of the step in {', '.join(failures)}")


if __name__ == "__main__":
    main()
