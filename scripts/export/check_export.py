#!/usr/bin/env python3
"""Loads mnist-mpi's exported models with the real readers from PyPI and checks them against
`mnist-mpi evaluate` on the same checkpoint: the same number of correct test images (exactly)
and logits within 1e-5 of each row's scale (its largest logit, at least 1).

  check_export.py --data DIR --onnx M.onnx --safetensors M.safetensors \
                  --logits evaluate-logits.f32 --correct N [--require-torch]

ONNX: onnx.checker (full check, shape inference), then ONNX Runtime's CPU provider.
safetensors: safetensors' own loader, then PyTorch's nn.Sequential.load_state_dict(strict=True)
where torch imports (else the same forward pass in numpy, and a line saying torch was skipped).
Exit status 1 with one line per failed check.
"""
import argparse
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from mnist_files import load  # noqa: E402

TOLERANCE = 1e-5


def relative_error(got, reference):
    """The largest difference relative to its row's scale (the row's largest logit, at least 1):
    float32 products of 784 terms differ from the exact value by ~1e-5 of the element itself
    (measured: mnist-mpi, ONNX Runtime and PyTorch alike against float64), so an element-wise
    relative bound would test float32's rounding, not the export."""
    scale = np.maximum(1.0, np.abs(reference).max(axis=1, keepdims=True))
    return float(np.max(np.abs(got.astype(np.float64) - reference) / scale))


def activation_module(torch, activation):
    return {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]()


def sequential_from_layers(torch, architecture, image, activation):
    """The nn.Sequential the layer list names (mnist-mpi's ExportedModel.modules, independently):
    Unflatten to [N, C, H, W], Conv2d / MaxPool2d / AvgPool2d, Flatten before the first Linear,
    the activation after every Conv2d and Linear but the last."""
    height, width, channels = (int(part) for part in image.split("x"))
    specs = architecture.split(",")
    modules = [torch.nn.Unflatten(1, (channels, height, width))]
    images = True
    features = channels
    for position, spec in enumerate(specs):
        last = position == len(specs) - 1
        if match := re.fullmatch(r"conv(\d+)x\1x(\d+)(?:p(\d+))?(?:s(\d+))?", spec):
            kernel, filters = int(match[1]), int(match[2])
            padding, stride = int(match[3] or 0), int(match[4] or 1)
            modules.append(torch.nn.Conv2d(channels, filters, kernel, stride=stride, padding=padding))
            channels = filters
            height, width = (height + 2 * padding - kernel) // stride + 1, (width + 2 * padding - kernel) // stride + 1
            if not last:
                modules.append(activation_module(torch, activation))
        elif match := re.fullmatch(r"(max|avg)pool(\d+)(?:s(\d+))?", spec):
            window = int(match[2])
            stride = int(match[3] or window)
            pool = torch.nn.MaxPool2d if match[1] == "max" else torch.nn.AvgPool2d
            modules.append(pool(window, stride=stride))
            height, width = (height - window) // stride + 1, (width - window) // stride + 1
        elif match := re.fullmatch(r"fc(\d+)", spec):
            if images:
                modules.append(torch.nn.Flatten())
                features = channels * height * width
                images = False
            modules.append(torch.nn.Linear(features, int(match[1])))
            features = int(match[1])
            if not last:
                modules.append(activation_module(torch, activation))
        else:
            raise SystemExit(f"FAILED: the architecture {architecture!r} has a layer {spec!r} this checker does not know")
    return torch.nn.Sequential(*modules)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--safetensors", required=True)
    parser.add_argument("--logits", required=True, help="mnist-mpi evaluate --save-logits output")
    parser.add_argument("--correct", type=int, required=True, help="mnist-mpi evaluate's count")
    parser.add_argument("--require-torch", action="store_true")
    args = parser.parse_args()

    images = load(args.data, "t10k-images-idx3-ubyte")
    labels = load(args.data, "t10k-labels-idx1-ubyte").astype(np.int64)
    # What the trainer feeds: grey level times the float32 1/255.
    pixels = images.reshape(len(images), -1).astype(np.float32) * np.float32(1.0 / 255.0)
    reference = np.fromfile(args.logits, dtype="<f4").reshape(len(images), -1).astype(np.float64)
    failures = []

    def check(name, logits):
        correct = int(np.sum(np.argmax(logits, axis=1) == labels))
        error = relative_error(logits, reference)
        absolute = float(np.max(np.abs(logits.astype(np.float64) - reference)))
        print(f"{name}: {correct} of {len(labels)} correct (mnist-mpi evaluate: {args.correct}), "
              f"largest logit difference {absolute:.2e}, {error:.2e} of the row's scale (tolerance {TOLERANCE:g})")
        if correct != args.correct:
            failures.append(f"{name} counts {correct} correct, mnist-mpi evaluate {args.correct}")
        if not error <= TOLERANCE:
            failures.append(f"{name} logits differ by {error:.2e} (relative) from mnist-mpi's")

    # ONNX: the checker, then ONNX Runtime.
    import onnx
    import onnxruntime

    model = onnx.load(args.onnx)
    onnx.checker.check_model(model, full_check=True)
    opsets = {entry.domain: entry.version for entry in model.opset_import}
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    print(f"onnx.checker: passed (IR {model.ir_version}, opset {opsets.get('', '?')}, "
          f"ops {[node.op_type for node in model.graph.node]}, metadata {sorted(metadata)})")
    for key in ("preset", "activation", "dataset", "test_accuracy"):
        if key not in metadata:
            failures.append(f"ONNX metadata lacks {key}")
    session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    logits, probabilities = session.run(["logits", "probabilities"], {"input": pixels})
    check(f"onnxruntime {onnxruntime.__version__}", logits)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    if not np.allclose(probabilities, softmax, atol=1e-6):
        failures.append("ONNX probabilities are not the softmax of its logits")

    # safetensors: its own loader, then PyTorch.
    from safetensors.numpy import load_file
    from safetensors import safe_open

    tensors = load_file(args.safetensors)
    with safe_open(args.safetensors, framework="np") as handle:
        st_metadata = handle.metadata() or {}
    print(f"safetensors: {', '.join(f'{k} {list(v.shape)}' for k, v in sorted(tensors.items()))}; "
          f"metadata {sorted(st_metadata)}")
    activation = st_metadata.get("activation", metadata.get("activation"))
    architecture = st_metadata.get("architecture", metadata.get("architecture", ""))
    convolutional = not re.fullmatch(r"[0-9]+(-[0-9]+)+", architecture)
    layers = sorted({int(name.split(".")[0]) for name in tensors})
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        if convolutional:
            network = sequential_from_layers(torch, architecture, st_metadata.get("image", "28x28x1"), activation)
        else:
            modules = []
            for position, index in enumerate(layers):
                weight = tensors[f"{index}.weight"]
                modules.append(torch.nn.Linear(weight.shape[1], weight.shape[0]))
                if position < len(layers) - 1:
                    modules.append(activation_module(torch, activation))
            network = torch.nn.Sequential(*modules)
        from safetensors.torch import load_file as load_torch
        network.load_state_dict(load_torch(args.safetensors), strict=True)
        with torch.no_grad():
            check(f"torch {torch.__version__} nn.Sequential.load_state_dict", network(torch.from_numpy(pixels)).numpy())
    else:
        if args.require_torch:
            failures.append("torch does not import")
        if convolutional:
            failures.append("torch does not import: a convolutional model's safetensors are checked with torch only")
            print("SKIPPED: the safetensors of a convolutional model (torch does not import; no numpy convolution here)")
            layers = []
        else:
            print("SKIPPED: PyTorch's load_state_dict (torch does not import here); numpy forward pass instead")
        functions = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
        values = pixels
        for position, index in enumerate(layers):
            values = values @ tensors[f"{index}.weight"].T + tensors[f"{index}.bias"]
            if position < len(layers) - 1:
                values = functions[activation](values)
        if layers:
            check("safetensors + numpy", values)

    for failure in failures:
        print(f"FAILED: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
