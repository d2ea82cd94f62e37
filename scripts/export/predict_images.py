#!/usr/bin/env python3
"""Writes the pictures `mnist-mpi predict` is tested with, using only the standard library and
numpy (an encoder independent of the libpng that predict reads with), and checks its answers.

  predict_images.py write --data DIR --out DIR [--count N]
  predict_images.py check --out DIR --json predict.json --logits evaluate-logits.f32

`write` makes, from the first N test images:
  test-NNNN-L.png       the image as it is (28x28, white on black): predict must give exactly
                        the class of mnist-mpi evaluate's logits;
  big-NNNN-L.png        the same digit 4x larger (bilinear), black on white, off-centre on a
                        150x130 sheet with a grey border of paper: predict must recover the label
                        for at least 90% of those the model gets right as 28x28;
  test-NNNN-L.pgm       P5, and plain-P2 copies of a few: the same answers as the PNGs;
  drawn-D.png           digits drawn with thick strokes (0, 1, 4, 7) on 200x240 white sheets,
                        one with a transparent background: each must be its digit.
"""
import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from mnist_files import load  # noqa: E402


def png_bytes(grey, alpha=None):
    """An 8-bit greyscale (or grey+alpha) PNG, filter 0 on every row."""
    height, width = grey.shape
    if alpha is None:
        rows, colour = grey, 0
    else:
        rows, colour = np.stack([grey, alpha], axis=2).reshape(height, width * 2), 4
    raw = b"".join(b"\x00" + row.astype(np.uint8).tobytes() for row in rows)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def enlarge(image, factor):
    """Bilinear enlargement of a [h, w] float image."""
    height, width = image.shape
    ys = (np.arange(height * factor) + 0.5) / factor - 0.5
    xs = (np.arange(width * factor) + 0.5) / factor - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, height - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, width - 1)
    y1, x1 = np.clip(y0 + 1, 0, height - 1), np.clip(x0 + 1, 0, width - 1)
    wy = np.clip(ys - y0, 0, 1)[:, None]
    wx = np.clip(xs - x0, 0, 1)[None, :]
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x1] * wx
    bottom = image[y1][:, x0] * (1 - wx) + image[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


def stroke(canvas, points, width):
    """Draws a polyline of thickness `width` (ink 1.0) on a float canvas."""
    height, canvas_width = canvas.shape
    yy, xx = np.mgrid[0:height, 0:canvas_width]
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        dx, dy = xb - xa, yb - ya
        length = max(dx * dx + dy * dy, 1e-9)
        t = np.clip(((xx - xa) * dx + (yy - ya) * dy) / length, 0, 1)
        distance = np.hypot(xx - (xa + t * dx), yy - (ya + t * dy))
        canvas[:] = np.maximum(canvas, np.clip(width / 2 - distance + 0.5, 0, 1))


def drawn_digits():
    """Thick-stroke digits on 200x240 sheets (x, y in pixels), ink 1 on paper 0."""
    angles = np.linspace(0, 2 * np.pi, 60)
    shapes = {
        0: [list(zip(100 + 48 * np.sin(angles), 120 - 80 * np.cos(angles)))],
        1: [[(95, 40), (105, 200)]],
        4: [[(125, 200), (125, 40), (55, 150), (150, 150)]],
        7: [[(50, 45), (150, 45), (90, 205)]],
    }
    for digit, lines in shapes.items():
        canvas = np.zeros((240, 200))
        for line in lines:
            stroke(canvas, line, 18)
        yield digit, canvas


def write(args):
    images = load(args.data, "t10k-images-idx3-ubyte")[: args.count]
    labels = load(args.data, "t10k-labels-idx1-ubyte")[: args.count]
    os.makedirs(args.out, exist_ok=True)
    for index, (image, label) in enumerate(zip(images, labels)):
        stem = f"{index:04d}-{label}"
        with open(os.path.join(args.out, f"test-{stem}.png"), "wb") as handle:
            handle.write(png_bytes(image))
        with open(os.path.join(args.out, f"test-{stem}.pgm"), "wb") as handle:
            handle.write(b"P5\n# a test-set image\n28 28\n255\n" + image.tobytes())
        if index < 5:
            with open(os.path.join(args.out, f"plain-{stem}.pgm"), "w") as handle:
                handle.write("P2\n28 28\n255\n" + "\n".join(" ".join(map(str, row)) for row in image) + "\n")
        large = enlarge(image.astype(np.float64), 4)
        sheet = np.full((150, 130), 0.0)
        sheet[9:9 + 112, 13:13 + 112] = large
        sheet = 235 - sheet * (200 / 255)  # dark ink on light grey paper
        with open(os.path.join(args.out, f"big-{stem}.png"), "wb") as handle:
            handle.write(png_bytes(np.clip(np.round(sheet), 0, 255)))
    for digit, canvas in drawn_digits():
        if digit == 4:  # black strokes on a transparent sheet
            picture = png_bytes(np.zeros_like(canvas), alpha=np.round(canvas * 255))
        else:
            picture = png_bytes(np.round(255 - canvas * 255))
        with open(os.path.join(args.out, f"drawn-{digit}.png"), "wb") as handle:
            handle.write(picture)
    print(f"wrote {len(images)} test images (PNG, PGM, enlarged and inverted) and 4 drawn digits to {args.out}")


def check(args):
    with open(args.json) as handle:
        answers = {os.path.basename(entry["image"]): entry for entry in json.load(handle)}
    logits = np.fromfile(args.logits, dtype="<f4").reshape(-1, 10)
    failures = []
    names = sorted(answers)
    test_pngs = [name for name in names if name.startswith("test-") and name.endswith(".png")]
    same = sum(answers[name]["class"] == int(np.argmax(logits[int(name[5:9])])) for name in test_pngs)
    print(f"28x28 test images as PNG: {same} of {len(test_pngs)} predicted as mnist-mpi evaluate's logits")
    if same != len(test_pngs):
        failures.append(f"{len(test_pngs) - same} test-set PNGs predicted differently from evaluate")
    for prefix in ("test-", "plain-"):
        pgms = [name for name in names if name.startswith(prefix) and name.endswith(".pgm")]
        differ = [name for name in pgms if answers[name]["class"] != answers["test-" + name[len(prefix):-4] + ".png"]["class"]]
        print(f"{prefix}*.pgm: {len(pgms) - len(differ)} of {len(pgms)} as their PNGs")
        if differ:
            failures.append(f"PGM answers differ from PNG: {differ[:3]}")
    big = [name for name in names if name.startswith("big-")]
    known = [name for name in big if int(np.argmax(logits[int(name[4:8])])) == int(name[9])]
    recovered = sum(answers[name]["class"] == int(name[9]) for name in known)
    print(f"4x enlarged, inverted, off-centre on grey paper: {recovered} of {len(known)} right "
          f"(of the digits the model gets right at 28x28)")
    if recovered < 0.9 * len(known):
        failures.append(f"enlarged digits: only {recovered} of {len(known)} right")
    for name in [name for name in names if name.startswith("drawn-")]:
        entry = answers[name]
        top = ", ".join(f"{item['label']} {item['probability']:.3f}" for item in entry["top3"])
        print(f"{name}: {entry['label']} ({top})")
        if entry["class"] != int(name[6]):
            failures.append(f"{name} predicted {entry['class']}")
    for failure in failures:
        print(f"FAILED: {failure}")
    sys.exit(1 if failures else 0)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    writer = commands.add_parser("write")
    writer.add_argument("--data", required=True)
    writer.add_argument("--out", required=True)
    writer.add_argument("--count", type=int, default=200)
    checker = commands.add_parser("check")
    checker.add_argument("--out", required=True)
    checker.add_argument("--json", required=True)
    checker.add_argument("--logits", required=True)
    args = parser.parse_args()
    write(args) if args.command == "write" else check(args)


if __name__ == "__main__":
    main()
