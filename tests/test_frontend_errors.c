/* The front end on wrong model files: every class of error of SPEC
 * section 1, each at the position of the offending node, with its message;
 * several problems in one run; warnings that are not errors. */
#include "test_frontend_util.h"

#include <stdlib.h>

static void test_yaml_syntax_error_position(void)
{
    int rc = fe_check("name: m\ninput: [1, 2\nbatch: 3\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(3, 6, "YAML syntax error: did not find expected ',' or ']'");
    rc = fe_check("name: m\n  input: 4\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(2, 8, "YAML syntax error: mapping values are not allowed");
    rc = fe_check("name: m\nlayers:\n\t- relu\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(3, 1, "YAML syntax error");
    CU_ASSERT_EQUAL(fe_model.layers, NULL); /* nothing left to free */
    fe_done();
}

static void test_unknown_keys_suggest(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "trian: {epochs: 3}\n"
                      "optimiser: 1\nzzzz: 1\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 1, "unknown key 'trian' in the model; did you mean 'train'?");
    EXPECT_ERROR(8, 1, "unknown key 'optimiser' in the model; did you mean 'optimizer'?");
    /* nothing close: list the keys instead */
    EXPECT_ERROR(9, 1, "unknown key 'zzzz' in the model; expected one of name, input, batch");
    rc = fe_check(FE_HEAD "layers: [dense: {units: 1, unit: 2}]\nloss: squared\n"
                  "optimizer: {sgd: {lr: 0.1, momentun: 0.5}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(4, 28, "unknown key 'unit' in dense; did you mean 'units'?");
    EXPECT_ERROR(6, 28, "unknown key 'momentun' in sgd; did you mean 'momentum'?");
    fe_done();
}

static void test_missing_required_keys(void)
{
    int rc = fe_check("name: m\ninput: 4\nlayers: [dense: 1]\nloss: squared\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "the model: missing required key 'batch'");
    EXPECT_ERROR(1, 1, "the model: missing required key 'optimizer'");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 2);
    rc = fe_check(FE_HEAD "layers: [dense: {name: x}]\nloss: squared\noptimizer:\n  sgd:\n"
                  "    momentum: 0.5\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(4, 17, "dense: missing required key 'units'");
    EXPECT_ERROR(8, 5, "sgd: missing required key 'lr'");
    fe_done();
}

static void test_wrong_types(void)
{
    int rc = fe_check("name: [m]\ninput: four\nbatch: {n: 2}\nlayers: relu\n"
                      "loss: 3\noptimizer: sgd\ntrain: [1]\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "model name: expected a name, got a list");
    EXPECT_ERROR(2, 8, "input: expected an integer, got 'four'");
    EXPECT_ERROR(3, 8, "batch: expected an integer, got a mapping");
    EXPECT_ERROR(4, 9, "layers: expected a list of layers, got 'relu'");
    EXPECT_ERROR(5, 7, "loss: expected a string, got '3'");
    EXPECT_ERROR(6, 12, "optimizer: expected a mapping with one key (one of sgd, adam, adamw), got 'sgd'");
    EXPECT_ERROR(7, 8, "train: expected a mapping, got a list");
    fe_done();
}

static void test_quoted_numbers(void)
{
    int rc = fe_check(FE_HEAD "layers:\n  - dense: \"3\"\n  - dropout: '0.5'\n"
                      "loss: squared\noptimizer: {sgd: {lr: \"0.1\"}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 12, "units: expected an integer, got the string \"3\" (write it without quotes)");
    EXPECT_ERROR(6, 14, "dropout p: expected a number, got the string \"0.5\"");
    EXPECT_ERROR(8, 23, "lr: expected a number, got the string \"0.1\"");
    fe_done();
}

static void test_non_integer_counts(void)
{
    int rc = fe_check("name: m\ninput: 4.0\nbatch: 1e2\nlayers: [dense: 1.5]\n" FE_TAIL
                      "train: {epochs: 2.5}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(2, 8, "input: expected an integer, got 4.0");
    EXPECT_ERROR(3, 8, "batch: expected an integer, got 1e2");
    EXPECT_ERROR(4, 17, "units: expected an integer, got 1.5");
    EXPECT_ERROR(7, 17, "epochs: expected an integer, got 2.5");
    fe_done();
}

static void test_out_of_range(void)
{
    int rc = fe_check("name: m\ninput: 0\nbatch: -1\n"
                      "layers:\n  - dense: 0\n  - dropout: 1.01\n  - dropout: -0.1\n"
                      "  - dense: {units: 1, init: {normal: -1}}\n"
                      "loss: squared\noptimizer: {sgd: {lr: -1, momentum: 1}}\n"
                      "decay: [{params: \"*\", l2: -1, l1: -0.5}]\n"
                      "train: {epochs: -1, seed: -3}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(2, 8, "input must be at least 1, got 0");
    EXPECT_ERROR(3, 8, "batch must be at least 1, got -1");
    EXPECT_ERROR(5, 12, "units must be at least 1, got 0");
    EXPECT_ERROR(6, 14, "dropout p must be in [0, 1], got 1.01");
    EXPECT_ERROR(7, 14, "dropout p must be in [0, 1], got -0.1");
    EXPECT_ERROR(8, 38, "normal (the standard deviation) must be at least 0, got -1");
    EXPECT_ERROR(10, 23, "lr must be at least 0, got -1");
    EXPECT_ERROR(10, 37, "momentum must be in [0, 1), got 1");
    EXPECT_ERROR(11, 27, "l2 must be at least 0, got -1");
    EXPECT_ERROR(11, 35, "l1 must be at least 0, got -0.5");
    EXPECT_ERROR(12, 17, "epochs must be at least 0, got -1");
    EXPECT_ERROR(12, 27, "seed must be a non-negative integer, got -3");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 12);
    /* negative lr, huge counts, non-finite numbers, a seed beyond 64 bits */
    rc = fe_check("name: m\ninput: 99999999999999999999\nbatch: 16777217\nlayers: [dense: 1]\n"
                  "loss: squared\noptimizer: {sgd: {lr: -0.5, momentum: .nan}}\n"
                  "train: {seed: 18446744073709551616}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(2, 8, "input must be at most 16777216, got 99999999999999999999");
    EXPECT_ERROR(3, 8, "batch must be at most 16777216, got 16777217");
    EXPECT_ERROR(6, 23, "lr must be at least 0, got -0.5");
    EXPECT_ERROR(6, 39, "momentum: expected a finite number, got .nan");
    EXPECT_ERROR(7, 15, "seed must be at most 18446744073709551615");
    fe_done();
}

static void test_bad_names(void)
{
    int rc = fe_check("name: Mlp\ninput: 4\nbatch: 2\nlayers:\n"
                      "  - dense: {units: 2, name: 2nd}\n"
                      "  - dense: {units: 2, name: a_name_that_is_much_too_long_for_c}\n"
                      "  - dense: {units: 2, name: \"has space\"}\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "model name 'Mlp' is not a valid name");
    EXPECT_ERROR(5, 29, "layer name '2nd' is not a valid name");
    EXPECT_ERROR(6, 29, "layer name 'a_name_that_is_much_too_long_for_c' is 34 characters long; "
                        "at most 32");
    EXPECT_ERROR(7, 29, "layer name 'has space' is not a valid name");
    /* 32 characters are fine */
    rc = fe_check("name: abcdefghijklmnopqrstuvwxyz_123456\ninput: 4\nbatch: 2\nlayers: [dense: 1]\n"
                  FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "is 33 characters long");
    rc = fe_check("name: abcdefghijklmnopqrstuvwxyz_12345\ninput: 4\nbatch: 2\nlayers: [dense: 1]\n"
                  FE_TAIL);
    EXPECT_CLEAN(rc);
    fe_done();
}

static void test_duplicate_layer_names(void)
{
    int rc = fe_check(FE_HEAD "layers:\n"
                      "  - dense: {units: 3, name: enc}\n"
                      "  - relu\n"
                      "  - dense: {units: 3, name: enc}\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 5, "duplicate layer name 'enc' (first used at line 5)");
    /* an explicit name that is another layer's automatic name */
    rc = fe_check(FE_HEAD "layers:\n  - dense: 3\n  - dense: {units: 3, name: dense1}\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 5, "layer name 'dense1' is already the automatic name of the dense layer at "
                       "line 5");
    rc = fe_check(FE_HEAD "layers:\n  - dense: {units: 3, name: dense2}\n  - dense: 3\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 5, "this layer's automatic name 'dense2' is already the name of the layer at "
                       "line 5");
    /* a duplicate key in YAML itself */
    rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "batch: 3\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 1, "duplicate key 'batch' (first at line 3)");
    fe_done();
}

static void test_layer_kinds(void)
{
    int rc = fe_check(FE_HEAD "layers:\n  - Dense: 3\n  - rleu\n  - softmax\n  - dense\n"
                      "  - dropout\n  - relu: 3\n  - {dense: 2, name: x}\n  - {}\n  - [relu]\n"
                      FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 5, "unknown layer kind 'Dense'; did you mean 'dense'?");
    EXPECT_ERROR(6, 5, "unknown layer kind 'rleu'; did you mean 'relu'?");
    EXPECT_ERROR(7, 5, "unknown layer kind 'softmax' (expected dense, relu, leaky_relu, "
                       "sigmoid, tanh or dropout)");
    EXPECT_ERROR(8, 5, "dense needs its units");
    EXPECT_ERROR(9, 5, "dropout needs its drop probability");
    EXPECT_ERROR(10, 11, "relu takes no options, got '3'");
    EXPECT_ERROR(11, 16, "a layer has one key, its kind ('dense' here)");
    EXPECT_ERROR(12, 5, "empty layer");
    EXPECT_ERROR(13, 5, "layer: expected a kind (relu) or a mapping (dense: 256), got a list");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 9);
    fe_done();
}

static void test_unknown_loss_optimizer_init_data(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: {units: 2, init: {gaussian: 1}}]\n"
                      "loss: squred\noptimizer: {sdg: {lr: 1}}\n"
                      "data: {synthetic_lineer: {n_train: 1}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(4, 35, "unknown init 'gaussian'");
    EXPECT_ERROR(5, 7, "unknown loss 'squred'; did you mean 'squared'?");
    EXPECT_ERROR(6, 13, "unknown optimizer 'sdg'; did you mean 'sgd'?");
    EXPECT_ERROR(7, 8, "unknown data 'synthetic_lineer'; did you mean 'synthetic_linear'?");
    rc = fe_check(FE_HEAD "layers: [dense: 2]\nloss: cross_entropy\noptimizer: {adamm: {lr: 1}}\n"
                  "data: fashion-mnst\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 7, "unknown loss 'cross_entropy'");
    EXPECT_ERROR(6, 13, "unknown optimizer 'adamm'; did you mean 'adam'?");
    EXPECT_ERROR(7, 7, "unknown data 'fashion-mnst'; did you mean 'fashion-mnist'?");
    fe_done();
}

/* The optimizers' options of SPEC 1a, each refused with its position. */
static void test_optimizer_options(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: 2]\nloss: squared\n"
                      "optimizer: {sgd: {lr: 0.1, momentum: 0, nesterov: true}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 51, "nesterov needs momentum > 0 and dampening 0");
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 2]\nloss: squared\n"
                  "optimizer: {sgd: {lr: 0.1, momentum: 0.9, dampening: 0.5, nesterov: true}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 69, "nesterov needs momentum > 0 and dampening 0 (here momentum 0.9, dampening 0.5)");
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 2]\nloss: squared\n"
                  "optimizer: {sgd: {lr: 0.1, nesterov: yes, dampening: 2}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 38, "nesterov: expected true or false");
    EXPECT_ERROR(6, 54, "dampening must be in [0, 1], got 2");
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 2]\nloss: squared\n"
                  "optimizer: {adam: {lr: 0.1, betas: [0.9], eps: -1}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 36, "betas: expected a list of two numbers like [0.9, 0.999], got a list");
    EXPECT_ERROR(6, 48, "eps must be at least 0, got -1");
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 2]\nloss: squared\n"
                  "optimizer: {adamw: {lr: 0.1, betas: [0.9, 1], momentum: 0.9}}\n"
                  "decay: [{params: \"*\", l1_prox: -1}]\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 43, "beta2 must be in [0, 1), got 1");
    EXPECT_ERROR(6, 47, "unknown key 'momentum'");
    EXPECT_ERROR(7, 32, "l1_prox must be at least 0, got -1");
    fe_done();
    rc = fe_check(FE_HEAD "layers: [dense: 2, leaky_relu: {alpha: -0.1}, leaky_relu: {slope: 1}]\n"
                  "loss: squared\noptimizer: {sgd: {lr: 0.1}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(4, 40, "leaky_relu alpha must be at least 0, got -0.1");
    EXPECT_ERROR(4, 60, "unknown key 'slope'");
    fe_done();
}

/* train: validation, schedule, warmup_epochs, early_stopping (SPEC 1b) */
static void test_protocol_errors(void)
{
#define FE_OPT "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: 0.1}}\n"
    int rc = fe_check(FE_HEAD FE_OPT "train:\n  validation: 1\n  warmup_epochs: -1\n  schedule: {cosin: {}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 15, "validation must be in [0, 1), got 1");
    EXPECT_ERROR(9, 18, "warmup_epochs must be at least 0, got -1");
    EXPECT_ERROR(10, 14, "unknown schedule 'cosin'; did you mean 'cosine'?");
    fe_done();
    /* a bad validation is reported once, not again by what needs it */
    rc = fe_check(FE_HEAD FE_OPT "train:\n  validation: -0.5\n  early_stopping: {patience: 2}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 15, "validation must be in [0, 1), got -0.5");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 1);
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  schedule: {step: {every: 0, gamma: -2}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 28, "every must be at least 1, got 0");
    EXPECT_ERROR(8, 38, "gamma must be at least 0, got -2");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  schedule: {exponential: {}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 27, "exponential: missing required key 'gamma'");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  schedule: {cosine: {min_lr: 0.1, epoch: 3}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 36, "unknown key 'epoch'");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  schedule: linear\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 13, "schedule: expected a mapping with one key");
    fe_done();
    /* early stopping needs a validation set, and valid_acc needs classes */
    rc = fe_check(FE_HEAD FE_OPT "train:\n  early_stopping: {patience: 3}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(8, 19, "early_stopping needs a validation set to monitor: add e.g. 'validation: 0.1'");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  validation: 0\n  early_stopping: {patience: 3}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(9, 19, "early_stopping needs validation > 0 (here validation is 0, line 8)");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  validation: 0.2\n"
                  "  early_stopping: {patience: 0, monitor: valid_acc, min_delta: -1}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(9, 30, "patience must be at least 1, got 0");
    EXPECT_ERROR(9, 42, "monitor valid_acc needs classes (loss softmax_cross_entropy); the loss is squared (line 5)");
    EXPECT_ERROR(9, 64, "min_delta must be at least 0, got -1");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train:\n  validation: 0.2\n  early_stopping: {patience: 2, monitor: val_loss}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(9, 42, "unknown monitor 'val_loss'; did you mean 'valid_loss'?");
    fe_done();
    /* a split of a set whose size the file fixes must leave samples on both sides */
    rc = fe_check(FE_HEAD FE_OPT "train: {validation: 0.01}\n"
                  "data: {synthetic_linear: {n_train: 20, n_test: 5}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 21, "validation 0.01 of 20 training samples holds out none (round(0.01 * 20) = 0)");
    fe_done();
    rc = fe_check(FE_HEAD FE_OPT "train: {validation: 0.99}\n"
                  "data: {synthetic_linear: {n_train: 20, n_test: 5}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 21, "validation 0.99 of 20 training samples leaves none to train on (round(0.99 * 20) = 20)");
    fe_done();
#undef FE_OPT
}

static void test_loss_data_mismatches(void)
{
    /* fashion-mnist with input 100 and 3 outputs */
    int rc = fe_check("name: m\ninput: 100\nbatch: 2\nlayers: [dense: 3]\n"
                      "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                      "data: fashion-mnist\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 7, "fashion-mnist has 784 features per sample (28x28 pixels), but input is "
                       "100 (line 2)");
    EXPECT_ERROR(7, 7, "fashion-mnist has 10 classes, but the model has 3 outputs (the dense "
                       "layer at line 4)");
    /* fashion-mnist with squared loss, even with 10 outputs */
    rc = fe_check("name: m\ninput: 784\nbatch: 2\nlayers: [dense: 10]\n" FE_TAIL
                  "data: mnist\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 7, "mnist has class labels: it needs loss softmax_cross_entropy and 10 "
                       "outputs, but loss is squared (line 5)");
    /* synthetic_linear with softmax; with 2 outputs */
    rc = fe_check("name: m\ninput: 4\nbatch: 2\nlayers: [dense: 2]\n"
                  "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                  "data: {synthetic_linear: {n_train: 2, n_test: 2}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 7, "synthetic_linear has one real-valued target per sample: it needs loss "
                       "squared, but loss is softmax_cross_entropy (line 5)");
    rc = fe_check("name: m\ninput: 4\nbatch: 2\nlayers: [dense: 2]\n" FE_TAIL
                  "data: {synthetic_linear: {n_train: 0, n_test: 2, noise: -1}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 36, "n_train must be at least 1, got 0");
    EXPECT_ERROR(7, 57, "noise must be at least 0, got -1");
    rc = fe_check("name: m\ninput: 4\nbatch: 2\nlayers: [dense: 2]\n" FE_TAIL
                  "data: {synthetic_linear: {n_train: 3, n_test: 2}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 7, "synthetic_linear has one target per sample, but the model has 2 outputs");
    /* softmax with a single output */
    rc = fe_check("name: m\ninput: 4\nbatch: 2\nlayers: [dense: 1]\n"
                  "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 7, "softmax_cross_entropy needs at least 2 outputs (one per class), but the "
                       "model has 1");
    /* idx is class data */
    rc = fe_check("name: m\ninput: 4\nbatch: 2\nlayers: [dense: 2]\n" FE_TAIL
                  "data: {idx: {train_images: a, train_labels: b, test_images: c}}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 13, "idx: missing required key 'test_labels'");
    fe_done();
}

static void test_csv_column_mismatch(void)
{
    rf_test_write("bad.csv", "x1,x2,y\n1,2,0\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/model.yaml", rf_test_tmpdir());
    int rc = fe_check_as(path, "name: c\ninput: 3\nbatch: 2\nlayers: [dense: 2]\n"
                               "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                               "data:\n  csv:\n    train: bad.csv\n    test: bad.csv\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(9, 12, "has 3 columns in its first data line (line 2), but the model needs 4: "
                        "3 input features + 1 class index");
    EXPECT_ERROR(10, 11, "bad.csv' has 3 columns");
    fe_done();
}

static void test_idx_header_mismatch(void)
{
    /* a 2-image idx3 file of 3 x 3 pixels, and labels up to 7 */
    static const unsigned char images[16 + 18] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
    static const unsigned char labels[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 7};
    rf_test_write_bytes("img.idx", images, sizeof images);
    rf_test_write_bytes("lab.idx", labels, sizeof labels);
    char path[4200];
    snprintf(path, sizeof path, "%s/model.yaml", rf_test_tmpdir());
    int rc = fe_check_as(path, "name: c\ninput: 10\nbatch: 2\nlayers: [dense: 5]\n"
                               "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                               "data:\n  idx:\n    train_images: img.idx\n    train_labels: lab.idx\n"
                               "    test_images: img.idx\n    test_labels: lab.idx\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(9, 19, "holds images of 3 x 3 = 9 pixels, but input is 10 (line 2)");
    EXPECT_ERROR(10, 19, "has class label 7 (sample 1), but the model has 5 outputs");
    EXPECT_ERROR(11, 18, "holds images of 3 x 3 = 9 pixels");
    EXPECT_ERROR(12, 18, "has class label 7 (sample 1)");
    fe_done();
    /* the same files fit a 9-input, 8-class model */
    rc = fe_check_as(path, "name: c\ninput: 9\nbatch: 2\nlayers: [dense: 8]\n"
                           "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                           "data:\n  idx:\n    train_images: img.idx\n    train_labels: lab.idx\n"
                           "    test_images: img.idx\n    test_labels: lab.idx\n");
    CU_ASSERT_EQUAL(rc, 0);
    fe_done();
}

static void test_model_too_large(void)
{
    int rc = fe_check("name: huge\ninput: 1000000\nbatch: 1\nlayers:\n  - dense: 1000000\n"
                      FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    char expect[128];
    /* 2 floats per parameter (value, grad), plus input and output staging */
    double params = 1e6 * 1e6 + 1e6;
    snprintf(expect, sizeof expect, "the model needs %.0f bytes (",
             4.0 * (2 * params + 2 * 1e6 + 2 * 1e6));
    EXPECT_ERROR(5, 5, expect);
    EXPECT_ERROR(5, 5, "GiB of memory");
    /* the batch dominates: reported at batch */
    rc = fe_check("name: huge\ninput: 16777216\nbatch: 16777216\nlayers: [dense: 1]\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    double B = 16777216, in = 16777216;
    snprintf(expect, sizeof expect, "the model needs %.0f bytes (2097152.3 GiB)",
             4.0 * (2 * (in + 1) + 2 * B * in + 2 * B * 1));
    EXPECT_ERROR(3, 8, expect);
    fe_done();
}

static void test_decay_warnings_not_errors(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL
                      "decay:\n"
                      "  - {params: \"*.weight\", l2: 1}\n"
                      "  - {params: \"dense1.weight\", l2: 2}\n"
                      "  - {params: [\"*.bias\", head.weight], l1: 1}\n"
                      "  - {params: \"conv*\", l2: 1}\n");
    CU_ASSERT_EQUAL(rc, 0); /* warnings leave the model good */
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 0);
    CU_ASSERT_EQUAL(rf_diag_count(fe_diag), 3);
    EXPECT_WARNING(9, 5, "decay group decides no parameter: every parameter it matches is taken "
                         "by an earlier group");
    EXPECT_WARNING(10, 25, "'head.weight' matches no parameter (the parameters are "
                           "dense1.weight, dense1.bias)");
    EXPECT_WARNING(11, 5, "decay group matches no parameter");
    CU_ASSERT_EQUAL(fe_model.params[1].decay_group, 2);
    fe_done();
}

static void test_several_errors_one_run(void)
{
    const char *text = "name: Bad\n"
                       "input: \"784\"\n"
                       "batch: 0\n"
                       "layers:\n"
                       "  - dense: 256\n"
                       "  - relu\n"
                       "  - dropout: 2\n"
                       "  - dense: 10\n"
                       "loss: softmax_crossentropy\n"
                       "optimizer: {sgd: {lr: -1}}\n"
                       "train: {epoch: 5}\n";
    int rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 7);
    EXPECT_ERROR(1, 7, "model name 'Bad'");
    EXPECT_ERROR(2, 8, "input: expected an integer, got the string \"784\"");
    EXPECT_ERROR(3, 8, "batch must be at least 1");
    EXPECT_ERROR(7, 14, "dropout p must be in [0, 1], got 2");
    EXPECT_ERROR(9, 7, "did you mean 'softmax_cross_entropy'?");
    EXPECT_ERROR(10, 23, "lr must be at least 0");
    EXPECT_ERROR(11, 9, "unknown key 'epoch' in train; did you mean 'epochs'?");
    /* sorted by position */
    for (int i = 1; i < rf_diag_count(fe_diag); i++)
        CU_ASSERT_TRUE(rf_diag_get(fe_diag, i - 1)->line <= rf_diag_get(fe_diag, i)->line);
    fe_done();
}

static void test_error_cap_and_printed_format(void)
{
    /* 80 unknown layer kinds: 50 kept, the rest summed up in a note */
    size_t cap = 80 * 16 + 256, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n, FE_HEAD "layers:\n");
    for (int i = 0; i < 80; i++)
        n += (size_t)snprintf(text + n, cap - n, "  - bogus\n");
    snprintf(text + n, cap - n, FE_TAIL);
    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    rf_model m;
    rf_diag *d = rf_diag_new();
    int rc = rf_check_model_text("models/x.yaml", text, strlen(text), &m, f, d);
    fclose(f);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_EQUAL(rf_diag_count(d), RF_DIAG_MAX_ERRORS);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "models/x.yaml:5:5: error: unknown layer kind 'bogus'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "models/x.yaml: note: too many errors; 30 more not shown"));
    rf_diag_free(d);
    free(out);
    free(text);
}

static void test_load_model_unreadable(void)
{
    rf_model m;
    rf_diag *d = rf_diag_new();
    char path[4200];
    snprintf(path, sizeof path, "%s/no-such-file.yaml", rf_test_tmpdir());
    CU_ASSERT_EQUAL(rf_load_model(path, &m, NULL, d), 1);
    CU_ASSERT_EQUAL(rf_diag_errors(d), 1);
    CU_ASSERT_TRUE(rf_diag_find(d, "cannot read the model file: No such file or directory") == 0);
    CU_ASSERT_EQUAL(rf_load_model(rf_test_tmpdir(), &m, NULL, d), 1); /* a folder */
    CU_ASSERT_EQUAL(m.layers, NULL);
    /* a file with errors through rf_load_model: 2 */
    const char *bad = rf_test_write("bad.yaml", "name: m\n");
    CU_ASSERT_EQUAL(rf_load_model(bad, &m, NULL, d), 2);
    rf_diag_free(d);
}

static void test_layer_list_shape(void)
{
    int rc = fe_check(FE_HEAD "layers: []\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(4, 9, "layers: the list is empty; a model needs at least one dense layer");
    rc = fe_check(FE_HEAD "layers:\n  - relu\n  - dropout: 0.5\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 3, "layers: a model needs at least one dense layer");
    rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "decay: {params: x}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 8, "decay: expected a list of groups");
    rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "decay: [{params: []}, {l2: 1}, {params: 3}]\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 18, "params: the list is empty");
    EXPECT_ERROR(7, 23, "decay group: missing required key 'params'");
    EXPECT_ERROR(7, 41, "params: expected a string, got '3'");
    fe_done();
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"YAML syntax error position", test_yaml_syntax_error_position},
        {"unknown keys with suggestions", test_unknown_keys_suggest},
        {"missing required keys", test_missing_required_keys},
        {"wrong types", test_wrong_types},
        {"quoted numbers", test_quoted_numbers},
        {"non-integer counts", test_non_integer_counts},
        {"values out of range", test_out_of_range},
        {"bad names", test_bad_names},
        {"duplicate layer names", test_duplicate_layer_names},
        {"layer kinds", test_layer_kinds},
        {"layer list and decay list shapes", test_layer_list_shape},
        {"unknown loss, optimizer, init, data", test_unknown_loss_optimizer_init_data},
        {"loss and data mismatches", test_loss_data_mismatches},
        {"idx image size and label range against the model", test_idx_header_mismatch},
        {"csv column mismatch", test_csv_column_mismatch},
        {"model too large", test_model_too_large},
        {"decay warnings", test_decay_warnings_not_errors},
        {"several errors in one run", test_several_errors_one_run},
        {"error cap and printed format", test_error_cap_and_printed_format},
        {"unreadable model file", test_load_model_unreadable},
        {"optimizer options: nesterov, dampening, betas, eps, l1_prox, leaky_relu alpha", test_optimizer_options},
        {"the training protocol's keys", test_protocol_errors},
        {NULL, NULL},
    };
    return rf_test_main("frontend: errors", cases, argc, argv);
}
