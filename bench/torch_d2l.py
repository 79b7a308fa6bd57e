#!/usr/bin/python3
"""The seed MLP as d2l's concise PyTorch code trains it, for a whole-process time.

This is d2l.ai's "Dropout, concise implementation" (chapter 5.6, PyTorch edition) for
models/mlp_dropout.yaml: nn.Sequential(Flatten, Linear(784, 256), ReLU, Dropout(0.2),
Linear(256, 256), ReLU, Dropout(0.5), Linear(256, 10)), weights N(0, 0.01^2), SGD lr 0.5,
batch 256, CrossEntropyLoss(reduction='none'), and d2l.train_ch3's loop: per epoch the
training pass (summing loss and correct predictions as its Accumulator does), then the
test accuracy, one line per epoch. The data are the same Fashion-MNIST IDX files regfitc
reads, through a DataLoader (shuffled, d2l's 4 workers) over a Dataset that does per sample
what torchvision's FashionMNIST with ToTensor does (the uint8 image to floats / 255, shape
1 x 28 x 28). torchvision is not installed here, so its PIL step is missing: if anything,
this is faster than d2l's own code. Nothing is plotted (d2l's Animator is left out).

Time it whole, as a process: `time /usr/bin/python3 bench/torch_d2l.py` (bench/e2e_time.py
does, side by side with regfitc).

usage: bench/torch_d2l.py [--epochs 5] [--workers 4] [--threads N] [--data DIR]
"""
import argparse
import gzip
import os
import struct
import sys
import time

T0 = time.perf_counter()
import torch  # noqa: E402
from torch import nn  # noqa: E402


def read_idx(path, images):
    with gzip.open(path) as f:
        data = f.read()
    if images:
        _, n, r, c = struct.unpack(">IIII", data[:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(n, r, c)
    _, n = struct.unpack(">II", data[:8])
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


class FashionMNIST(torch.utils.data.Dataset):
    """The IDX files as torchvision's FashionMNIST(transform=ToTensor()) gives them."""

    def __init__(self, folder, train):
        prefix = "train" if train else "t10k"
        self.images = read_idx(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"), True)
        self.labels = read_idx(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"), False)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i].unsqueeze(0).float().div(255), int(self.labels[i])


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    net.eval()
    right, total = 0.0, 0
    with torch.no_grad():
        for x, y in data_iter:
            right += accuracy(net(x), y)
            total += y.numel()
    return right / total


def train_epoch(net, train_iter, loss, updater):
    net.train()
    loss_sum, right, total = 0.0, 0.0, 0
    for x, y in train_iter:
        y_hat = net(x)
        l = loss(y_hat, y)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
        loss_sum += float(l.sum())
        right += accuracy(y_hat, y)
        total += y.numel()
    return loss_sum / total, right / total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=4, help="DataLoader workers (d2l: 4)")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: PyTorch's own)")
    ap.add_argument("--data", default=os.environ.get("REGFIT_DATA", "/usr/share/datasets/fashion-mnist"))
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 256),
                        nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))

    def init_weights(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    batch_size, lr = 256, 0.5
    train_set, test_set = FashionMNIST(args.data, True), FashionMNIST(args.data, False)
    train_iter = torch.utils.data.DataLoader(train_set, batch_size, shuffle=True, num_workers=args.workers)
    test_iter = torch.utils.data.DataLoader(test_set, batch_size, shuffle=False, num_workers=args.workers)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    print("torch_d2l: import and data %.2f s" % (time.perf_counter() - T0), flush=True)
    for epoch in range(args.epochs):
        train_loss, train_acc = train_epoch(net, train_iter, loss, trainer)
        test_acc = evaluate_accuracy(net, test_iter)
        print("epoch %d, loss %.4f, train acc %.3f, test acc %.3f (%.2f s)"
              % (epoch + 1, train_loss, train_acc, test_acc, time.perf_counter() - T0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
