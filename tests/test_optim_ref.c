/* tests/support/optim_ref.c: the double-precision reference of SPEC 1a
 * against PyTorch (tests/optim/golden.txt, from tests/optim/make_golden.py),
 * l1 and l1_prox against values worked out by hand, and the golden reader
 * against malformed files. */
#include "optim_ref.h"
#include "rftest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------- comparing with torch ---------- */

/* torch computes in float32 and the reference in double: they agree within
 * RF_REF_REL_TOL of each element, or of a floor for the elements far below
 * the tensor's largest (optim_ref.h says why). */
#define REL_TOL RF_REF_REL_TOL

static double worst_error(const char *what, const double *ref, const double *torch, long n,
                          double abs_floor, int quiet)
{
    return rf_ref_compare(what, torch, ref, n, abs_floor, quiet);
}

typedef struct {
    double *w, *s[2];
} replay_tensor;

/* Replays case c through the reference with options o; returns the worst
 * error over the final parameters and state (printing each tensor's when
 * too large and !quiet). */
static double replay(const rf_golden_case *c, const rf_ref_opt *o, int quiet)
{
    double worst = 0;
    const int n_state = rf_ref_state_count(o);
    replay_tensor *r = calloc((size_t)c->n_tensors, sizeof *r);
    for (int j = 0; j < c->n_tensors; j++) {
        const rf_golden_tensor *T = &c->tensors[j];
        r[j].w = malloc((size_t)T->size * sizeof(double));
        memcpy(r[j].w, T->init, (size_t)T->size * sizeof(double));
        for (int k = 0; k < 2; k++)
            r[j].s[k] = calloc((size_t)T->size, sizeof(double));
    }
    for (int s = 1; s <= c->steps; s++)
        for (int j = 0; j < c->n_tensors; j++) {
            const rf_golden_tensor *T = &c->tensors[j];
            rf_ref_update(o, &T->decay, (uint64_t)s, r[j].w, T->grads + (long)(s - 1) * T->size,
                          r[j].s[0], r[j].s[1], T->size);
        }
    for (int j = 0; j < c->n_tensors; j++) {
        const rf_golden_tensor *T = &c->tensors[j];
        char what[200];
        snprintf(what, sizeof what, "%s, %s", c->name, T->name);
        worst = fmax(worst, worst_error(what, r[j].w, T->final, T->size,
                                        rf_ref_prox_floor(o, &T->decay), quiet));
        for (int k = 0; k < n_state; k++) {
            snprintf(what, sizeof what, "%s, %s.%s", c->name, T->name, rf_ref_state_suffix(o, k));
            worst = fmax(worst, worst_error(what, r[j].s[k], T->state[k], T->size, 0, quiet));
        }
        free(r[j].w);
        free(r[j].s[0]);
        free(r[j].s[1]);
    }
    free(r);
    return worst;
}

static rf_golden golden;
static int golden_loaded;

static const rf_golden *load_golden(void)
{
    if (!golden_loaded) {
        char err[512];
        if (rf_golden_load(rf_golden_path(), &golden, err, sizeof err) != 0) {
            fprintf(stderr, "\n  %s", err);
            return NULL;
        }
        golden_loaded = 1;
    }
    return &golden;
}

static const rf_golden_case *golden_case(const char *name)
{
    const rf_golden *g = load_golden();
    for (int i = 0; g && i < g->n_cases; i++)
        if (!strcmp(g->cases[i].name, name))
            return &g->cases[i];
    return NULL;
}

/* The file is what the script writes, and holds the cases the brief asks
 * for, each with the settings its name says. */
static void test_golden_file_contents(void)
{
    const rf_golden *g = load_golden();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g->header);
    RF_ASSERT_CONTAINS(g->header, "tests/optim/make_golden.py");
    RF_ASSERT_CONTAINS(g->header, "torch 1.");
    CU_ASSERT(g->n_cases >= 11);
    for (int i = 0; i < g->n_cases; i++) {
        const rf_golden_case *c = &g->cases[i];
        CU_ASSERT_EQUAL(c->steps, 20);
        CU_ASSERT_EQUAL(c->updates, 20);
        CU_ASSERT_EQUAL_FATAL(c->n_tensors, 2);
        CU_ASSERT_STRING_EQUAL(c->tensors[0].name, "dense1.weight");
        CU_ASSERT_EQUAL(c->tensors[0].size, 12);
        CU_ASSERT_STRING_EQUAL(c->tensors[1].name, "dense1.bias");
        CU_ASSERT_EQUAL(c->tensors[1].size, 3);
        /* every parameter moved, and not by a rounding error */
        for (int j = 0; j < 2; j++) {
            const rf_golden_tensor *T = &c->tensors[j];
            double moved = 0;
            for (long e = 0; e < T->size; e++)
                moved = fmax(moved, fabs(T->final[e] - T->init[e]));
            CU_ASSERT(moved > 0.01);
        }
    }
    struct {
        const char *name;
        rf_optimizer_kind kind;
        double lr, momentum, dampening, beta1, beta2, eps;
        int nesterov;
        double l2_weight; /* -1: any */
    } want[] = {
        {"sgd_plain", RF_OPT_SGD, 0.1, 0, 0, 0, 0, 0, 0, 0},
        {"sgd_l2", RF_OPT_SGD, 0.1, 0, 0, 0, 0, 0, 0, 0.1},
        {"sgd_momentum", RF_OPT_SGD, 0.1, 0.9, 0, 0, 0, 0, 0, 0},
        {"sgd_momentum_dampening", RF_OPT_SGD, 0.1, 0.9, 0.5, 0, 0, 0, 0, 0},
        {"sgd_nesterov", RF_OPT_SGD, 0.1, 0.9, 0, 0, 0, 0, 1, 0},
        {"sgd_momentum_l2", RF_OPT_SGD, 0.1, 0.9, 0, 0, 0, 0, 0, 0.1},
        {"adam_defaults", RF_OPT_ADAM, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0, 0},
        {"adam_l2", RF_OPT_ADAM, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0, 0.1},
        {"adam_betas_eps", RF_OPT_ADAM, 0.01, 0, 0, 0.8, 0.99, 1e-6, 0, 0},
        {"adamw_l2", RF_OPT_ADAMW, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0, 0.1},
        {"adamw_l2_0", RF_OPT_ADAMW, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0, 0},
    };
    for (int i = 0; i < COUNT(want); i++) {
        const rf_golden_case *c = golden_case(want[i].name);
        if (!c)
            fprintf(stderr, "\n  no case %s", want[i].name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_EQUAL(c->opt.kind, want[i].kind);
        CU_ASSERT_EQUAL(c->opt.lr, want[i].lr);
        CU_ASSERT_EQUAL(c->opt.momentum, want[i].momentum);
        CU_ASSERT_EQUAL(c->opt.dampening, want[i].dampening);
        CU_ASSERT_EQUAL(c->opt.nesterov, want[i].nesterov);
        CU_ASSERT_EQUAL(c->opt.beta1, want[i].beta1);
        CU_ASSERT_EQUAL(c->opt.beta2, want[i].beta2);
        CU_ASSERT_EQUAL(c->opt.eps, want[i].eps);
        CU_ASSERT_EQUAL(c->tensors[0].decay.l2, want[i].l2_weight);
        CU_ASSERT_EQUAL(c->tensors[0].decay.l1, 0);
        CU_ASSERT_EQUAL(c->tensors[0].decay.l1_prox, 0);
    }
}

/* Every case, replayed from torch's init with torch's gradients, ends
 * where torch ended: parameters and state. */
static void test_reference_matches_torch(void)
{
    const rf_golden *g = load_golden();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    double worst_all = 0;
    for (int i = 0; i < g->n_cases; i++) {
        double worst = replay(&g->cases[i], &g->cases[i].opt, 0);
        CU_ASSERT(worst <= REL_TOL);
        worst_all = fmax(worst_all, worst);
    }
    if (getenv("RF_VERBOSE"))
        fprintf(stderr, "\n  worst error of all cases: %.3g of the bound", worst_all);
}

/* The comparison can tell: a reference off by a little in any
 * hyperparameter the case uses, or missing a step of the formulas, fails
 * it. (Each mutation's change to the result is far larger than float32
 * rounding, yet small next to the update itself.) */
static void test_comparison_discriminates(void)
{
    const rf_golden *g = load_golden();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    for (int i = 0; i < g->n_cases; i++) {
        const rf_golden_case *c = &g->cases[i];
        rf_ref_opt o = c->opt;
        o.lr *= 1.001;
        double err = replay(c, &o, 1);
        if (!(err > REL_TOL))
            fprintf(stderr, "\n  %s: lr * 1.001 passes (%.3g)", c->name, err);
        CU_ASSERT(err > REL_TOL);
        if (c->opt.momentum != 0) {
            o = c->opt;
            o.momentum *= 0.999;
            CU_ASSERT(replay(c, &o, 1) > REL_TOL);
            o = c->opt; /* nesterov toggled */
            if (c->opt.dampening == 0) {
                o.nesterov = !o.nesterov;
                CU_ASSERT(replay(c, &o, 1) > REL_TOL);
            }
        }
        if (c->opt.dampening != 0) {
            o = c->opt;
            o.dampening = 0;
            CU_ASSERT(replay(c, &o, 1) > REL_TOL);
        }
        if (c->opt.kind != RF_OPT_SGD) {
            o = c->opt;
            o.beta1 = 1 - (1 - o.beta1) * 1.01;
            CU_ASSERT(replay(c, &o, 1) > REL_TOL);
            o = c->opt;
            o.beta2 = 1 - (1 - o.beta2) * 1.01;
            CU_ASSERT(replay(c, &o, 1) > REL_TOL);
            o = c->opt; /* coupled <-> decoupled */
            o.kind = o.kind == RF_OPT_ADAM ? RF_OPT_ADAMW : RF_OPT_ADAM;
            int has_l2 = c->tensors[0].decay.l2 != 0 || c->tensors[1].decay.l2 != 0;
            CU_ASSERT(has_l2 ? replay(c, &o, 1) > REL_TOL : replay(c, &o, 1) <= REL_TOL);
        }
    }
    /* eps matters where it is large */
    const rf_golden_case *c = golden_case("adam_betas_eps");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    rf_ref_opt o = c->opt;
    o.eps = 1e-8;
    CU_ASSERT(replay(c, &o, 1) > REL_TOL);
}

/* ---------- l1 and l1_prox by hand ---------- */

static void update_one(rf_optimizer_kind kind, double lr, double l2, double l1, double l1_prox,
                       double *w, const double *g, long n)
{
    rf_ref_opt o = {kind, lr, 0, 0, 0.9, 0.999, 1e-8, 0};
    rf_ref_decay d = {l2, l1, l1_prox};
    double m[8] = {0}, v[8] = {0};
    rf_ref_update(&o, &d, 1, w, g, m, v, n);
}

#define NEAR(got, want) CU_ASSERT(fabs((got) - (want)) <= 1e-12 * (1 + fabs(want)))

/* sgd, lr 0.1, l1 0.5: d = g + 0.5*sign(w), w -= 0.1*d
 *   w  0.3, g 0.1:  d =  0.6, w = 0.3 - 0.06  =  0.24
 *   w -0.2, g 0.1:  d = -0.4, w = -0.2 + 0.04 = -0.16
 *   w  0,   g 0.2:  sign(0) = 0, d = 0.2, w = -0.02 (the gradient alone)
 *   w  0,   g 0:    d = 0, w stays exactly 0
 *   w  0.01, g 0:   d = 0.5, w = -0.04 (l1 overshoots zero: no exact zeros) */
static void test_l1_by_hand(void)
{
    double w[] = {0.3, -0.2, 0.0, 0.0, 0.01};
    const double g[] = {0.1, 0.1, 0.2, 0.0, 0.0};
    update_one(RF_OPT_SGD, 0.1, 0, 0.5, 0, w, g, 5);
    NEAR(w[0], 0.24);
    NEAR(w[1], -0.16);
    NEAR(w[2], -0.02);
    CU_ASSERT_EQUAL(w[3], 0.0);
    NEAR(w[4], -0.04);

    /* with l2 0.2 as well: d = g + 0.2*w + 0.5*sign(w)
     *   w 0.3, g 0.1: d = 0.1 + 0.06 + 0.5 = 0.66, w = 0.3 - 0.066 = 0.234 */
    double w2[] = {0.3};
    update_one(RF_OPT_SGD, 0.1, 0.2, 0.5, 0, w2, g, 1);
    NEAR(w2[0], 0.234);

    /* adam at t = 1 moves each element by lr*d/(|d| + eps) (m/(1-beta1) = d,
     * sqrt(v/(1-beta2)) = |d|): with l1 the sign term counts in d.
     *   w 0.5, g 0.1, l1 0.3: d = 0.4, w = 0.5 - 0.01*0.4/(0.4 + 1e-8)
     *   w 0,   g 0:   d = 0: m = v = 0, w stays exactly 0 (sign(0) = 0) */
    double w3[] = {0.5, 0.0};
    const double g3[] = {0.1, 0.0};
    update_one(RF_OPT_ADAM, 0.01, 0, 0.3, 0, w3, g3, 2);
    NEAR(w3[0], 0.5 - 0.01 * 0.4 / (0.4 + 1e-8));
    CU_ASSERT_EQUAL(w3[1], 0.0);

    /* adamw: w first decays by 1 - lr*l2, sign(w) is of the decayed w.
     *   lr 0.1, l2 0.5, l1 0.2, w 1, g 0: w = 0.95, d = 0.2, w = 0.95 - 0.1*0.2/(0.2 + 1e-8)
     *   lr 0.1, l2 20 (1 - lr*l2 = -1: the decay flips w), w 1, g 0: w = -1,
     *   d = 0.2*sign(-1) = -0.2, w = -1 + 0.1*0.2/(0.2 + 1e-8) */
    double w4[] = {1.0};
    const double g4[] = {0.0};
    update_one(RF_OPT_ADAMW, 0.1, 0.5, 0.2, 0, w4, g4, 1);
    NEAR(w4[0], 0.95 - 0.1 * 0.2 / (0.2 + 1e-8));
    double w5[] = {1.0};
    update_one(RF_OPT_ADAMW, 0.1, 20, 0.2, 0, w5, g4, 1);
    NEAR(w5[0], -1 + 0.1 * 0.2 / (0.2 + 1e-8));
}

/* l1_prox after the step: w = sign(w)*max(|w| - lr*l1_prox, 0).
 * sgd, lr 0.1, l1_prox 0.5: the threshold lr*l1_prox is 0.05.
 *   w  0.3,  g  0.1: step 0.29,  shrunk  0.24
 *   w -0.2,  g -0.1: step -0.19, shrunk -0.14
 *   w  0.04, g  0.1: step 0.03 <= 0.05: exactly 0
 *   w -0.05, g  0:   step -0.05, |w| = threshold: exactly 0
 *   w  0,    g  0:   stays 0
 *   w  0.07, g -0.2: step 0.09,  shrunk  0.04
 *   w  0.02, g -0.5: step 0.07,  shrunk  0.02 (the gradient carried it past the threshold) */
static void test_l1_prox_by_hand(void)
{
    double w[] = {0.3, -0.2, 0.04, -0.05, 0.0, 0.07, 0.02};
    const double g[] = {0.1, -0.1, 0.1, 0.0, 0.0, -0.2, -0.5};
    update_one(RF_OPT_SGD, 0.1, 0, 0, 0.5, w, g, 7);
    NEAR(w[0], 0.24);
    NEAR(w[1], -0.14);
    CU_ASSERT_EQUAL(w[2], 0.0);
    CU_ASSERT_EQUAL(w[3], 0.0);
    CU_ASSERT_EQUAL(w[4], 0.0);
    NEAR(w[5], 0.04);
    NEAR(w[6], 0.02);

    /* the threshold is lr*l1_prox for adam too, not the adam step size:
     * adam lr 0.01, l1_prox 1 (threshold 0.01); at t = 1 the step is
     * lr*g/(|g| + eps), about 0.01*sign(g):
     *   w  0.5,   g  0.3: 0.49,  shrunk 0.48
     *   w  0.015, g  0.3: 0.005, exactly 0
     *   w -0.005, g -1:   0.005, exactly 0
     *   w -0.3,   g  0.2: -0.31, shrunk -0.30 */
    double w2[] = {0.5, 0.015, -0.005, -0.3};
    const double g2[] = {0.3, 0.3, -1.0, 0.2};
    update_one(RF_OPT_ADAM, 0.01, 0, 0, 1.0, w2, g2, 4);
    NEAR(w2[0], 0.5 - 0.01 * 0.3 / (0.3 + 1e-8) - 0.01);
    CU_ASSERT_EQUAL(w2[1], 0.0);
    CU_ASSERT_EQUAL(w2[2], 0.0);
    NEAR(w2[3], -0.3 - 0.01 * 0.2 / (0.2 + 1e-8) + 0.01);

    /* with l1 as well (sgd, lr 0.1, l1 0.5, l1_prox 0.5): an element at 0
     * with no gradient stays at exactly 0 (sign(0) = 0), one at 0.01 is
     * pushed by l1 to -0.04 and then shrunk to exactly 0 */
    double w3[] = {0.0, 0.01};
    const double g3[] = {0.0, 0.0};
    update_one(RF_OPT_SGD, 0.1, 0, 0.5, 0.5, w3, g3, 2);
    CU_ASSERT_EQUAL(w3[0], 0.0);
    CU_ASSERT_EQUAL(w3[1], 0.0);
}

/* Momentum's first step (b = d, not (1 - dampening)*d) and the update
 * count, by hand: sgd lr 1, momentum 0.5, dampening 0.5, w 0.
 *   t 1, g 1: b = 1,                          w = -1
 *   t 2, g 1: b = 0.5*1 + 0.5*1 = 1,          w = -2
 *   t 3, g 2: b = 0.5*1 + 0.5*2 = 1.5,        w = -3.5
 * nesterov (lr 1, momentum 0.5, dampening 0), w 0:
 *   t 1, g 1: b = 1, d = 1 + 0.5*1 = 1.5,     w = -1.5
 *   t 2, g 1: b = 0.5 + 1 = 1.5, d = 1.75,    w = -3.25 */
static void test_momentum_by_hand(void)
{
    rf_ref_opt o = {RF_OPT_SGD, 1, 0.5, 0.5, 0, 0, 0, 0};
    rf_ref_decay d = {0, 0, 0};
    double w = 0, b = 123, g = 1;
    rf_ref_update(&o, &d, 1, &w, &g, &b, NULL, 1);
    CU_ASSERT_EQUAL(b, 1);
    CU_ASSERT_EQUAL(w, -1);
    rf_ref_update(&o, &d, 2, &w, &g, &b, NULL, 1);
    CU_ASSERT_EQUAL(b, 1);
    CU_ASSERT_EQUAL(w, -2);
    g = 2;
    rf_ref_update(&o, &d, 3, &w, &g, &b, NULL, 1);
    CU_ASSERT_EQUAL(b, 1.5);
    CU_ASSERT_EQUAL(w, -3.5);

    rf_ref_opt n = {RF_OPT_SGD, 1, 0.5, 0, 0, 0, 0, 1};
    w = 0;
    g = 1;
    rf_ref_update(&n, &d, 1, &w, &g, &b, NULL, 1);
    CU_ASSERT_EQUAL(b, 1);
    CU_ASSERT_EQUAL(w, -1.5);
    rf_ref_update(&n, &d, 2, &w, &g, &b, NULL, 1);
    CU_ASSERT_EQUAL(b, 1.5);
    CU_ASSERT_EQUAL(w, -3.25);

    /* plain sgd needs no state: NULL buffers are not touched */
    rf_ref_opt plain = {RF_OPT_SGD, 0.5, 0, 0, 0, 0, 0, 0};
    w = 1;
    rf_ref_update(&plain, &d, 7, &w, &g, NULL, NULL, 1); /* g is 1 */
    CU_ASSERT_EQUAL(w, 0.5);
    CU_ASSERT_EQUAL(rf_ref_state_count(&plain), 0);
    CU_ASSERT_EQUAL(rf_ref_state_count(&o), 1);
    CU_ASSERT_STRING_EQUAL(rf_ref_state_suffix(&o, 0), "momentum");
    rf_ref_opt a = {RF_OPT_ADAMW, 0.1, 0, 0, 0.9, 0.999, 1e-8, 0};
    CU_ASSERT_EQUAL(rf_ref_state_count(&a), 2);
    CU_ASSERT_STRING_EQUAL(rf_ref_state_suffix(&a, 1), "exp_avg_sq");
}

/* Adam's bias correction, by hand: beta1 0.5, beta2 0.75, eps 0, lr 1,
 * constant gradient 1: m_t = 1 - 0.5^t and v_t = 1 - 0.75^t, so the
 * corrected m and v are 1 and the step is lr exactly, every t:
 *   w 0 -> -1 -> -2 -> -3. Without the correction the first step would be
 *   0.5/sqrt(0.25) = 1 too, but the second 0.75/sqrt(0.4375) = 1.134. */
static void test_bias_correction_by_hand(void)
{
    rf_ref_opt o = {RF_OPT_ADAM, 1, 0, 0, 0.5, 0.75, 0, 0};
    rf_ref_decay d = {0, 0, 0};
    double w = 0, m = 0, v = 0, g = 1;
    for (int t = 1; t <= 3; t++) {
        rf_ref_update(&o, &d, (uint64_t)t, &w, &g, &m, &v, 1);
        NEAR(m, 1 - pow(0.5, t));
        NEAR(v, 1 - pow(0.75, t));
        NEAR(w, -(double)t);
    }
}

/* ---------- the reader ---------- */

static const char good[] =
    "# made by hand\n"
    "cases 1\n"
    "case tiny\n"
    "optimizer sgd lr 0x1p-1 momentum 0x1p-1 dampening 0x0p+0 nesterov 0 beta1 0x0p+0 "
    "beta2 0x0p+0 eps 0x0p+0\n"
    "steps 2\n"
    "tensor a 2 l2 0x0p+0 l1 0x1p-2 l1_prox 0x0p+0\n"
    "init a 0x1p+0 -0x1.8p+0\n"
    "grad 1 a 0x1p-1 0x0p+0\n"
    "grad 2 a 0.25 -1\n"
    "final a 0x1p+0 -0x1.8p+0\n"
    "state a.momentum 0x0p+0 0x1p-3\n"
    "updates 2\n"
    "end\n";

/* good with the first occurrence of `from` replaced by `to`. */
static char *mutate(const char *from, const char *to)
{
    const char *at = strstr(good, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    size_t head = (size_t)(at - good);
    char *s = malloc(sizeof good + strlen(to));
    memcpy(s, good, head);
    strcpy(s + head, to);
    strcat(s, at + strlen(from));
    return s;
}

static void test_reader_good(void)
{
    rf_golden g;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(rf_golden_parse(good, &g, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(g.header, "made by hand");
    CU_ASSERT_EQUAL_FATAL(g.n_cases, 1);
    const rf_golden_case *c = &g.cases[0];
    CU_ASSERT_STRING_EQUAL(c->name, "tiny");
    CU_ASSERT_EQUAL(c->opt.kind, RF_OPT_SGD);
    CU_ASSERT_EQUAL(c->opt.lr, 0.5);
    CU_ASSERT_EQUAL(c->opt.momentum, 0.5);
    CU_ASSERT_EQUAL(c->steps, 2);
    CU_ASSERT_EQUAL(c->updates, 2);
    CU_ASSERT_EQUAL_FATAL(c->n_tensors, 1);
    const rf_golden_tensor *T = rf_golden_tensor_named(c, "a");
    CU_ASSERT_PTR_EQUAL_FATAL(T, &c->tensors[0]);
    CU_ASSERT_PTR_NULL(rf_golden_tensor_named(c, "b"));
    CU_ASSERT_EQUAL(T->size, 2);
    CU_ASSERT_EQUAL(T->decay.l1, 0.25);
    CU_ASSERT_EQUAL(T->init[1], -1.5);
    CU_ASSERT_EQUAL(T->grads[0], 0.5);
    CU_ASSERT_EQUAL(T->grads[2], 0.25); /* decimal works too */
    CU_ASSERT_EQUAL(T->grads[3], -1);
    CU_ASSERT_EQUAL(T->state[0][1], 0.125);
    CU_ASSERT_PTR_NULL(T->state[1]);
    rf_golden_free(&g);
    rf_golden_free(&g); /* twice is harmless */
    /* no trailing newline is fine */
    char *s = mutate("end\n", "end");
    CU_ASSERT_EQUAL(rf_golden_parse(s, &g, err, sizeof err), 0);
    rf_golden_free(&g);
    free(s);
}

/* Each broken file is refused with a message naming the line and the
 * problem, and leaves nothing to free (LeakSanitizer checks the paths). */
static void test_reader_malformed(void)
{
    static const struct {
        const char *from, *to, *message;
    } bad[] = {
        {"end\n", "", "line 13: the file ends where 'end' was expected"},
        {"updates 2\nend\n", "", "line 12: the file ends where 'updates' was expected"},
        {"end\n", "end\ncase more\n", "line 14: 'case' after the last of the 1 cases"},
        {"end\n", "end\n\n", "line 14: empty line"},
        {"cases 1", "cases 2", "line 14: the file ends where 'case' was expected"},
        {"cases 1", "cases 0", "line 2: cases: '0' is not an integer in [1, 100000]"},
        {"cases 1", "case 1", "line 2: expected 'cases' (or a '#' comment), found 'case'"},
        {"init a 0x1p+0 -0x1.8p+0", "init a 0x1p+0", "line 7: 'init a' with 1 values, expected 2"},
        {"init a 0x1p+0 -0x1.8p+0", "init a 0x1p+0 1 2",
         "line 7: 'init a' with 3 values, expected 2"},
        {"init a 0x1p+0 -0x1.8p+0", "init b 0x1p+0 -0x1.8p+0",
         "line 7: 'init' for 'a' expected, found 'b'"},
        {"grad 1 a 0x1p-1", "grad 1 a 0x1.zp-1", "line 8: a: '0x1.zp-1' is not a finite number"},
        {"grad 1 a 0x1p-1", "grad 1 a nan", "line 8: a: 'nan' is not a finite number"},
        {"grad 1 a 0x1p-1", "grad 1 a 1e999", "line 8: a: '1e999' is not a finite number"},
        {"grad 1 a 0x1p-1", "grad 1 a 0.1", "line 8: a: value 1 '0.1' is not a float32 value"},
        {"grad 2 a", "grad 1 a", "line 9: 'grad 2 a' expected"},
        {"grad 2 a", "grad 3 a", "line 9: grad step: '3' is not an integer in [1, 2]"},
        {"state a.momentum", "state a.exp_avg",
         "line 11: 'state' for 'a.momentum' expected, found 'a.exp_avg'"},
        {"state a.momentum 0x0p+0 0x1p-3\n", "", "line 11: expected 'state', found 'updates'"},
        {"optimizer sgd", "optimizer rmsprop",
         "line 4: unknown optimizer 'rmsprop' (sgd, adam, adamw)"},
        {"nesterov 0", "nesterov 2", "line 4: nesterov: '2' is not an integer in [0, 1]"},
        {"lr 0x1p-1", "rate 0x1p-1", "line 4: field 3 is 'rate', expected 'lr'"},
        {" eps 0x0p+0", "", "line 4: 'optimizer' line with 14 fields, expected 16"},
        {"steps 2", "steps x", "line 5: steps: 'x' is not an integer in [1, 100000]"},
        {"tensor a 2", "tensor a 0", "line 6: size: '0' is not an integer in [1, 10000000]"},
        {"tensor a 2 l2 0x0p+0 l1 0x1p-2 l1_prox 0x0p+0\n", "",
         "line 6: case 'tiny' has no 'tensor' lines"},
        {"tensor a 2 l2 0x0p+0 l1 0x1p-2 l1_prox 0x0p+0\n",
         "tensor a 2 l2 0x0p+0 l1 0x1p-2 l1_prox 0x0p+0\ntensor a 2 l2 0 l1 0 l1_prox 0\n",
         "line 7: tensor 'a' twice"},
        {"l1_prox 0x0p+0\n", "l1_prox\n", "line 6: 'tensor' line with 8 fields, expected 9"},
        {"final a", "final  a",
         "line 10: a space at the start or end of the line, or two in a row"},
        {"final a 0x1p+0 -0x1.8p+0", "final a 0x1p+0 -0x1.8p+0 ", "line 10: a space at the start"},
        {"final a", "final\ta", "line 10: tab or carriage return in the line"},
        {"end\n", "end\r\n", "line 13: tab or carriage return in the line"},
        {"final a", "FINAL a", "line 10: expected 'final', found 'FINAL'"},
        {"updates 2", "updates -1", "line 12: updates: '-1' is not an integer in [0, 100000]"},
        {"end\n", "end now\n", "line 13: 'end' line with 2 fields, expected 1"},
        {"case tiny",
         "case tiny_with_a_name_that_is_far_too_long_for_the_reader_to_keep_it_so_it_is_refused",
         "line 3: name 'tiny_with_a_name_tha...' longer than 63 characters"},
        {"steps 2", "steps 100000", "line 10: expected 'grad', found 'final'"},
    };
    char err[256];
    for (int i = 0; i < COUNT(bad); i++) {
        char *s = mutate(bad[i].from, bad[i].to);
        rf_golden g;
        memset(&g, 0x5a, sizeof g);
        int rc = rf_golden_parse(s, &g, err, sizeof err);
        if (rc != -1)
            fprintf(stderr, "\n  case %d (%s -> %s) was accepted", i, bad[i].from, bad[i].to);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_EQUAL(g.n_cases, 0);
        CU_ASSERT_PTR_NULL(g.cases);
        CU_ASSERT_PTR_NULL(g.header);
        if (rc == -1 && strncmp(err, bad[i].message, strlen(bad[i].message)) != 0)
            fprintf(stderr, "\n  case %d: message '%s', wanted '%s'", i, err, bad[i].message);
        CU_ASSERT_EQUAL(strncmp(err, bad[i].message, strlen(bad[i].message)), 0);
        free(s);
    }
    rf_golden g;
    CU_ASSERT_EQUAL(rf_golden_parse("", &g, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "line 1: the file ends before 'cases'");
    CU_ASSERT_EQUAL(rf_golden_parse("# only a comment\n", &g, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "line 2: the file ends before 'cases'");
    /* a short message buffer truncates, and no buffer at all is allowed */
    char small[12];
    CU_ASSERT_EQUAL(rf_golden_parse("cases x\n", &g, small, sizeof small), -1);
    CU_ASSERT_STRING_EQUAL(small, "line 1: cas");
    CU_ASSERT_EQUAL(rf_golden_parse("cases x\n", &g, NULL, 0), -1);
    /* files: a missing one, and a NUL inside */
    CU_ASSERT_EQUAL(rf_golden_load("/nonexistent/golden.txt", &g, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "/nonexistent/golden.txt: cannot read");
    const char *path = rf_test_write_bytes("nul.txt", "cases 1\0x", 9);
    CU_ASSERT_EQUAL(rf_golden_load(path, &g, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "nul.txt: a NUL byte in the file");
}

static void cleanup(void)
{
    if (golden_loaded)
        rf_golden_free(&golden);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"golden file: the cases and their settings", test_golden_file_contents},
        {"reference matches torch on every golden case", test_reference_matches_torch},
        {"the comparison discriminates", test_comparison_discriminates},
        {"l1 by hand, sign(0) = 0", test_l1_by_hand},
        {"l1_prox by hand, exact zeros", test_l1_prox_by_hand},
        {"momentum, dampening, nesterov by hand", test_momentum_by_hand},
        {"adam bias correction by hand", test_bias_correction_by_hand},
        {"reader: a good file", test_reader_good},
        {"reader: malformed files", test_reader_malformed},
        {NULL, NULL},
    };
    atexit(cleanup);
    return rf_test_main("optim_ref", cases, argc, argv);
}
