/* The generated optimizers against torch.optim and the double-precision
 * reference of SPEC 1a: for every case of tests/optim/golden.txt (made by
 * tests/optim/make_golden.py with Debian's python3-torch), a one-layer model
 * with that optimizer and decay is compiled, started from the golden
 * parameters, and given the golden gradients for 20 updates through
 * NAME_update; its parameters and optimizer state must then equal torch's
 * and the reference's within float32 rounding (rf_ref_compare). Also: the
 * hyperparameters set with NAME_set_hparams on a model compiled for another
 * model file behave as that file's values, and the state/counter API. */
#include <dlfcn.h>
#include <sys/stat.h>

#include "emit.h"
#include "optim_ref.h"
#include "test_codegen_support.h"

/* dense1: 4 -> 3, the golden tensors' shapes; the optimizer and decay of the case */
static void case_model(rf_model *m, const rf_golden_case *gc)
{
    tm_begin(m, "optcase", 4, 2, RF_LOSS_SQUARED, gc->opt.lr, gc->opt.momentum);
    m->optimizer = gc->opt.kind;
    m->dampening = gc->opt.dampening;
    m->nesterov = gc->opt.nesterov;
    m->beta1 = gc->opt.beta1;
    m->beta2 = gc->opt.beta2;
    m->eps = gc->opt.eps;
    tm_dense(m, 3, NULL);
    for (int t = 0; t < gc->n_tensors; t++) {
        const rf_golden_tensor *T = &gc->tensors[t];
        tm_group(m, T->name, T->decay.l2, T->decay.l1);
        m->groups[m->n_groups - 1].l1_prox = T->decay.l1_prox;
    }
    tm_finish(m);
}

static void to_double(const float *f, double *d, long n)
{
    for (long i = 0; i < n; i++)
        d[i] = f[i];
}

static void test_golden_cases(void)
{
    rf_golden g;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rf_golden_load(rf_golden_path(), &g, err, sizeof err), 0);
    CU_ASSERT(g.n_cases >= 11);
    for (int k = 0; k < g.n_cases; k++) {
        const rf_golden_case *gc = &g.cases[k];
        rf_model m;
        case_model(&m, gc);
        rf_built b;
        CU_ASSERT_EQUAL_FATAL(tm_build(&m, &b), 0);
        const rf_compiled *c = b.model;
        void *inst = tm_new_instance(c);
        tm_init(&m, c, inst, 1);
        CU_ASSERT_EQUAL(c->num_state, rf_ref_state_count(&gc->opt) * m.n_params);
        double *ref[2][3] = {{0}}; /* per tensor: w, state0, state1 */
        for (int i = 0; i < m.n_params; i++) {
            const rf_golden_tensor *T = rf_golden_tensor_named(gc, c->param_name(i));
            CU_ASSERT_FATAL(T != NULL && T->size == c->param_size(i));
            float *w = c->param(inst, i);
            for (long e = 0; e < T->size; e++)
                w[e] = (float)T->init[e];
            for (int s = 0; s < 3; s++)
                ref[i][s] = calloc((size_t)T->size, sizeof(double));
            memcpy(ref[i][0], T->init, sizeof(double) * (size_t)T->size);
        }
        for (int step = 0; step < gc->steps; step++) {
            for (int i = 0; i < m.n_params; i++) {
                const rf_golden_tensor *T = rf_golden_tensor_named(gc, c->param_name(i));
                const double *gd = T->grads + (size_t)step * T->size;
                float *gr = c->grad(inst, i);
                for (long e = 0; e < T->size; e++)
                    gr[e] = (float)gd[e];
                rf_ref_update(&gc->opt, &T->decay, (uint64_t)step + 1, ref[i][0], gd, ref[i][1], ref[i][2], T->size);
            }
            c->update(inst);
        }
        CU_ASSERT_EQUAL(c->updates(inst), (uint64_t)gc->steps);
        for (int i = 0; i < m.n_params; i++) {
            const rf_golden_tensor *T = rf_golden_tensor_named(gc, c->param_name(i));
            double got[64], floor = rf_ref_prox_floor(&gc->opt, &T->decay);
            char what[160];
            to_double(c->param(inst, i), got, T->size);
            snprintf(what, sizeof what, "%s %s vs torch", gc->name, T->name);
            CU_ASSERT(rf_ref_compare(what, T->final, got, T->size, floor, 0) <= RF_REF_REL_TOL);
            snprintf(what, sizeof what, "%s %s vs reference", gc->name, T->name);
            CU_ASSERT(rf_ref_compare(what, ref[i][0], got, T->size, floor, 0) <= RF_REF_REL_TOL);
            for (int s = 0; s < rf_ref_state_count(&gc->opt); s++) {
                const int si = i * rf_ref_state_count(&gc->opt) + s;
                char want_name[96];
                snprintf(want_name, sizeof want_name, "%s.%s", T->name, rf_ref_state_suffix(&gc->opt, s));
                CU_ASSERT_STRING_EQUAL(c->state_name(si), want_name);
                CU_ASSERT_EQUAL(c->state_size(si), T->size);
                to_double(c->state(inst, si), got, T->size);
                snprintf(what, sizeof what, "%s %s vs torch", gc->name, want_name);
                /* beta2 is a float hyperparameter (SPEC 3): 1 - 0.999f is 1.3e-5 (relative) off
                 * torch's 1 - 0.999 in double, and exp_avg_sq carries that factor */
                const double tol = s == 1 ? 2e-5 : RF_REF_REL_TOL;
                CU_ASSERT(rf_ref_compare(what, T->state[s], got, T->size, 0, 1) <= tol);
            }
            for (int s = 0; s < 3; s++)
                free(ref[i][s]);
        }
        free(inst);
        rf_build_close(&b);
        rf_model_free(&m);
    }
    rf_golden_free(&g);
}

/* l1_prox makes exact zeros: a large threshold zeroes every weight in one step. */
static void test_prox_exact_zeros(void)
{
    rf_model m;
    tm_begin(&m, "optprox", 4, 2, RF_LOSS_SQUARED, 0.1, 0);
    tm_dense(&m, 3, NULL);
    tm_group(&m, "*.weight", 0, 0);
    m.groups[0].l1_prox = 100; /* lr * l1_prox = 10 > any |w| */
    tm_finish(&m);
    rf_built b;
    CU_ASSERT_EQUAL_FATAL(tm_build(&m, &b), 0);
    void *inst = tm_new_instance(b.model);
    tm_init(&m, b.model, inst, 3);
    tm_randomize_params(b.model, inst, 1.0);
    memset(b.model->grad(inst, 0), 0, sizeof(float) * 12);
    memset(b.model->grad(inst, 1), 0, sizeof(float) * 3);
    const float bias_before = b.model->param(inst, 1)[0];
    b.model->update(inst);
    int zeros = 0;
    for (int e = 0; e < 12; e++)
        zeros += b.model->param(inst, 0)[e] == 0.0f;
    CU_ASSERT_EQUAL(zeros, 12);
    CU_ASSERT_EQUAL(b.model->param(inst, 1)[0], bias_before); /* no group: untouched */
    free(inst);
    rf_build_close(&b);
    rf_model_free(&m);
}

/* The code regfitc --emit writes for a model file, its own values folded into
 * NAME_hparams_default, compiled on its own into a shared object with its glue, with
 * the flags of rf_build's default (the same code, the same rounding). */
static const rf_compiled *own_code(const rf_model *m, void **handle)
{
    char *h = NULL, *c = NULL, *glue = NULL, dir[4200], cmd[9000];
    CU_ASSERT_FATAL(rf_emit_source(m, &h, &c) == 0 && rf_emit_glue(m, &glue) == 0);
    snprintf(dir, sizeof dir, "%s/own_%s", rf_test_tmpdir(), m->name);
    mkdir(dir, 0755);
    const char *texts[3] = {h, c, glue}, *names[3] = {"%s/%s.h", "%s/%s.c", "%s/%s_glue.c"};
    for (int i = 0; i < 3; i++) {
        char path[4400];
        snprintf(path, sizeof path, names[i], dir, m->name);
        FILE *f = fopen(path, "w");
        CU_ASSERT_FATAL(f != NULL);
        fputs(texts[i], f);
        fclose(f);
    }
    free(h);
    free(c);
    free(glue);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && clang -std=c11 -O3 -march=native -fopenmp -fPIC -shared -I'%s/runtime' -I. -o own.so %s.c %s_glue.c -lm",
             dir, rf_test_source_dir(), m->name, m->name);
    CU_ASSERT_FATAL(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/own.so", dir);
    *handle = dlopen(cmd, RTLD_NOW | RTLD_LOCAL);
    CU_ASSERT_FATAL(*handle != NULL);
    const rf_compiled *own = dlsym(*handle, RF_ABI_SYMBOL);
    CU_ASSERT_FATAL(own != NULL);
    return own;
}

/* One compiled model serves two model files that differ in hyperparameters: the
 * second file's values set through set_hparams train exactly as its own compile. */
static void test_set_hparams_is_the_model_file(void)
{
    rf_model a, bm;
    for (int which = 0; which < 2; which++) {
        rf_model *m = which ? &bm : &a;
        tm_begin(m, "opthp", 4, 8, RF_LOSS_SQUARED, which ? 0.05 : 0.3, which ? 0.5 : 0.9);
        tm_dense(m, 5, NULL);
        tm_layer(m, RF_LAYER_LEAKY_RELU)->alpha = 0.1;
        tm_dropout(m, which ? 0.25 : 0.5);
        tm_dense(m, 2, NULL);
        tm_group(m, "*.weight", which ? 0.01 : 0.2, which ? 0.001 : 0);
        tm_finish(m);
    }
    rf_built ba, bb;
    CU_ASSERT_EQUAL_FATAL(tm_build(&a, &ba), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build(&bm, &bb), 0);
    CU_ASSERT_EQUAL(bb.cached, 1); /* the same code */
    CU_ASSERT_STRING_EQUAL(ba.so_path, bb.so_path);
    const rf_compiled *c = ba.model;
    float x[8 * 4], y[8 * 2];
    tm_fill(x, 8 * 4, 1.0);
    tm_fill(y, 8 * 2, 1.0);
    /* one instance starts with a's values and switches to b's; the other has b's from the start */
    void *one = tm_new_instance(c), *two = tm_new_instance(c);
    tm_init(&a, c, one, 4);
    tm_init(&bm, c, two, 4);
    rf_hparams_buf hb;
    CU_ASSERT_EQUAL_FATAL(rf_hparams_from_model(&bm, &hb), 0);
    c->set_hparams(one, &hb.in);
    for (int s = 0; s < 6; s++)
        CU_ASSERT_EQUAL(c->train_step(one, x, y, 8), c->train_step(two, x, y, 8));
    for (int i = 0; i < c->num_params; i++)
        CU_ASSERT(memcmp(c->param(one, i), c->param(two, i), sizeof(float) * (size_t)c->param_size(i)) == 0);
    CU_ASSERT_EQUAL(c->updates(one), 6);
    CU_ASSERT_EQUAL(c->forward_steps(one), 6);

    /* mid-run: the shared code trains 3 steps with a's values, then switches to b's; b's own
     * code (its values folded in, no set_hparams), given that state after 3 steps, takes the
     * same next 3 steps bit for bit */
    void *handle;
    const rf_compiled *own = own_code(&bm, &handle);
    CU_ASSERT_EQUAL_FATAL(own->num_state, c->num_state);
    void *shared = tm_new_instance(c), *mine = tm_new_instance(own);
    tm_init(&a, c, shared, 9);
    own->init(mine, 9); /* b's file values only */
    for (int s = 0; s < 3; s++)
        c->train_step(shared, x, y, 8);
    c->set_hparams(shared, &hb.in);
    for (int i = 0; i < c->num_params; i++)
        memcpy(own->param(mine, i), c->param(shared, i), sizeof(float) * (size_t)c->param_size(i));
    for (int i = 0; i < c->num_state; i++)
        memcpy(own->state(mine, i), c->state(shared, i), sizeof(float) * (size_t)c->state_size(i));
    own->set_counters(mine, c->updates(shared), c->forward_steps(shared));
    for (int s = 0; s < 3; s++)
        CU_ASSERT_EQUAL(c->train_step(shared, x, y, 8), own->train_step(mine, x, y, 8));
    for (int i = 0; i < c->num_params; i++)
        CU_ASSERT(memcmp(c->param(shared, i), own->param(mine, i), sizeof(float) * (size_t)c->param_size(i)) == 0);
    free(shared);
    free(mine);
    dlclose(handle);
    /* the counters restore: a copy set to the same counters takes the same next step */
    c->set_counters(two, 6, 6);
    CU_ASSERT_EQUAL(c->updates(two), 6);
    rf_hparams_buf_free(&hb);
    free(one);
    free(two);
    rf_build_close(&ba);
    rf_build_close(&bb);
    rf_model_free(&a);
    rf_model_free(&bm);
}

int main(int argc, char **argv)
{
    static const rf_test_case tests[] = {
        {"every golden case: params and state after 20 updates as torch.optim and the reference",
         test_golden_cases},
        {"l1_prox: exact zeros", test_prox_exact_zeros},
        {"set_hparams on shared code equals the model file's values", test_set_hparams_is_the_model_file},
        {NULL, NULL},
    };
    return rf_test_main("codegen optimizers", tests, argc, argv);
}
