#!/usr/bin/python3
"""Writes a samples file as `soma sample --out` does, for tests/train/eval_generative_cli.cmake:
a safetensors file with one F32 tensor "samples" of n images, every pixel `value`.

    write_samples.py PATH N VALUE [NAME]

Standard library only (ctest needs no extra package); NAME other than "samples" makes a file
eval-generative must refuse.
"""
import json
import struct
import sys

path, n, value = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
name = sys.argv[4] if len(sys.argv) > 4 else "samples"
data = struct.pack("<%df" % (n * 784), *([value] * (n * 784)))
header = json.dumps({name: {"dtype": "F32", "shape": [n, 1, 28, 28],
                            "data_offsets": [0, len(data)]}}).encode()
header += b" " * (-len(header) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + data)
