/* The front end on valid model files: every layer form, names, inits,
 * decay by glob and list (first match wins), every data form, defaults,
 * the shipped models and the --check summary. */
#include "test_frontend_util.h"

#include <stdlib.h>

static void test_minimal_defaults(void)
{
    int rc = fe_check(FE_HEAD "layers:\n  - dense: 3\n" FE_TAIL);
    EXPECT_CLEAN(rc);
    rf_model *m = &fe_model;
    CU_ASSERT_STRING_EQUAL(m->name, "m");
    CU_ASSERT_EQUAL(m->input, 4);
    CU_ASSERT_EQUAL(m->batch, 2);
    CU_ASSERT_EQUAL(m->outputs, 3);
    CU_ASSERT_EQUAL(m->loss, RF_LOSS_SQUARED);
    CU_ASSERT_DOUBLE_EQUAL(m->lr, 0.1, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->momentum, 0, 0);
    CU_ASSERT_EQUAL(m->train.epochs, 10);
    CU_ASSERT_EQUAL(m->train.seed, 0);
    CU_ASSERT_EQUAL(m->data.kind, RF_DATA_NONE);
    CU_ASSERT_EQUAL(m->n_groups, 0);
    CU_ASSERT_EQUAL(m->n_params, 2);
    CU_ASSERT_EQUAL(m->params[0].decay_group, -1);
    /* default inits: weight N(0, 0.01^2), bias 0 */
    CU_ASSERT_EQUAL(m->params[0].init.kind, RF_INIT_NORMAL);
    CU_ASSERT_DOUBLE_EQUAL(m->params[0].init.value, 0.01, 0);
    CU_ASSERT_EQUAL(m->params[1].init.kind, RF_INIT_CONSTANT);
    CU_ASSERT_DOUBLE_EQUAL(m->params[1].init.value, 0, 0);
    /* path and source kept for the later stages */
    CU_ASSERT_STRING_EQUAL(m->path, "dir/model.yaml");
    CU_ASSERT_EQUAL(m->source_len, strlen(FE_HEAD "layers:\n  - dense: 3\n" FE_TAIL));
    CU_ASSERT_EQUAL(memcmp(m->source, "name: m\n", 8), 0);
    fe_done();
}

static void test_layer_forms_and_positions(void)
{
    const char *text = FE_HEAD
        "layers:\n"
        "  - dense: 8\n"                                          /* line 5 */
        "  - relu\n"                                              /* 6 */
        "  - sigmoid\n"                                           /* 7 */
        "  - tanh: {}\n"                                          /* 8 */
        "  - dropout: 0.25\n"                                     /* 9 */
        "  - dropout: {p: 0}\n"                                   /* 10 */
        "  - dense: {units: 6, name: hidden, init: {uniform: 0.5}, bias_init: {constant: -1.5}}\n"
        "  - dense:\n"                                            /* 12 */
        "      units: 2\n"
        "      init: {normal: 0}\n"
        "  - dropout: 1\n" FE_TAIL;
    int rc = fe_check(text);
    EXPECT_CLEAN(rc);
    rf_model *m = &fe_model;
    CU_ASSERT_EQUAL_FATAL(m->n_layers, 9);
    rf_layer_kind kinds[] = {RF_LAYER_DENSE, RF_LAYER_RELU, RF_LAYER_SIGMOID, RF_LAYER_TANH,
                             RF_LAYER_DROPOUT, RF_LAYER_DROPOUT, RF_LAYER_DENSE, RF_LAYER_DENSE,
                             RF_LAYER_DROPOUT};
    for (int i = 0; i < 9; i++) {
        CU_ASSERT_EQUAL(m->layers[i].kind, kinds[i]);
        CU_ASSERT_EQUAL(m->layers[i].pos.line, 5 + i + (i == 8 ? 2 : 0));
        CU_ASSERT_EQUAL(m->layers[i].pos.col, 5);
    }
    CU_ASSERT_DOUBLE_EQUAL(m->layers[4].p, 0.25, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->layers[5].p, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->layers[8].p, 1, 0);
    CU_ASSERT_STRING_EQUAL(m->layers[0].name, "dense1");
    CU_ASSERT_STRING_EQUAL(m->layers[6].name, "hidden");
    CU_ASSERT_STRING_EQUAL(m->layers[7].name, "dense3"); /* K counts named layers too */
    CU_ASSERT_EQUAL(m->layers[6].in, 8);
    CU_ASSERT_EQUAL(m->layers[6].out, 6);
    CU_ASSERT_EQUAL(m->outputs, 2);
    CU_ASSERT_EQUAL_FATAL(m->n_params, 6);
    CU_ASSERT_STRING_EQUAL(m->params[2].name, "hidden.weight");
    CU_ASSERT_EQUAL(m->params[2].rows, 8);
    CU_ASSERT_EQUAL(m->params[2].cols, 6);
    CU_ASSERT_EQUAL(m->params[2].init.kind, RF_INIT_UNIFORM);
    CU_ASSERT_DOUBLE_EQUAL(m->params[2].init.value, 0.5, 0);
    CU_ASSERT_EQUAL(m->params[2].init.pos.line, 11);
    CU_ASSERT_EQUAL(m->params[3].init.kind, RF_INIT_CONSTANT);
    CU_ASSERT_DOUBLE_EQUAL(m->params[3].init.value, -1.5, 0);
    CU_ASSERT_EQUAL(m->params[4].init.kind, RF_INIT_NORMAL);
    CU_ASSERT_DOUBLE_EQUAL(m->params[4].init.value, 0, 0);
    CU_ASSERT_EQUAL(m->params[4].init.pos.line, 14);
    CU_ASSERT_EQUAL(m->params[4].init.pos.col, 13);
    fe_done();
}

static void test_loss_optimizer_train(void)
{
    const char *text = "name: a_1\ninput: 3\nbatch: 5\nlayers: [dense: 4]\n"
                       "loss: softmax_cross_entropy\n"
                       "optimizer:\n  sgd:\n    lr: 2e-1\n    momentum: 0.9\n"
                       "train: {epochs: 0, seed: 18446744073709551615}\n";
    int rc = fe_check(text);
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.loss, RF_LOSS_SOFTMAX_CE);
    CU_ASSERT_EQUAL(fe_model.loss_pos.line, 5);
    CU_ASSERT_EQUAL(fe_model.loss_pos.col, 7);
    CU_ASSERT_EQUAL(fe_model.optimizer_pos.line, 7);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.lr, 0.2, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.momentum, 0.9, 0);
    CU_ASSERT_EQUAL(fe_model.train.epochs, 0);
    CU_ASSERT_TRUE(fe_model.train.seed == UINT64_MAX);
    fe_done();
}

static void test_decay_glob_list_first_match(void)
{
    const char *text = FE_HEAD
        "layers:\n  - dense: {units: 3, name: enc}\n  - relu\n  - dense: 2\n" FE_TAIL
        "decay:\n"
        "  - {params: [enc.bias, \"dense?.weight\"], l1: 0.5}\n"   /* line 11 */
        "  - params: \"*\"\n"                                      /* line 12 */
        "    l2: 0.001\n";
    int rc = fe_check(text);
    EXPECT_CLEAN(rc);
    rf_model *m = &fe_model;
    CU_ASSERT_EQUAL_FATAL(m->n_groups, 2);
    CU_ASSERT_EQUAL(m->groups[0].n_patterns, 2);
    CU_ASSERT_STRING_EQUAL(m->groups[0].patterns[0], "enc.bias");
    CU_ASSERT_STRING_EQUAL(m->groups[0].patterns[1], "dense?.weight");
    CU_ASSERT_EQUAL(m->groups[0].pos.line, 11);
    CU_ASSERT_EQUAL(m->groups[0].pos.col, 5);
    CU_ASSERT_EQUAL(m->groups[1].pos.line, 12);
    /* enc.weight -> group 2 (l2), enc.bias -> group 1, dense2.weight -> group 1,
       dense2.bias -> group 2: the first match wins */
    CU_ASSERT_EQUAL_FATAL(m->n_params, 4);
    int expect_group[] = {1, 0, 0, 1};
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(m->params[i].decay_group, expect_group[i]);
    CU_ASSERT_DOUBLE_EQUAL(m->params[0].l2, 0.001, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->params[0].l1, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->params[1].l1, 0.5, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->params[1].l2, 0, 0);
    CU_ASSERT_EQUAL(m->groups[0].matches, 2);
    CU_ASSERT_EQUAL(m->groups[1].matches, 2);
    fe_done();
}

static void test_data_named_sets(void)
{
    const char *body = "input: 784\nbatch: 4\nlayers: [dense: 10]\n"
                       "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n";
    char text[512];
    snprintf(text, sizeof text, "name: f\n%sdata: fashion-mnist\n", body);
    int rc = fe_check(text);
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.data.kind, RF_DATA_FASHION_MNIST);
    CU_ASSERT_EQUAL(fe_model.data.pos.line, 7);
    CU_ASSERT_EQUAL(fe_model.data.pos.col, 7);
    snprintf(text, sizeof text, "name: f\n%sdata: mnist\n", body);
    rc = fe_check(text);
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.data.kind, RF_DATA_MNIST);
    fe_done();
}

static void test_data_idx_paths_resolved(void)
{
    const char *text = "name: f\ninput: 784\nbatch: 4\nlayers: [dense: 10]\n"
                       "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                       "data:\n  idx:\n    train_images: imgs/train-images-idx3-ubyte.gz\n"
                       "    train_labels: /abs/train-labels\n"
                       "    test_images: t10k-images\n    test_labels: ../t10k-labels\n";
    int rc = fe_check_as("models/sub/m.yaml", text);
    EXPECT_CLEAN(rc);
    rf_data *d = &fe_model.data;
    CU_ASSERT_EQUAL(d->kind, RF_DATA_IDX);
    CU_ASSERT_STRING_EQUAL(d->train_images, "models/sub/imgs/train-images-idx3-ubyte.gz");
    CU_ASSERT_STRING_EQUAL(d->train_labels, "/abs/train-labels");
    CU_ASSERT_STRING_EQUAL(d->test_images, "models/sub/t10k-images");
    CU_ASSERT_STRING_EQUAL(d->test_labels, "models/sub/../t10k-labels");
    /* a model file given without a folder: paths stay relative to the working folder */
    rc = fe_check_as("m.yaml", text);
    EXPECT_CLEAN(rc);
    CU_ASSERT_STRING_EQUAL(fe_model.data.test_images, "t10k-images");
    fe_done();
}

static void test_data_csv_columns_checked_when_readable(void)
{
    /* 3 features + 1 class index, with a header; the test file is not there
       (the runtime reports unreadable files, the check does not) */
    rf_test_write("train.csv", "a,b,c,label\n0.5,1,2,1\n1,2,3,0\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/model.yaml", rf_test_tmpdir());
    const char *text = "name: c\ninput: 3\nbatch: 2\nlayers: [dense: 2]\n"
                       "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                       "data: {csv: {train: train.csv, test: missing.csv}}\n";
    int rc = fe_check_as(path, text);
    EXPECT_CLEAN(rc);
    char expect[4200];
    snprintf(expect, sizeof expect, "%s/train.csv", rf_test_tmpdir());
    CU_ASSERT_EQUAL(fe_model.data.kind, RF_DATA_CSV);
    CU_ASSERT_STRING_EQUAL(fe_model.data.csv_train, expect);
    /* squared loss with 2 outputs: 3 features + 2 targets, no header */
    rf_test_write("reg.csv", "1,2,3,4,5\r\n");
    text = "name: c\ninput: 3\nbatch: 2\nlayers: [dense: 2]\n" FE_TAIL
           "data: {csv: {train: reg.csv, test: reg.csv}}\n";
    rc = fe_check_as(path, text);
    EXPECT_CLEAN(rc);
    fe_done();
}

static void test_data_synthetic(void)
{
    const char *text = "name: s\ninput: 200\nbatch: 1\nlayers: [dense: 1]\n" FE_TAIL
                       "data: {synthetic_linear: {n_train: 20, n_test: 100, w: 0.01, b: 0.05, "
                       "noise: 0}}\n";
    int rc = fe_check(text);
    EXPECT_CLEAN(rc);
    rf_data *d = &fe_model.data;
    CU_ASSERT_EQUAL(d->kind, RF_DATA_SYNTHETIC_LINEAR);
    CU_ASSERT_EQUAL(d->n_train, 20);
    CU_ASSERT_EQUAL(d->n_test, 100);
    CU_ASSERT_DOUBLE_EQUAL(d->w, 0.01, 0);
    CU_ASSERT_DOUBLE_EQUAL(d->b, 0.05, 0);
    CU_ASSERT_DOUBLE_EQUAL(d->noise, 0, 0);
    /* w, b, noise default to the d2l values */
    text = "name: s\ninput: 2\nbatch: 1\nlayers: [dense: 1]\n" FE_TAIL
           "data: {synthetic_linear: {n_train: 1, n_test: 1}}\n";
    rc = fe_check(text);
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.data.w, 0.01, 0);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.data.b, 0.05, 0);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.data.noise, 0.01, 0);
    fe_done();
}

static void test_optional_sections_may_be_empty(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "decay:\ntrain:\ndata:\n");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.train.epochs, 10);
    CU_ASSERT_EQUAL(fe_model.n_groups, 0);
    CU_ASSERT_EQUAL(fe_model.data.kind, RF_DATA_NONE);
    rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "decay: []\ntrain: {}\n");
    EXPECT_CLEAN(rc);
    fe_done();
}

/* Loads a shipped model through rf_load_model, as the CLI does. */
static rf_model load_shipped(const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/models/%s", rf_test_source_dir(), file);
    rf_model m;
    rf_diag *d = rf_diag_new();
    int rc = rf_load_model(path, &m, stderr, d);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(rf_diag_count(d), 0);
    rf_diag_free(d);
    return m;
}

static void test_shipped_models(void)
{
    rf_model m = load_shipped("mlp.yaml");
    CU_ASSERT_EQUAL(m.n_layers, 7);
    CU_ASSERT_STRING_EQUAL(m.layers[3].name, "hidden2");
    CU_ASSERT_EQUAL(m.n_groups, 2);
    CU_ASSERT_EQUAL(rf_model_param_count(&m), 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    rf_model_free(&m);

    m = load_shipped("mlp_dropout.yaml");
    CU_ASSERT_EQUAL(m.input, 784);
    CU_ASSERT_EQUAL(m.batch, 256);
    CU_ASSERT_EQUAL(m.outputs, 10);
    CU_ASSERT_DOUBLE_EQUAL(m.lr, 0.5, 0);
    CU_ASSERT_EQUAL(m.train.epochs, 5);
    CU_ASSERT_EQUAL(m.data.kind, RF_DATA_FASHION_MNIST);
    CU_ASSERT_DOUBLE_EQUAL(m.layers[2].p, 0.2, 0);
    CU_ASSERT_DOUBLE_EQUAL(m.layers[5].p, 0.5, 0);
    CU_ASSERT_EQUAL(m.n_groups, 0);
    rf_model_free(&m);

    m = load_shipped("mlp_dropout_scratch.yaml");
    CU_ASSERT_DOUBLE_EQUAL(m.lr, 100.0 / 256, 0);
    CU_ASSERT_EQUAL(m.n_layers, 7);
    rf_model_free(&m);

    m = load_shipped("highdim_linreg.yaml");
    CU_ASSERT_EQUAL(m.input, 200);
    CU_ASSERT_EQUAL(m.batch, 1);
    CU_ASSERT_EQUAL(m.train.epochs, 100);
    CU_ASSERT_DOUBLE_EQUAL(m.lr, 0.003, 0);
    CU_ASSERT_EQUAL(m.params[0].init.kind, RF_INIT_NORMAL);
    CU_ASSERT_DOUBLE_EQUAL(m.params[0].init.value, 1, 0);
    CU_ASSERT_EQUAL(m.params[0].decay_group, -1);
    CU_ASSERT_EQUAL(m.data.kind, RF_DATA_SYNTHETIC_LINEAR);
    CU_ASSERT_EQUAL(m.data.n_train, 20);
    CU_ASSERT_EQUAL(m.data.n_test, 100);
    rf_model_free(&m);

    m = load_shipped("highdim_linreg_wd.yaml");
    CU_ASSERT_DOUBLE_EQUAL(m.params[0].l2, 3, 0);
    CU_ASSERT_EQUAL(m.params[1].decay_group, -1);
    rf_model_free(&m);
}

/* SPEC 1a's optimizers and decay terms, torch's defaults, leaky_relu's three forms */
static void test_optimizers_and_leaky_relu(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: 3, leaky_relu, leaky_relu: 0.2, leaky_relu: {alpha: 0}, dense: 1]\n"
                              "loss: squared\noptimizer: {adam: {lr: 0.001}}\n"
                              "decay: [{params: \"*.weight\", l2: 0.5, l1: 0.25, l1_prox: 0.125}]\n");
    EXPECT_CLEAN(rc);
    const rf_model *m = &fe_model;
    CU_ASSERT_EQUAL(m->optimizer, RF_OPT_ADAM);
    CU_ASSERT_DOUBLE_EQUAL(m->beta1, 0.9, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->beta2, 0.999, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->eps, 1e-8, 0);
    CU_ASSERT_EQUAL(rf_model_state_per_param(m), 2);
    CU_ASSERT_DOUBLE_EQUAL(m->layers[1].alpha, 0.01, 0); /* torch's default negative_slope */
    CU_ASSERT_DOUBLE_EQUAL(m->layers[2].alpha, 0.2, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->layers[3].alpha, 0, 0);
    CU_ASSERT_EQUAL(m->layers[3].kind, RF_LAYER_LEAKY_RELU);
    CU_ASSERT_DOUBLE_EQUAL(m->params[0].l1_prox, 0.125, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->params[0].l1, 0.25, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->params[1].l1_prox, 0, 0);
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 1]\nloss: squared\n"
                          "optimizer: {sgd: {lr: 0, momentum: 0.9, dampening: 0, nesterov: true}}\n");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.optimizer, RF_OPT_SGD);
    CU_ASSERT_EQUAL(fe_model.nesterov, 1);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.lr, 0, 0);
    CU_ASSERT_EQUAL(rf_model_state_per_param(&fe_model), 1);
    CU_ASSERT_STRING_EQUAL(rf_model_state_suffix(&fe_model, 0), "momentum");
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 1]\nloss: squared\n"
                          "optimizer: {adamw: {lr: 0.1, betas: [0.5, 0.75], eps: 0.001}}\n");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.optimizer, RF_OPT_ADAMW);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.beta1, 0.5, 0);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.beta2, 0.75, 0);
    CU_ASSERT_DOUBLE_EQUAL(fe_model.eps, 0.001, 0);
    CU_ASSERT_STRING_EQUAL(rf_model_state_suffix(&fe_model, 1), "exp_avg_sq");
    fe_done();
}

/* train: the protocol keys reach the model; their defaults */
static void test_protocol_keys(void)
{
    CU_ASSERT_EQUAL_FATAL(fe_check(FE_HEAD "layers: [dense: 2]\nloss: softmax_cross_entropy\n"
                                   "optimizer: {sgd: {lr: 0.1}}\n"
                                   "train:\n  epochs: 50\n  validation: 0.25\n"
                                   "  schedule: {cosine: {min_lr: 0.001, epochs: 30}}\n  warmup_epochs: 2\n"
                                   "  early_stopping: {patience: 5, min_delta: 0.01, monitor: valid_acc}\n"), 0);
    const rf_train *t = &fe_model.train;
    CU_ASSERT_EQUAL(t->epochs, 50);
    CU_ASSERT_EQUAL(t->validation, 0.25);
    CU_ASSERT_EQUAL(t->validation_pos.line, 9);
    CU_ASSERT_EQUAL(t->schedule, RF_SCHED_COSINE);
    CU_ASSERT_EQUAL(t->min_lr, 0.001);
    CU_ASSERT_EQUAL(t->cosine_epochs, 30);
    CU_ASSERT_EQUAL(t->warmup_epochs, 2);
    CU_ASSERT_TRUE(t->early_stopping);
    CU_ASSERT_EQUAL(t->patience, 5);
    CU_ASSERT_EQUAL(t->min_delta, 0.01);
    CU_ASSERT_EQUAL(t->monitor, RF_MONITOR_VALID_ACC);
    fe_done();
    CU_ASSERT_EQUAL_FATAL(fe_check(FE_HEAD "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: 0.1}}\n"
                                   "train: {schedule: {step: {every: 4, gamma: 0.5}}}\n"), 0);
    t = &fe_model.train;
    CU_ASSERT_EQUAL(t->schedule, RF_SCHED_STEP);
    CU_ASSERT_EQUAL(t->step_every, 4);
    CU_ASSERT_EQUAL(t->gamma, 0.5);
    CU_ASSERT_EQUAL(t->validation, 0);
    CU_ASSERT_FALSE(t->early_stopping);
    fe_done();
    CU_ASSERT_EQUAL_FATAL(fe_check(FE_HEAD "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: 0.1}}\n"
                                   "train: {schedule: constant, validation: 0.5,\n"
                                   "        early_stopping: {patience: 1}}\n"), 0);
    CU_ASSERT_EQUAL(fe_model.train.schedule, RF_SCHED_CONSTANT);
    CU_ASSERT_EQUAL(fe_model.train.monitor, RF_MONITOR_VALID_LOSS);
    CU_ASSERT_EQUAL(fe_model.train.min_delta, 0);
    fe_done();
    CU_ASSERT_EQUAL_FATAL(fe_check(FE_HEAD "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: 0.1}}\n"
                                   "train: {schedule: {exponential: {gamma: 0.95}}}\n"), 0);
    CU_ASSERT_EQUAL(fe_model.train.schedule, RF_SCHED_EXPONENTIAL);
    CU_ASSERT_EQUAL(fe_model.train.gamma, 0.95);
    fe_done();
    /* the --check summary says what the protocol is */
    CU_ASSERT_EQUAL_FATAL(fe_check(FE_HEAD "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: 0.1}}\n"
                                   "train: {epochs: 12, validation: 0.2, warmup_epochs: 2,\n"
                                   "        schedule: {cosine: {min_lr: 0.001}}, early_stopping: {patience: 3}}\n"),
                          0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rf_print_summary(&fe_model, f);
    fclose(f);
    RF_ASSERT_CONTAINS(buf, "  validation 0.2, cosine lr down to 0.001 over 10 epochs after 2 warm-up epochs; "
                            "early stopping on valid_loss, patience 3, min_delta 0\n");
    free(buf);
    fe_done();
}

static void test_summary(void)
{
    int rc = fe_check(FE_HEAD "layers:\n  - dense: {units: 3, name: enc}\n  - relu\n"
                              "  - dropout: 0.5\n  - dense: 2\n" FE_TAIL
                              "decay: [{params: \"*.weight\", l2: 0.25}]\n");
    EXPECT_CLEAN(rc);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rf_print_summary(&fe_model, f);
    fclose(f);
    /* shapes, parameters with counts and decay, totals:
       params 4*3+3 + 3*2+2 = 23; flops and bytes per model.c */
    CU_ASSERT_PTR_NULL(strstr(buf, "dense1")); /* the first dense layer is named enc */
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "enc.weight               [4, 3]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "dense2.bias              [2]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "0.25 coupled         0          0          1 (line 11)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "dropout    [2, 3]         p = 0.5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "total parameters:        23\n"));
    char expect[128];
    snprintf(expect, sizeof expect, "FLOPs per training step: %.0f", rf_model_train_flops(&fe_model));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, expect));
    snprintf(expect, sizeof expect, "memory of the model:     %.0f bytes",
             rf_model_bytes(&fe_model));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, expect));
    free(buf);
    fe_done();

    /* adamw: l2 decoupled; l1_prox shown; the optimizer's values; leaky_relu's alpha */
    rc = fe_check(FE_HEAD "layers: [dense: 3, leaky_relu: 0.2, dense: 2]\nloss: squared\n"
                          "optimizer: {adamw: {lr: 0.01, betas: [0.8, 0.99]}}\n"
                          "decay: [{params: \"*.weight\", l2: 0.1, l1_prox: 0.001}]\n");
    EXPECT_CLEAN(rc);
    f = open_memstream(&buf, &len);
    rf_print_summary(&fe_model, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "adamw lr 0.01, betas [0.8, 0.99], eps 1e-08;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "0.1 decoupled        0          0.001      1 (line 7)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "leaky_relu [2, 3]         alpha = 0.2"));
    free(buf);
    fe_done();
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the training protocol's keys", test_protocol_keys},
        {"minimal model and defaults", test_minimal_defaults},
        {"layer forms, names, inits, positions", test_layer_forms_and_positions},
        {"loss, optimizer, train", test_loss_optimizer_train},
        {"optimizers (sgd, adam, adamw), l1_prox, leaky_relu forms", test_optimizers_and_leaky_relu},
        {"decay by glob and list, first match wins", test_decay_glob_list_first_match},
        {"data fashion-mnist and mnist", test_data_named_sets},
        {"data idx paths resolved", test_data_idx_paths_resolved},
        {"data csv columns", test_data_csv_columns_checked_when_readable},
        {"data synthetic_linear", test_data_synthetic},
        {"empty optional sections", test_optional_sections_may_be_empty},
        {"shipped models load", test_shipped_models},
        {"summary", test_summary},
        {NULL, NULL},
    };
    return rf_test_main("frontend: good models", cases, argc, argv);
}
