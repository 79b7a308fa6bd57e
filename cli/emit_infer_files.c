/* regfitc --emit-inference (emit_infer_files.h): reads the checkpoint, checks it belongs to the
 * model, and writes NAME_infer.h and NAME_infer.c (both or neither, a file
 * already holding its text left alone). */
#include "emit_infer_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "emit.h"
#include "file_read.h"
#include "hash.h"
#include "model_tensors.h"

/* Reads path whole into *buf: bounded by the file's size (a regular file) or by what a
 * checkpoint of this model with its optimizer state can hold. */
static int read_checkpoint(const char *path, const rf_model_tensors *t, unsigned char **buf, size_t *len, char *err,
                           size_t errlen)
{
    size_t limit = 4096;
    for (int i = 0; i < t->n_params + t->n_state; i++)
        limit += 8 + strlen(t->name_ptrs[i]) + 4 * (size_t)t->sizes[i];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        limit = (size_t)st.st_size;
    int more;
    if (rf_read_file(path, limit, buf, len, &more, err, errlen) != 0)
        return -1;
    if (more) {
        snprintf(err, errlen, "%s: larger than a checkpoint of this model (more than %zu bytes)", path, limit);
        free(*buf);
        *buf = NULL;
        return -1;
    }
    return 0;
}

int rf_emit_infer_files(const rf_model *m, const char *ckpt_path, const char *dir, int *written, char *err,
                        size_t errlen)
{
    *written = 0;
    rf_model_tensors t;
    unsigned char *buf = NULL;
    size_t len = 0;
    char *h = NULL, *c = NULL;
    int rc = -1;
    if (rf_model_tensors_make(m, 1, &t) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (read_checkpoint(ckpt_path, &t, &buf, &len, err, errlen) != 0)
        goto done;
    /* the parameters only (any optimizer state is ignored), checked against this model's
     * names and sizes */
    rf_ckpt ck = rf_model_tensors_ckpt(&t);
    char why[1024];
    if (rf_ckpt_parse(buf, len, &ck, RF_CKPT_PARAMS, NULL, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", ckpt_path, why);
        goto done;
    }
    const rf_infer_params w = {.data = (const float *const *)t.data,
                               .source = ckpt_path,
                               .source_hash = rf_fnv1a64(RF_FNV1A64_INIT, buf, len)};
    char why_emit[512];
    if (rf_emit_infer_source(m, &w, &h, &c, why_emit, sizeof why_emit) != 0) {
        snprintf(err, errlen, "%s: %s", ckpt_path, why_emit);
        goto done;
    }
    char names[2][RF_NAME_MAX + 16];
    snprintf(names[0], sizeof names[0], "%s_infer.h", m->name);
    snprintf(names[1], sizeof names[1], "%s_infer.c", m->name);
    const char *const name_ptrs[2] = {names[0], names[1]}, *const texts[2] = {h, c};
    rc = rf_write_file_pair(dir, name_ptrs, texts, written, err, errlen);
done:
    free(h);
    free(c);
    free(buf);
    rf_model_tensors_free(&t);
    return rc;
}
