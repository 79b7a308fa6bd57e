/* Checkpoints: the exact bytes of version 2, a bit-exact round trip of
 * parameters, optimizer state and counters, version 1 files still loading,
 * what each load mode takes, and each refusal. */
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

/* Parameters only, through the rf_ckpt interface. */
static int save_params(const char *path, int n, const char *const *names, const int *sizes, float *const *data,
                       char *e, size_t elen)
{
    rf_ckpt ck = {.n_params = n, .names = names, .sizes = sizes, .data = data};
    return rf_ckpt_save(path, &ck, e, elen);
}

static int load_params(const char *path, int n, const char *const *names, const int *sizes, float *const *data,
                       char *e, size_t elen)
{
    rf_ckpt ck = {.n_params = n, .names = names, .sizes = sizes, .data = data};
    return rf_ckpt_load(path, &ck, RF_CKPT_PARAMS, NULL, e, elen);
}

static int parse_params(const unsigned char *buf, size_t len, int n, const char *const *names, const int *sizes,
                        float *const *data, char *e, size_t elen)
{
    rf_ckpt ck = {.n_params = n, .names = names, .sizes = sizes, .data = data};
    return rf_ckpt_parse(buf, len, &ck, RF_CKPT_PARAMS, NULL, e, elen);
}

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
    CU_ASSERT_EQUAL_FATAL(save_params(path, 4, NAMES, SIZES, DATA, err, sizeof err), 0);
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
    /* 16 header + names (13 + 11 + 10 + 8) + 4 * (2 u32) + 13 floats + counters (2 u64, 2 u32) + CRC */
    CU_ASSERT_EQUAL_FATAL(len, 16 + 42 + 32 + 52 + 24 + 4);
    CU_ASSERT_EQUAL(memcmp(buf, "RGFTCKPT\x02\x00\x00\x00\x04\x00\x00\x00", 16), 0);
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
    CU_ASSERT_EQUAL_FATAL(load_params(path_in_tmp("m.ckpt"), 4, NAMES, SIZES, back, err, sizeof err), 0);
    CU_ASSERT_EQUAL(memcmp(r1, w1, sizeof w1), 0);
    CU_ASSERT_EQUAL(memcmp(rb1, b1, sizeof b1), 0);
    CU_ASSERT_EQUAL(memcmp(r2, w2, sizeof w2), 0);
    CU_ASSERT_EQUAL(memcmp(rb2, b2, sizeof b2), 0);
    /* zero tensors and empty tensors are fine too */
    CU_ASSERT_EQUAL_FATAL(save_params(path_in_tmp("empty.ckpt"), 0, NULL, NULL, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(load_params(path_in_tmp("empty.ckpt"), 0, NULL, NULL, NULL, err, sizeof err), 0);
    /* saving again replaces the file */
    w1[0] = 42;
    CU_ASSERT_EQUAL_FATAL(save_params(path_in_tmp("m.ckpt"), 4, NAMES, SIZES, DATA, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(load_params(path_in_tmp("m.ckpt"), 4, NAMES, SIZES, back, err, sizeof err), 0);
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
    CU_ASSERT_EQUAL(parse_params(buf, len, 4, NAMES, SIZES, back, err, sizeof err), -1);
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
    buf[8] = 3;
    expect_refusal(buf, len, "unsupported checkpoint version 3 (this regfitc reads versions 1 and 2)");
    buf[8] = 2;
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
    CU_ASSERT_EQUAL(parse_params(buf, len, 4, NAMES, SIZES, back, err, sizeof err), 0);
    /* the load path puts the file name first */
    buf[0] = 'r';
    const char *path = rf_test_write_bytes("bad-magic.ckpt", buf, len);
    CU_ASSERT_EQUAL(load_params(path, 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("bad-magic.ckpt: not a regfitc checkpoint (bad magic)");
    /* a text file */
    path = rf_test_write("model.yaml", "name: mlp\ninput: 784\n");
    CU_ASSERT_EQUAL(load_params(path, 4, NAMES, SIZES, back, err, sizeof err), -1);
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
    CU_ASSERT_EQUAL(load_params(path, 4, NAMES, SIZES, back, err, sizeof err), -1);
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
    CU_ASSERT_EQUAL_FATAL(save_params(path, 4, NAMES, SIZES, DATA, err, sizeof err), 0);
    float r1[6], rb1[3], r2[3], rb2[1], extra[5];
    float *const back[5] = {r1, rb1, r2, rb2, extra};
    /* fewer or more tensors */
    CU_ASSERT_EQUAL(load_params(path, 5, (const char *const[]){NAMES[0], NAMES[1], NAMES[2], NAMES[3], "x"},
                                (const int[]){6, 3, 3, 1, 1}, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("m.ckpt: checkpoint is for another model: it holds 4 tensors, expected 5 parameter tensors");
    /* three parameters and a fourth tensor: the fourth is taken for state, which must match by name */
    CU_ASSERT_EQUAL(load_params(path, 3, (const char *const[]){NAMES[0], NAMES[1], "head.weight"}, SIZES, back,
                                err, sizeof err), -1);
    ASSERT_ERR_HAS("tensor 3 is 'out.weight', expected 'head.weight'");
    const char *names5[5] = {NAMES[0], NAMES[1], NAMES[2], NAMES[3], "x.weight"};
    const int sizes5[5] = {6, 3, 3, 1, 5};
    CU_ASSERT_EQUAL(load_params(path, 5, names5, sizes5, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("it holds 4 tensors, expected 5 parameter tensors");
    /* another name */
    const char *names[4] = {"dense1.weight", "dense1.bias", "head.weight", "out.bias"};
    CU_ASSERT_EQUAL(load_params(path, 4, names, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("checkpoint is for another model: tensor 3 is 'out.weight', expected 'head.weight'");
    /* a prefix of the name is another name */
    names[2] = "out.weigh";
    CU_ASSERT_EQUAL(load_params(path, 4, names, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("tensor 3 is 'out.weight', expected 'out.weigh'");
    /* another size */
    const int sizes[4] = {6, 3, 4, 1};
    CU_ASSERT_EQUAL(load_params(path, 4, NAMES, sizes, back, err, sizeof err), -1);
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
    CU_ASSERT_EQUAL(load_params(path_in_tmp("none.ckpt"), 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS("none.ckpt: cannot open: No such file or directory");
    CU_ASSERT_EQUAL(load_params(rf_test_tmpdir(), 4, NAMES, SIZES, back, err, sizeof err), -1);
    ASSERT_ERR_HAS(rf_test_tmpdir());
    /* destinations that cannot be written: a missing folder, a "folder" that is a file */
    CU_ASSERT_EQUAL(save_params(path_in_tmp("no/such/dir/m.ckpt"), 4, NAMES, SIZES, DATA, err, sizeof err), -1);
    ASSERT_ERR_HAS("no/such/dir/m.ckpt");
    ASSERT_ERR_HAS("No such file or directory");
    rf_test_write("plain-file", "x");
    CU_ASSERT_EQUAL(save_params(path_in_tmp("plain-file/m.ckpt"), 4, NAMES, SIZES, DATA, err, sizeof err), -1);
    ASSERT_ERR_HAS("plain-file/m.ckpt");
    /* a destination that is a folder: the temporary file is written, the rename fails */
    const char *sub = path_in_tmp("sub");
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0777), 0);
    CU_ASSERT_EQUAL(save_params(sub, 4, NAMES, SIZES, DATA, err, sizeof err), -1);
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
    CU_ASSERT_EQUAL_FATAL(save_params(path, 4, NAMES, SIZES, DATA, err, sizeof err), 0);
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
        int rc = save_params(path, 4, NAMES, SIZES, DATA, err, sizeof err);
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

/* Two parameters with one state tensor each (sgd with momentum). */
static const char *const V2_NAMES[4] = {"d.weight", "d.bias", "d.weight.momentum", "d.bias.momentum"};
static const int V2_SIZES[4] = {3, 2, 3, 2};

static rf_ckpt v2_ckpt(float *const *data)
{
    return (rf_ckpt){.n_params = 2, .n_state = 2, .names = V2_NAMES, .sizes = V2_SIZES, .data = data};
}

static void test_version2_whole(void)
{
    float w[3] = {1, 2, 3}, b[2] = {-1, 0.5f}, mw[3] = {0.1f, 0.2f, 0.3f}, mb[2] = {-0.25f, 1e-38f};
    float *const data[4] = {w, b, mw, mb};
    rf_ckpt ck = v2_ckpt(data);
    ck.updates = 0x0123456789abcdefull;
    ck.forward_steps = 0xfedcba9876543210ull;
    ck.epochs = 7;
    ck.best_epoch = 5;
    const char *path = path_in_tmp("v2.ckpt");
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(path, &ck, err, sizeof err), 0);
    size_t len;
    unsigned char *buf = (unsigned char *)rf_test_read_file(path, &len);
    /* the counters stand just before the CRC, little-endian */
    CU_ASSERT_EQUAL(memcmp(buf + len - 28, "\xef\xcd\xab\x89\x67\x45\x23\x01\x10\x32\x54\x76\x98\xba\xdc\xfe"
                                           "\x07\x00\x00\x00\x05\x00\x00\x00", 24), 0);
    CU_ASSERT_EQUAL(le32(buf + 12), 4);
    free(buf);
    float rw[3], rb[2], rmw[3], rmb[2];
    float *const back[4] = {rw, rb, rmw, rmb};
    rf_ckpt in = v2_ckpt(back);
    rf_ckpt_info info;
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_load(path, &in, RF_CKPT_WHOLE, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.version, 2);
    CU_ASSERT_EQUAL(info.state_loaded, 1);
    CU_ASSERT_EQUAL(memcmp(rw, w, sizeof w), 0);
    CU_ASSERT_EQUAL(memcmp(rmb, mb, sizeof mb), 0);
    CU_ASSERT_TRUE(in.updates == ck.updates && in.forward_steps == ck.forward_steps);
    CU_ASSERT_EQUAL(in.epochs, 7);
    CU_ASSERT_EQUAL(in.best_epoch, 5);
    /* --load: parameters, state and the update count, but not epochs or forward steps */
    memset(rmw, 0, sizeof rmw);
    rf_ckpt ld = v2_ckpt(back);
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_load(path, &ld, RF_CKPT_PARAMS_STATE, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.state_loaded, 1);
    CU_ASSERT_EQUAL(memcmp(rmw, mw, sizeof mw), 0);
    CU_ASSERT_TRUE(ld.updates == ck.updates && ld.forward_steps == 0 && ld.epochs == 0);
    /* the same file into plain sgd (no state): the parameters only */
    rf_ckpt plain = {.n_params = 2, .names = V2_NAMES, .sizes = V2_SIZES, .data = back};
    memset(rw, 0, sizeof rw);
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_load(path, &plain, RF_CKPT_PARAMS_STATE, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.state_loaded, 0);
    CU_ASSERT_EQUAL(memcmp(rw, w, sizeof w), 0);
    CU_ASSERT_TRUE(plain.updates == 0);
    /* ... but not for --resume, which needs this model's state */
    CU_ASSERT_EQUAL(rf_ckpt_load(path, &plain, RF_CKPT_WHOLE, NULL, err, sizeof err), -1);
    ASSERT_ERR_HAS("the checkpoint holds 2 optimizer state tensors, this model's optimizer keeps 0");
    /* another optimizer's state of the same count (Adam's exp_avg) */
    const char *const adam_names[4] = {"d.weight", "d.bias", "d.weight.exp_avg", "d.bias.exp_avg"};
    rf_ckpt adam = {.n_params = 2, .n_state = 2, .names = adam_names, .sizes = V2_SIZES, .data = back};
    CU_ASSERT_EQUAL(rf_ckpt_load(path, &adam, RF_CKPT_WHOLE, NULL, err, sizeof err), -1);
    ASSERT_ERR_HAS("the optimizer state is another optimizer's: tensor 3 is 'd.weight.momentum', expected "
                   "'d.weight.exp_avg'");
    CU_ASSERT_EQUAL(rf_ckpt_load(path, &adam, RF_CKPT_PARAMS_STATE, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.state_loaded, 0);
    /* a check without a destination */
    rf_ckpt probe = v2_ckpt(NULL);
    CU_ASSERT_EQUAL(rf_ckpt_load(path, &probe, RF_CKPT_WHOLE, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(probe.epochs, 7);
}

/* A version 1 file, made by hand as the first regfitc wrote it. */
static unsigned char *version1_bytes(size_t *len)
{
    static const float w[3] = {1, 2, 3}, b[2] = {-1, 0.5f};
    unsigned char *buf = malloc(256), *p = buf;
    memcpy(p, "RGFTCKPT\x01\x00\x00\x00\x02\x00\x00\x00", 16);
    p += 16;
    const char *names[2] = {"d.weight", "d.bias"};
    const float *data[2] = {w, b};
    const int sizes[2] = {3, 2};
    for (int t = 0; t < 2; t++) {
        uint32_t n = (uint32_t)strlen(names[t]), k = (uint32_t)sizes[t];
        memcpy(p, &n, 4); /* the test machine is little-endian, as the format */
        memcpy(p + 4, names[t], n);
        p += 4 + n;
        memcpy(p, &k, 4);
        memcpy(p + 4, data[t], 4 * k);
        p += 4 + 4 * k;
    }
    uint32_t crc = (uint32_t)crc32(0, buf, (uInt)(p - buf));
    memcpy(p, &crc, 4);
    *len = (size_t)(p + 4 - buf);
    return buf;
}

static void test_version1_loads(void)
{
    size_t len;
    unsigned char *buf = version1_bytes(&len);
    float rw[3], rb[2], rmw[3] = {9, 9, 9}, rmb[2] = {9, 9};
    float *const back[4] = {rw, rb, rmw, rmb};
    rf_ckpt ck = v2_ckpt(back);
    ck.updates = 11;
    rf_ckpt_info info;
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_parse(buf, len, &ck, RF_CKPT_PARAMS_STATE, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.version, 1);
    CU_ASSERT_EQUAL(info.state_loaded, 0);
    CU_ASSERT_EQUAL(rw[2], 3.0f);
    CU_ASSERT_EQUAL(rb[1], 0.5f);
    CU_ASSERT_EQUAL(rmw[0], 9.0f); /* the state is left alone */
    CU_ASSERT_TRUE(ck.updates == 11);
    CU_ASSERT_EQUAL(rf_ckpt_parse(buf, len, &ck, RF_CKPT_WHOLE, NULL, err, sizeof err), -1);
    ASSERT_ERR_HAS("a version 1 checkpoint holds the parameters only");
    /* a version 1 file whose CRC does not match, or that is cut, is refused as before */
    buf[20] ^= 1;
    CU_ASSERT_EQUAL(rf_ckpt_parse(buf, len, &ck, RF_CKPT_PARAMS, NULL, err, sizeof err), -1);
    ASSERT_ERR_HAS("CRC mismatch");
    buf[20] ^= 1;
    CU_ASSERT_EQUAL(rf_ckpt_parse(buf, len - 1, &ck, RF_CKPT_PARAMS, NULL, err, sizeof err), -1);
    ASSERT_ERR_HAS("truncated");
    free(buf);
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
        {"version 2: state and counters, and what each mode takes", test_version2_whole},
        {"version 1 files still load (parameters only)", test_version1_loads},
        {NULL, NULL},
    };
    return rf_test_main("checkpoint", cases, argc, argv);
}
