/* The decoded-data cache (see data_cache.h). */
#define _DEFAULT_SOURCE /* realpath, madvise */
#include "data_cache.h"
#include "atomic_file.h"
#include "cache_dir.h"
#include "dataset.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRY_MAGIC "RGFTDATA"
#define ENTRY_VERSION 2u /* 1: the floats (.f32 entries), 4x the bytes */
#define HEADER_BYTES 4096
#define ENTRY_SUFFIX ".u8"
#define OLD_SUFFIX ".f32" /* version 1's entries: removed by the first store */
#define TEMP_AGE 3600 /* seconds: an older temporary's writer is dead */

/* The header of an entry, in this machine's byte order (a cache copied to a
 * machine of the other order fails the magic and the `one` check). */
typedef struct {
    char magic[8];         /* ENTRY_MAGIC, no NUL */
    uint32_t version;      /* ENTRY_VERSION */
    uint32_t header_bytes; /* HEADER_BYTES: where the pixels start */
    uint32_t one;          /* the bits of 1.0f: a header in this machine's byte order */
    uint32_t n, rows, cols;
    uint64_t dev, ino, size; /* the source's identity, as in rf_data_cache_key */
    int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
    uint64_t check;                /* FNV-1a 64 of the header with check = 0 */
    char path[HEADER_BYTES - 96]; /* the source's real path, NUL-padded */
} entry_header;

_Static_assert(sizeof(entry_header) == HEADER_BYTES, "the entry header is one 4096-byte page");

static uint32_t float_one_bits(void)
{
    const float one = 1.0f;
    uint32_t bits;
    memcpy(&bits, &one, sizeof bits);
    return bits;
}

int rf_data_cache_default(rf_data_cache *c)
{
    const char *env = getenv("REGFIT_DATA_CACHE");
    if (env && !strcmp(env, "0"))
        return -1;
    char root[RF_PATH_MAX];
    rf_cache_dir(root, sizeof root);
    if (snprintf(c->dir, sizeof c->dir, "%s/data", root) >= (int)sizeof c->dir)
        return -1;
    c->min_pixels = RF_DATA_CACHE_MIN_PIXELS;
    return 0;
}

/* The identity of the file at the real path key->source; 0 or -1 (gone, not a regular file). */
static int read_identity(rf_data_cache_key *key)
{
    struct stat st;
    if (stat(key->source, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    key->dev = (uint64_t)st.st_dev;
    key->ino = (uint64_t)st.st_ino;
    key->size = (uint64_t)st.st_size;
    key->mtime_sec = (int64_t)st.st_mtim.tv_sec;
    key->mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
    key->ctime_sec = (int64_t)st.st_ctim.tv_sec;
    key->ctime_nsec = (int64_t)st.st_ctim.tv_nsec;
    return 0;
}

static int same_identity(const rf_data_cache_key *a, const rf_data_cache_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_sec == b->mtime_sec &&
           a->mtime_nsec == b->mtime_nsec && a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

/* The real path, the identity and the entry's path of the source at path; 0 or -1. */
static int make_key(const rf_data_cache *c, const char *path, rf_data_cache_key *key)
{
    memset(key, 0, sizeof *key);
    char *real = realpath(path, NULL);
    if (!real)
        return -1;
    size_t len = strlen(real);
    int fits = len < sizeof key->source && len < sizeof ((entry_header *)0)->path;
    if (fits)
        memcpy(key->source, real, len + 1);
    free(real);
    if (!fits || read_identity(key) != 0)
        return -1;
    key->path_hash = rf_fnv1a64_str(RF_FNV1A64_INIT, key->source);
    const uint64_t id[] = {ENTRY_VERSION, key->dev, key->ino, key->size, (uint64_t)key->mtime_sec,
                           (uint64_t)key->mtime_nsec, (uint64_t)key->ctime_sec, (uint64_t)key->ctime_nsec};
    uint64_t id_hash = rf_fnv1a64(rf_fnv1a64_str(RF_FNV1A64_INIT, key->source), id, sizeof id);
    /* the source's file name, as far as it is harmless, so that a listing says what each entry is */
    const char *base = strrchr(key->source, '/') + 1;
    char name[65];
    size_t k = 0;
    for (; base[k] && k < sizeof name - 1; k++) {
        char ch = base[k];
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                    ch == '_' || ch == '-';
        name[k] = plain ? ch : '_';
    }
    name[k] = '\0';
    int n = snprintf(key->entry, sizeof key->entry, "%s/%s-%016llx-%016llx" ENTRY_SUFFIX, c->dir, name,
                     (unsigned long long)key->path_hash, (unsigned long long)id_hash);
    return n < (int)sizeof key->entry ? 0 : -1;
}

static uint64_t header_check(const entry_header *h)
{
    entry_header copy = *h;
    copy.check = 0;
    return rf_fnv1a64(RF_FNV1A64_INIT, &copy, sizeof copy);
}

/* A whole header of this format with sane sizes: the values it announces. 0 when not. */
static uint64_t header_values(const entry_header *h)
{
    if (memcmp(h->magic, ENTRY_MAGIC, sizeof h->magic) != 0 || h->version != ENTRY_VERSION ||
        h->header_bytes != HEADER_BYTES || h->one != float_one_bits() || h->check != header_check(h) ||
        memchr(h->path, '\0', sizeof h->path) == NULL)
        return 0;
    uint64_t features = (uint64_t)h->rows * h->cols, values = features * h->n;
    if (h->n == 0 || h->n > RF_DATA_MAX_SAMPLES || h->rows == 0 || h->cols == 0 ||
        features > RF_DATA_MAX_FEATURES || values > RF_DATA_MAX_VALUES)
        return 0;
    return values;
}

/* Opens an entry and reads its header: the descriptor, or -1 when there is
 * no such entry or it is not whole (a short file, a bad header, a length
 * other than the header's). */
static int open_entry(const char *path, entry_header *h, size_t *file_len)
{
    /* O_NONBLOCK: a FIFO in the cache must not hang the run */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    uint64_t values;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < HEADER_BYTES ||
        pread(fd, h, HEADER_BYTES, 0) != HEADER_BYTES || (values = header_values(h)) == 0 ||
        (uint64_t)st.st_size != HEADER_BYTES + values) {
        close(fd);
        return -1;
    }
    *file_len = (size_t)st.st_size;
    return fd;
}

/* The entry's header is for this source in its identity of key. */
static int header_is_for(const entry_header *h, const rf_data_cache_key *key)
{
    return !strcmp(h->path, key->source) && h->dev == key->dev && h->ino == key->ino && h->size == key->size &&
           h->mtime_sec == key->mtime_sec && h->mtime_nsec == key->mtime_nsec && h->ctime_sec == key->ctime_sec &&
           h->ctime_nsec == key->ctime_nsec;
}

int rf_data_cache_lookup(const rf_data_cache *c, const char *path, rf_data_cache_key *key, const uint8_t **pixels,
                         void **map, size_t *map_len, int *n, int *rows, int *cols)
{
    *pixels = NULL;
    *map = NULL;
    *map_len = 0;
    if (make_key(c, path, key) != 0)
        return -1;
    entry_header h;
    size_t len;
    int fd = open_entry(key->entry, &h, &len);
    if (fd < 0)
        return 0;
    if (!header_is_for(&h, key)) {
        close(fd);
        return 0;
    }
    /* Read-only. MADV_POPULATE_READ maps the page cache's pages as they are up front
     * (where the kernel has it, 5.14 on; elsewhere the pages are mapped as training
     * first reads them). */
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return 0;
#ifdef MADV_POPULATE_READ
    (void)madvise(p, len, MADV_POPULATE_READ);
#endif
    *map = p;
    *map_len = len;
    *pixels = (const uint8_t *)p + HEADER_BYTES;
    *n = (int)h.n;
    *rows = (int)h.rows;
    *cols = (int)h.cols;
    return 1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

/* An entry whose header names a source file that no longer exists. */
static int source_gone(const char *entry)
{
    entry_header h;
    size_t len;
    int fd = open_entry(entry, &h, &len);
    if (fd < 0)
        return 0;
    close(fd);
    struct stat st;
    return stat(h.path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* Before writing key's entry: removes the entries of key's source path but
 * another identity (an upgraded package's old files), the entries whose
 * source is gone, and temporaries older than TEMP_AGE. Leaves everything
 * else: other sources' entries, live writers' temporaries, key's own entry
 * (the write renames over it), files that are no entries. */
static void tidy(const rf_data_cache *c, const rf_data_cache_key *key)
{
    DIR *d = opendir(c->dir);
    if (!d)
        return;
    char same_path[40];
    snprintf(same_path, sizeof same_path, "-%016llx-", (unsigned long long)key->path_hash);
    const time_t old = time(NULL) - TEMP_AGE;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        char path[RF_PATH_MAX + 300];
        struct stat st;
        if (name[0] == '.' || snprintf(path, sizeof path, "%s/%s", c->dir, name) >= (int)sizeof path ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (strstr(name, ENTRY_SUFFIX ".tmp.")) {
            if (st.st_mtime < old)
                unlink(path);
        } else if (ends_with(name, ENTRY_SUFFIX) && strcmp(path, key->entry) != 0) {
            if (strstr(name, same_path) || source_gone(path))
                unlink(path);
        } else if (ends_with(name, OLD_SUFFIX) || strstr(name, OLD_SUFFIX ".tmp.")) {
            unlink(path); /* the floats of version 1: 4x the space, no longer read */
        }
    }
    closedir(d);
}

int rf_data_cache_store(const rf_data_cache *c, const rf_data_cache_key *key, const uint8_t *pixels, int n,
                        int rows, int cols)
{
    if (n < 1 || rows < 1 || cols < 1)
        return -1;
    const size_t values = (size_t)n * (size_t)rows * (size_t)cols;
    if (values < c->min_pixels)
        return -1;
    /* the source must still be the file that was read */
    rf_data_cache_key now = *key;
    if (read_identity(&now) != 0 || !same_identity(key, &now))
        return -1;
    char err[RF_PATH_MAX + 200];
    if (rf_make_dirs(c->dir, err, sizeof err) != 0)
        return -1;
    /* another process (an MPI rank, a sweep point) may have stored it meanwhile */
    entry_header h;
    size_t len;
    int fd = open_entry(key->entry, &h, &len);
    if (fd >= 0) {
        close(fd);
        if (header_is_for(&h, key))
            return 0;
    }
    struct stat st;
    if (lstat(key->entry, &st) == 0 && !S_ISREG(st.st_mode))
        return -1; /* a folder or a device where the entry goes: leave it */
    tidy(c, key);

    memset(&h, 0, sizeof h);
    memcpy(h.magic, ENTRY_MAGIC, sizeof h.magic);
    h.version = ENTRY_VERSION;
    h.header_bytes = HEADER_BYTES;
    h.one = float_one_bits();
    h.n = (uint32_t)n;
    h.rows = (uint32_t)rows;
    h.cols = (uint32_t)cols;
    h.dev = key->dev;
    h.ino = key->ino;
    h.size = key->size;
    h.mtime_sec = key->mtime_sec;
    h.mtime_nsec = key->mtime_nsec;
    h.ctime_sec = key->ctime_sec;
    h.ctime_nsec = key->ctime_nsec;
    memcpy(h.path, key->source, strlen(key->source) + 1);
    h.check = header_check(&h);
    /* a temporary beside the entry, renamed over it when whole: a reader (another
     * rank, the next run) sees no entry or a whole one, and every writer of the same
     * entry at once succeeds with the same bytes */
    rf_atomic_file af;
    if (rf_atomic_open(&af, key->entry, NULL, 0) != 0)
        return -1;
    if (fwrite(&h, 1, sizeof h, af.f) != sizeof h || fwrite(pixels, 1, values, af.f) != values) {
        rf_atomic_abort(&af);
        return -1;
    }
    return rf_atomic_commit(&af, NULL, 0);
}
