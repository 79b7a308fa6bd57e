/* The decoded-data cache (runtime/data_cache.h): a cold load writes the
 * entry, a warm one maps the same pixels; a changed source makes a new
 * entry and removes the old; a truncated or corrupt entry is ignored and
 * written again; a data error, REGFIT_DATA_CACHE=0 or an unwritable cache
 * folder writes nothing (and the data still loads); writers at once; the
 * old format's float entries are removed; the real Fashion-MNIST end to end. */
#define _DEFAULT_SOURCE /* utimensat's UTIME_NOW, ftruncate */
#include "build.h"
#include "cache_dir.h"
#include "data_cache.h"
#include "dataset.h"
#include "rftest.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char err[2048];

/* ---- files ---- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* DIR/name: an idx3 file of n images of rows x cols, pixel k a scramble of k and seed;
 * gzipped when gz. Returns the path (malloc'd). */
static char *write_images(const char *name, int n, int rows, int cols, unsigned seed, int gz)
{
    size_t payload = (size_t)n * rows * cols, len = 16 + payload;
    unsigned char *buf = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    put_be32(buf, 0x803);
    put_be32(buf + 4, (uint32_t)n);
    put_be32(buf + 8, (uint32_t)rows);
    put_be32(buf + 12, (uint32_t)cols);
    for (size_t k = 0; k < payload; k++)
        buf[16 + k] = (unsigned char)(((k + seed) * 2654435761u) >> 13);
    char *path = strdup(rf_test_write_bytes(name, buf, gz ? 0 : len));
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(gzwrite(f, buf, (unsigned)len), (int)len);
        CU_ASSERT_EQUAL(gzclose(f), Z_OK);
    }
    free(buf);
    return path;
}

/* DIR/name: n labels, label i = i % 4, or `bad` at index bad_at. */
static char *write_labels(const char *name, int n, int bad_at, int bad)
{
    unsigned char *buf = malloc(8 + (size_t)n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    put_be32(buf, 0x801);
    put_be32(buf + 4, (uint32_t)n);
    for (int i = 0; i < n; i++)
        buf[8 + i] = (unsigned char)(i == bad_at ? bad : i % 4);
    char *path = strdup(rf_test_write_bytes(name, buf, 8 + (size_t)n));
    free(buf);
    return path;
}

/* A model reading the IDX files of its data (paths owned by the caller). */
static rf_model idx_model(char *train_images, char *train_labels, char *test_images, char *test_labels, int input)
{
    rf_model m;
    memset(&m, 0, sizeof m);
    m.data.kind = RF_DATA_IDX;
    m.input = input;
    m.outputs = 4;
    m.loss = RF_LOSS_SOFTMAX_CE;
    m.data.train_images = train_images;
    m.data.train_labels = train_labels;
    m.data.test_images = test_images;
    m.data.test_labels = test_labels;
    return m;
}

static void free_paths(rf_model *m)
{
    free(m->data.train_images);
    free(m->data.train_labels);
    free(m->data.test_images);
    free(m->data.test_labels);
}

/* A cache in a fresh folder of the test's, caching every size. */
static rf_data_cache fresh_cache(const char *name)
{
    rf_data_cache c;
    snprintf(c.dir, sizeof c.dir, "%s/%s/data", rf_test_tmpdir(), name);
    c.min_pixels = 0;
    return c;
}

/* Files in dir whose names end in suffix (".u8") or, with suffix NULL, hold ".tmp.". */
static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (suffix ? len > strlen(suffix) && !strcmp(e->d_name + len - strlen(suffix), suffix)
                   : strstr(e->d_name, ".tmp.") != NULL)
            n++;
    }
    closedir(d);
    return n;
}

/* The entry a lookup of path would use (a miss: NULL map). */
static void entry_of(const rf_data_cache *c, const char *path, char *out, size_t len)
{
    rf_data_cache_key key;
    const uint8_t *x;
    void *map;
    size_t map_len;
    int n, rows, cols;
    int found = rf_data_cache_lookup(c, path, &key, &x, &map, &map_len, &n, &rows, &cols);
    CU_ASSERT_TRUE(found >= 0);
    if (found == 1)
        munmap(map, map_len);
    snprintf(out, len, "%s", key.entry);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void expect_loaded(const rf_datasets *d, int n_train, int n_test, int features)
{
    CU_ASSERT_EQUAL(d->train.n, n_train);
    CU_ASSERT_EQUAL(d->test.n, n_test);
    CU_ASSERT_EQUAL(d->train.features, features);
    CU_ASSERT_EQUAL(d->test.features, features);
    CU_ASSERT_PTR_NOT_NULL(d->train.labels);
}

/* A copy of a dataset's pixels. */
static uint8_t *copy_x(const rf_dataset *d)
{
    size_t bytes = (size_t)d->n * d->features;
    uint8_t *x = malloc(bytes);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->pixels);
    memcpy(x, d->pixels, bytes);
    return x;
}

static int same_x(const rf_dataset *d, const uint8_t *x)
{
    return d->pixels && !d->x && memcmp(d->pixels, x, (size_t)d->n * d->features) == 0;
}

/* ---- cases ---- */

static void test_cold_writes_warm_maps(void)
{
    rf_data_cache c = fresh_cache("cold-warm");
    rf_model m = idx_model(write_images("cw-train.gz", 60, 4, 5, 1, 1), write_labels("cw-train-labels", 60, -1, 0),
                           write_images("cw-test", 30, 4, 5, 2, 0), write_labels("cw-test-labels", 30, -1, 0), 20);
    rf_datasets cold, warm;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &cold, err, sizeof err), 0);
    expect_loaded(&cold, 60, 30, 20);
    CU_ASSERT_PTR_NULL(cold.train.x_map); /* decoded */
    CU_ASSERT_PTR_NULL(cold.test.x_map);
    /* one entry per image file (gzipped and plain alike), header + pixels, no temporaries */
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
    CU_ASSERT_EQUAL(count_files(c.dir, NULL), 0);
    char entry[RF_PATH_MAX];
    entry_of(&c, m.data.train_images, entry, sizeof entry);
    CU_ASSERT_EQUAL(file_size(entry), 4096 + 60 * 20);
    CU_ASSERT_PTR_NOT_NULL(strstr(entry, "/cw-train.gz-"));
    size_t len;
    char *bytes = rf_test_read_file(entry, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
    CU_ASSERT_EQUAL(memcmp(bytes, "RGFTDATA", 8), 0);
    CU_ASSERT_EQUAL(memcmp(bytes + 4096, cold.train.pixels, 60 * 20), 0);
    free(bytes);

    /* warm: the same pixels, from the mapping; the labels as before */
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &warm, err, sizeof err), 0);
    expect_loaded(&warm, 60, 30, 20);
    CU_ASSERT_PTR_NOT_NULL(warm.train.x_map);
    CU_ASSERT_PTR_NOT_NULL(warm.test.x_map);
    CU_ASSERT_TRUE(same_x(&warm.train, cold.train.pixels));
    CU_ASSERT_TRUE(same_x(&warm.test, cold.test.pixels));
    CU_ASSERT_EQUAL(memcmp(warm.train.labels, cold.train.labels, 60 * sizeof(int32_t)), 0);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
    rf_datasets_free(&warm);
    CU_ASSERT_PTR_NULL(warm.train.pixels);
    CU_ASSERT_PTR_NULL(warm.train.x_map);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &warm, err, sizeof err), 0);
    CU_ASSERT_TRUE(same_x(&warm.train, cold.train.pixels));
    /* the model checks run on a hit as on a miss, with the same messages */
    rf_datasets_free(&warm);
    m.input = 21;
    CU_ASSERT_EQUAL(rf_data_load_with_cache(&m, NULL, &c, &warm, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "cw-train.gz: images of 4 x 5 = 20 pixels, but the model's input is 21 features");
    CU_ASSERT_PTR_NULL(warm.train.pixels);
    m.input = 20;
    m.outputs = 3;
    CU_ASSERT_EQUAL(rf_data_load_with_cache(&m, NULL, &c, &warm, err, sizeof err), RF_DATA_MISMATCH);
    RF_ASSERT_CONTAINS(err, "cw-train-labels: label 3 of sample 3 is out of range (the model has 3 classes: 0 to 2)");
    /* no cache at all: decoded, the same pixels */
    m.outputs = 4;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, NULL, &warm, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(warm.train.x_map);
    CU_ASSERT_TRUE(same_x(&warm.train, cold.train.pixels));
    rf_datasets_free(&warm);
    rf_datasets_free(&cold);
    free_paths(&m);
}

static void test_changed_source_replaces_its_entry(void)
{
    rf_data_cache c = fresh_cache("changed");
    rf_model m = idx_model(write_images("ch-train", 40, 3, 3, 5, 0), write_labels("ch-train-labels", 40, -1, 0),
                           write_images("ch-test", 20, 3, 3, 6, 0), write_labels("ch-test-labels", 20, -1, 0), 9);
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    rf_datasets_free(&d);
    char before[RF_PATH_MAX], after[RF_PATH_MAX], test_entry[RF_PATH_MAX];
    entry_of(&c, m.data.train_images, before, sizeof before);
    entry_of(&c, m.data.test_images, test_entry, sizeof test_entry);
    CU_ASSERT_EQUAL(access(before, F_OK), 0);
    /* a new modification time: a new entry, the old one gone, the other file's kept */
    struct timespec times[2] = {{0, UTIME_NOW}, {1234567890, 123456789}};
    CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, m.data.train_images, times, 0), 0);
    entry_of(&c, m.data.train_images, after, sizeof after);
    CU_ASSERT_STRING_NOT_EQUAL(before, after);
    CU_ASSERT_NOT_EQUAL(access(after, F_OK), 0);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(d.train.x_map); /* decoded again */
    CU_ASSERT_PTR_NOT_NULL(d.test.x_map);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(access(after, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(before, F_OK), 0);
    CU_ASSERT_EQUAL(access(test_entry, F_OK), 0);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
    /* new contents in place (same inode, size and even modification time, as cp -p
     * can leave): the change time differs, so the old pixels are not used */
    char *old_x;
    {
        CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
        CU_ASSERT_PTR_NOT_NULL(d.train.x_map);
        old_x = (char *)copy_x(&d.train);
        rf_datasets_free(&d);
    }
    struct stat st0;
    CU_ASSERT_EQUAL_FATAL(stat(m.data.train_images, &st0), 0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL); /* a change time that differs, whatever the clock's granularity */
    free(write_images("ch-train", 40, 3, 3, 77, 0));
    struct timespec keep[2] = {st0.st_atim, st0.st_mtim};
    CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, m.data.train_images, keep, 0), 0);
    struct stat st1;
    CU_ASSERT_EQUAL_FATAL(stat(m.data.train_images, &st1), 0);
    CU_ASSERT_EQUAL(st0.st_ino, st1.st_ino);
    CU_ASSERT_EQUAL(st0.st_size, st1.st_size);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(d.train.x_map);
    CU_ASSERT_FALSE(same_x(&d.train, (uint8_t *)old_x));
    rf_datasets direct;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, NULL, &direct, err, sizeof err), 0);
    CU_ASSERT_TRUE(same_x(&d.train, direct.train.pixels));
    rf_datasets_free(&direct);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
    free(old_x);
    free_paths(&m);
}

/* Loads m with c: decoded (not mapped) with pixels equal to want, then once more mapped. */
static void expect_rebuilt(const rf_model *m, const rf_data_cache *c, const uint8_t *want, const char *entry)
{
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(m, NULL, c, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(d.train.x_map);
    CU_ASSERT_TRUE(same_x(&d.train, want));
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(file_size(entry), 4096 + 50 * 16);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(m, NULL, c, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(d.train.x_map);
    CU_ASSERT_TRUE(same_x(&d.train, want));
    rf_datasets_free(&d);
}

/* Rewrites `len` bytes at `at` of the file (or, with data NULL, truncates it to `at`). */
static void damage(const char *path, long at, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    if (data) {
        CU_ASSERT_EQUAL(pwrite(fd, data, len, at), (ssize_t)len);
    } else {
        CU_ASSERT_EQUAL(ftruncate(fd, at), 0);
    }
    close(fd);
}

static void test_bad_entries_are_ignored_and_rewritten(void)
{
    rf_data_cache c = fresh_cache("bad-entries");
    rf_model m = idx_model(write_images("bad-train.gz", 50, 4, 4, 9, 1), write_labels("bad-train-labels", 50, -1, 0),
                           write_images("bad-test", 10, 4, 4, 3, 0), write_labels("bad-test-labels", 10, -1, 0), 16);
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    uint8_t *want = copy_x(&d.train);
    rf_datasets_free(&d);
    char entry[RF_PATH_MAX];
    entry_of(&c, m.data.train_images, entry, sizeof entry);
    const long whole = 4096 + 50 * 16;
    CU_ASSERT_EQUAL_FATAL(file_size(entry), whole);

    /* truncated: short of the pixels, inside the header, empty */
    const long cuts[] = {whole - 4, 4096, 100, 0};
    for (int i = 0; i < 4; i++) {
        damage(entry, cuts[i], NULL, 0);
        expect_rebuilt(&m, &c, want, entry);
    }
    /* longer than the header says */
    int fd = open(entry, O_WRONLY | O_APPEND);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, "0123", 4), 4);
    close(fd);
    expect_rebuilt(&m, &c, want, entry);
    /* a header byte changed: the magic, the version, n (as if the file held more
     * images), the byte-order check, the recorded path, the header's own hash */
    const long spots[] = {0, 8, 20, 16, 96, 90};
    for (int i = 0; i < 6; i++) {
        unsigned char b;
        FILE *f = fopen(entry, "rb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(fseek(f, spots[i], SEEK_SET), 0);
        CU_ASSERT_EQUAL(fread(&b, 1, 1, f), 1);
        fclose(f);
        b ^= 0x40;
        damage(entry, spots[i], &b, 1);
        expect_rebuilt(&m, &c, want, entry);
    }
    /* a folder where the entry goes: loads, nothing written, the folder left */
    CU_ASSERT_EQUAL(unlink(entry), 0);
    CU_ASSERT_EQUAL(mkdir(entry, 0777), 0);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(d.train.x_map);
    CU_ASSERT_TRUE(same_x(&d.train, want));
    rf_datasets_free(&d);
    struct stat st;
    CU_ASSERT_TRUE(stat(entry, &st) == 0 && S_ISDIR(st.st_mode));
    CU_ASSERT_EQUAL(rmdir(entry), 0);
    CU_ASSERT_EQUAL(count_files(c.dir, NULL), 0);
    free(want);
    free_paths(&m);
}

/* A data error, however late it is found, leaves no entry. */
static void test_bad_data_writes_no_entry(void)
{
    rf_data_cache c = fresh_cache("bad-data");
    char *images = write_images("bd-train", 30, 2, 5, 4, 0);
    rf_model m = idx_model(images, write_labels("bd-train-labels", 30, 17, 9), write_images("bd-test", 10, 2, 5, 8, 0),
                           write_labels("bd-test-labels", 10, -1, 0), 10);
    rf_datasets d;
    CU_ASSERT_EQUAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), RF_DATA_MISMATCH);
    RF_ASSERT_CONTAINS(err, "bd-train-labels: label 9 of sample 17 is out of range");
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 0);
    /* the test set's label file is short: the train set loaded, still no entry */
    free(m.data.train_labels);
    m.data.train_labels = write_labels("bd-train-labels", 30, -1, 0);
    free(m.data.test_labels);
    m.data.test_labels = write_labels("bd-test-labels", 9, -1, 0);
    CU_ASSERT_EQUAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "bd-test-labels: 9 labels, but ");
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 0);
    /* a broken image file: the same message as without a cache */
    free(m.data.test_labels);
    m.data.test_labels = write_labels("bd-test-labels", 10, -1, 0);
    unsigned char bad[20] = {0, 0, 8, 3, 0, 0, 0, 9};
    free(m.data.test_images);
    m.data.test_images = strdup(rf_test_write_bytes("bd-test", bad, sizeof bad));
    char with[2048];
    CU_ASSERT_EQUAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), -1);
    snprintf(with, sizeof with, "%s", err);
    CU_ASSERT_EQUAL(rf_data_load_with_cache(&m, NULL, NULL, &d, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(with, err);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 0);
    /* all good: both entries */
    free(m.data.test_images);
    m.data.test_images = write_images("bd-test", 10, 2, 5, 8, 0);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
    free_paths(&m);
}

/* rf_data_load's own cache: REGFIT_CACHE/data, on unless REGFIT_DATA_CACHE=0, and only
 * for files of at least RF_DATA_CACHE_MIN_PIXELS pixels. */
static void test_environment_and_default_cache(void)
{
    char root[4200], data[4300];
    snprintf(root, sizeof root, "%s/env-cache", rf_test_tmpdir());
    snprintf(data, sizeof data, "%s/data", root);
    const char *old = getenv("REGFIT_CACHE");
    char *saved = old ? strdup(old) : NULL;
    setenv("REGFIT_CACHE", root, 1);
    rf_data_cache c;
    unsetenv("REGFIT_DATA_CACHE");
    CU_ASSERT_EQUAL(rf_data_cache_default(&c), 0);
    CU_ASSERT_STRING_EQUAL(c.dir, data);
    CU_ASSERT_EQUAL(c.min_pixels, RF_DATA_CACHE_MIN_PIXELS);
    setenv("REGFIT_DATA_CACHE", "1", 1);
    CU_ASSERT_EQUAL(rf_data_cache_default(&c), 0);
    setenv("REGFIT_DATA_CACHE", "0", 1);
    CU_ASSERT_EQUAL(rf_data_cache_default(&c), -1);

    /* 300 images of 32 x 32: 307,200 pixels, cached; a small test set is not */
    rf_model m = idx_model(write_images("env-train", 300, 32, 32, 1, 1), write_labels("env-train-labels", 300, -1, 0),
                           write_images("env-test", 20, 32, 32, 2, 1), write_labels("env-test-labels", 20, -1, 0), 1024);
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0); /* REGFIT_DATA_CACHE=0 */
    rf_datasets_free(&d);
    CU_ASSERT_NOT_EQUAL(access(data, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(root, F_OK), 0);
    unsetenv("REGFIT_DATA_CACHE");
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    uint8_t *cold = copy_x(&d.train);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(count_files(data, ".u8"), 1);
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(d.train.x_map);
    CU_ASSERT_PTR_NULL(d.test.x_map);
    CU_ASSERT_TRUE(same_x(&d.train, cold));
    rf_datasets_free(&d);
    /* off again: decoded, nothing more written */
    setenv("REGFIT_DATA_CACHE", "0", 1);
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(d.train.x_map);
    CU_ASSERT_TRUE(same_x(&d.train, cold));
    rf_datasets_free(&d);
    unsetenv("REGFIT_DATA_CACHE");
    free(cold);
    free_paths(&m);

    /* the same root as the build cache, whatever the environment says */
    const char *names[] = {"REGFIT_CACHE", "XDG_CACHE_HOME", "HOME"};
    char *was[3];
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        was[i] = v ? strdup(v) : NULL;
    }
    const char *settings[][3] = {{"/r/c", "/x/c", "/h"}, {"", "/x/c", "/h"}, {NULL, NULL, "/h"}, {NULL, "", ""},
                                 {NULL, NULL, NULL}};
    for (int s = 0; s < 5; s++) {
        for (int i = 0; i < 3; i++) {
            if (settings[s][i])
                setenv(names[i], settings[s][i], 1);
            else
                unsetenv(names[i]);
        }
        char mine[4096], build[4096];
        rf_cache_dir(mine, sizeof mine);
        rf_build_cache_dir(NULL, build, sizeof build);
        CU_ASSERT_STRING_EQUAL(mine, build);
    }
    for (int i = 0; i < 3; i++) {
        if (was[i])
            setenv(names[i], was[i], 1);
        else
            unsetenv(names[i]);
        free(was[i]);
    }
    if (saved)
        setenv("REGFIT_CACHE", saved, 1);
    free(saved);
}

/* A cache folder that cannot be made or written into, or a write that fails half-way:
 * the data loads all the same, and nothing is left behind. */
static void test_unwritable_cache_still_loads(void)
{
    rf_model m = idx_model(write_images("uw-train", 160, 8, 8, 3, 1), write_labels("uw-train-labels", 160, -1, 0),
                           write_images("uw-test", 16, 8, 8, 4, 0), write_labels("uw-test-labels", 16, -1, 0), 64);
    rf_datasets direct, d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, NULL, &direct, err, sizeof err), 0);
    rf_data_cache c;
    c.min_pixels = 0;
    /* under a file, under /proc */
    const char *file = rf_test_write("uw-a-file", "x");
    const char *dirs[2] = {file, "/proc/regfitc-no-such-dir"};
    for (int i = 0; i < 2; i++) {
        snprintf(c.dir, sizeof c.dir, "%s/data", dirs[i]);
        CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
        CU_ASSERT_PTR_NULL(d.train.x_map);
        CU_ASSERT_TRUE(same_x(&d.train, direct.train.pixels));
        CU_ASSERT_TRUE(same_x(&d.test, direct.test.pixels));
        rf_datasets_free(&d);
    }
    /* a file size limit that cuts the write short (a full disk, as far as the writer can
     * tell): the entry's temporary file is removed, no entry is left */
    c = fresh_cache("uw-limit");
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {8192, 8192};
        setrlimit(RLIMIT_FSIZE, &lim);
        rf_datasets dd;
        int rc = rf_data_load_with_cache(&m, NULL, &c, &dd, err, sizeof err);
        int ok = rc == 0 && !dd.train.x_map && same_x(&dd.train, direct.train.pixels) &&
                 same_x(&dd.test, direct.test.pixels);
        rf_datasets_free(&dd);
        _exit(ok ? 0 : 1);
    }
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the test set (1 KiB of pixels + 4 KiB of header) fits under the limit, the training set (10 KiB) does not */
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 1);
    CU_ASSERT_EQUAL(count_files(c.dir, NULL), 0);
    char entry[RF_PATH_MAX];
    entry_of(&c, m.data.train_images, entry, sizeof entry);
    CU_ASSERT_NOT_EQUAL(access(entry, F_OK), 0);
    rf_datasets_free(&direct);
    free_paths(&m);
}

/* Writing an entry tidies the folder: entries whose source is gone and dead writers'
 * temporaries go; other sources' entries, young temporaries and other files stay. */
static void test_store_tidies_the_folder(void)
{
    rf_data_cache c = fresh_cache("tidy");
    char *gone = write_images("tidy-gone", 20, 2, 2, 1, 0);
    rf_model g = idx_model(strdup(gone), write_labels("tidy-gone-labels", 20, -1, 0), strdup(gone),
                           write_labels("tidy-gone-labels2", 20, -1, 0), 4);
    rf_model m = idx_model(write_images("tidy-train", 20, 2, 2, 2, 0), write_labels("tidy-labels", 20, -1, 0),
                           write_images("tidy-test", 20, 2, 2, 3, 0), write_labels("tidy-labels2", 20, -1, 0), 4);
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&g, NULL, &c, &d, err, sizeof err), 0);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 1); /* one file as train and test images: one entry */
    char gone_entry[RF_PATH_MAX];
    entry_of(&c, gone, gone_entry, sizeof gone_entry);
    /* temporaries: one of a writer killed two hours ago, one young; a file that is no entry */
    char old_temp[RF_PATH_MAX + 40], young_temp[RF_PATH_MAX + 40], other[RF_PATH_MAX + 40];
    char old_format[RF_PATH_MAX + 40], old_format_temp[RF_PATH_MAX + 40];
    snprintf(old_temp, sizeof old_temp, "%s/x-0-0.u8.tmp.AbCdEf", c.dir);
    snprintf(young_temp, sizeof young_temp, "%s/y-0-0.u8.tmp.GhIjKl", c.dir);
    snprintf(other, sizeof other, "%s/notes.txt", c.dir);
    /* version 1's float entries (and a young temporary of one): no longer read, so removed */
    snprintf(old_format, sizeof old_format, "%s/train-images-idx3-ubyte.gz-0-0.f32", c.dir);
    snprintf(old_format_temp, sizeof old_format_temp, "%s/t-0-0.f32.tmp.MnOpQr", c.dir);
    const char *made[5] = {old_temp, young_temp, other, old_format, old_format_temp};
    for (int i = 0; i < 5; i++) {
        FILE *f = fopen(made[i], "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs("x", f);
        fclose(f);
    }
    struct timespec two_hours_ago[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, old_temp, two_hours_ago, 0), 0);
    /* with its source there, a write leaves the other entry */
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(access(gone_entry, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(old_temp, F_OK), 0);
    CU_ASSERT_EQUAL(access(young_temp, F_OK), 0);
    CU_ASSERT_EQUAL(access(other, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(old_format, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(old_format_temp, F_OK), 0);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 3);
    /* its source deleted: the next write removes it */
    CU_ASSERT_EQUAL(unlink(gone), 0);
    struct timespec times[2] = {{0, UTIME_NOW}, {1000000000, 0}};
    CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, m.data.test_images, times, 0), 0);
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
    rf_datasets_free(&d);
    CU_ASSERT_NOT_EQUAL(access(gone_entry, F_OK), 0);
    CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
    CU_ASSERT_EQUAL(access(young_temp, F_OK), 0);
    CU_ASSERT_EQUAL(access(other, F_OK), 0);
    free(gone);
    free_paths(&g);
    free_paths(&m);
}

/* Processes loading the same files at once with a cold cache (MPI ranks, sweep points):
 * all load, one entry per file, no temporaries, and the entry maps the same pixels. */
static void test_writers_at_once(void)
{
    rf_data_cache c = fresh_cache("at-once");
    rf_model m = idx_model(write_images("ao-train.gz", 2000, 16, 16, 11, 1), write_labels("ao-labels", 2000, -1, 0),
                           write_images("ao-test", 500, 16, 16, 12, 0), write_labels("ao-labels2", 500, -1, 0), 256);
    rf_datasets direct;
    CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, NULL, &direct, err, sizeof err), 0);
    for (int round = 0; round < 3; round++) {
        enum { WRITERS = 4 };
        pid_t pids[WRITERS];
        for (int i = 0; i < WRITERS; i++) {
            pids[i] = fork();
            CU_ASSERT_TRUE_FATAL(pids[i] >= 0);
            if (pids[i] == 0) {
                rf_datasets d;
                int ok = rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err) == 0 &&
                         same_x(&d.train, direct.train.pixels) && same_x(&d.test, direct.test.pixels);
                rf_datasets_free(&d);
                _exit(ok ? 0 : 1);
            }
        }
        for (int i = 0; i < WRITERS; i++) {
            int status;
            CU_ASSERT_EQUAL(waitpid(pids[i], &status, 0), pids[i]);
            CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        CU_ASSERT_EQUAL(count_files(c.dir, ".u8"), 2);
        CU_ASSERT_EQUAL(count_files(c.dir, NULL), 0);
        rf_datasets d;
        CU_ASSERT_EQUAL_FATAL(rf_data_load_with_cache(&m, NULL, &c, &d, err, sizeof err), 0);
        CU_ASSERT_PTR_NOT_NULL(d.train.x_map);
        CU_ASSERT_TRUE(same_x(&d.train, direct.train.pixels));
        CU_ASSERT_TRUE(same_x(&d.test, direct.test.pixels));
        rf_datasets_free(&d);
        /* cold again for the next round */
        struct timespec times[2] = {{0, UTIME_NOW}, {1500000000 + round, 0}};
        CU_ASSERT_EQUAL(utimensat(AT_FDCWD, m.data.train_images, times, 0), 0);
        CU_ASSERT_EQUAL(utimensat(AT_FDCWD, m.data.test_images, times, 0), 0);
    }
    rf_datasets_free(&direct);
    free_paths(&m);
}

/* The real Fashion-MNIST through rf_data_load and through regfitc, with a cache of the
 * test's own: cold writes about 55 MB, warm maps the same pixels; REGFIT_DATA_CACHE=0
 * writes nothing. */
static void test_real_fashion_mnist(void)
{
    struct stat st;
    if (stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", &st) != 0) {
        fprintf(stderr, "\n  (skipped: apt-get install dataset-fashion-mnist) ");
        return;
    }
    char root[4200], data[4300];
    snprintf(root, sizeof root, "%s/fashion-cache", rf_test_tmpdir());
    snprintf(data, sizeof data, "%s/data", root);
    const char *old = getenv("REGFIT_CACHE");
    char *saved = old ? strdup(old) : NULL;
    setenv("REGFIT_CACHE", root, 1);
    unsetenv("REGFIT_DATA_CACHE");
    unsetenv("REGFIT_DATA");
    rf_model m;
    memset(&m, 0, sizeof m);
    m.data.kind = RF_DATA_FASHION_MNIST;
    m.input = 784;
    m.outputs = 10;
    m.loss = RF_LOSS_SOFTMAX_CE;
    rf_datasets cold, warm;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &cold, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(cold.train.x_map);
    CU_ASSERT_EQUAL(count_files(data, ".u8"), 2);
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &warm, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(warm.train.x_map);
    CU_ASSERT_PTR_NOT_NULL(warm.test.x_map);
    CU_ASSERT_EQUAL(warm.train.n, 60000);
    CU_ASSERT_EQUAL(warm.test.n, 10000);
    CU_ASSERT_TRUE(same_x(&warm.train, cold.train.pixels));
    CU_ASSERT_TRUE(same_x(&warm.test, cold.test.pixels));
    CU_ASSERT_EQUAL(memcmp(warm.train.labels, cold.train.labels, 60000 * sizeof(int32_t)), 0);
    rf_datasets_free(&warm);
    rf_datasets_free(&cold);
    char entry[RF_PATH_MAX];
    rf_data_cache c;
    CU_ASSERT_EQUAL_FATAL(rf_data_cache_default(&c), 0);
    entry_of(&c, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", entry, sizeof entry);
    CU_ASSERT_EQUAL(file_size(entry), 4096 + 60000L * 784);
    /* regfitc --check reads the data (and the cache) as a run does */
    char args[4400];
    snprintf(args, sizeof args, "--check %s/models/mlp_dropout.yaml", rf_test_source_dir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(count_files(data, ".u8"), 2);
    /* REGFIT_DATA_CACHE=0: nothing written, by rf_data_load or by regfitc */
    snprintf(root, sizeof root, "%s/fashion-cache-off", rf_test_tmpdir());
    setenv("REGFIT_CACHE", root, 1);
    setenv("REGFIT_DATA_CACHE", "0", 1);
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &cold, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(cold.train.x_map);
    rf_datasets_free(&cold);
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_NOT_EQUAL(access(root, F_OK), 0);
    unsetenv("REGFIT_DATA_CACHE");
    if (saved)
        setenv("REGFIT_CACHE", saved, 1);
    else
        unsetenv("REGFIT_CACHE");
    free(saved);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"a cold load writes the entry, a warm one maps the same pixels", test_cold_writes_warm_maps},
        {"a changed source gets a new entry, its old one goes", test_changed_source_replaces_its_entry},
        {"truncated or corrupt entries are ignored and written again", test_bad_entries_are_ignored_and_rewritten},
        {"a data error leaves no entry", test_bad_data_writes_no_entry},
        {"REGFIT_DATA_CACHE, the cache folder, the size floor", test_environment_and_default_cache},
        {"an unwritable cache folder or a failed write: loads, leaves nothing", test_unwritable_cache_still_loads},
        {"writing tidies the folder", test_store_tidies_the_folder},
        {"writers at once", test_writers_at_once},
        {"the real Fashion-MNIST", test_real_fashion_mnist},
        {NULL, NULL},
    };
    return rf_test_main("data_cache", cases, argc, argv);
}
