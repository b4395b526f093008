#!/usr/bin/python3
"""safetensors interoperability between PyTorch and soma, without the `safetensors` package.

    /usr/bin/python3 tools/safetensors_fixtures.py            # writes the fixture pair below
    /usr/bin/python3 tools/safetensors_fixtures.py --check F  # F (written by soma) reads back

The fixture is tests/fixtures/safetensors/torch.safetensors, written from PyTorch tensors by the
small writer here, with tests/fixtures/safetensors/torch.json holding the expected values (non-
finite floats as the strings "inf", "-inf", "nan"); tests/io/test_safetensors_interop.cpp loads
the file in soma and compares bit for bit. The writer deliberately does not use the reference
layout (it keeps insertion order, puts __metadata__ last and pads the header to 8 bytes), so the
soma reader is tested on a layout its own writer never produces.

--check reads a file soma wrote (SOMA_INTEROP_OUT=F soma_tests --gtest_filter='SafetensorsInterop.*'
writes it: the fixture's tensors saved again by soma), validates its structure, converts it
to torch tensors and compares them bit for bit with the fixture's.
"""
import json
import math
import os
import struct
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "safetensors")
DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}
METADATA = {"producer": "tools/safetensors_fixtures.py", "torch": "1.13", "note": "ünïcödé ok"}


def tensors():
    """name -> tensor, in the order the fixture stores them."""
    g = torch.Generator().manual_seed(1234)
    f32_specials = torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, 3.4028234663852886e38,
                                 -1.5, 1.0 / 3.0], dtype=torch.float32)
    i64_extremes = torch.tensor([0, 1, -1, 2**62, -(2**63), 2**63 - 1, 42], dtype=torch.int64)
    return {
        "layer.weight": torch.randn(3, 4, generator=g),
        "layer.bias": torch.randn(3, generator=g),
        "f32.scalar": torch.tensor(3.5),
        "f32.empty": torch.zeros(0),
        "f32.specials": f32_specials,
        "f32.transposed": torch.randn(4, 3, generator=g).t(),  # non-contiguous in torch
        "f32.ones4d": torch.ones(1, 2, 1, 3),
        "f64.cube": torch.randn(2, 3, 4, generator=g, dtype=torch.float64),
        "f64.empty": torch.zeros(2, 0, 3, dtype=torch.float64),
        "f64.scalar": torch.tensor(1.0 / 3.0, dtype=torch.float64),
        "i64.extremes": i64_extremes,
        "i64.matrix": torch.arange(6).reshape(2, 3) - 2,
        "i64.scalar": torch.tensor(-7),
    }


def encode(t):
    """Tensor bytes: packed little-endian, row-major."""
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write(path, named, metadata):
    header, chunks, offset = {}, [], 0
    for name, t in named.items():
        data = encode(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read(path):
    """(name -> tensor in header order, metadata), validating what the format requires."""
    with open(path, "rb") as f:
        raw = f.read()
    assert len(raw) >= 8, "file shorter than 8 bytes"
    (n,) = struct.unpack("<Q", raw[:8])
    assert n <= len(raw) - 8, "header length past the end"

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
        return dict(pairs)

    header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    spans, out = [], {}
    for name, e in header.items():
        assert set(e) == {"dtype", "shape", "data_offsets"}, f"{name}: fields {sorted(e)}"
        dtype, shape, (begin, end) = DTYPES[e["dtype"]], e["shape"], e["data_offsets"]
        size = math.prod(shape) * torch.empty(0, dtype=dtype).element_size()
        assert 0 <= begin <= end <= len(data) and end - begin == size, f"{name}: bad offsets"
        spans.append((begin, end))
        if size == 0:
            out[name] = torch.empty(shape, dtype=dtype)
        else:
            out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(shape)
    cursor = 0
    for begin, end in sorted(spans):
        assert begin == cursor, f"gap or overlap at byte {begin}"
        cursor = end
    assert cursor == len(data), "trailing bytes"
    return out, metadata


def bits(t):
    """The tensor's bit patterns, so that NaN == NaN and -0.0 != 0.0."""
    t = t.contiguous()
    return t.view({torch.float32: torch.int32, torch.float64: torch.int64}.get(t.dtype, t.dtype))


def as_json_value(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def write_fixtures():
    os.makedirs(OUT_DIR, exist_ok=True)
    named = tensors()
    write(os.path.join(OUT_DIR, "torch.safetensors"), named, METADATA)
    expected = {
        "metadata": METADATA,
        "tensors": [{"name": name, "dtype": NAMES[t.dtype], "shape": list(t.shape),
                     "values": [as_json_value(v) for v in t.reshape(-1).tolist()]}
                    for name, t in named.items()],
    }
    with open(os.path.join(OUT_DIR, "torch.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    # The writer must read back in our own reader too.
    back, meta = read(os.path.join(OUT_DIR, "torch.safetensors"))
    assert meta == METADATA and all(torch.equal(bits(back[k]), bits(v)) for k, v in named.items())
    print(f"wrote {OUT_DIR}/torch.safetensors and torch.json ({len(named)} tensors)")


def check(path):
    got, meta = read(path)
    want, _ = read(os.path.join(OUT_DIR, "torch.safetensors"))
    problems = []
    if set(got) != set(want):
        problems.append(f"names differ: {sorted(set(got) ^ set(want))}")
    for name in sorted(set(got) & set(want)):
        g, w = got[name], want[name]
        if g.dtype != w.dtype or g.shape != w.shape or not torch.equal(bits(g), bits(w)):
            problems.append(f"{name}: {g.dtype} {tuple(g.shape)} differs from {w.dtype} {tuple(w.shape)}")
    (n,) = struct.unpack("<Q", open(path, "rb").read(8))
    if n % 8:
        problems.append(f"header length {n} is not a multiple of 8")
    for p in problems:
        print("MISMATCH", p)
    if problems:
        return 1
    print(f"OK: {path}: {len(got)} tensors identical to the PyTorch fixture; metadata {meta}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    write_fixtures()
