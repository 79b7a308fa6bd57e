#!/usr/bin/python3
"""The d2l weight-decay sweep written the d2l way, in one PyTorch process.

For each lambda in 0, 0.01, 0.1, 0.3, 1, 3, 10 and each of 5 seeds: the
synthetic data (200 features, 20 training and 100 test samples), an
nn.Linear(200, 1) with N(0, 1) weights, SGD lr 0.003 with weight_decay on
the weight only, batch 1, 100 epochs, the train and test losses after every
epoch (as d2l's animator does, and as regfitc's metrics.csv has them). It
prints one line per run and a table, like `regfitc --sweep`. Timed whole
(python start-up and the torch import included) by bench/sweep_bench.py.

usage: bench/torch_sweep.py [--lambdas 0,0.01,...] [--seeds 5] [--epochs 100]
"""
import argparse


def run(torch, wd, seed, epochs):
    torch.manual_seed(seed)
    n_train, n_test, d = 20, 100, 200
    true_w, true_b = torch.ones((d, 1)) * 0.01, 0.05

    def data(n):
        x = torch.normal(0, 1, (n, d))
        return x, x @ true_w + true_b + torch.normal(0, 0.01, (n, 1))

    xtr, ytr = data(n_train)
    xte, yte = data(n_test)
    net = torch.nn.Linear(d, 1)
    torch.nn.init.normal_(net.weight)
    torch.nn.init.zeros_(net.bias)
    loss = torch.nn.MSELoss(reduction="none")
    trainer = torch.optim.SGD([{"params": net.weight, "weight_decay": wd}, {"params": net.bias}], lr=0.003)
    for _ in range(epochs):
        for i in torch.randperm(n_train):
            trainer.zero_grad()
            l = loss(net(xtr[i:i + 1]), ytr[i:i + 1]).mean() / 2
            l.backward()
            trainer.step()
        with torch.no_grad():
            train_loss = float(loss(net(xtr), ytr).mean() / 2)
            test_loss = float(loss(net(xte), yte).mean() / 2)
    return train_loss, test_loss, float(net.weight.norm())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lambdas", default="0,0.01,0.1,0.3,1,3,10")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    lambdas = [float(v) for v in args.lambdas.split(",")]
    rows = []
    for k, wd in enumerate(lambdas):
        for seed in range(args.seeds):
            tr, te, norm = run(torch, wd, seed, args.epochs)
            rows.append((wd, seed, tr, te, norm))
            print(f"point {len(rows)}/{len(lambdas) * args.seeds}: lambda={wd:g}, seed {seed}: test loss {te:.6f}")
    print("lambda  seed  train_loss  test_loss  norm")
    for r in rows:
        print(f"{r[0]:g}  {r[1]}  {r[2]:.6g}  {r[3]:.6g}  {r[4]:.6f}")


if __name__ == "__main__":
    main()
