#!/usr/bin/env python3
"""Feeds the soma tool malformed inputs, as a new user (or a damaged disk) would, family by
family, and checks the error contract of the README's Reliability section on every one:

  exit 0 (the mutation happened to leave a valid input), 1 (an error) or 2 (a usage error);
  never a signal, an abort or a hang; on failure one message on stderr naming the command
  ("soma <command>: ..."), and no sanitizer report or "terminate called".

    tests/reliability/malformed_inputs.py SOMA WORK_DIR [--cases N] [--seed S]

Families: safetensors files (soma inspect), training checkpoints (soma eval), IDX files
(soma eval --data), CSV tables (soma train csv), the CSV recipe's checkpoints (soma predict),
and command-line arguments. N mutants per file family (default 40), seeded. Prints a table of
what happened per family and exits 1 when any case broke the contract. Python's standard
library only; needs Fashion-MNIST (Debian's dataset-fashion-mnist) for the checkpoint and IDX
families, which are skipped without it.
"""

import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys

FMNIST = "/usr/share/datasets/fashion-mnist"
TIMEOUT_S = 60
BAD_OUTPUT = ("terminate called", "Sanitizer", "runtime error:", "Segmentation fault",
              "Aborted", "core dumped", "std::")
TOKENS = [b'"', b"{", b"}", b"[", b"]", b",", b":", b"0", b"9", b"-", b"\x00", b" ", b"\n",
          b"e", b"nan", b"inf", b"1e999", b"18446744073709551617", b"\xff", b"\\u0000"]


class Campaign:
    def __init__(self, soma, work):
        self.soma, self.work = soma, work
        self.rows = {}  # family -> {outcome: count}
        self.failures = []

    def run(self, family, args, expect_ok=False, expect_fail=False):
        """Runs soma with args; records the outcome and any breach of the contract."""
        counts = self.rows.setdefault(family, {"cases": 0, "exit 0": 0, "exit 1": 0,
                                               "exit 2": 0, "broken": 0})
        counts["cases"] += 1
        env = dict(os.environ, SOMA_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
        try:
            p = subprocess.run([self.soma] + args, capture_output=True, timeout=TIMEOUT_S,
                               env=env, cwd=self.work)
        except subprocess.TimeoutExpired:
            return self.broken(family, args, f"no answer within {TIMEOUT_S} s (a hang)")
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode not in (0, 1, 2):
            return self.broken(family, args, f"exit status {p.returncode}: {err[-400:]}")
        if any(s in err for s in BAD_OUTPUT):
            return self.broken(family, args, f"bad output on stderr: {err[-400:]}")
        if p.returncode != 0:
            last = err.strip().splitlines()[-1] if err.strip() else ""
            if not last.startswith("soma") and not p.returncode == 2:
                return self.broken(family, args, f"exit {p.returncode} without a soma "
                                   f"message: {err[-400:]!r}")
        if expect_ok and p.returncode != 0:
            return self.broken(family, args, f"a valid input failed: {err[-400:]}")
        if expect_fail and p.returncode == 0:
            return self.broken(family, args, "accepted, but it is wrong")
        counts[f"exit {p.returncode}"] += 1
        return p.returncode

    def broken(self, family, args, why):
        self.rows[family]["broken"] += 1
        self.failures.append(f"{family}: soma {' '.join(args)}: {why}")
        return None


def mutate_bytes(rng, data, hot_end):
    """One random damage to `data`; offsets favour [0, hot_end) (a header) 3 times in 4."""
    def offset():
        if hot_end and rng.random() < 0.75:
            return rng.randrange(min(hot_end, len(data)) or 1)
        return rng.randrange(len(data) or 1)
    kind = rng.randrange(7)
    if kind == 0:  # cut short
        return data[:offset()]
    if kind == 1:  # one byte changed
        k = offset()
        return data[:k] + bytes([rng.randrange(256)]) + data[k + 1:]
    if kind == 2:  # a token put in place of a byte
        k = offset()
        return data[:k] + rng.choice(TOKENS) + data[k + 1:]
    if kind == 3:  # a range deleted
        k = offset()
        return data[:k] + data[k + rng.randrange(1, 40):]
    if kind == 4:  # random bytes inserted
        k = offset()
        return data[:k] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16))) + data[k:]
    if kind == 5:  # the 8-byte length prefix (safetensors) or 4-byte counts (IDX) changed
        k = rng.randrange(0, 16)
        v = rng.choice([0, 1, 255, 0x7F, 0xFF])
        return data[:k] + bytes([v]) + data[k + 1:]
    k = offset()  # a stretch repeated
    return data[:k] + data[k:k + rng.randrange(1, 64)] * rng.randrange(2, 5) + data[k:]


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def header_end(data):
    """The end of a safetensors file's JSON header (8 + its declared length)."""
    return 8 + int.from_bytes(data[:8], "little") if len(data) >= 8 else 0


def safetensors_family(c, rng, n, base):
    data = read(base)
    c.run("safetensors (soma inspect)", ["inspect", base], expect_ok=True)
    for i in range(n):
        f = write(os.path.join(c.work, f"st{i}.safetensors"), mutate_bytes(rng, data,
                                                                           header_end(data)))
        c.run("safetensors (soma inspect)", ["inspect", f])


def fmnist_families(c, rng, n):
    base = os.path.join(c.work, "fmnist")
    ok = c.run("training checkpoints (soma eval)",
               ["train", "fmnist", "--model", "mlp", "--subset", "300", "--val-size", "100",
                "--test-size", "50", "--epochs", "1", "--out", base, "--data", FMNIST],
               expect_ok=True)
    ckpt = os.path.join(base, "checkpoint.safetensors")
    if ok != 0:
        return
    data = read(ckpt)
    for i in range(n):
        f = write(os.path.join(c.work, f"ck{i}.safetensors"),
                  mutate_bytes(rng, data, header_end(data)))
        c.run("training checkpoints (soma eval)",
              ["eval", f, "--test-size", "20", "--data", FMNIST])

    # Small plain IDX files of the first 50 test images and labels, damaged, written plain or
    # gzip-compressed under the names soma looks for.
    images = gzip.decompress(read(os.path.join(FMNIST, "t10k-images-idx3-ubyte.gz")))
    labels = gzip.decompress(read(os.path.join(FMNIST, "t10k-labels-idx1-ubyte.gz")))
    images = images[:4] + (50).to_bytes(4, "big") + images[8:16] + images[16:16 + 50 * 784]
    labels = labels[:4] + (50).to_bytes(4, "big") + labels[8:8 + 50]
    for i in range(n):
        d = os.path.join(c.work, f"idx{i}")
        os.makedirs(d, exist_ok=True)
        for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
            target = os.path.join(d, name)
            if not os.path.exists(target):
                os.symlink(os.path.join(FMNIST, name), target)
        img, lab = images, labels
        if rng.random() < 0.5:
            img = mutate_bytes(rng, img, 16)
        else:
            lab = mutate_bytes(rng, lab, 8)
        pack = gzip.compress if rng.random() < 0.5 else (lambda b: b)
        write(os.path.join(d, "t10k-images-idx3-ubyte.gz"), pack(img))
        write(os.path.join(d, "t10k-labels-idx1-ubyte.gz"), pack(lab))
        c.run("IDX files (soma eval --data)", ["eval", ckpt, "--test-size", "20", "--data", d])


def csv_families(c, rng, n):
    lines = ["a,b,c,y"]
    for k in range(60):
        a, b, cc = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.choice(["1", "2", "3"])
        lines.append(f"{a:.4f},{b:.4f},{cc},{2 * a - b:.4f}")
    data = ("\n".join(lines) + "\n").encode()
    base = write(os.path.join(c.work, "base.csv"), data)
    out = os.path.join(c.work, "csv_base")
    ok = c.run("CSV tables (soma train csv)",
               ["train", "csv", base, "--target", "y", "--epochs", "2", "--out", out],
               expect_ok=True)
    for i in range(n):
        damaged = data
        for _ in range(rng.randrange(1, 4)):
            damaged = mutate_bytes(rng, damaged, 0)
        f = write(os.path.join(c.work, f"t{i}.csv"), damaged)
        c.run("CSV tables (soma train csv)",
              ["train", "csv", f, "--target", "y", "--epochs", "1", "--out",
               os.path.join(c.work, f"csv{i}")])
    if ok != 0:
        return
    ckpt = read(os.path.join(out, "checkpoint.safetensors"))
    for i in range(n):
        f = write(os.path.join(c.work, f"rc{i}.safetensors"),
                  mutate_bytes(rng, ckpt, header_end(ckpt)))
        c.run("CSV recipe checkpoints (soma predict)", ["predict", f, base])


def argument_family(c):
    w = c.work
    missing = os.path.join(w, "missing.safetensors")
    bad = [
        [], ["nonsense"], ["train"], ["train", "fmnist", "--epochs", "0"],
        ["train", "fmnist", "--epochs", "-3"], ["train", "fmnist", "--epochs", "abc"],
        ["train", "fmnist", "--epochs", "1e99"], ["train", "fmnist", "--batch-size", "0"],
        ["train", "fmnist", "--lr", "-1"], ["train", "fmnist", "--lr", "nan"],
        ["train", "fmnist", "--lr", "inf"], ["train", "fmnist", "--lr", "0"],
        ["train", "fmnist", "--gamma", "nan"], ["train", "fmnist", "--threads", "1000000"],
        ["train", "fmnist", "--threads", "-1"], ["train", "fmnist", "--model", "vgg"],
        ["train", "fmnist", "--val-size", "0"], ["train", "fmnist", "--val-size", "60000"],
        ["train", "fmnist", "--label-smoothing", "2"], ["train", "fmnist", "--resume", missing],
        ["train", "fmnist", "--data", os.path.join(w, "nowhere"), "--epochs", "1"],
        ["train", "fmnist", "--out", "/proc/soma/out", "--epochs", "1", "--subset", "100"],
        ["train", "fmnist", "--seed", "-1"], ["train", "fmnist", "--optimizer", "lbfgs"],
        ["train", "csv"], ["train", "csv", missing, "--target", "y"],
        ["train", "csv", os.path.join(w, "base.csv")],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "nope"],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "y", "--hidden", "0"],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "y", "--hidden", "a,b"],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "y", "--hidden", "-5"],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "y", "--ignore", "y"],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "y", "--val-fraction", "1"],
        ["train", "csv", os.path.join(w, "base.csv"), "--target", "y", "--dropout", "-0.5"],
        ["eval"], ["eval", missing], ["eval", "/"], ["eval", "/dev/null"],
        ["inspect"], ["inspect", "/"], ["inspect", "/dev/null"], ["inspect", missing],
        ["predict", missing, missing], ["predict", "/dev/null", "/dev/null"],
        ["g2p"], ["g2p", missing, "word"], ["g2p", "/dev/null", "word"],
        ["g2p", os.path.join(w, "base.csv"), "word"], ["train", "g2p", "--hidden", "0"],
        ["train", "g2p", "--beam", "0"], ["train", "g2p", "--dict", missing],
        ["train", "g2p", "--cell", "rnn"],
        ["gallery", "no-such-entry"], ["gallery", "--out", "/proc/soma/gallery", "01"],
        ["--threads", "x", "inspect", missing],
    ]
    for args in bad:
        c.run("command-line arguments", args, expect_fail=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("soma")
    ap.add_argument("work")
    ap.add_argument("--cases", type=int, default=40, help="mutants per file family")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    here = os.path.dirname(os.path.abspath(__file__))
    fixture = os.path.join(here, "..", "fixtures", "safetensors", "torch.safetensors")
    c = Campaign(os.path.abspath(a.soma), os.path.abspath(a.work))
    rng = random.Random(a.seed)

    safetensors_family(c, rng, a.cases, os.path.abspath(fixture))
    if os.path.isfile(os.path.join(FMNIST, "t10k-images-idx3-ubyte.gz")):
        fmnist_families(c, rng, a.cases)
    else:
        print(f"SKIP: no Fashion-MNIST in {FMNIST}: no checkpoint and IDX families")
    csv_families(c, rng, a.cases)
    argument_family(c)

    keys = ["cases", "exit 0", "exit 1", "exit 2", "broken"]
    print(f"{'input family':40s} " + " ".join(f"{k:>7s}" for k in keys))
    for family, counts in c.rows.items():
        print(f"{family:40s} " + " ".join(f"{counts[k]:7d}" for k in keys))
    for f in c.failures:
        print("BROKEN:", f)
    if not c.failures:
        shutil.rmtree(a.work, ignore_errors=True)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
