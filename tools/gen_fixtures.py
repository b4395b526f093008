#!/usr/bin/python3
"""Writes tests/fixtures/ops_<group>.json from every tools/fixtures/ops_<group>.py.

    /usr/bin/python3 tools/gen_fixtures.py            # every group
    /usr/bin/python3 tools/gen_fixtures.py unary views  # only these groups

Needs PyTorch (Debian's python3-torch); CI only reads the committed JSON files.
"""

import glob
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fixtures"))

import common  # noqa: E402


def main(argv):
    modules = sorted(os.path.basename(p)[:-3]
                     for p in glob.glob(os.path.join(HERE, "fixtures", "ops_*.py")))
    wanted = set(argv)
    unknown = wanted - {m[len("ops_"):] for m in modules}
    if unknown:
        sys.exit(f"unknown groups: {', '.join(sorted(unknown))}")
    for name in modules:
        module = importlib.import_module(name)
        if module.GROUP != name[len("ops_"):]:
            sys.exit(f"{name}.py: GROUP is {module.GROUP!r}, expected {name[len('ops_'):]!r}")
        if wanted and module.GROUP not in wanted:
            continue
        cases = module.cases()
        path = common.write_group(module.GROUP, cases)
        print(f"{os.path.relpath(path, common.REPO)}: {len(cases)} cases")


if __name__ == "__main__":
    main(sys.argv[1:])
