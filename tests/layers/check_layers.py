#!/usr/bin/python3
"""The layer rule of the design (ARCHITECTURE.md, "Layers"), enforced on #include lines.

Every file under src/ and include/soma/ belongs to a layer; a file may include only its own
layer and the layers before it in LAYERS. On top of that order, backend kernels are reached only
through autograd and ops (the one seam a second backend needs), never from nn, optim or above:
neither directly nor through a private header of ops or autograd that includes backend.

    check_layers.py REPO_ROOT     exit 1 listing every include that breaks the rule
    check_layers.py --self-test   check the checker on a small made-up tree

Standard library only, so ctest runs it without extra packages.
"""

import os
import re
import sys
import tempfile

# In order: each layer may include itself and those before it.
LAYERS = ["tensor", "backend", "autograd", "ops", "nn", "optim", "data", "io", "plot", "train",
          "gallery"]
# The only layers that may include backend headers.
BACKEND_USERS = {"backend", "autograd", "ops"}

# Folders of src/ and include/soma/ and their layer. plot is a utility for the programs on top
# (it writes files through io); models (and later attack, dist) share the train layer; cli, the
# gallery's other half, lives outside src/.
FOLDERS = {
    "tensor": "tensor", "backend": "backend", "autograd": "autograd", "ops": "ops", "nn": "nn",
    "optim": "optim", "data": "data", "io": "io", "plot": "plot", "train": "train",
    "models": "train", "attack": "train", "dist": "train", "gallery": "gallery", "cli": "gallery",
}
# Headers directly in include/soma/ that are not tensor-layer basics (tensor.h, shape.h, ...).
TOP_HEADERS = {"autograd.h": "autograd", "soma.h": "ops"}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def layer_of(rel):
    """The layer of a repository-relative path, or None when it is not part of soma."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return FOLDERS.get(parts[1], "unknown")
    if parts[:2] == ["include", "soma"] and len(parts) > 2:
        if len(parts) > 3:
            return FOLDERS.get(parts[2], "unknown")
        name = parts[2]
        if name.startswith("ops"):
            return "ops"
        return TOP_HEADERS.get(name, "tensor")
    return None


def resolve(root, including, target):
    """The repository-relative path an include names, or None for outside headers."""
    here = os.path.dirname(including)
    for base in (here, "src", "include"):
        rel = os.path.normpath(os.path.join(base, target))
        if os.path.isfile(os.path.join(root, rel)):
            return rel
    # Not on disk (a file being added, a typo): classify it by its prefix all the same.
    if target.startswith("soma/"):
        return "include/" + target
    first = target.split("/")[0]
    return "src/" + target if first in FOLDERS and "/" in target else None


def includes_of(root, rel):
    """(line number, include text, resolved path or None) for each #include of a file."""
    out = []
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                out.append((number, m.group(1), resolve(root, rel, m.group(1))))
    return out


def backend_chain(root, rel, memo, active=()):
    """The include chain from a non-backend file down to a backend header, or None."""
    if rel in memo:
        return memo[rel]
    memo[rel] = None
    for _, text, target in includes_of(root, rel):
        if target is None or target in active:
            continue
        if layer_of(target) == "backend":
            memo[rel] = [text]
            break
        if os.path.isfile(os.path.join(root, target)):
            below = backend_chain(root, target, memo, active + (rel,))
            if below:
                memo[rel] = [text] + below
                break
    return memo[rel]


def violations(root):
    found = []
    memo = {}
    for top in ("src", "include/soma"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".hpp", ".cpp", ".cc")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                layer = layer_of(rel)
                if layer == "unknown":
                    found.append(f"{rel}: folder has no layer; add it to FOLDERS in {__file__}")
                    continue
                for number, text, target in includes_of(root, rel):
                    used = layer_of(target) if target else None
                    if used is None or used == "unknown":
                        continue
                    if LAYERS.index(used) > LAYERS.index(layer):
                        why = f"{layer} must not reach up to {used}"
                    elif used == "backend" and layer not in BACKEND_USERS:
                        why = f"{layer} must not include backend headers (call an op)"
                    elif layer not in BACKEND_USERS and os.path.isfile(os.path.join(root, target)):
                        # A private header of a lower layer may not smuggle a backend in.
                        chain = backend_chain(root, target, memo)
                        if not chain:
                            continue
                        why = f"{layer} reaches backend through " + " -> ".join(chain)
                    else:
                        continue
                    found.append(f"{rel}:{number}: includes {text}: {why}")
    return found


def self_test():
    files = {
        "src/nn/bad.cpp": '#include "backend/cpu/gemm.h"\n',
        "src/ops/good.cpp": '#include "backend/cpu/gemm.h"\n#include "soma/ops.h"\n',
        "src/backend/cpu/gemm.h": '#include "soma/tensor.h"\n',
        "src/backend/cpu/up.cpp": '#include "soma/autograd.h"\n',
        "src/data/up.cpp": "#include <soma/io/checkpoint.h>\n",
        "src/gallery/entries.h": '#include "soma/gallery/gallery.h"\n',
        "src/gallery/a.cpp": '#include "entries.h"\n#include "soma/plot/svg.h"\n',
        "src/optim/local.cpp": '#include "update.h"\n',
        "src/optim/update.h": '#include "ops/optim_update.h"\n',
        "src/nn/uses_gallery.cpp": '#include "soma/gallery/gallery.h"\n',
        "src/ops/kernels.h": '#include "backend/cpu/gemm.h"\n',
        "src/ops/args.h": '#include "soma/ops.h"\n',
        "src/nn/through_ops.cpp": '#include "ops/args.h"\n#include "ops/kernels.h"\n',
        "src/newthing/x.cpp": "\n",
        "include/soma/ops.h": '#include "soma/autograd.h"\n',
        "include/soma/tensor.h": '#include "soma/ops.h"\n',
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        got = sorted(v.split(":")[0] for v in violations(root))
    want = sorted(["include/soma/tensor.h", "src/backend/cpu/up.cpp", "src/data/up.cpp",
                   "src/newthing/x.cpp", "src/nn/bad.cpp", "src/nn/through_ops.cpp",
                   "src/nn/uses_gallery.cpp"])
    if got != want:
        print(f"self-test: flagged {got}, expected {want}")
        return 1
    print("self-test: ok")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    found = violations(argv[1])
    for v in found:
        print(v)
    print(f"layer rule: {len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
