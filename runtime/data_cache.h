/* The decoded-data cache: the pixels of an IDX image file, kept on disk
 * after a good load so that later runs map them instead of decompressing
 * the file again (Fashion-MNIST's training images: 0.1 s to decompress,
 * about a millisecond to map).
 *
 * Entries live in CACHE/data/ (CACHE: cache_dir.h), one file per source
 * file and version of it:
 *
 *   CACHE/data/BASENAME-PATHHASH-IDHASH.u8
 *     PATHHASH  FNV-1a 64 of the source's real path (realpath)
 *     IDHASH    FNV-1a 64 of that path, its identity (device, inode, size,
 *               mtime and ctime with nanoseconds) and the format version
 *
 * holding a 4096-byte header (magic "RGFTDATA", format version 2, the bits
 * of 1.0f (this machine's byte order), n, rows, cols, the source's real
 * path and identity, an FNV-1a 64 of the header), then the n * rows * cols
 * pixel bytes of the file. Version 1 held the floats (".f32", 4x the
 * bytes); the first store of version 2 removes those entries.
 *
 * An entry is used only when its header is whole and names the source's
 * current identity, and the file is exactly as long as the header says:
 * anything else is a miss, and the next good load writes the entry again.
 * Entries are written whole or not at all (atomic_file.h), after the whole
 * data load has succeeded, so they only ever hold data that loaded; the
 * pixels themselves are trusted (checking 47 MB would cost more than the
 * mapping saves). A failed write (a full disk, a read-only home) just
 * leaves the data uncached, silently. Writing an entry removes the older
 * entries of the same source path, those whose source file is gone, and
 * temporaries older than an hour (a writer killed mid-write). */
#ifndef RF_DATA_CACHE_H
#define RF_DATA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "run_dir.h" /* RF_PATH_MAX */

/* Files of fewer pixels are decoded at every load (they take under 2 ms):
 * not worth an entry. */
#define RF_DATA_CACHE_MIN_PIXELS ((size_t)1 << 18)

typedef struct {
    char dir[RF_PATH_MAX]; /* where the entries live: CACHE/data */
    size_t min_pixels;     /* files of fewer pixels are not stored */
} rf_data_cache;

/* A source file as the cache knows it. */
typedef struct {
    char source[RF_PATH_MAX]; /* its real path */
    uint64_t dev, ino, size;
    int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
    uint64_t path_hash;
    char entry[RF_PATH_MAX]; /* dir/BASENAME-PATHHASH-IDHASH.u8 */
} rf_data_cache_key;

/* The cache rf_data_load uses: CACHE/data with RF_DATA_CACHE_MIN_PIXELS.
 * Returns 0, or -1 when the environment turns it off (REGFIT_DATA_CACHE=0). */
int rf_data_cache_default(rf_data_cache *c);

/* Looks the image file at path up. 1: a hit, *pixels points at its pixels
 * in a read-only mapping (*map, *map_len: munmap them to free it; the pages
 * are mapped up front) and n, rows, cols are the header's. 0: a miss, *key
 * names the entry a good load of this file should store. -1: this file
 * cannot be cached (not a regular file, a path too long). */
int rf_data_cache_lookup(const rf_data_cache *c, const char *path, rf_data_cache_key *key, const uint8_t **pixels,
                         void **map, size_t *map_len, int *n, int *rows, int *cols);

/* Stores the pixels of a good load of key's source (after a lookup missed):
 * unless they are fewer than c->min_pixels, or the source has changed since
 * the lookup. Returns 0 when the entry is there now (written, or found
 * written by another process), -1 when not (nothing is left behind). */
int rf_data_cache_store(const rf_data_cache *c, const rf_data_cache_key *key, const uint8_t *pixels, int n,
                        int rows, int cols);

/* rf_data_load with this cache (NULL: none) instead of rf_data_cache_default's. */
int rf_data_load_with_cache(const rf_model *m, const char *data_dir, const rf_data_cache *cache, rf_datasets *out,
                            char *err, size_t errlen);

#endif
