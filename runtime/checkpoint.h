/* Checkpoints (SPEC section 4), little-endian whatever the host:
 *   "RGFTCKPT"  u32 version  u32 tensor count
 *   per tensor: u32 name length, name bytes, u32 element count, float32 data
 *   version 2 only: u64 updates, u64 forward steps, u32 epochs completed,
 *                   u32 best epoch
 *   u32 CRC-32 (zlib's crc32) of every byte before it
 * Version 2 (written from now on) holds the parameters in order, then the
 * optimizer state tensors; version 1 (parameters only) still loads.
 * A checkpoint belongs to one model: loading checks that its tensors are
 * exactly the expected names and sizes, in order. */
#ifndef RF_CHECKPOINT_H
#define RF_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define RF_CKPT_VERSION 2u

/* One model's checkpoint: what is saved, or what a load expects and fills.
 * names/sizes/data have n_params + n_state entries, parameters first. */
typedef struct {
    int n_params, n_state;
    const char *const *names;
    const int *sizes;
    float *const *data;
    uint64_t updates, forward_steps; /* the generated code's counters */
    uint32_t epochs;                 /* epochs completed */
    uint32_t best_epoch;             /* 0 without early stopping */
} rf_ckpt;

/* What a load takes from the file. */
typedef enum {
    RF_CKPT_PARAMS,       /* the parameters only */
    RF_CKPT_PARAMS_STATE, /* --load: the parameters, and the state and the update count when the file's
                             state tensors are exactly this model's (same optimizer) */
    RF_CKPT_WHOLE         /* --resume: everything, version 2 with this model's state, or refused */
} rf_ckpt_mode;

/* What a load found. */
typedef struct {
    uint32_t version;
    int state_loaded; /* the state tensors (and updates) were taken */
} rf_ckpt_info;

/* Writes a version 2 checkpoint to path atomically (whole or not at all).
 * Returns 0, or -1 with a message in err. */
int rf_ckpt_save(const char *path, const rf_ckpt *ck, char *err, size_t errlen);

/* Reads path and checks magic, version, structure, that nothing trails,
 * the CRC, then the tensors against ck's names and sizes; copies into
 * ck->data, and sets ck's counters (RF_CKPT_WHOLE: all four; with the
 * state: updates; else they are left as they are), only when all of that
 * checks out. The file size bounds every allocation. info may be NULL.
 * Returns 0, or -1 with a message naming the file and the fault (bad
 * magic, truncated, CRC mismatch, another model). */
int rf_ckpt_load(const char *path, rf_ckpt *ck, rf_ckpt_mode mode, rf_ckpt_info *info, char *err, size_t errlen);

/* The same on a buffer (for tests and fuzzing); its messages do not name
 * a file (rf_ckpt_load puts "PATH: " before them). ck->data may be NULL:
 * then everything is checked and nothing copied (the early check of a
 * --load or --resume file before the code is compiled). */
int rf_ckpt_parse(const unsigned char *buf, size_t len, rf_ckpt *ck, rf_ckpt_mode mode, rf_ckpt_info *info,
                  char *err, size_t errlen);

#endif
