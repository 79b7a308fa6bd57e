#!/usr/bin/python3
"""The sweep ratios of BENCHMARKS.md, each measured side by side in one run.

1. The d2l weight-decay sweep (lambda in 0, 0.01, 0.1, 0.3, 1, 3, 10 x 5
   seeds, 100 epochs, batch 1): `regfitc --sweep` against the same sweep
   written the d2l way in one PyTorch process (bench/torch_sweep.py), whole
   command against whole command (only where python3-torch is installed).
2. The same sweep against 35 back-to-back `regfitc --set ... --seed ...`
   single runs, warm build cache both.
3. The seed MLP dropout sweep (p in 0, 0.2, 0.5 for each dropout layer,
   5 epochs), with --threads 1 so that every point uses one core: its wall
   time against the sum of its points' training times (results.csv's
   seconds) divided by the cores the points used. (By default the last
   points get the cores the finished ones leave, which shortens the wall
   time but hides how much core time each point took.)

Each command runs in a fresh runs folder; the commands alternate, the
median of --repeats is kept.

usage: bench/sweep_bench.py [--regfitc build/regfitc] [--repeats 3] [--skip-mlp]
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAMBDAS = "0,0.01,0.1,0.3,1,3,10"


def timed(cmd, **kw):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def fresh():
    return tempfile.mkdtemp(prefix="sweep_bench_")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regfitc", default=os.path.join(ROOT, "build", "regfitc"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-mlp", action="store_true")
    args = ap.parse_args()
    exe = args.regfitc
    wd = os.path.join(ROOT, "models", "highdim_linreg_wd.yaml")
    sweep_cmd = lambda runs: [exe, wd, "--quiet", "--runs", runs, "--sweep", "decay.0.l2=" + LAMBDAS, "--seeds", "5"]
    runs = fresh()
    timed(sweep_cmd(runs))  # warms the build cache
    shutil.rmtree(runs)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("sweep_bench: python3-torch is not installed; the PyTorch row is skipped")
    t_sweep, t_torch, t_single = [], [], []
    for _ in range(args.repeats):
        runs = fresh()
        t_sweep.append(timed(sweep_cmd(runs)))
        shutil.rmtree(runs)
        if have_torch:
            t_torch.append(timed([sys.executable, os.path.join(ROOT, "bench", "torch_sweep.py")]))
        runs = fresh()
        t0 = time.perf_counter()
        for lam in LAMBDAS.split(","):
            for s in range(5):
                subprocess.run([exe, wd, "--quiet", "--runs", runs, "--set", "decay.0.l2=" + lam, "--seed",
                                str(7 + s)], check=True, stdout=subprocess.DEVNULL)
        t_single.append(time.perf_counter() - t0)
        shutil.rmtree(runs)
    ms = statistics.median(t_sweep)
    print(f"d2l weight-decay sweep, 35 runs: regfitc --sweep {ms:.3f} s")
    if have_torch:
        mt = statistics.median(t_torch)
        print(f"  PyTorch, one process (bench/torch_sweep.py): {mt:.3f} s: regfitc {mt / ms:.1f}x faster")
    mo = statistics.median(t_single)
    print(f"  35 single regfitc runs back to back: {mo:.3f} s: the sweep {mo / ms:.1f}x faster")
    if args.skip_mlp:
        return 0
    mlp = os.path.join(ROOT, "models", "mlp_dropout.yaml")
    walls, ratios = [], []
    cores = os.cpu_count() or 1
    for _ in range(args.repeats):
        runs = fresh()
        wall = timed([exe, mlp, "--quiet", "--threads", "1", "--runs", runs, "--sweep", "layers.2.dropout=0,0.2,0.5",
                      "--sweep", "layers.5.dropout=0,0.2,0.5"])
        with open(os.path.join(runs, "mlp_dropout-sweep", "results.csv")) as f:
            train = sum(float(r["seconds"]) for r in csv.DictReader(f))
        shutil.rmtree(runs)
        walls.append(wall)
        ratios.append(wall / (train / min(cores, 9)))
    print(f"seed MLP dropout sweep, 9 points x 5 epochs: {statistics.median(walls):.2f} s wall, "
          f"{statistics.median(ratios):.3f}x the points' training time / {min(cores, 9)} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
