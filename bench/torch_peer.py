#!/usr/bin/python3
"""Peer comparison: the generated training step against PyTorch, interleaved.

Times the same model (dense/relu/sigmoid/tanh/dropout layers, softmax cross
entropy or squared loss, plain SGD) in PyTorch and in regfitc's generated C,
step by step in one process on the same batches, and prints the ratio.
Runs only where Debian's python3-torch is installed; exits 0 with a note
otherwise. PyTorch is given its best setting: each combination of
torch.set_num_threads and OpenBLAS threads is measured (OpenBLAS's count is
fixed at load, so each runs in a child process) and the fastest is compared.
A last row runs PyTorch's forward and loss under
torch.autocast('cpu', dtype=torch.bfloat16) at that best setting: the peer
of a bf16 step (its products run in oneDNN's bf16 kernels, which are fast
only where the CPU has AVX512_BF16; the line says whether it has).

The generated code is built like regfitc builds it: clang (or $CC) with
-O3 -march=native -fopenmp, or $REGFIT_CFLAGS.

usage: bench/torch_peer.py [--regfitc build/regfitc] [--steps 50] [--threads 2] [--no-bf16] [MODEL.yaml]
"""
import argparse
import ctypes
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_model_file(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


def layer_list(spec):
    """(kind, arg) per layer, from the model file's short and long forms."""
    out = []
    for item in spec["layers"]:
        if isinstance(item, str):
            out.append((item, None))
        else:
            (kind, arg), = item.items()
            if kind == "dense" and isinstance(arg, dict):
                arg = arg["units"]
            if kind == "dropout" and isinstance(arg, dict):
                arg = arg["p"]
            out.append((kind, arg))
    return out


def build_generated(regfitc, model_path, tmp, threads):
    subprocess.run([regfitc, "--emit", "-o", tmp, model_path], check=True, stdout=subprocess.DEVNULL)
    name = load_model_file(model_path)["name"]
    shim = os.path.join(tmp, "peer_shim.c")
    with open(shim, "w") as f:
        f.write('#include "%s.h"\n#include <stddef.h>\n#ifdef _OPENMP\n#include <omp.h>\n#endif\n'
                'size_t peer_model_size(void) { return sizeof(%s_model); }\n'
                'void peer_set_threads(int n) {\n#ifdef _OPENMP\n omp_set_num_threads(n);\n#endif\n (void)n; }\n'
                % (name, name))
    so = os.path.join(tmp, "peer.so")
    cc = os.environ.get("CC", "clang")
    flags = os.environ.get("REGFIT_CFLAGS", "-O3 -march=native -fopenmp").split()  # as regfitc's build
    subprocess.run([cc, "-std=c11"] + flags + ["-fPIC", "-shared", "-o", so, os.path.join(tmp, name + ".c"), shim,
                    "-I", tmp, "-lm"], check=True)
    lib = ctypes.CDLL(so)
    lib.peer_model_size.restype = ctypes.c_size_t
    lib.peer_set_threads(threads)
    size = lib.peer_model_size()
    buf = ctypes.create_string_buffer(size + 64)
    addr = (ctypes.addressof(buf) + 63) // 64 * 64
    model = ctypes.c_void_p(addr)
    getattr(lib, name + "_init").argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    getattr(lib, name + "_init")(model, 1)
    step = getattr(lib, name + "_train_step")
    step.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    step.restype = ctypes.c_float
    return lib, buf, model, step


def real_batches(spec, batch, count):
    """The first batches of Fashion-MNIST when installed, else None."""
    folder = os.environ.get("REGFIT_DATA", "/usr/share/datasets/fashion-mnist")
    try:
        with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
            _, n, r, c = struct.unpack(">IIII", f.read(16))
            pixels = f.read(batch * count * r * c)
        with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
            f.read(8)
            labels = f.read(batch * count)
        return pixels, labels
    except OSError:
        return None


def child(args):
    import torch
    spec = load_model_file(args.model)
    torch.set_num_threads(args.torch_threads)
    torch.manual_seed(0)
    batch, inputs = spec["batch"], spec["input"]
    layers, width = [], inputs
    for kind, arg in layer_list(spec):
        if kind == "dense":
            layers.append(torch.nn.Linear(width, arg))
            width = arg
        elif kind == "relu":
            layers.append(torch.nn.ReLU())
        elif kind == "sigmoid":
            layers.append(torch.nn.Sigmoid())
        elif kind == "tanh":
            layers.append(torch.nn.Tanh())
        elif kind == "dropout":
            layers.append(torch.nn.Dropout(arg))
    net = torch.nn.Sequential(*layers)
    sgd = spec["optimizer"]["sgd"]
    opt = torch.optim.SGD(net.parameters(), lr=sgd["lr"], momentum=sgd.get("momentum", 0))
    ce = spec["loss"] == "softmax_cross_entropy"
    lossf = torch.nn.CrossEntropyLoss() if ce else torch.nn.MSELoss()

    nb = 8
    real = real_batches(spec, batch, nb) if inputs == 784 and ce else None
    if real:
        x = torch.frombuffer(bytearray(real[0]), dtype=torch.uint8).float().div(255).reshape(nb, batch, inputs)
        y = torch.frombuffer(bytearray(real[1]), dtype=torch.uint8).long().reshape(nb, batch)
    else:
        x = torch.rand(nb, batch, inputs)
        y = torch.randint(0, width, (nb, batch)) if ce else torch.randn(nb, batch, width)
    x = x.contiguous()
    y32 = y.to(torch.int32).contiguous() if ce else y.contiguous()

    with tempfile.TemporaryDirectory() as tmp:
        lib, keep, model, gen_step = build_generated(args.regfitc, args.model, tmp, args.threads)

        def torch_step(k):
            opt.zero_grad()
            if args.autocast:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    loss = lossf(net(x[k]), y[k])
            else:
                loss = lossf(net(x[k]), y[k])
            loss.backward()
            opt.step()

        def c_step(k):
            gen_step(model, x[k].data_ptr(), y32[k].data_ptr(), batch)

        # Interleaved in blocks, with a pause between blocks: the OpenMP and
        # OpenBLAS worker threads of one side spin for a while after its last
        # step (libomp for 200 ms) and would otherwise steal the core from the
        # other side's next step.
        tt, tc = [], []
        block = 10
        for rep in range(max(1, args.steps // block)):
            for side, times, fn in ((0, tt, torch_step), (1, tc, c_step)):
                for s in range(-2, block):  # two warm-up steps per block
                    k = (rep * block + s + 2) % nb
                    t0 = time.perf_counter()
                    fn(k)
                    if s >= 0:
                        times.append(time.perf_counter() - t0)
                time.sleep(0.3)
        tt.sort()
        tc.sort()
        med = lambda v: v[len(v) // 2]
        print("%d %d %.6f %.6f" % (args.torch_threads, args.blas_threads, med(tt), med(tc)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=os.path.join(ROOT, "models", "mlp_dropout.yaml"))
    ap.add_argument("--regfitc", default=os.path.join(ROOT, "build", "regfitc"))
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--torch-threads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--blas-threads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--autocast", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-bf16", action="store_true", help="skip the bf16 autocast row")
    args = ap.parse_args()
    if args.child:
        return child(args)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch_peer: python3-torch is not installed; skipping the PyTorch comparison")
        return 0
    def run_child(tthreads, bthreads, autocast):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(bthreads), OMP_NUM_THREADS=str(args.threads))
        out = subprocess.run([sys.executable, __file__, "--child", "--regfitc", args.regfitc,
                              "--steps", str(args.steps), "--threads", str(args.threads),
                              "--torch-threads", str(tthreads), "--blas-threads", str(bthreads), args.model]
                             + (["--autocast"] if autocast else []),
                             env=env, check=True, capture_output=True, text=True).stdout.split()
        return float(out[2]), float(out[3])

    results = []
    for tthreads in sorted({1, args.threads}):
        for bthreads in sorted({1, args.threads}):
            pt, gc = run_child(tthreads, bthreads, False)
            results.append((pt, gc, tthreads, bthreads))
            print("torch threads %d, OpenBLAS threads %d: PyTorch %.3f ms, generated %.3f ms, ratio %.2fx"
                  % (tthreads, bthreads, pt * 1e3, gc * 1e3, pt / gc))
    best = min(results)
    print("PyTorch at its best (torch threads %d, OpenBLAS threads %d): %.3f ms per step; generated %.3f ms"
          % (best[2], best[3], best[0] * 1e3, best[1] * 1e3))
    print("generated/PyTorch speedup: %.2fx" % (best[0] / best[1]))
    if not args.no_bf16:
        with open("/proc/cpuinfo") as f:
            has = " avx512_bf16" in f.read()
        pt, gc = run_child(best[2], best[3], True)
        print("PyTorch bf16 autocast (torch threads %d, OpenBLAS threads %d; this CPU %s AVX512_BF16): %.3f ms"
              " per step; generated fp32 %.3f ms; ratio %.2fx"
              % (best[2], best[3], "has" if has else "has no", pt * 1e3, gc * 1e3, pt / gc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
