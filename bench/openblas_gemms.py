#!/usr/bin/python3
"""The matrix products of a training step in OpenBLAS alone, against the whole generated step.

For a dense model (the seed MLP by default) a training step holds, per dense
layer of in x out units and batch B: the forward product X W (B x in by
in x out), the weight gradient X^T dY, and (for every layer but the first)
the input gradient dY W^T: 8 products for the seed MLP. This times those
products as cblas_sgemm calls into Debian's OpenBLAS (libopenblas0-pthread),
with nothing else of the step (no bias, activation, dropout, loss or update),
interleaved with the generated train_step in one process, for 1 and for
all OpenBLAS threads (openblas_set_num_threads), and prints the ratio
against OpenBLAS's best. The generated step runs on the real data's first
batches when Fashion-MNIST is installed, as in bench/torch_peer.py.

usage: bench/openblas_gemms.py [--regfitc build/regfitc] [--steps 100] [--threads 2] [MODEL.yaml]
"""
import argparse
import ctypes
import ctypes.util
import os
import sys
import tempfile
import time

import torch_peer

OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def dense_shapes(spec):
    """(in, out) of each dense layer, in order."""
    shapes, width = [], spec["input"]
    for kind, arg in torch_peer.layer_list(spec):
        if kind == "dense":
            shapes.append((width, arg))
            width = arg
    return shapes


def products(spec):
    """The step's products as (transa, transb, m, n, k, a, lda, b, ldb, c, ldc) with buffers."""
    batch = spec["batch"]
    floats = lambda n: (ctypes.c_float * n)(*([0.01] * n))
    calls = []
    for layer, (d_in, d_out) in enumerate(dense_shapes(spec)):
        x, w = floats(batch * d_in), floats(d_in * d_out)
        y, dy = floats(batch * d_out), floats(batch * d_out)
        dw, dx = floats(d_in * d_out), floats(batch * d_in)
        calls.append((NO_TRANS, NO_TRANS, batch, d_out, d_in, x, d_in, w, d_out, y, d_out))  # Y = X W
        calls.append((TRANS, NO_TRANS, d_in, d_out, batch, x, d_in, dy, d_out, dw, d_out))  # dW = X^T dY
        if layer > 0:
            calls.append((NO_TRANS, TRANS, batch, d_in, d_out, dy, d_out, w, d_out, dx, d_in))  # dX = dY W^T
    return calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=os.path.join(torch_peer.ROOT, "models", "mlp_dropout.yaml"))
    ap.add_argument("--regfitc", default=os.path.join(torch_peer.ROOT, "build", "regfitc"))
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    if not os.path.exists(OPENBLAS):
        print("openblas_gemms: %s is missing (apt-get install libopenblas0-pthread); skipping" % OPENBLAS)
        return 0
    blas = ctypes.CDLL(OPENBLAS)
    blas.cblas_sgemm.restype = None
    blas.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int,
                                                       ctypes.c_void_p, ctypes.c_int, ctypes.c_float,
                                                       ctypes.c_void_p, ctypes.c_int]
    spec = torch_peer.load_model_file(args.model)
    calls = products(spec)
    flops = sum(2.0 * m * n * k for _, _, m, n, k, *_ in calls)
    print("%d products of the step, %.1f MFLOP: %s" % (
        len(calls), flops * 1e-6, ", ".join("%dx%dx%d" % (m, n, k) for _, _, m, n, k, *_ in calls)))

    def gemms(_k):
        for ta, tb, m, n, k, a, lda, b, ldb, c, ldc in calls:
            blas.cblas_sgemm(ROW_MAJOR, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc)

    batch, inputs = spec["batch"], spec["input"]
    nb = 8
    with tempfile.TemporaryDirectory() as tmp:
        lib, keep, model, gen_step = torch_peer.build_generated(args.regfitc, args.model, tmp, args.threads)
        ce = spec["loss"] == "softmax_cross_entropy"
        outputs = dense_shapes(spec)[-1][1]
        real = torch_peer.real_batches(spec, batch, nb) if inputs == 784 and ce else None
        rows = batch * nb
        x = (ctypes.c_float * (rows * inputs))()
        if real:
            x[:] = [v / 255.0 for v in real[0]]
        else:
            x[:] = [((i * 2654435761) % 2 ** 32) / 2 ** 32 for i in range(rows * inputs)]
        # class indices, or squared-loss targets (zeros)
        y = (ctypes.c_int32 * rows)(*(real[1] if real else [r % outputs for r in range(rows)])) if ce \
            else (ctypes.c_float * (rows * outputs))()
        y_row = 4 * (1 if ce else outputs)

        def c_step(k):
            gen_step(model, ctypes.addressof(x) + 4 * k * batch * inputs, ctypes.addressof(y) + y_row * k * batch,
                     batch)

        results = []
        for threads in sorted({1, args.threads}):
            blas.openblas_set_num_threads(threads)
            tb, tc = [], []
            block = 10
            for rep in range(max(1, args.steps // block)):
                # alternating blocks, a pause after each: the idle worker threads of
                # OpenBLAS and libomp spin for a while and would steal the other's core
                for times, fn in ((tb, gemms), (tc, c_step)):
                    for s in range(-2, block):  # two warm-up steps per block
                        t0 = time.perf_counter()
                        fn((rep * block + s + 2) % nb)
                        if s >= 0:
                            times.append(time.perf_counter() - t0)
                    time.sleep(0.3)
            tb.sort()
            tc.sort()
            med_b, med_c = tb[len(tb) // 2], tc[len(tc) // 2]
            results.append((med_b, med_c, threads))
            print("OpenBLAS threads %d: the %d products %.3f ms (%.1f GFLOP/s), generated whole step %.3f ms,"
                  " ratio %.2fx" % (threads, len(calls), med_b * 1e3, flops / med_b * 1e-9, med_c * 1e3,
                                    med_b / med_c))
        best = min(results)
        print("OpenBLAS at its best (%d threads): %.3f ms for the products alone; generated whole step %.3f ms"
              % (best[2], best[0] * 1e3, best[1] * 1e3))
        print("generated step / OpenBLAS products alone: %.2fx" % (best[0] / best[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
