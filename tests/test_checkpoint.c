/* Checkpoints: the exact bytes, a bit-exact round trip, and each refusal. */
#include "checkpoint.h"
#include "rftest.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char err[1024];

#define ASSERT_ERR_HAS(s) RF_ASSERT_CONTAINS(err, s)

/* A small model's tensors: dense1.weight (2 x 3), dense1.bias (3), out.weight (3), out.bias (1). */
static const char *const NAMES[4] = {"dense1.weight", "dense1.bias", "out.weight", "out.bias"};
static const int SIZES[4] = {6, 3, 3, 1};
static float w1[6], b1[3], w2[3], b2[1];
static float *const DATA[4] = {w1, b1, w2, b2};

static void fill(void)
{
    const float v[13] = {1.0f, -0.0f, 1e-40f /* subnormal */, INFINITY, -3.5f, 0.1f, 7, 8, 9, 1e30f, -1e-30f,
                         2.5f, 0.3333333f};
    float *all[13] = {&w1[0], &w1[1], &w1[2], &w1[3], &w1[4], &w1[5], &b1[0], &b1[1], &b1[2],
                      &w2[0], &w2[1], &w2[2], &b2[0]};
    for (int i = 0; i < 13; i++)
        *all[i] = v[i];
    uint32_t nan_bits = 0x7fc01234u; /* a NaN with a payload survives too */
    memcpy(&b1[2], &nan_bits, 4);
}

static const char *path_in_tmp(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", rf_test_tmpdir(), name);
    return path;
}

static unsigned char *saved_bytes(size_t *len)
{
    fill();
    const char *path = path_in_tmp("m.ckpt");
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(path, 4, NAMES, SIZES, DATA, err, sizeof err), 0);
    return (unsigned char *)rf_test_read_file(path, len);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_format_bytes(void)
{
    size_t len;
    unsigned char *buf = saved_bytes(&len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    /* 16 header + names (13 + 11 + 10 + 8) + 4 * (2 u32) + 13 floats + CRC */
    CU_ASSERT_EQUAL_FATAL(len, 16 + 42 + 32 + 52 + 4);
    CU_ASSERT_EQUAL(memcmp(buf, "RGFTCKPT\x01\x00\x00\x00\x04\x00\x00\x00", 16), 0);
    CU_ASSERT_EQUAL(le32(buf + 16), 13);
    CU_ASSERT_EQUAL(memcmp(buf + 20, "dense1.weight", 13), 0);
    CU_ASSERT_EQUAL(le32(buf + 33), 6);
    CU_ASSERT_EQUAL(memcmp(buf + 37, "\x00\x00\x80\x3f", 4), 0); /* 1.0f little-endian */
    CU_ASSERT_EQUAL(memcmp(buf + 41, "\x00\x00\x00\x80", 4), 0); /* -0.0f */
    CU_ASSERT_EQUAL(le32(buf + len - 4), (uint32_t)crc32(0, buf, (uInt)(len - 4)));
    free(buf);
}

static void test_round_trip(void)
{
    size_t len;
    unsigned char *buf = saved_bytes(&len);
    free(buf);
    float r1[6], rb1[3], r2[3], rb2[1];
    float *const back[4] = {r1, rb1, r2, rb2};
    memset(r1, 0xab, sizeof r1);
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_load(path_in_tmp("m.ckpt"), 4, NAMES, SIZES, back, err, sizeof err), 0);
    CU_ASSERT_EQUAL(memcmp(r1, w1, sizeof w1), 0);
    CU_ASSERT_EQUAL(memcmp(rb1, b1, sizeof b1), 0);
    CU_ASSERT_EQUAL(memcmp(r2, w2, sizeof w2), 0);
    CU_ASSERT_EQUAL(memcmp(rb2, b2, sizeof b2), 0);
    /* zero tensors and empty tensors are fine too */
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(path_in_tmp("empty.ckpt"), 0, NULL, NULL, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(rf_ckpt_load(path_in_tmp("empty.ckpt"), 0, NULL, NULL, NULL, err, sizeof err), 0);
    /* saving again replaces the file */
    w1[0] = 42;
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(path_in_tmp("m.ckpt"), 4, NAMES, SIZES, DATA, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_load(path_in_tmp("m.ckpt"), 4, NAMES, SIZES, back, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r1[0], 42.0f);
}

/* Parses buf and expects a refusal that leaves the destination untouched. */
static void expect_refusal(const unsigned char *buf, size_t len, const char *says)
{
    float r1[6], rb1[3], r2[3], rb2[1];
    float *const back[4] = {r1, rb1, r2, rb2};
    memset(r1, 0x11, sizeof r1);
    memset(rb1, 0x11, sizeof rb1);
    memset(r2, 0x11, sizeof r2);
    memset(rb2, 0x11, sizeof rb2);
    CU_ASSERT_EQUAL(rf_ckpt_parse(buf, len, 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS(says);
    unsigned char untouched[sizeof r1];
    memset(untouched, 0x11, sizeof untouched);
    CU_ASSERT_EQUAL(memcmp(r1, untouched, sizeof r1), 0);
    CU_ASSERT_EQUAL(memcmp(rb2, untouched, sizeof rb2), 0);
}

static void test_bad_magic_version_crc(void)
{
    size_t len;
    unsigned char *buf = saved_bytes(&len);
    buf[3] = 'X';
    expect_refusal(buf, len, "not a regfitc checkpoint (bad magic)");
    buf[3] = 'T';
    buf[8] = 2;
    expect_refusal(buf, len, "unsupported checkpoint version 2 (this regfitc reads version 1)");
    buf[8] = 1;
    /* one flipped byte anywhere in the data, a name or the CRC itself */
    size_t flips[4] = {50, 22, 70, len - 1};
    for (int i = 0; i < 4; i++) {
        buf[flips[i]] ^= 0x20;
        expect_refusal(buf, len, "CRC mismatch: file is corrupt");
        buf[flips[i]] ^= 0x20;
    }
    /* and it is fine again */
    float r1[6], rb1[3], r2[3], rb2[1];
    float *const back[4] = {r1, rb1, r2, rb2};
    CU_ASSERT_EQUAL(rf_ckpt_parse(buf, len, 4, NAMES, SIZES, back, err, sizeof err), 0);
    /* the load path puts the file name first */
    buf[0] = 'r';
    const char *path = rf_test_write_bytes("bad-magic.ckpt", buf, len);
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("bad-magic.ckpt: not a regfitc checkpoint (bad magic)");
    /* a text file */
    path = rf_test_write("model.yaml", "name: mlp\ninput: 784\n");
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("model.yaml: not a regfitc checkpoint (bad magic)");
    free(buf);
}

static void test_truncated_and_trailing(void)
{
    size_t len;
    unsigned char *buf = saved_bytes(&len);
    for (size_t cut = 0; cut < len; cut++) {
        if (cut == 0)
            expect_refusal(buf, cut, "empty file");
        else
            expect_refusal(buf, cut, "truncated");
    }
    unsigned char *longer = malloc(len + 3);
    memcpy(longer, buf, len);
    memset(longer + len, 0, 3);
    expect_refusal(longer, len + 3, "3 trailing bytes after the CRC");
    /* from a file, too */
    const char *path = rf_test_write_bytes("cut.ckpt", buf, len / 2);
    float r1[6], rb1[3], r2[3], rb2[1];
    float *const back[4] = {r1, rb1, r2, rb2};
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("cut.ckpt: truncated");
    free(longer);
    free(buf);
}

/* Sizes in the file that claim more than the file holds are caught by the
 * structure check (which comes before the CRC), before any use. */
static void test_absurd_counts(void)
{
    size_t len;
    unsigned char *buf = saved_bytes(&len);
    buf[12] = 0xff, buf[13] = 0xff, buf[14] = 0xff, buf[15] = 0x7f; /* tensor count */
    expect_refusal(buf, len, "truncated: the header claims 2147483647 tensors");
    buf[12] = 4, buf[13] = 0, buf[14] = 0, buf[15] = 0;
    buf[33] = 0xff, buf[34] = 0xff, buf[35] = 0xff, buf[36] = 0xff; /* element count of tensor 1 */
    expect_refusal(buf, len, "truncated: tensor 1 claims 4294967295 floats");
    buf[33] = 6, buf[34] = 0, buf[35] = 0, buf[36] = 0;
    buf[16] = 0xff, buf[17] = 0xff, buf[18] = 0xff, buf[19] = 0xff; /* name length of tensor 1 */
    expect_refusal(buf, len, "truncated: tensor 1's name of 4294967295 bytes runs past the end");
    free(buf);
}

static void test_another_model(void)
{
    fill();
    const char *path = path_in_tmp("m.ckpt");
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(path, 4, NAMES, SIZES, DATA, err, sizeof err), 0);
    float r1[6], rb1[3], r2[3], rb2[1], extra[5];
    float *const back[5] = {r1, rb1, r2, rb2, extra};
    /* fewer or more tensors */
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 3, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("m.ckpt: checkpoint is for another model: it holds 4 tensors, expected 3");
    const char *names5[5] = {NAMES[0], NAMES[1], NAMES[2], NAMES[3], "x.weight"};
    const int sizes5[5] = {6, 3, 3, 1, 5};
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 5, names5, sizes5, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("it holds 4 tensors, expected 5");
    /* another name */
    const char *names[4] = {"dense1.weight", "dense1.bias", "head.weight", "out.bias"};
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 4, names, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("checkpoint is for another model: tensor 3 is 'out.weight', expected 'head.weight'");
    /* a prefix of the name is another name */
    names[2] = "out.weigh";
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 4, names, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("tensor 3 is 'out.weight', expected 'out.weigh'");
    /* another size */
    const int sizes[4] = {6, 3, 4, 1};
    CU_ASSERT_EQUAL(rf_ckpt_load(path, 4, NAMES, sizes, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("checkpoint is for another model: tensor 3 'out.weight' has 3 values, expected 4");
}

static int temp_files_left(void)
{
    int n = 0;
    DIR *dir = opendir(rf_test_tmpdir());
    struct dirent *e;
    while (dir && (e = readdir(dir)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (dir)
        closedir(dir);
    return n;
}

static void test_files_that_cannot_be(void)
{
    fill();
    float r1[6], rb1[3], r2[3], rb2[1];
    float *const back[4] = {r1, rb1, r2, rb2};
    CU_ASSERT_EQUAL(rf_ckpt_load(path_in_tmp("none.ckpt"), 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("none.ckpt: cannot open: No such file or directory");
    CU_ASSERT_EQUAL(rf_ckpt_load(rf_test_tmpdir(), 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS(rf_test_tmpdir());
    /* destinations that cannot be written: a missing folder, a "folder" that is a file */
    CU_ASSERT_EQUAL(rf_ckpt_save(path_in_tmp("no/such/dir/m.ckpt"), 4, NAMES, SIZES, DATA, err, sizeof err), -1);
    ASSERT_ERR_HAS("no/such/dir/m.ckpt");
    ASSERT_ERR_HAS("No such file or directory");
    rf_test_write("plain-file", "x");
    CU_ASSERT_EQUAL(rf_ckpt_save(path_in_tmp("plain-file/m.ckpt"), 4, NAMES, SIZES, DATA, err, sizeof err), -1);
    ASSERT_ERR_HAS("plain-file/m.ckpt");
    /* a destination that is a folder: the temporary file is written, the rename fails */
    const char *sub = path_in_tmp("sub");
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0777), 0);
    CU_ASSERT_EQUAL(rf_ckpt_save(sub, 4, NAMES, SIZES, DATA, err, sizeof err), -1);
    ASSERT_ERR_HAS("sub: Is a directory");
    CU_ASSERT_EQUAL(temp_files_left(), 0);
}

/* A full disk, simulated by a file size limit (writes past it fail with
 * EFBIG): the save fails, the previous checkpoint stays whole, no
 * temporary file is left. Runs in a child so the limit stays there. */
static void test_disk_full(void)
{
    fill();
    const char *path = path_in_tmp("full.ckpt");
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(path, 4, NAMES, SIZES, DATA, err, sizeof err), 0);
    size_t before_len;
    char *before = rf_test_read_file(path, &before_len);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        struct rlimit lim = {64, 64};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(2);
        w1[0] = -1;
        int rc = rf_ckpt_save(path, 4, NAMES, SIZES, DATA, err, sizeof err);
        _exit(rc == -1 && strstr(err, "full.ckpt: File too large") ? 0 : 1);
    }
    int status;
    CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t after_len;
    char *after = rf_test_read_file(path, &after_len);
    CU_ASSERT_EQUAL_FATAL(after_len, before_len);
    CU_ASSERT_EQUAL(memcmp(before, after, before_len), 0);
    CU_ASSERT_EQUAL(temp_files_left(), 0);
    free(before);
    free(after);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the bytes of the format", test_format_bytes},
        {"bit-exact round trip", test_round_trip},
        {"bad magic, version and CRC", test_bad_magic_version_crc},
        {"truncated at every length, trailing bytes", test_truncated_and_trailing},
        {"absurd counts", test_absurd_counts},
        {"another model's checkpoint", test_another_model},
        {"missing and unwritable files", test_files_that_cannot_be},
        {"full disk keeps the previous file", test_disk_full},
        {NULL, NULL},
    };
    return rf_test_main("checkpoint", cases, argc, argv);
}
