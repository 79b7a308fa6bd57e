/* model.c: shapes, parameter naming, decay assignment by first match, globs. */
#include "model.h"
#include "rftest.h"

#include <stdlib.h>
#include <string.h>

static void test_glob(void)
{
    CU_ASSERT_TRUE(rf_glob_match("*.weight", "dense1.weight"));
    CU_ASSERT_FALSE(rf_glob_match("*.weight", "dense1.bias"));
    CU_ASSERT_TRUE(rf_glob_match("dense?.bias", "dense2.bias"));
    CU_ASSERT_FALSE(rf_glob_match("dense?.bias", "dense12.bias"));
    CU_ASSERT_TRUE(rf_glob_match("*", ""));
    CU_ASSERT_TRUE(rf_glob_match("*a*b*c", "xxaxxbxxc"));
    CU_ASSERT_FALSE(rf_glob_match("*a*b*c", "xxaxxbxx"));
    CU_ASSERT_TRUE(rf_glob_match("hidden2.weight", "hidden2.weight"));
}

static void test_finish_names_shapes_decay(void)
{
    rf_model m;
    memset(&m, 0, sizeof m);
    m.input = 784;
    m.batch = 256;
    m.n_layers = 4;
    m.layers = calloc(4, sizeof *m.layers);
    m.layers[0].kind = RF_LAYER_DENSE;
    m.layers[0].units = 256;
    m.layers[1].kind = RF_LAYER_RELU;
    m.layers[2].kind = RF_LAYER_DENSE;
    m.layers[2].units = 10;
    strcpy(m.layers[2].name, "head");
    m.layers[3].kind = RF_LAYER_DROPOUT;
    m.layers[3].p = 0.5;
    m.n_groups = 2;
    m.groups = calloc(2, sizeof *m.groups);
    m.groups[0].n_patterns = 1;
    m.groups[0].patterns = calloc(1, sizeof(char *));
    m.groups[0].patterns[0] = strdup("*.weight");
    m.groups[0].l2 = 3;
    m.groups[1].n_patterns = 1;
    m.groups[1].patterns = calloc(1, sizeof(char *));
    m.groups[1].patterns[0] = strdup("head.*");
    m.groups[1].l1 = 0.5;
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
    CU_ASSERT_EQUAL(m.outputs, 10);
    CU_ASSERT_EQUAL(m.n_params, 4);
    CU_ASSERT_STRING_EQUAL(m.params[0].name, "dense1.weight");
    CU_ASSERT_STRING_EQUAL(m.params[1].name, "dense1.bias");
    CU_ASSERT_STRING_EQUAL(m.params[2].name, "head.weight");
    CU_ASSERT_STRING_EQUAL(m.params[3].name, "head.bias");
    CU_ASSERT_EQUAL(m.params[0].rows, 784);
    CU_ASSERT_EQUAL(m.params[0].cols, 256);
    CU_ASSERT_EQUAL(m.params[2].size, 2560);
    CU_ASSERT_EQUAL(m.layers[2].dense_index, 2);
    CU_ASSERT_EQUAL(m.layers[3].in, 10);
    /* first match wins: head.weight takes l2 3 from group 0, not l1 */
    CU_ASSERT_EQUAL(m.params[2].decay_group, 0);
    CU_ASSERT_DOUBLE_EQUAL(m.params[2].l2, 3.0, 0);
    CU_ASSERT_EQUAL(m.params[3].decay_group, 1);
    CU_ASSERT_EQUAL(m.params[1].decay_group, -1);
    CU_ASSERT_EQUAL(m.groups[0].matches, 2);
    CU_ASSERT_EQUAL(m.groups[1].matches, 1);
    CU_ASSERT_EQUAL(rf_model_param_count(&m), 784 * 256 + 256 + 2560 + 10);
    /* finish is idempotent */
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
    CU_ASSERT_EQUAL(m.n_params, 4);
    CU_ASSERT_EQUAL(m.groups[0].matches, 2);
    rf_model_free(&m);
}

static void test_seed_mlp_flops(void)
{
    /* The seed MLP's step is about 310 MFLOP (issue 5). */
    rf_model m;
    memset(&m, 0, sizeof m);
    m.input = 784;
    m.batch = 256;
    int kinds[] = {RF_LAYER_DENSE, RF_LAYER_RELU, RF_LAYER_DROPOUT, RF_LAYER_DENSE,
                   RF_LAYER_RELU, RF_LAYER_DROPOUT, RF_LAYER_DENSE};
    int units[] = {256, 0, 0, 256, 0, 0, 10};
    m.n_layers = 7;
    m.layers = calloc(7, sizeof *m.layers);
    for (int i = 0; i < 7; i++) {
        m.layers[i].kind = kinds[i];
        m.layers[i].units = units[i];
    }
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
    double f = rf_model_train_flops(&m);
    CU_ASSERT(f > 300e6 && f < 320e6);
    rf_model_free(&m);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"glob", test_glob},
        {"finish: names, shapes, decay by first match", test_finish_names_shapes_decay},
        {"seed MLP step FLOPs", test_seed_mlp_flops},
        {NULL, NULL},
    };
    return rf_test_main("model", cases, argc, argv);
}
