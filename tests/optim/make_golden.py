#!/usr/bin/python3
"""Writes tests/optim/golden.txt: what torch.optim does to two small tensors
over 20 steps, for each optimizer setting of SPEC section 1a. The C tests
(tests/test_optim_ref.c, tests/test_generic.c) replay the recorded gradients
through their own implementations and compare with these results.

Run from anywhere:  tests/optim/make_golden.py        (Debian's torch, /usr/bin/python3)
The output depends only on the cases below and the torch version: running the
script again writes the same file byte for byte.

Per case: the tensors "dense1.weight" [4][3] (12 elements, row-major) and
"dense1.bias" [3] (the parameters of a dense(3) layer on 4 inputs), seeded
random float32 init, one parameter group each (weight_decay = its l2), the
optimizer with foreach=False and every other option at its default
(maximize=False, amsgrad=False, ...), then 20 times: .grad = seeded random
float32 gradients (N(0, 0.3^2), or the case's own scale), step(). Recorded: the init, every step's gradients, the
final parameters and the final optimizer state (SGD momentum_buffer; Adam and
AdamW exp_avg, exp_avg_sq), with the step count torch kept.

l1 and l1_prox are not torch.optim features. In the cases that use them the
script applies SPEC 1a around step(), in float32 torch arithmetic:
before step(), .grad = g + l1*sign(w) (sign(0) = 0); after it,
w = sign(w)*max(|w| - lr*l1_prox, 0). The recorded `grad` lines are always g,
the gradient of the data loss, before the l1 term.

File format (one record a line, fields separated by single spaces):
  # comment                      only at the top
  cases N
  case NAME
  optimizer sgd|adam|adamw lr X momentum X dampening X nesterov 0|1 beta1 X beta2 X eps X
  steps S
  tensor NAME SIZE l2 X l1 X l1_prox X        one line per tensor, in order
  init NAME v1 ... vSIZE                       per tensor
  grad K NAME v1 ... vSIZE                     K = 1..S, per tensor, in order
  final NAME v1 ... vSIZE                      per tensor
  state NAME.SUFFIX v1 ... vSIZE               per tensor, its state in order
                                               (momentum | exp_avg exp_avg_sq); none for plain sgd
  updates T                                    torch's step count (adam, adamw), else S
  end
Numbers are C99 hexadecimal floats (strtod reads them exactly): tensor
values are float32 values; hyperparameters are the exact Python doubles
given to torch (torch rounds them to float32 where it multiplies a tensor).
"""

import os
import sys

import torch

STEPS = 20
TENSORS = (("dense1.weight", (4, 3)), ("dense1.bias", (3,)))

# name, optimizer, options, {tensor: (l2, l1, l1_prox)}[, gradient scale (default 0.3)]
ZERO = (0.0, 0.0, 0.0)
CASES = [
    ("sgd_plain", "sgd", dict(lr=0.1), {}),
    ("sgd_l2", "sgd", dict(lr=0.1), {"dense1.weight": (0.1, 0, 0), "dense1.bias": (0.03, 0, 0)}),
    ("sgd_momentum", "sgd", dict(lr=0.1, momentum=0.9), {}),
    ("sgd_momentum_dampening", "sgd", dict(lr=0.1, momentum=0.9, dampening=0.5), {}),
    ("sgd_nesterov", "sgd", dict(lr=0.1, momentum=0.9, nesterov=True), {}),
    ("sgd_momentum_l2", "sgd", dict(lr=0.1, momentum=0.9),
     {"dense1.weight": (0.1, 0, 0), "dense1.bias": (0.02, 0, 0)}),
    ("adam_defaults", "adam", dict(lr=0.01), {}),
    ("adam_l2", "adam", dict(lr=0.01), {"dense1.weight": (0.1, 0, 0), "dense1.bias": (0.05, 0, 0)}),
    # gradients of about 1e-5, so that eps 1e-6 is a tenth of adam's denominator, not 1e-5 of it
    ("adam_betas_eps", "adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6), {}, 1e-5),
    ("adamw_l2", "adamw", dict(lr=0.01), {"dense1.weight": (0.1, 0, 0), "dense1.bias": (0.1, 0, 0)}),
    ("adamw_l2_0", "adamw", dict(lr=0.01), {}),
    # SPEC 1a's l1 and l1_prox, applied by this script around step() (see above)
    ("sgd_momentum_l1", "sgd", dict(lr=0.1, momentum=0.9),
     {"dense1.weight": (0.01, 0.05, 0), "dense1.bias": (0, 0.2, 0)}),
    ("sgd_l1_prox", "sgd", dict(lr=0.1), {"dense1.weight": (0, 0, 0.15), "dense1.bias": (0.05, 0, 0.3)}),
    ("adam_l1", "adam", dict(lr=0.01, betas=(0.8, 0.99)), {"dense1.weight": (0.01, 0.05, 0)}),
    ("adamw_l1_prox", "adamw", dict(lr=0.01), {"dense1.weight": (0.1, 0, 0.5), "dense1.bias": (0, 0, 1.0)}),
]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
STATE = {"sgd": ("momentum_buffer",), "adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq")}
SUFFIX = {"momentum_buffer": "momentum", "exp_avg": "exp_avg", "exp_avg_sq": "exp_avg_sq"}


def hexf(v):
    """A float as the shortest exact C99 hex literal: 0x1.99999ap-4, 0x0p+0."""
    s = float(v).hex()
    mant, exp = s.split("p")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return mant + "p" + exp


def values(t):
    assert t.dtype == torch.float32
    return " ".join(hexf(v) for v in t.detach().reshape(-1).tolist())


def run_case(index, name, kind, opts, decay, out, grad_scale=0.3):
    gen = torch.Generator().manual_seed(1000 + index)
    params = {}
    for pname, shape in TENSORS:
        scale = 0.5 if pname.endswith("weight") else 0.2
        params[pname] = (torch.randn(shape, generator=gen, dtype=torch.float32) * scale).requires_grad_()
    dec = {pname: tuple(float(x) for x in decay.get(pname, ZERO)) for pname, _ in TENSORS}

    groups = [{"params": [params[p]], "weight_decay": dec[p][0]} for p, _ in TENSORS]
    full = dict(opts)
    full["foreach"] = False
    full["maximize"] = False
    if kind != "sgd":
        full["amsgrad"] = False
        full["capturable"] = False
    opt = OPTIMIZERS[kind](groups, **full)
    d = opt.defaults
    lr = float(d["lr"])
    momentum = float(d.get("momentum", 0.0))
    dampening = float(d.get("dampening", 0.0))
    nesterov = int(bool(d.get("nesterov", False)))
    beta1, beta2 = (float(b) for b in d.get("betas", (0.0, 0.0)))
    eps = float(d.get("eps", 0.0))

    out.append("case " + name)
    out.append("optimizer %s lr %s momentum %s dampening %s nesterov %d beta1 %s beta2 %s eps %s" % (
        kind, hexf(lr), hexf(momentum), hexf(dampening), nesterov, hexf(beta1), hexf(beta2), hexf(eps)))
    out.append("steps %d" % STEPS)
    for pname, shape in TENSORS:
        l2, l1, l1_prox = dec[pname]
        out.append("tensor %s %d l2 %s l1 %s l1_prox %s" % (
            pname, params[pname].numel(), hexf(l2), hexf(l1), hexf(l1_prox)))
    for pname, _ in TENSORS:
        out.append("init %s %s" % (pname, values(params[pname])))

    for step in range(1, STEPS + 1):
        for pname, shape in TENSORS:
            g = torch.randn(shape, generator=gen, dtype=torch.float32) * grad_scale
            out.append("grad %d %s %s" % (step, pname, values(g)))
            l1 = dec[pname][1]
            with torch.no_grad():
                if l1 != 0:
                    g = g + l1 * torch.sign(params[pname])
            params[pname].grad = g.clone()
        opt.step()
        with torch.no_grad():
            for pname, _ in TENSORS:
                l1_prox = dec[pname][2]
                if l1_prox != 0:
                    w = params[pname]
                    w.copy_(torch.sign(w) * torch.clamp(w.abs() - lr * l1_prox, min=0.0))

    for pname, _ in TENSORS:
        out.append("final %s %s" % (pname, values(params[pname])))
    updates = STEPS
    for pname, _ in TENSORS:
        st = opt.state[params[pname]]
        if kind == "sgd" and momentum == 0:
            assert st.get("momentum_buffer") is None
            continue
        for key in STATE[kind]:
            out.append("state %s.%s %s" % (pname, SUFFIX[key], values(st[key])))
        if "step" in st:
            updates = int(st["step"].item())
    out.append("updates %d" % updates)
    out.append("end")


def main():
    torch.set_num_threads(1)
    here = os.path.dirname(os.path.abspath(__file__))
    out = ["# made by tests/optim/make_golden.py with torch %s; do not edit" % torch.__version__,
           "# torch.optim (foreach=False) on dense1.weight [4][3] and dense1.bias [3], %d steps;"
           " format: see the script" % STEPS,
           "cases %d" % len(CASES)]
    for i, case in enumerate(CASES):
        run_case(i, *case[:4], out, *case[4:])
    path = os.path.join(here, "golden.txt")
    text = "\n".join(out) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    print("wrote %s (%d cases)" % (path, len(CASES)), file=sys.stderr)


if __name__ == "__main__":
    main()
