#!/usr/bin/env python3
"""`make bench`: soma against PyTorch on the workloads of ../shared/bench/WORKLOADS.md.

    python3 bench/run.py [--build build] [--quick] [--threads 1,2] [--only fmnist-mlp,gemm]
                         [--peers]

First the micro-benchmarks (every other bench_* program: the FMA peak, per-op overhead, GEMM),
then each workload on 1 thread and on all cores, soma and PyTorch interleaved (soma 1 thread,
PyTorch 1 thread, soma all cores, ...), so that a change in the machine's load hits both alike.
Every run is its own process, so its peak RSS is its own. Prints one table and appends every JSON
line, after a line describing the run, to bench/results/<date>.jsonl (<date>-quick.jsonl for
--quick). Needs only the standard library; PyTorch runs under /usr/bin/python3 (Debian's
python3-torch, installed here with apt-get when missing and running as root) or under the
interpreter named by SOMA_BENCH_PYTHON.

--peers (`make bench PEERS=1`) adds LibTorch, PyTorch's C++ API, as a third framework: the twin
bench/libtorch/workloads.cpp, its own small CMake project built in <build>/libtorch (Debian's
libtorch-dev, installed like python3-torch when missing), run after PyTorch for each workload.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The Python that runs PyTorch: Debian's by default (python3-torch), or SOMA_BENCH_PYTHON.
TORCH_PY = os.environ.get("SOMA_BENCH_PYTHON", "/usr/bin/python3")
TORCH_SCRIPT = os.path.join(ROOT, "bench", "pytorch", "workloads.py")
TIMEOUT_S = 900
LIBTORCH_SRC = os.path.join(ROOT, "bench", "libtorch")
# Where Debian's libtorch-dev puts its CMake package; its presence stands for the package.
TORCH_CMAKE = "/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake"


def run(cmd, env=None):
    """Runs cmd; returns its JSON lines (or one {"error": ...} record when it fails)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                           env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        return [{"error": f"timed out after {TIMEOUT_S} s: {' '.join(cmd)}"}]
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        lines.append({"error": f"{os.path.basename(cmd[0])} exited with {p.returncode}: {tail}"})
    return lines


def apt_install(package, what):
    """Installs a Debian package when we can (root + apt-get); quiet, the caller checks."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    print(f"bench: installing {package} ({what}) with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
                   env=env, stdout=subprocess.DEVNULL)


def have_torch():
    return subprocess.run([TORCH_PY, "-c", "import torch"], capture_output=True).returncode == 0


def ensure_torch():
    """True when PyTorch can run; installs Debian's python3-torch if it can (root + apt-get)."""
    if os.path.exists(TORCH_PY) and have_torch():
        return True
    if TORCH_PY == "/usr/bin/python3":
        apt_install("python3-torch", "the PyTorch reference")
        if os.path.exists(TORCH_PY) and have_torch():
            return True
    print("bench: PyTorch is not available (Debian: apt-get install python3-torch); "
          "showing soma's numbers only", flush=True)
    return False


def ensure_libtorch(build):
    """The LibTorch twin's executable, configured and built in <build>/libtorch, or None.

    Installs libtorch-dev when missing and it can. Rebuilding every time is cheap (make sees
    nothing changed); -j2 because the one translation unit is all LibTorch headers anyway.
    """
    if not os.path.exists(TORCH_CMAKE):
        apt_install("libtorch-dev", "the LibTorch peer")
    if not os.path.exists(TORCH_CMAKE):
        print("bench: LibTorch is not available (Debian: apt-get install libtorch-dev); "
              "running without it", flush=True)
        return None
    out = os.path.join(build, "libtorch")
    print(f"bench: building the LibTorch twin in {out} ...", flush=True)
    for cmd in (["cmake", "-S", LIBTORCH_SRC, "-B", out, "-DCMAKE_BUILD_TYPE=Release"],
                ["cmake", "--build", out, "-j2"]):
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout[-3000:] + p.stderr[-3000:], end="")
            print(f"bench: `{' '.join(cmd)}` failed; running without LibTorch", flush=True)
            return None
    return os.path.join(out, "libtorch_workloads")


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def table(rows, peers=False):
    """The LibTorch columns only with peers, so that the plain table stays as it was."""
    head = ["workload", "threads", "soma us/step", "(soma mean)", "PyTorch us/step", "speed-up"]
    head += ["LibTorch us/step", "vs LibTorch"] if peers else []
    head += ["soma GFLOP/s", "% peak", "soma RSS MB", "PyTorch RSS MB"]
    head += ["LibTorch RSS MB"] if peers else []
    head += ["load"]

    def ratio(theirs, ours):
        return f"{theirs / ours:.2f}x" if ours and theirs else "-"

    body = []
    for r in rows:
        s, t, lt = r.get("soma", {}), r.get("pytorch", {}), r.get("libtorch", {})
        su, tu, lu = s.get("median_us"), t.get("median_us"), lt.get("median_us")
        note = s.get("skipped") or s.get("error")
        line = [r["workload"], str(r["threads"]),
                "not yet" if note and su is None else fmt(su, ",.1f"),
                fmt(s.get("mean_us"), ",.1f"), fmt(tu, ",.1f"), ratio(tu, su)]
        line += [fmt(lu, ",.1f"), ratio(lu, su)] if peers else []
        line += [fmt(s.get("gflops"), ".2f"), fmt(s.get("pct_peak"), ".1f"),
                 fmt(s.get("peak_rss_mb"), ".1f"), fmt(t.get("peak_rss_mb"), ".1f")]
        line += [fmt(lt.get("peak_rss_mb"), ".1f")] if peers else []
        line += [fmt(s.get("load1", t.get("load1")), ".2f")]
        body.append(line)
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for b in body:
        out.append("| " + " | ".join(c.rjust(w) if i else c.ljust(w)
                                     for i, (c, w) in enumerate(zip(b, widths))) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="CMake build directory (default: build)")
    ap.add_argument("--quick", action="store_true", help="3 warm-up and 10 timed steps")
    ap.add_argument("--threads", help="comma-separated thread counts (default: 1 and all cores)")
    ap.add_argument("--only", help="comma-separated workloads (default: all)")
    ap.add_argument("--peers", action="store_true",
                    help="also run LibTorch (bench/libtorch/, built in <build>/libtorch)")
    args = ap.parse_args()

    bench_dir = os.path.join(args.build, "bench")
    workloads_exe = os.path.join(bench_dir, "bench_workloads")
    if not os.access(workloads_exe, os.X_OK):
        sys.exit(f"bench: {workloads_exe} is not built (configure with -DSOMA_BUILD_BENCH=ON)")
    cores = len(os.sched_getaffinity(0))
    threads = [int(t) for t in args.threads.split(",")] if args.threads else sorted({1, cores})
    quick = ["--quick"] if args.quick else []
    env = {"SOMA_BENCH_QUICK": "1"} if args.quick else {}
    records = []

    load = os.getloadavg()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    meta = {"run": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu,
            "cores": cores, "quick": args.quick, "load_at_start": [round(x, 2) for x in load]}
    print(f"bench: {cpu}, {cores} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > 0.5 * cores:
        print("bench: warning: the machine is busy; timings will be noisy", flush=True)
    torch_ok = ensure_torch()
    meta["pytorch"] = torch_ok
    libtorch_exe = ensure_libtorch(args.build) if args.peers else None
    if args.peers:
        meta["libtorch"] = libtorch_exe is not None

    # Micro-benchmarks, the FMA peak first: the workloads' % of peak divides by it.
    programs = sorted(f for f in os.listdir(bench_dir)
                      if f.startswith("bench_") and f != "bench_workloads")
    programs.sort(key=lambda f: f != "bench_fma_peak")
    peak = {}
    for prog in programs:
        print(f"== {prog}", flush=True)
        for rec in run([os.path.join(bench_dir, prog)], env):
            print(json.dumps(rec))
            records.append(rec)
            if rec.get("bench") == "fma_peak":
                peak[rec["threads"]] = rec["gflops"]

    def peak_for(t):  # measured where available, else per-core peak times threads
        return peak.get(t, peak.get(1, 0) * t)

    listing = subprocess.run([workloads_exe, "--list"], capture_output=True, text=True).stdout
    names = [l.split("\t")[0] for l in listing.splitlines() if l.strip()]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    rows = []
    print(f"== workloads (soma, then PyTorch{', then LibTorch' if libtorch_exe else ''})",
          flush=True)
    for name in names:
        for t in threads:
            row = {"workload": name, "threads": t}
            peak_arg = ["--peak-gflops", str(peak_for(t))] if peak_for(t) else []
            cmds = [("soma", [workloads_exe, "--workload", name, "--threads", str(t)])]
            if torch_ok:
                cmds.append(("pytorch", [TORCH_PY, TORCH_SCRIPT, "--workload", name,
                                         "--threads", str(t)]))
            if libtorch_exe:
                cmds.append(("libtorch", [libtorch_exe, "--workload", name, "--threads", str(t)]))
            for framework, cmd in cmds:
                for rec in run(cmd + quick + peak_arg):
                    rec.setdefault("workload", name)
                    rec.setdefault("framework", framework)
                    rec.setdefault("threads", t)
                    print(json.dumps(rec), flush=True)
                    records.append(rec)
                    row[framework] = rec
            rows.append(row)

    print()
    print(table(rows, args.peers))
    vs_libtorch = "; vs LibTorch = LibTorch median / soma median" if args.peers else ""
    peaks = ", ".join(f"{k}: {v:.1f}" for k, v in sorted(peak.items()))
    print(f"us/step: median wall-clock time of a step (the mean in parentheses shows rare slow "
          f"steps); speed-up = PyTorch median / soma median{vs_libtorch}; % peak = soma GFLOP/s "
          f"over the FMA peak measured on as many threads ({peaks} GFLOP/s); GFLOP/s counts "
          f"matrix products only.")

    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    name = datetime.date.today().isoformat() + ("-quick" if args.quick else "") + ".jsonl"
    path = os.path.join(ROOT, "bench", "results", name)
    with open(path, "a") as f:
        for rec in [meta] + records:
            f.write(json.dumps(rec) + "\n")
    print(f"results appended to {os.path.relpath(path, ROOT)}")
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
