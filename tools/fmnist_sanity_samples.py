#!/usr/bin/python3
"""Samples files for sanity checks of `soma eval-generative`: images whose Fréchet distance
must lie far above the floor of real images.

    /usr/bin/python3 tools/fmnist_sanity_samples.py OUT_DIR [--n 10000] [--seed 1]

Writes OUT_DIR/{noise,blur3,blur5,train}.safetensors, each a tensor "samples" (n, 1, 28, 28)
float32 in [0, 1]: uniform noise; the first n training images box-blurred over 3x3 and 5x5
pixels; the first n training images unchanged (their FD is the floor itself). numpy only.
"""
import argparse
import gzip
import json
import os
import struct

import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist"


def train_images(n):
    with gzip.open(os.path.join(ROOT, "train-images-idx3-ubyte.gz"), "rb") as f:
        data = f.read()
    count = struct.unpack(">I", data[4:8])[0]
    x = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 1, 28, 28)
    return x[:n].astype(np.float32) / 255


def box_blur(x, k):
    """Mean over a k x k window (zero padding), per image."""
    pad = k // 2
    p = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros_like(x)
    for dy in range(k):
        for dx in range(k):
            out += p[:, :, dy:dy + 28, dx:dx + 28]
    return out / (k * k)


def save(path, samples):
    data = np.ascontiguousarray(samples, dtype="<f4").tobytes()
    header = json.dumps({"samples": {"dtype": "F32", "shape": list(samples.shape),
                                     "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    x = train_images(a.n)
    rng = np.random.default_rng(a.seed)
    save(os.path.join(a.out_dir, "noise.safetensors"),
         rng.uniform(size=x.shape).astype(np.float32))
    save(os.path.join(a.out_dir, "blur3.safetensors"), box_blur(x, 3))
    save(os.path.join(a.out_dir, "blur5.safetensors"), box_blur(x, 5))
    save(os.path.join(a.out_dir, "train.safetensors"), x)


if __name__ == "__main__":
    main()
