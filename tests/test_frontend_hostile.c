/* The front end on hostile files: alias bombs, deep nesting, huge scalars,
 * several documents, binary garbage, empty files, top-level lists and
 * scalars, node floods. Each must be an error at a sensible position,
 * quickly, with no crash and no huge allocation (run under ASan too). */
#include "test_frontend_util.h"

#include <stdlib.h>
#include <time.h>

static double seconds_since(clock_t start)
{
    return (double)(clock() - start) / CLOCKS_PER_SEC;
}

static void test_billion_laughs(void)
{
    const char *bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                       "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                       "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                       "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                       "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                       "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                       "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
                       "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
                       "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    clock_t t = clock();
    int rc = fe_check(bomb);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 4, "YAML anchors (&a) and aliases are not supported");
    CU_ASSERT_EQUAL(rf_diag_count(fe_diag), 1);
    /* an alias alone (to an anchor that does not exist) */
    rc = fe_check(FE_HEAD "layers: *x\n");
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_EQUAL(rf_diag_errors(fe_diag), 1);
    EXPECT_ERROR(4, 9, "YAML aliases (*x) and anchors are not supported");
    CU_ASSERT_TRUE(seconds_since(t) < 1.0);
    fe_done();
}

static char *repeat(const char *unit, int times, const char *tail)
{
    size_t u = strlen(unit), n = u * (size_t)times + strlen(tail);
    char *s = malloc(n + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + u * (size_t)i, unit, u);
    strcpy(s + u * (size_t)times, tail);
    return s;
}

static void test_deep_nesting(void)
{
    clock_t t = clock();
    char *open = repeat("[", 10000, "");
    char *text = malloc(20001);
    strcpy(text, open);
    memset(text + 10000, ']', 10000);
    text[20000] = '\0';
    int rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 65, "YAML nested deeper than 64 levels");
    free(text);
    free(open);
    /* flow mappings, unterminated */
    text = repeat("{a: ", 10000, "");
    rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 257, "YAML nested deeper than 64 levels");
    free(text);
    /* block mappings, one level per line: the 65th level is on line 65 */
    size_t cap = 200 * 210, n = 0;
    text = malloc(cap);
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(text + n, cap - n, "%*sk:\n", i, "");
    rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(65, 65, "YAML nested deeper than 64 levels");
    free(text);
    /* 64 levels are allowed by the reader (the checker then refuses the shape) */
    open = repeat("[", 63, "");
    text = malloc(200);
    snprintf(text, 200, "%s1%s", open, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "a model file is a mapping");
    free(text);
    free(open);
    CU_ASSERT_TRUE(seconds_since(t) < 1.0);
    fe_done();
}

static void test_huge_scalars(void)
{
    clock_t t = clock();
    /* 2 MB: refused by size before parsing, in memory and from a file */
    size_t big = 2u << 20;
    char *text = malloc(big + 16);
    memcpy(text, "name: ", 6);
    memset(text + 6, 'a', big);
    strcpy(text + 6 + big, "\n");
    int rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "the file has 2097159 bytes; a model file may have at most 1048576");
    const char *path = rf_test_write("big.yaml", text);
    rf_model m;
    rf_diag *d = rf_diag_new();
    CU_ASSERT_EQUAL(rf_load_model(path, &m, NULL, d), 2);
    /* the reader stops after the limit: it reports limit + 1 bytes */
    CU_ASSERT_TRUE(rf_diag_find(d, "the file has 1048577 bytes") == 0);
    rf_diag_free(d);
    /* 5000 bytes: within the file limit, beyond the scalar limit */
    snprintf(text, big, FE_HEAD "layers: [dense: 1]\n" FE_TAIL "data: \"");
    size_t n = strlen(text);
    memset(text + n, 'x', 5000);
    strcpy(text + n + 5000, "\"\n");
    rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 7, "a value of 5000 bytes; the limit is 4096");
    /* a long unknown key (libyaml's limit for a simple key is 1024):
       no suggestion work blow-up, the message stays short */
    n = (size_t)snprintf(text, big, FE_HEAD "layers: [dense: 1]\n" FE_TAIL);
    memset(text + n, 'k', 1000);
    strcpy(text + n + 1000, ": 1\n");
    rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 1, "unknown key 'kkkkkkkk");
    CU_ASSERT_TRUE(strlen(rf_diag_get(fe_diag, 0)->message) < 300);
    free(text);
    CU_ASSERT_TRUE(seconds_since(t) < 2.0);
    fe_done();
}

static void test_node_flood(void)
{
    clock_t t = clock();
    char *items = repeat("1,", 150000, "1]");
    char *text = malloc(strlen(items) + 2);
    text[0] = '[';
    strcpy(text + 1, items);
    free(items);
    int rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 200000, "the file has more than 100000 YAML nodes");
    free(text);
    CU_ASSERT_TRUE(seconds_since(t) < 2.0);
    fe_done();
}

static void test_documents(void)
{
    const char *one = FE_HEAD "layers: [dense: 1]\n" FE_TAIL;
    char text[1024];
    snprintf(text, sizeof text, "%s---\n%s", one, one);
    int rc = fe_check(text);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 1, "a model file holds one YAML document; this is a second one");
    /* explicit start and end markers around one document are fine */
    snprintf(text, sizeof text, "---\n%s...\n", one);
    rc = fe_check(text);
    EXPECT_CLEAN(rc);
    rc = fe_check("---\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(2, 1, "this one is an empty value");
    fe_done();
}

static void test_empty_and_top_level(void)
{
    int rc = fe_check("");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "the file is empty");
    rc = fe_check("# only a comment\n\n   \n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "the file is empty");
    rc = fe_check("- name: m\n- input: 4\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 1, "a model file is a mapping with the keys name, input, batch, layers, loss "
                       "and optimizer; this one is a list");
    rc = fe_check("\n  mlp\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(2, 3, "this one is 'mlp'");
    CU_ASSERT_EQUAL(rf_diag_count(fe_diag), 1);
    fe_done();
}

static void test_tags_and_complex_keys(void)
{
    int rc = fe_check(FE_HEAD "layers: [dense: !!int 3]\n" FE_TAIL);
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(4, 17, "YAML tags (tag:yaml.org,2002:int) are not supported");
    rc = fe_check("name: !custom m\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "YAML tags (!custom) are not supported");
    rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "? [a, b]\n: 1\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 3, "a mapping key must be a plain name, not a list");
    /* a rejected duplicate whose value is a collection still filled by later events */
    rc = fe_check(FE_HEAD "layers: [dense: 1]\n" FE_TAIL "layers:\n  - relu\n  - {a: [1, 2]}\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(7, 1, "duplicate key 'layers' (first at line 4)");
    fe_done();
}

static void test_binary_garbage(void)
{
    clock_t t = clock();
    /* a fixed pseudo-random stream (LCG), NULs included */
    unsigned char buf[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (unsigned char)(x >> 24);
    }
    rf_model m;
    rf_diag *d = rf_diag_new();
    int rc = rf_check_model_text("garbage.bin", (const char *)buf, sizeof buf, &m, NULL, d);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_TRUE(rf_diag_find(d, "YAML syntax error") >= 0);
    CU_ASSERT_TRUE(rf_diag_get(d, 0)->line >= 1);
    rf_diag_free(d);
    /* an ELF-like header and invalid UTF-8 */
    const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
    d = rf_diag_new();
    rc = rf_check_model_text("a.out", elf, sizeof elf - 1, &m, NULL, d);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_EQUAL(rf_diag_get(d, 0)->line, 1);
    CU_ASSERT_EQUAL(rf_diag_get(d, 0)->col, 1);
    CU_ASSERT_TRUE(strstr(rf_diag_get(d, 0)->message, "control characters are not allowed") != NULL);
    rf_diag_free(d);
    rc = fe_check("name: caf\xe9\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 10, "YAML syntax error: incomplete UTF-8 octet sequence");
    rc = fe_check("name: \"a\\0b\"\n");
    CU_ASSERT_EQUAL(rc, 2);
    EXPECT_ERROR(1, 7, "a value contains a NUL character");
    CU_ASSERT_TRUE(seconds_since(t) < 1.0);
    fe_done();
}

/* Every prefix of a real model file and many random byte edits of it:
 * whatever the outcome, no crash, no leak, and errors always come with a
 * diagnostic (ASan/UBSan do the rest). */
static void test_truncations_and_mutations(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/models/mlp.yaml", rf_test_source_dir());
    size_t len;
    char *src = rf_test_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    clock_t t = clock();
    int failures = 0;
    for (size_t cut = 0; cut < len; cut++) {
        rf_model m;
        rf_diag *d = rf_diag_new();
        int rc = rf_check_model_text("cut.yaml", src, cut, &m, NULL, d);
        if (rc == 2 && rf_diag_errors(d) == 0)
            failures++;
        if (rc == 0)
            rf_model_free(&m);
        rf_diag_free(d);
    }
    static const char pool[] = "-:{}[],&*!|>'\"#%@` \n\t0a.~?";
    uint32_t x = 99;
    for (int round = 0; round < 2000; round++) {
        char *copy = malloc(len);
        memcpy(copy, src, len);
        for (int k = 0; k < 3; k++) {
            x = x * 1664525u + 1013904223u;
            size_t at = (x >> 8) % len;
            x = x * 1664525u + 1013904223u;
            copy[at] = pool[(x >> 8) % (sizeof pool - 1)];
        }
        rf_model m;
        rf_diag *d = rf_diag_new();
        int rc = rf_check_model_text("mut.yaml", copy, len, &m, NULL, d);
        if ((rc == 2) != (rf_diag_errors(d) > 0))
            failures++;
        if (rc == 0)
            rf_model_free(&m);
        rf_diag_free(d);
        free(copy);
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT_TRUE(seconds_since(t) < 20.0);
    free(src);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"billion laughs", test_billion_laughs},
        {"deep nesting", test_deep_nesting},
        {"huge scalars and files", test_huge_scalars},
        {"node flood", test_node_flood},
        {"several documents", test_documents},
        {"empty file, top-level list and scalar", test_empty_and_top_level},
        {"tags and complex keys", test_tags_and_complex_keys},
        {"binary garbage", test_binary_garbage},
        {"truncations and mutations", test_truncations_and_mutations},
        {NULL, NULL},
    };
    return rf_test_main("frontend: hostile input", cases, argc, argv);
}
