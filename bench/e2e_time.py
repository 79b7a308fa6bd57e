#!/usr/bin/python3
"""Whole-process times of the main job, `regfitc MODEL.yaml`, with warm and cold caches.

Each repetition runs, one after the other: regfitc with the warm cache (a cache folder
filled once before timing), regfitc with a cold cache (REGFIT_CACHE a new folder holding
only the warm one's data/ entries, hard-linked: a new model, so it compiles, on data
decoded before), regfitc on a first run (REGFIT_CACHE a new empty folder: it compiles,
decodes the data and writes its data cache), the same three for a second regfitc when
--old gives one (to compare two versions alternately), and with --torch d2l's concise
PyTorch code for the same epochs (bench/torch_d2l.py). Every run writes to a new --runs
folder. Per run: the wall time of the whole process, its CPU time (user + system,
children included), and when its first epoch line came out. Then the medians of each,
and the ratio of PyTorch to regfitc (warm).

usage: bench/e2e_time.py [--repeats 3] [--regfitc build/regfitc] [--old OTHER/regfitc] [--torch]
                         [--threads T] [MODEL.yaml]
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, env):
    """(wall s, cpu s, first epoch line s or None, last epoch line) of one process."""
    c0, t0 = cpu_children(), time.perf_counter()
    first, last = None, ""
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as p:
        for line in p.stdout:
            if line.startswith("epoch "):
                if first is None:
                    first = time.perf_counter() - t0
                last = line.strip()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("e2e_time: %s failed (exit %d)" % (" ".join(cmd), p.returncode))
    return wall, cpu_children() - c0, first, last


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=os.path.join(ROOT, "models", "mlp_dropout.yaml"))
    ap.add_argument("--regfitc", default=os.path.join(ROOT, "build", "regfitc"))
    ap.add_argument("--old", help="a second regfitc to time alternately with the first")
    ap.add_argument("--torch", action="store_true", help="also time bench/torch_d2l.py")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="regfitc --threads (default: all cores)")
    args = ap.parse_args()
    with open(args.model) as f:
        epochs = next((int(l.split(":")[1]) for l in f if l.strip().startswith("epochs:")), 5)
    binaries = [("new", args.regfitc)] + ([("old", args.old)] if args.old else [])
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = os.path.join(tmp, "cache")
        base = dict(os.environ)

        def regfitc(exe, cache, runs):
            cmd = [exe, "--runs", runs] + (["--threads", str(args.threads)] if args.threads else []) + [args.model]
            return timed(cmd, dict(base, REGFIT_CACHE=cache))

        for _, exe in binaries:  # fill the warm cache
            regfitc(exe, warm, tempfile.mkdtemp(dir=tmp))
        for rep in range(args.repeats):
            for name, exe in binaries if rep % 2 == 0 else binaries[::-1]:
                for kind in ("warm", "cold", "first"):
                    cache = warm if kind == "warm" else tempfile.mkdtemp(dir=tmp)
                    if kind == "cold":  # a new model: nothing compiled, the data decoded before
                        os.makedirs(os.path.join(cache, "data"))
                        for entry in os.listdir(os.path.join(warm, "data")):
                            os.link(os.path.join(warm, "data", entry), os.path.join(cache, "data", entry))
                    r = regfitc(exe, cache, tempfile.mkdtemp(dir=tmp))
                    rows.setdefault("regfitc %s, %s cache" % (name, kind) if args.old else
                                    "regfitc, %s cache" % kind, []).append(r)
            if args.torch:
                r = timed([sys.executable, os.path.join(HERE, "torch_d2l.py"), "--epochs", str(epochs)], base)
                rows.setdefault("PyTorch, d2l concise (bench/torch_d2l.py)", []).append(r)
            for label, runs in rows.items():
                w, c, f, last = runs[-1]
                print("repeat %d: %-44s wall %6.2f s, cpu %6.2f s, first epoch line %s; %s"
                      % (rep + 1, label, w, c, "%.2f s" % f if f is not None else "-", last), flush=True)
    med = lambda v: sorted(v)[len(v) // 2]
    print("\nmedians of %d (%d epochs of %s):" % (args.repeats, epochs, os.path.basename(args.model)))
    print("%-44s %8s %8s %12s" % ("run", "wall s", "cpu s", "1st epoch s"))
    for label, runs in rows.items():
        firsts = [r[2] for r in runs if r[2] is not None]
        print("%-44s %8.2f %8.2f %12s" % (label, med([r[0] for r in runs]), med([r[1] for r in runs]),
                                           "%.2f" % med(firsts) if firsts else "-"))
    torch_rows = [v for k, v in rows.items() if k.startswith("PyTorch")]
    warm_rows = [v for k, v in rows.items() if k.startswith("regfitc") and "warm" in k]
    if torch_rows and warm_rows:
        t, w = med([r[0] for r in torch_rows[0]]), med([r[0] for r in warm_rows[0]])
        print("PyTorch d2l / regfitc (warm cache), whole process: %.1fx" % (t / w))
    return 0


if __name__ == "__main__":
    sys.exit(main())
