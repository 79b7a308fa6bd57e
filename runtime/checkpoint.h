/* Checkpoints (SPEC section 4), little-endian whatever the host:
 *   "RGFTCKPT"  u32 version (1)  u32 tensor count
 *   per tensor: u32 name length, name bytes, u32 element count, float32 data
 *   u32 CRC-32 (zlib's crc32) of every byte before it
 * A checkpoint belongs to one model: loading checks that its tensors are
 * exactly the expected names and sizes, in order. */
#ifndef RF_CHECKPOINT_H
#define RF_CHECKPOINT_H

#include <stddef.h>

#define RF_CKPT_VERSION 1u

/* Writes the tensors to path atomically (whole or not at all).
 * Returns 0, or -1 with a message in err. */
int rf_ckpt_save(const char *path, int n_tensors, const char *const *names, const int *sizes, float *const *data,
                 char *err, size_t errlen);

/* Reads path and checks magic, version, structure, that nothing trails,
 * the CRC, then the tensor count, each name and size against the expected
 * ones; copies into data[i] only when all of that checks out. The file
 * size bounds every allocation. Returns 0, or -1 with a message naming the
 * file and the fault (bad magic, truncated, CRC mismatch, another model). */
int rf_ckpt_load(const char *path, int n_tensors, const char *const *names, const int *sizes, float *const *data,
                 char *err, size_t errlen);

/* The same checks on a buffer (for tests and fuzzing); its messages do
 * not name a file (rf_ckpt_load puts "PATH: " before them). */
int rf_ckpt_parse(const unsigned char *buf, size_t len, int n_tensors, const char *const *names, const int *sizes,
                  float *const *data, char *err, size_t errlen);

#endif
