/* Checkpoint files (see checkpoint.h). Values are written and read byte by
 * byte in little-endian order, so the format does not depend on the host. */
#include "checkpoint.h"
#include "atomic_file.h"
#include "file_read.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char MAGIC[8] = {'R', 'G', 'F', 'T', 'C', 'K', 'P', 'T'};

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_of(const unsigned char *buf, size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, buf, chunk);
        buf += chunk;
        len -= chunk;
    }
    return (uint32_t)crc;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_u64(const unsigned char *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

#define HEADER_BYTES 16  /* magic, version, tensor count */
#define TRAILER_BYTES 24 /* version 2: updates, forward steps, epochs, best epoch */

/* The file's bytes for these tensors. */
static size_t ckpt_size(int n, const char *const *names, const int *sizes)
{
    size_t total = HEADER_BYTES + TRAILER_BYTES + 4;
    for (int i = 0; i < n; i++)
        total += 4 + strlen(names[i]) + 4 + 4 * (size_t)(sizes[i] > 0 ? sizes[i] : 0);
    return total;
}

int rf_ckpt_save(const char *path, const rf_ckpt *ck, char *err, size_t errlen)
{
    int n_tensors = ck->n_params + ck->n_state;
    if (ck->n_params < 0 || ck->n_state < 0) {
        snprintf(err, errlen, "cannot write %s: %d tensors", path, n_tensors);
        return -1;
    }
    for (int i = 0; i < n_tensors; i++) {
        if (ck->sizes[i] < 0 || strlen(ck->names[i]) > UINT32_MAX) {
            snprintf(err, errlen, "cannot write %s: tensor %d has a bad size %d", path, i, ck->sizes[i]);
            return -1;
        }
    }
    size_t total = ckpt_size(n_tensors, ck->names, ck->sizes);
    unsigned char *buf = malloc(total);
    if (!buf) {
        snprintf(err, errlen, "cannot write %s: out of memory for %zu bytes", path, total);
        return -1;
    }
    unsigned char *p = buf;
    memcpy(p, MAGIC, 8);
    put_u32(p + 8, RF_CKPT_VERSION);
    put_u32(p + 12, (uint32_t)n_tensors);
    p += HEADER_BYTES;
    for (int i = 0; i < n_tensors; i++) {
        size_t name_len = strlen(ck->names[i]);
        put_u32(p, (uint32_t)name_len);
        memcpy(p + 4, ck->names[i], name_len);
        p += 4 + name_len;
        put_u32(p, (uint32_t)ck->sizes[i]);
        p += 4;
        for (int k = 0; k < ck->sizes[i]; k++) {
            uint32_t bits;
            memcpy(&bits, &ck->data[i][k], 4);
            put_u32(p, bits);
            p += 4;
        }
    }
    put_u64(p, ck->updates);
    put_u64(p + 8, ck->forward_steps);
    put_u32(p + 16, ck->epochs);
    put_u32(p + 20, ck->best_epoch);
    p += TRAILER_BYTES;
    put_u32(p, crc_of(buf, (size_t)(p - buf)));
    int rc = rf_atomic_write(path, buf, total, err, errlen);
    free(buf);
    return rc;
}

/* A tensor name from the file, printable and short, for messages. */
static const char *show_name(const unsigned char *p, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < outlen; i++)
        out[n++] = (p[i] >= 32 && p[i] < 127) ? (char)p[i] : '?';
    if (n < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* Where one tensor of the file lies. */
typedef struct {
    const unsigned char *name;
    uint32_t name_len;
    uint32_t size;
    const unsigned char *data;
} tensor_ref;

/* Tensors first..first+n of the file against the expected names and sizes.
 * Returns 0, or -1 with the mismatch in err. */
static int match_tensors(const tensor_ref *refs, int first, int n, const char *const *names, const int *sizes,
                         const char *what, char *err, size_t errlen)
{
    char shown[80];
    for (int t = first; t < first + n; t++) {
        size_t want_len = strlen(names[t]);
        if (refs[t].name_len != want_len || memcmp(refs[t].name, names[t], want_len) != 0) {
            snprintf(err, errlen, "%s: tensor %d is '%s', expected '%s'", what, t + 1,
                     show_name(refs[t].name, refs[t].name_len, shown, sizeof shown), names[t]);
            return -1;
        }
        if (sizes[t] < 0 || refs[t].size != (uint32_t)sizes[t]) {
            snprintf(err, errlen, "%s: tensor %d '%s' has %u values, expected %d", what, t + 1, names[t],
                     refs[t].size, sizes[t]);
            return -1;
        }
    }
    return 0;
}

static void copy_tensors(const tensor_ref *refs, int first, int n, float *const *data)
{
    for (int t = first; t < first + n; t++)
        for (uint32_t k = 0; k < refs[t].size; k++) {
            uint32_t bits = get_u32(refs[t].data + 4 * (size_t)k);
            memcpy(&data[t][k], &bits, 4);
        }
}

int rf_ckpt_parse(const unsigned char *buf, size_t len, rf_ckpt *ck, rf_ckpt_mode mode, rf_ckpt_info *info,
                  char *err, size_t errlen)
{
    if (len == 0) {
        snprintf(err, errlen, "empty file, not a regfitc checkpoint");
        return -1;
    }
    if (memcmp(buf, MAGIC, len < 8 ? len : 8) != 0) {
        snprintf(err, errlen, "not a regfitc checkpoint (bad magic)");
        return -1;
    }
    if (len < HEADER_BYTES) {
        snprintf(err, errlen, "truncated: %zu bytes, shorter than the 16-byte checkpoint header", len);
        return -1;
    }
    uint32_t version = get_u32(buf + 8), count = get_u32(buf + 12);
    if (version != 1 && version != 2) {
        snprintf(err, errlen, "unsupported checkpoint version %u (this regfitc reads versions 1 and 2)", version);
        return -1;
    }
    size_t trailer = version == 2 ? TRAILER_BYTES : 0;
    /* Each tensor takes at least 8 bytes: the count is bounded by the file. */
    if (count > (len - HEADER_BYTES) / 8) {
        snprintf(err, errlen, "truncated: the header claims %u tensors but only %zu bytes follow it", count,
                 len - HEADER_BYTES);
        return -1;
    }
    tensor_ref *refs = malloc(((size_t)count + 1) * sizeof *refs);
    if (!refs) {
        snprintf(err, errlen, "out of memory for %u tensors", count);
        return -1;
    }
    /* 1. the structure the file itself declares */
    size_t pos = HEADER_BYTES;
    for (uint32_t t = 0; t < count; t++) {
        if (len - pos < 4) {
            snprintf(err, errlen, "truncated: the file ends in the name length of tensor %u", t + 1);
            goto fail;
        }
        refs[t].name_len = get_u32(buf + pos);
        pos += 4;
        if (refs[t].name_len > len - pos) {
            snprintf(err, errlen, "truncated: tensor %u's name of %u bytes runs past the end of the file", t + 1,
                     refs[t].name_len);
            goto fail;
        }
        refs[t].name = buf + pos;
        pos += refs[t].name_len;
        if (len - pos < 4) {
            snprintf(err, errlen, "truncated: the file ends in the element count of tensor %u", t + 1);
            goto fail;
        }
        refs[t].size = get_u32(buf + pos);
        pos += 4;
        if ((uint64_t)refs[t].size * 4 > len - pos) {
            snprintf(err, errlen, "truncated: tensor %u claims %u floats but only %zu bytes are left", t + 1,
                     refs[t].size, len - pos);
            goto fail;
        }
        refs[t].data = buf + pos;
        pos += (size_t)refs[t].size * 4;
    }
    if (len - pos < trailer + 4) {
        snprintf(err, errlen, "truncated: the file ends before its %s", trailer ? "counters and CRC" : "CRC");
        goto fail;
    }
    if (len - pos > trailer + 4) {
        snprintf(err, errlen, "%zu trailing bytes after the CRC", len - pos - trailer - 4);
        goto fail;
    }
    /* 2. the bytes are the ones written */
    uint32_t stored = get_u32(buf + pos + trailer), computed = crc_of(buf, pos + trailer);
    if (stored != computed) {
        snprintf(err, errlen, "CRC mismatch: file is corrupt (stored 0x%08x, computed 0x%08x)", stored, computed);
        goto fail;
    }
    /* 3. they belong to this model: the parameters always, the state as the mode asks */
    const char *other = "checkpoint is for another model";
    int n_file_state = (int)count - ck->n_params;
    if (n_file_state < 0 || (version == 1 && n_file_state != 0)) {
        snprintf(err, errlen, "%s: it holds %u tensors, expected %d parameter tensors", other, count,
                 ck->n_params);
        goto fail;
    }
    if (match_tensors(refs, 0, ck->n_params, ck->names, ck->sizes, other, err, errlen) != 0)
        goto fail;
    int take_state = 0;
    if (mode == RF_CKPT_WHOLE) {
        if (version == 1) {
            snprintf(err, errlen, "a version 1 checkpoint holds the parameters only, not the optimizer state and "
                                  "counters a resumed run needs");
            goto fail;
        }
        if (n_file_state != ck->n_state) {
            snprintf(err, errlen, "the checkpoint holds %d optimizer state tensors, this model's optimizer keeps "
                                  "%d (was the optimizer changed?)", n_file_state, ck->n_state);
            goto fail;
        }
        if (match_tensors(refs, ck->n_params, ck->n_state, ck->names, ck->sizes,
                          "the optimizer state is another optimizer's", err, errlen) != 0)
            goto fail;
        take_state = 1;
    } else if (mode == RF_CKPT_PARAMS_STATE && n_file_state == ck->n_state && ck->n_state > 0) {
        char unused[8];
        take_state = match_tensors(refs, ck->n_params, ck->n_state, ck->names, ck->sizes, "", unused,
                                   sizeof unused) == 0;
    }
    /* 4. everything checks out: copy */
    if (ck->data) {
        copy_tensors(refs, 0, ck->n_params, ck->data);
        if (take_state)
            copy_tensors(refs, ck->n_params, ck->n_state, ck->data);
    }
    if (version == 2 && (take_state || mode == RF_CKPT_WHOLE)) {
        const unsigned char *q = buf + pos;
        ck->updates = get_u64(q);
        if (mode == RF_CKPT_WHOLE) {
            ck->forward_steps = get_u64(q + 8);
            ck->epochs = get_u32(q + 16);
            ck->best_epoch = get_u32(q + 20);
        }
    }
    if (info) {
        info->version = version;
        info->state_loaded = take_state;
    }
    free(refs);
    return 0;
fail:
    free(refs);
    return -1;
}

int rf_ckpt_load(const char *path, rf_ckpt *ck, rf_ckpt_mode mode, rf_ckpt_info *info, char *err, size_t errlen)
{
    /* A regular file's size bounds the read; anything else (a pipe, a
     * device) may hold a little more than this model's checkpoint. */
    struct stat st;
    size_t limit = 4096;
    if (ck->n_params >= 0 && ck->n_state >= 0)
        limit += ckpt_size(ck->n_params + ck->n_state, ck->names, ck->sizes);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        limit = (size_t)st.st_size;
    unsigned char *buf;
    size_t len;
    int more;
    if (rf_read_file(path, limit, &buf, &len, &more, err, errlen) != 0)
        return -1;
    int rc;
    char why[512];
    if (more) {
        snprintf(err, errlen, "%s: larger than a checkpoint of this model (more than %zu bytes)", path, limit);
        rc = -1;
    } else {
        rc = rf_ckpt_parse(buf, len, ck, mode, info, why, sizeof why);
        if (rc != 0)
            snprintf(err, errlen, "%s: %s", path, why);
    }
    free(buf);
    return rc;
}
