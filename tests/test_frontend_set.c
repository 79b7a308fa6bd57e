/* The front end with --set KEY=VALUE overrides (SPEC section 2,
 * yaml_set.h): every kind of value reaching the model, replacing and
 * adding keys, the later --set winning, check errors at the position of
 * the key in the file and naming the --set, every bad path with its
 * message, position and did-you-mean, the limits, and the source bytes
 * (unchanged without --set). */
#include "test_frontend_util.h"
#include "yaml_set.h"

#include <stdlib.h>

/* The model the overrides apply to; the comments give the line. */
static const char *const base =
    "name: m\n"                                   /* 1 */
    "input: 4\n"                                  /* 2 */
    "batch: 2\n"                                  /* 3 */
    "layers:\n"                                   /* 4 */
    "  - dense: 8\n"                              /* 5 */
    "  - relu\n"                                  /* 6 */
    "  - dropout: 0.2\n"                          /* 7 */
    "  - dense: 3\n"                              /* 8 */
    "loss: squared\n"                             /* 9 */
    "optimizer:\n"                                /* 10 */
    "  sgd: {lr: 0.5, momentum: 0.5}\n"           /* 11: lr's value at col 13, sgd's mapping at 8 */
    "decay:\n"                                    /* 12 */
    "  - {params: \"*.weight\", l2: 0.01}\n"      /* 13: the list at col 3, the group at 5, l2's value at 30 */
    "train:\n"                                    /* 14 */
    "  epochs: 5\n"                               /* 15: epochs' value at col 11 */
    "  seed: 1\n";                                /* 16 */

/* Checks `text` with the NULL-terminated overrides; like fe_check. */
static int fe_check_set_text(const char *text, const char *const *sets)
{
    int n = 0;
    while (sets && sets[n])
        n++;
    rf_diag_free(fe_diag);
    fe_diag = rf_diag_new();
    rf_model_free(&fe_model);
    return rf_check_model_text_set("dir/model.yaml", text, strlen(text), sets, n, &fe_model, NULL,
                                   fe_diag);
}

#define SET(...) fe_check_set_text(base, (const char *const[]){__VA_ARGS__, NULL})
#define SET_ON(text, ...) fe_check_set_text(text, (const char *const[]){__VA_ARGS__, NULL})

static void test_every_kind_of_value(void)
{
    rf_model *m = &fe_model;
    /* float, int, bool (an added key), string */
    int rc = SET("optimizer.sgd.lr=0.125", "optimizer.sgd.momentum=0.75",
                 "optimizer.sgd.nesterov=true", "layers.2.dropout=0.3", "decay.0.l2=0.5",
                 "train.epochs=7", "train.seed=42", "name=other");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->lr, 0.125, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->momentum, 0.75, 0);
    CU_ASSERT_EQUAL(m->nesterov, 1);
    CU_ASSERT_DOUBLE_EQUAL(m->layers[2].p, 0.3, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->groups[0].l2, 0.5, 0);
    CU_ASSERT_EQUAL(m->train.epochs, 7);
    CU_ASSERT_EQUAL(m->train.seed, 42);
    CU_ASSERT_STRING_EQUAL(m->name, "other");
    /* a quoted VALUE is a string where a string is wanted; false */
    rc = SET("name=\"quoted\"", "optimizer.sgd.nesterov=false", "optimizer.sgd.momentum=0");
    EXPECT_CLEAN(rc);
    CU_ASSERT_STRING_EQUAL(m->name, "quoted");
    CU_ASSERT_EQUAL(m->nesterov, 0);
    /* null in all its spellings: no decay */
    const char *nulls[] = {"decay=", "decay=null", "decay=~", "decay= ", "decay= # none"};
    for (int i = 0; i < 5; i++) {
        rc = SET(nulls[i]);
        EXPECT_CLEAN(rc);
        CU_ASSERT_EQUAL(m->n_groups, 0);
    }
    /* flow list */
    rc = SET("decay.0.params=[dense1.weight, dense2.bias]");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL_FATAL(m->n_groups, 1);
    CU_ASSERT_EQUAL_FATAL(m->groups[0].n_patterns, 2);
    CU_ASSERT_STRING_EQUAL(m->groups[0].patterns[1], "dense2.bias");
    CU_ASSERT_EQUAL(m->params[0].decay_group, 0);
    CU_ASSERT_EQUAL(m->params[1].decay_group, -1);
    CU_ASSERT_EQUAL(m->params[3].decay_group, 0);
    /* flow mapping, replacing a whole section; then a list inside it */
    rc = SET("optimizer={adam: {lr: 0.01, betas: [0.8, 0.99]}}");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->optimizer, RF_OPT_ADAM);
    CU_ASSERT_DOUBLE_EQUAL(m->lr, 0.01, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->beta1, 0.8, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->beta2, 0.99, 0);
    rc = SET("optimizer={adamw: {lr: 0.01}}", "optimizer.adamw.betas=[0.5, 0.6]",
             "optimizer.adamw.eps=1.0e-6");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->optimizer, RF_OPT_ADAMW);
    CU_ASSERT_DOUBLE_EQUAL(m->beta2, 0.6, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->eps, 1e-6, 0);
    /* a list item: a scalar layer, a mapping layer, the long dense form */
    rc = SET("layers.1=tanh", "layers.2={dropout: {p: 0.4}}", "layers.0.dense={units: 6, name: first}");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->layers[1].kind, RF_LAYER_TANH);
    CU_ASSERT_DOUBLE_EQUAL(m->layers[2].p, 0.4, 0);
    CU_ASSERT_EQUAL(m->layers[0].units, 6);
    CU_ASSERT_STRING_EQUAL(m->layers[0].name, "first");
    CU_ASSERT_STRING_EQUAL(m->params[0].name, "first.weight");
    /* data, a section the file does not have */
    rc = SET("data={synthetic_linear: {n_train: 20, n_test: 100, w: 0.01, b: 0.05, noise: 0.01}}",
             "layers.3.dense=1");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->data.kind, RF_DATA_SYNTHETIC_LINEAR);
    CU_ASSERT_EQUAL(m->data.n_train, 20);
    /* blanks around KEY, '=' inside VALUE */
    rc = SET(" train.epochs = 9", "decay.0.params=a=b");
    CU_ASSERT_EQUAL(rc, 0); /* warns that a=b matches no parameter */
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 0);
    CU_ASSERT_EQUAL(m->train.epochs, 9);
    CU_ASSERT_STRING_EQUAL(m->groups[0].patterns[0], "a=b");
    fe_done();
}

static void test_add_missing_keys(void)
{
    rf_model *m = &fe_model;
    /* to an existing mapping */
    int rc = SET("decay.0.l1=0.25", "optimizer.sgd.dampening=0.5");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->groups[0].l1, 0.25, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->groups[0].l2, 0.01, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->dampening, 0.5, 0);
    /* with the missing mappings on the way: a file without train */
    const char *no_train = FE_HEAD "layers: [dense: 1]\n" FE_TAIL;
    rc = SET_ON(no_train, "train.epochs=3", "train.seed=11");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->train.epochs, 3);
    CU_ASSERT_EQUAL(m->train.seed, 11);
    /* two levels: decay groups are a list, so only a mapping chain is made */
    rc = SET_ON(no_train, "data.synthetic_linear={n_train: 5, n_test: 5, w: 1, b: 0, noise: 0}");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->data.kind, RF_DATA_SYNTHETIC_LINEAR);
    CU_ASSERT_EQUAL(m->data.n_train, 5);
    /* a null section on the way becomes a mapping */
    rc = SET_ON(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "train:\n", "train.epochs=4");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->train.epochs, 4);
    /* an added key the checker does not know: its report, at the mapping
     * the key was added to, with its did-you-mean, naming the --set */
    rc = SET("optimizer.sgd.lrr=0.1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 8, "unknown key 'lrr' in sgd; did you mean 'lr'? (from --set optimizer.sgd.lrr=0.1)");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 1);
    rc = SET_ON(no_train, "trian.epochs=3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "unknown key 'trian' in the model; did you mean 'train'? (from --set trian.epochs=3)");
    /* the checker's allowed keys, where the file has none of them */
    rc = SET_ON(no_train, "train.epoch=3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "unknown key 'epoch' in train; did you mean 'epochs'? (from --set train.epoch=3)");
    /* a mapping of one kind: the checker sees two kinds; the note says
     * which key the --set added and what it may misspell */
    rc = SET("optimizer.sdg.lr=0.1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 3, "optimizer: expected one key (one of sgd, adam, adamw), got 2 keys (from "
                        "--set optimizer.sdg.lr=0.1, which added 'sdg'; did you mean 'sgd'?)");
    rc = SET("layers.2.dropuot=0.3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 5, "a layer has one key, its kind ('dropout' here)");
    EXPECT_ERROR(7, 5, "which added 'dropuot'; did you mean 'dropout'?)");
    /* a legitimate addition next to a similar key is no problem */
    rc = SET("decay.0.l1=0");
    EXPECT_CLEAN(rc);
    fe_done();
}

static void test_later_set_wins(void)
{
    rf_model *m = &fe_model;
    int rc = SET("optimizer.sgd.lr=0.2", "optimizer.sgd.lr=0.3");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->lr, 0.3, 0);
    /* an added key set again */
    rc = SET("decay.0.l1=0.1", "decay.0.l1=0.2");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->groups[0].l1, 0.2, 0);
    /* a whole section, then a value inside it; and the other way round */
    rc = SET("optimizer={adam: {lr: 0.1}}", "optimizer.adam.lr=0.2");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->optimizer, RF_OPT_ADAM);
    CU_ASSERT_DOUBLE_EQUAL(m->lr, 0.2, 0);
    rc = SET("optimizer.sgd.lr=0.2", "optimizer={sgd: {lr: 0.4}}");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->lr, 0.4, 0);
    CU_ASSERT_DOUBLE_EQUAL(m->momentum, 0, 0);
    /* a bad value then a good one: the good one is what is checked */
    rc = SET("train.epochs=-1", "train.epochs=2");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->train.epochs, 2);
    fe_done();
}

/* The training protocol's keys (SPEC 1b), the checker's newer part: added
 * under train, replaced inside a schedule a --set put in, and the cross
 * check that early_stopping needs validation naming the --set. */
static void test_train_protocol_keys(void)
{
    rf_model *m = &fe_model;
    int rc = SET("train.validation=0.1", "train.warmup_epochs=2",
                 "train.schedule={cosine: {min_lr: 0.001}}", "train.early_stopping={patience: 3}");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->train.validation, 0.1, 0);
    CU_ASSERT_EQUAL(m->train.warmup_epochs, 2);
    CU_ASSERT_EQUAL(m->train.schedule, RF_SCHED_COSINE);
    CU_ASSERT_DOUBLE_EQUAL(m->train.min_lr, 0.001, 0);
    CU_ASSERT_EQUAL(m->train.early_stopping, 1);
    CU_ASSERT_EQUAL(m->train.patience, 3);
    rc = SET("train.schedule={step: {every: 2, gamma: 0.5}}", "train.schedule.step.gamma=0.25");
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(m->train.schedule, RF_SCHED_STEP);
    CU_ASSERT_EQUAL(m->train.step_every, 2);
    CU_ASSERT_DOUBLE_EQUAL(m->train.gamma, 0.25, 0);
    /* a file without train */
    rc = SET_ON(FE_HEAD "layers: [dense: 1]\n" FE_TAIL, "train.validation=0.2");
    EXPECT_CLEAN(rc);
    CU_ASSERT_DOUBLE_EQUAL(m->train.validation, 0.2, 0);
    /* errors: at the train mapping the keys were added to, naming the --set */
    rc = SET("train.validation=1", "train.early_stopping={patience: 0}");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 3, "validation must be in [0, 1), got 1 (from --set train.validation=1)");
    EXPECT_ERROR(15, 3, "patience must be at least 1, got 0 (from --set train.early_stopping={patience: 0})");
    rc = SET("train.early_stopping={patience: 2}");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 3, "early_stopping needs a validation set to monitor");
    EXPECT_ERROR(15, 3, "(from --set train.early_stopping={patience: 2})");
    /* schedule and step made on the way, and checked as the file's would be */
    rc = SET("train.schedule.step.gama=0.5");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 3, "unknown key 'gama' in step; did you mean 'gamma'? (from --set train.schedule.step.gama=0.5)");
    EXPECT_ERROR(15, 3, "step: missing required key 'every' (from --set train.schedule.step.gama=0.5)");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 2);
    fe_done();
}

static void test_check_errors_at_the_key(void)
{
    int rc = SET("optimizer.sgd.lr=-1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 13, "lr must be at least 0, got -1 (from --set optimizer.sgd.lr=-1)");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 1);
    rc = SET("optimizer.sgd.lr=\"0.1\"");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 13, "lr: expected a number, got the string \"0.1\" (write it without quotes) "
                         "(from --set optimizer.sgd.lr=\"0.1\")");
    rc = SET("train.epochs=2.5", "layers.2.dropout=1.5", "decay.0.l2=[1]");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 11, "epochs: expected an integer, got 2.5 (from --set train.epochs=2.5)");
    EXPECT_ERROR(7, 14, "dropout p must be in [0, 1], got 1.5 (from --set layers.2.dropout=1.5)");
    EXPECT_ERROR(13, 30, "l2: expected a number, got a list (from --set decay.0.l2=[1])");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 3);
    /* inside a flow VALUE: every node of it is at the replaced node */
    rc = SET("optimizer={sgd: {lr: 0.1, momentun: 0.5}}", "layers.0.dense={units: 0}");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 3, "unknown key 'momentun' in sgd; did you mean 'momentum'? (from --set "
                        "optimizer={sgd: {lr: 0.1, momentun: 0.5}})");
    EXPECT_ERROR(5, 12, "units must be at least 1, got 0 (from --set layers.0.dense={units: 0})");
    /* the file's own errors say nothing of --set */
    rc = SET_ON(FE_HEAD "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: -2, momentum: 0.5}}\n",
                "optimizer.sgd.momentum=2");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 23, "lr must be at least 0, got -2");
    CU_ASSERT_PTR_NULL(strstr(rf_diag_get(fe_diag, 0)->message, "--set"));
    EXPECT_ERROR(6, 37, "momentum must be in [0, 1), got 2 (from --set optimizer.sgd.momentum=2)");
    /* nesterov without momentum: reported at the file's nesterov, which
     * the --set of momentum did not put in */
    rc = SET_ON(FE_HEAD "layers: [dense: 1]\nloss: squared\n"
                "optimizer: {sgd: {lr: 1, momentum: 0.5, nesterov: true}}\n",
                "optimizer.sgd.momentum=0");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 51, "nesterov needs momentum > 0");
    /* the printed line */
    char *printed = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&printed, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    rf_model m;
    const char *sets[] = {"optimizer.sgd.lr=-1"};
    rc = rf_check_model_text_set("models/m.yaml", base, strlen(base), sets, 1, &m, out, NULL);
    fclose(out);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_STRING_EQUAL(printed, "models/m.yaml:11:13: error: lr must be at least 0, got -1 "
                                    "(from --set optimizer.sgd.lr=-1)\n");
    free(printed);
    fe_done();
}

static void test_bad_paths(void)
{
    /* the argument itself: reported for the whole file */
    int rc = SET("optimizer.sgd.lr");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "--set optimizer.sgd.lr: expected KEY=VALUE, as in --set optimizer.sgd.lr=0.1");
    CU_ASSERT_EQUAL(rf_diag_get(fe_diag, 0)->line, 0);
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 1);
    rc = SET("=0.1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "--set =0.1: the KEY before '=' is empty");
    rc = SET("  =0.1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "the KEY before '=' is empty");
    rc = SET("");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "--set : expected KEY=VALUE");
    /* an empty part: at the node the path reached */
    rc = SET("optimizer..lr=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 3, "--set optimizer..lr=1: part 2 of KEY is empty (two dots in a row, or a dot at an end)");
    rc = SET("optimizer.sgd.=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 8, "part 3 of KEY is empty");
    rc = SET(".name=x");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "part 1 of KEY is empty");
    rc = SET("train.x..y=1"); /* after a missing key: at the deepest existing node */
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 3, "part 3 of KEY is empty");
    rc = SET("optimizer.sgd.l r=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 8, "part 'l r' of KEY holds ' '; keys are letters, digits, '_' and '-'");
    /* into a scalar */
    rc = SET("loss.kind=x");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(9, 7, "--set loss.kind=x: loss is 'squared', not a mapping or a list, so it has no "
                       "key 'kind'; set loss itself to replace it");
    rc = SET("layers.1.dropout=0.3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(6, 5, "layers.1 is 'relu', not a mapping or a list, so it has no key 'dropout'; "
                       "set layers.1 itself to replace it");
    rc = SET("layers.0.dense.units=16");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 12, "layers.0.dense is '8', not a mapping or a list, so it has no key 'units'");
    rc = SET("optimizer.sgd.lr.0=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 13, "optimizer.sgd.lr is '0.5', not a mapping or a list, so it has no item '0'");
    /* list indices */
    rc = SET("layers.9.dropout=0.3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 3, "--set layers.9.dropout=0.3: layers has 4 items; index 9 is out of range (0 to 3)");
    rc = SET("decay.1.l2=0");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(13, 3, "decay has 1 item; index 1 is out of range (0 to 0)");
    rc = SET("layers.first.dense=3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 3, "layers is a list; 'first' is not an index (expected a number from 0 to 3)");
    rc = SET("layers.-1=relu");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 3, "'-1' is not an index");
    rc = SET("layers.99999999999=relu");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 3, "'99999999999' is not an index");
    rc = SET_ON(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "decay: []\n", "decay.0.l2=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 8, "decay is an empty list; it has no item '0'");
    /* an index into a mapping */
    rc = SET("optimizer.0=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 3, "--set optimizer.0=1: optimizer is a mapping, not a list, and has no key '0' (its keys: sgd)");
    /* a missing key before an index: did you mean, among the keys present */
    rc = SET("layer.2.dropout=0.3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "--set layer.2.dropout=0.3: the model has no key 'layer', and --set adds "
                       "missing mappings but not lists (index 2 would need one); did you mean 'layers'?");
    rc = SET("decay.0.parms.0=x");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(13, 5, "decay.0 has no key 'parms'");
    EXPECT_ERROR(13, 5, "did you mean 'params'?");
    rc = SET("train.zzz.0=1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 3, "train has no key 'zzz'");
    EXPECT_ERROR(15, 3, "(its keys: epochs, seed)");
    /* a good --set among bad ones is still applied, and the file checked */
    rc = SET("layers.9=relu", "optimizer.sgd.lr=0.3", "loss=3");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(5, 3, "index 9 is out of range");
    EXPECT_ERROR(9, 7, "loss: expected a string, got '3' (from --set loss=3)");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 2);
    CU_ASSERT_PTR_NULL(fe_model.layers); /* nothing to free after an error */
    fe_done();
}

static void test_bad_values(void)
{
    /* VALUE's own YAML errors: at the node it would replace */
    int rc = SET("optimizer.sgd.lr=[0.1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 13, "--set optimizer.sgd.lr=[0.1: VALUE: YAML syntax error");
    rc = SET("optimizer={sgd: {lr: 1}, sgd: {lr: 2}}");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 3, "VALUE: duplicate key 'sgd'");
    rc = SET("name=&a x", "train.seed=!!int 3", "train.epochs=*a");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "--set name=&a x: VALUE: YAML anchors (&a) and aliases are not supported");
    EXPECT_ERROR(16, 9, "VALUE: YAML tags (tag:yaml.org,2002:int) are not supported");
    EXPECT_ERROR(15, 11, "VALUE: YAML aliases (*a)");
    /* block collections, document markers, directives */
    rc = SET("name=a: b", "train.epochs=- 3", "name=--- x", "name=...", "name=%YAML 1.1");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "--set name=a: b: VALUE is a block mapping; write it in flow form ({key: value}) or quote it");
    EXPECT_ERROR(15, 11, "VALUE is a block list; write it in flow form ([a, b])");
    EXPECT_ERROR(1, 7, "--set name=--- x: VALUE starts with the YAML document marker '---'");
    EXPECT_ERROR(1, 7, "--set name=...: VALUE starts with the YAML document marker '...'");
    EXPECT_ERROR(1, 7, "VALUE starts with '%', a YAML directive");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 5);
    /* a quoted marker is a string */
    rc = SET("decay.0.params=\"---\"");
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(fe_model.groups[0].patterns[0], "---");
    /* for an added key: at the mapping it would go into */
    rc = SET("optimizer.sgd.dampening={");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(11, 8, "VALUE: YAML syntax error");
    fe_done();
}

static void test_limits(void)
{
    /* control characters: a newline would also break the source comment */
    int rc = SET("name=a\nb", "name=a\tb");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "--set name=a?b: holds a control character");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 2);
    /* KEY and VALUE lengths */
    char *key = malloc(RF_SET_MAX_KEY + 8);
    memset(key, 'a', RF_SET_MAX_KEY + 1);
    strcpy(key + RF_SET_MAX_KEY + 1, "=1");
    rc = SET(key);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "KEY has 1025 bytes; at most 1024 are allowed");
    CU_ASSERT_TRUE(strlen(rf_diag_get(fe_diag, 0)->message) < 200); /* the argument is cut */
    free(key);
    char *value = malloc(RF_SET_MAX_VALUE + 16);
    strcpy(value, "name=");
    memset(value + 5, 'x', RF_SET_MAX_VALUE + 1);
    value[5 + RF_SET_MAX_VALUE + 1] = '\0';
    rc = SET(value);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "VALUE has 4097 bytes; at most 4096 are allowed");
    free(value);
    /* depth: KEY parts, and KEY with VALUE */
    char deep[512] = "train";
    for (int i = 0; i < 64; i++)
        strcat(deep, ".a");
    strcat(deep, "=1");
    rc = SET(deep);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "KEY has more than 64 parts");
    char nested[512] = "train.a.b=";
    for (int i = 0; i < 63; i++)
        strcat(nested, "[");
    for (int i = 0; i < 63; i++)
        strcat(nested, "]");
    rc = SET(nested);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(15, 3, "KEY and VALUE together nest deeper than 64 levels");
    /* the number of arguments */
    const char *many[RF_SET_MAX_ARGS + 2];
    for (int i = 0; i <= RF_SET_MAX_ARGS; i++)
        many[i] = "train.epochs=1";
    many[RF_SET_MAX_ARGS + 1] = NULL;
    rc = fe_check_set_text(base, many);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "--set is given 257 times; at most 256 are allowed");
    many[RF_SET_MAX_ARGS] = NULL;
    rc = fe_check_set_text(base, many);
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.train.epochs, 1);
    /* a model file that does not parse: its error only */
    rc = SET_ON("name: [\n", "name=x");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(0, 0, "YAML syntax error");
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 1);
    fe_done();
}

static void test_source_bytes(void)
{
    /* no --set: the file's bytes exactly, the same as rf_check_model_text */
    int rc = fe_check(base);
    EXPECT_CLEAN(rc);
    CU_ASSERT_EQUAL(fe_model.source_len, strlen(base));
    CU_ASSERT_STRING_EQUAL(fe_model.source, base);
    rc = fe_check_set_text(base, NULL);
    EXPECT_CLEAN(rc);
    CU_ASSERT_STRING_EQUAL(fe_model.source, base);
    /* with --set: one comment line per argument, in order */
    rc = SET("optimizer.sgd.lr=0.1", "train.epochs=2");
    EXPECT_CLEAN(rc);
    char want[2048];
    snprintf(want, sizeof want, "%s# --set optimizer.sgd.lr=0.1\n# --set train.epochs=2\n", base);
    CU_ASSERT_STRING_EQUAL(fe_model.source, want);
    CU_ASSERT_EQUAL(fe_model.source_len, strlen(want));
    /* a file without a final newline gets one first */
    const char *no_newline = FE_HEAD "layers: [dense: 1]\nloss: squared\noptimizer: {sgd: {lr: 1}}";
    rc = SET_ON(no_newline, "name=n");
    EXPECT_CLEAN(rc);
    snprintf(want, sizeof want, "%s\n# --set name=n\n", no_newline);
    CU_ASSERT_STRING_EQUAL(fe_model.source, want);
    CU_ASSERT_STRING_EQUAL(fe_model.name, "n");
    fe_done();
}

static void test_load_model_set(void)
{
    const char *path = rf_test_write("set.yaml", base);
    rf_model m;
    rf_diag *d = rf_diag_new();
    const char *sets[] = {"layers.2.dropout=0.5", "train.epochs=1"};
    CU_ASSERT_EQUAL_FATAL(rf_load_model_set(path, sets, 2, &m, NULL, d), 0);
    CU_ASSERT_DOUBLE_EQUAL(m.layers[2].p, 0.5, 0);
    CU_ASSERT_EQUAL(m.train.epochs, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.source, "# --set layers.2.dropout=0.5\n"));
    rf_model_free(&m);
    /* no --set: as rf_load_model */
    CU_ASSERT_EQUAL_FATAL(rf_load_model_set(path, NULL, 0, &m, NULL, d), 0);
    CU_ASSERT_STRING_EQUAL(m.source, base);
    rf_model_free(&m);
    const char *bad[] = {"layers.7=relu"};
    CU_ASSERT_EQUAL(rf_load_model_set(path, bad, 1, &m, NULL, d), 2);
    CU_ASSERT_TRUE(rf_diag_find(d, "--set layers.7=relu: layers has 4 items") >= 0);
    CU_ASSERT_EQUAL(rf_load_model_set("/nonexistent/set.yaml", sets, 2, &m, NULL, d), 1);
    rf_diag_free(d);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"every kind of value reaches the model", test_every_kind_of_value},
        {"missing keys are added, unknown ones reported by the checker", test_add_missing_keys},
        {"a later --set of the same key wins", test_later_set_wins},
        {"train: validation, schedule, warmup_epochs, early_stopping", test_train_protocol_keys},
        {"check errors at the key in the file, naming the --set", test_check_errors_at_the_key},
        {"bad paths: message, position, did you mean", test_bad_paths},
        {"bad values", test_bad_values},
        {"limits", test_limits},
        {"source bytes record the overrides", test_source_bytes},
        {"rf_load_model_set", test_load_model_set},
        {NULL, NULL},
    };
    return rf_test_main("frontend: --set", cases, argc, argv);
}
