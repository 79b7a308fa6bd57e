/* CSV loader: good files (header or not, CRLF, blank lines, spaces) and
 * each kind of bad one, with FILE:LINE: column K in the message. */
#include "dataset.h"
#include "rftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[1024];

#define ASSERT_ERR_HAS(s) RF_ASSERT_CONTAINS(err, s)

/* 3 samples, 2 features, a class label in [0, 3). */
static void check_classes(const rf_dataset *d)
{
    CU_ASSERT_EQUAL(d->n, 3);
    CU_ASSERT_EQUAL(d->features, 2);
    CU_ASSERT_EQUAL(d->classes, 3);
    CU_ASSERT_EQUAL(d->targets, 0);
    CU_ASSERT_PTR_NULL(d->y);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->labels);
    const float x[6] = {0.5f, -1.0f, 2.0f, 3.25f, -0.125f, 1e-3f};
    const int32_t labels[3] = {2, 0, 1};
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(d->x[i], x[i]);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(d->labels[i], labels[i]);
}

static void test_good_forms(void)
{
    const char *texts[] = {
        "0.5,-1,2\n2,3.25,0\n-0.125,1e-3,1\n",
        "x1,x2,label\n0.5,-1,2\n2,3.25,0\n-0.125,1e-3,1\n",
        "x1,x2,label\r\n0.5,-1,2\r\n2,3.25,0\r\n-0.125,1e-3,1\r\n",
        "0.5,-1,2\n2,3.25,0\n-0.125,1e-3,1",          /* no final newline */
        "0.5,-1,2\n2,3.25,0\n-0.125,1e-3,1\n\n\n  \n", /* blank trailing lines */
        " 0.5 , -1 ,2\n\n2,\t3.25,0.0\r\n-0.125,0.001,1.\n",
        "\"a\",\"b\",\"c\"\n0.5,-1,2\n2,3.25,0\n-0.125,1e-3,1\n",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        rf_dataset d;
        int rc = rf_csv_parse(texts[t], strlen(texts[t]), "f.csv", 2, 3, 0, &d, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "\ncase %zu: %s\n", t, err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        check_classes(&d);
        rf_dataset_free(&d);
    }
    /* from a file, gzip not needed */
    rf_dataset d;
    const char *path = rf_test_write("good.csv", texts[2]);
    CU_ASSERT_EQUAL_FATAL(rf_csv_load(path, 2, 3, 0, &d, err, sizeof err), 0);
    check_classes(&d);
    rf_dataset_free(&d);
}

static void test_targets(void)
{
    const char *text = "a,b,y1,y2\n1,2,3,4\n5,6,7.5,-8e2\n";
    rf_dataset d;
    CU_ASSERT_EQUAL_FATAL(rf_csv_parse(text, strlen(text), "t.csv", 2, 0, 2, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.n, 2);
    CU_ASSERT_EQUAL(d.targets, 2);
    CU_ASSERT_EQUAL(d.classes, 0);
    CU_ASSERT_PTR_NULL(d.labels);
    const float x[4] = {1, 2, 5, 6}, y[4] = {3, 4, 7.5f, -800};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(d.x[i], x[i]);
        CU_ASSERT_EQUAL(d.y[i], y[i]);
    }
    rf_dataset_free(&d);
}

/* Expects a refusal with code rc (-1, or RF_DATA_MISMATCH for a label
 * the model has no class for) that leaves nothing allocated. */
static void expect_error_code(const char *text, int features, int classes, int targets, int rc, const char *says)
{
    rf_dataset d;
    memset(&d, 0x55, sizeof d);
    CU_ASSERT_EQUAL(rf_csv_parse(text, strlen(text), "bad.csv", features, classes, targets, &d, err, sizeof err),
                    rc);
    CU_ASSERT_PTR_NULL(d.x);
    CU_ASSERT_PTR_NULL(d.labels);
    CU_ASSERT_PTR_NULL(d.y);
    ASSERT_ERR_HAS(says);
}

static void expect_error(const char *text, int features, int classes, int targets, const char *says)
{
    expect_error_code(text, features, classes, targets, -1, says);
}

static void test_errors(void)
{
    expect_error("1,2,0\n3,abc,1\n", 2, 3, 0, "bad.csv:2: column 2: 'abc' is not a number");
    expect_error("h1,h2,h3\n1,2,0\n3,4,x\n", 2, 3, 0, "bad.csv:3: column 3: 'x' is not a number");
    expect_error("1,2,0\n3,nan,1\n", 2, 3, 0, "bad.csv:2: column 2: 'nan' is not a finite number");
    expect_error("1,2,0\n3,4,1\n-inf,1,1\n", 2, 3, 0, "bad.csv:3: column 1: '-inf' is not a finite number");
    expect_error("1,1e999,0\n", 2, 3, 0, "bad.csv:1: column 2: '1e999' is not a finite number");
    expect_error("1,1e39,0\n", 2, 3, 0, "bad.csv:1: column 2: '1e39' is not a finite number"); /* float overflow */
    expect_error("1,2,0\n3,4\n", 2, 3, 0, "bad.csv:2: expected 3 fields (2 features and a class label), found 2");
    expect_error("1,2,0\n3,4,1,5\n", 2, 3, 0, "bad.csv:2: expected 3 fields (2 features and a class label), found 4");
    expect_error("1,2,3\n", 2, 0, 2, "bad.csv:1: expected 4 fields (2 features and 2 targets), found 3");
    expect_error("1,,0\n", 2, 3, 0, "bad.csv:1: column 2: empty field");
    expect_error_code("1,2,3\n", 2, 3, 0, RF_DATA_MISMATCH,
                      "bad.csv:1: column 3: class label 3 is out of range (3 classes: 0 to 2)");
    expect_error_code("1,2,-1\n", 2, 3, 0, RF_DATA_MISMATCH, "bad.csv:1: column 3: class label -1 is out of range");
    expect_error("1,2,1.5\n", 2, 3, 0, "bad.csv:1: column 3: class label '1.5' is not an integer");
    expect_error("", 2, 3, 0, "bad.csv: no samples (empty file)");
    expect_error("\n\r\n  \n", 2, 3, 0, "bad.csv: no samples (empty file)");
    expect_error("x1,x2,label\n", 2, 3, 0, "bad.csv: no samples (only a header line)");
    expect_error("1 2 0\n", 2, 3, 0, "bad.csv:1: expected 3 fields (2 features and a class label), found 1");
    expect_error("1,2x,0\n", 2, 3, 0, "bad.csv:1: column 2: '2x' is not a number"); /* a typo, not a header */
    /* one word among numbers is a bad data line, not a header */
    expect_error("1,2,x,1\n3,4,5,0\n", 3, 3, 0, "bad.csv:1: column 3: 'x' is not a number");
    /* a header must have one field per column */
    expect_error("a,b,c\n1,2,3,0\n", 3, 3, 0,
                 "bad.csv:1: the header line has 3 fields, but the model needs 4 (3 features + 1 class index)");
    expect_error("a,b\n1,2,3,4\n", 2, 0, 2, "bad.csv:1: the header line has 2 fields, but the model needs 4");
    expect_error("1,2,0\n1 2,3,1\n", 2, 3, 0, "bad.csv:2: column 1: '1 2' is not a number");
    expect_error("1,2,0\n", 0, 3, 0, "bad CSV layout");
    expect_error("1,2,0\n", 2, 0, 0, "bad CSV layout");
    /* a very long field is shown shortened */
    char long_line[700];
    memset(long_line, '7', sizeof long_line);
    memcpy(long_line + 600, ",1,0\n", 6);
    expect_error(long_line, 2, 3, 0, "bad.csv:1: column 1: '7777");
}

/* Binary junk (NUL bytes, high bytes) is an error, not a crash. */
static void test_binary_junk(void)
{
    const char junk[] = {'1', ',', '\0', '2', ',', '0', '\n', (char)0xff, ',', '1', ',', '1', '\n'};
    rf_dataset d;
    CU_ASSERT_EQUAL(rf_csv_parse(junk, sizeof junk, "junk.csv", 2, 3, 0, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("junk.csv:1: column 2: '?2' is not a number");
    /* the parser respects len: a NUL-free prefix with no terminator */
    const char text[] = "1,2,0\n3,4,1XXXX";
    CU_ASSERT_EQUAL_FATAL(rf_csv_parse(text, 11, "p.csv", 2, 3, 0, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.n, 2);
    CU_ASSERT_EQUAL(d.labels[1], 1);
    rf_dataset_free(&d);
}

/* Many short lines must not make the parser allocate for many samples. */
static void test_short_lines_bounded(void)
{
    size_t n = 200000;
    char *text = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 2 * i, "1\n", 2);
    text[2 * n] = '\0';
    rf_dataset d;
    /* 100000 features: room for (400000 + 1) / 200002 = 2 samples at most */
    CU_ASSERT_EQUAL(rf_csv_parse(text, 2 * n, "short.csv", 100000, 0, 1, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("short.csv:1: expected 100001 fields");
    free(text);
}

static void test_missing_file(void)
{
    rf_dataset d;
    char path[4096];
    snprintf(path, sizeof path, "%s/none.csv", rf_test_tmpdir());
    CU_ASSERT_EQUAL(rf_csv_load(path, 2, 3, 0, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("none.csv: cannot open: No such file or directory");
    const char *empty = rf_test_write("empty.csv", "");
    CU_ASSERT_EQUAL(rf_csv_load(empty, 2, 3, 0, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("empty.csv: no samples (empty file)");
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"good forms: header, CRLF, blank lines, spaces", test_good_forms},
        {"real-valued targets", test_targets},
        {"errors name file, line and column", test_errors},
        {"binary junk", test_binary_junk},
        {"short lines do not cause big allocations", test_short_lines_bounded},
        {"missing and empty file", test_missing_file},
        {NULL, NULL},
    };
    return rf_test_main("data_csv", cases, argc, argv);
}
