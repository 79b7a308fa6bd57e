#!/usr/bin/python3
"""The d2l weight-decay experiment in PyTorch against regfitc, in-process time.

PyTorch side: d2l's concise weight-decay loop (nn.Linear(200, 1) with
N(0, 1) weights, SGD lr 0.003 with weight_decay on the weight only, batch 1,
20 training samples, 100 epochs, the train and test losses evaluated after
every epoch as regfitc does), timed in-process. regfitc side: the sum of
the seconds column of runs/NAME/metrics.csv of `regfitc MODEL.yaml`
(training and the per-epoch evaluation, no compile, no data loading).
Runs only where python3-torch is installed.

usage: bench/torch_linreg.py [--regfitc build/regfitc] [--repeats 5]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_run(wd):
    import torch
    torch.set_num_threads(1)
    n_train, n_test, d = 20, 100, 200
    true_w, true_b = torch.ones((d, 1)) * 0.01, 0.05
    def data(n):
        x = torch.normal(0, 1, (n, d))
        y = x @ true_w + true_b + torch.normal(0, 0.01, (n, 1))
        return x, y
    xtr, ytr = data(n_train)
    xte, yte = data(n_test)
    net = torch.nn.Linear(d, 1)
    torch.nn.init.normal_(net.weight)
    torch.nn.init.zeros_(net.bias)
    loss = torch.nn.MSELoss(reduction="none")
    trainer = torch.optim.SGD([{"params": net.weight, "weight_decay": wd}, {"params": net.bias}], lr=0.003)
    t0 = time.perf_counter()
    for epoch in range(100):
        for i in torch.randperm(n_train):
            trainer.zero_grad()
            l = loss(net(xtr[i:i + 1]), ytr[i:i + 1]).mean() / 2
            l.backward()
            trainer.step()
        with torch.no_grad():
            loss(net(xtr), ytr).mean()
            loss(net(xte), yte).mean()
    return time.perf_counter() - t0


def regfitc_run(exe, model):
    with tempfile.TemporaryDirectory() as runs:
        subprocess.run([exe, model, "--quiet", "--runs", runs], check=True, stdout=subprocess.DEVNULL)
        name = os.path.basename(model)[:-5]
        with open(os.path.join(runs, name, "metrics.csv")) as f:
            return sum(float(r["seconds"]) for r in csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regfitc", default=os.path.join(ROOT, "build", "regfitc"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch_linreg: python3-torch is not installed; skipping")
        return 0
    for model, wd in (("highdim_linreg.yaml", 0), ("highdim_linreg_wd.yaml", 3)):
        path = os.path.join(ROOT, "models", model)
        regfitc_run(args.regfitc, path)  # builds (and caches) the model once
        pt, rc = [], []
        for _ in range(args.repeats):  # alternate the two
            pt.append(torch_run(wd))
            rc.append(regfitc_run(args.regfitc, path))
        pt.sort()
        rc.sort()
        p, r = pt[len(pt) // 2], rc[len(rc) // 2]
        print("%-24s PyTorch %8.1f ms   regfitc %6.2f ms   ratio %5.0fx" % (model, p * 1e3, r * 1e3, p / r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
