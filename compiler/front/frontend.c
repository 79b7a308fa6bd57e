/* Reading a model file: size limit, parse, --set overrides, check (see
 * frontend.h). */
#include "frontend.h"

#include "check.h"
#include "yaml_doc.h"
#include "yaml_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The file's bytes, then "# --set ARG" per argument (see frontend.h).
 * The arguments were checked to hold no newline by rf_yaml_apply_sets,
 * so each stays one comment line. NULL on out of memory. */
static char *source_with_sets(const char *text, size_t len, const char *const *sets, int n_sets,
                              size_t *out_len)
{
    int newline = n_sets > 0 && len > 0 && text[len - 1] != '\n';
    size_t total = len + (size_t)newline;
    for (int i = 0; i < n_sets; i++)
        total += strlen("# --set \n") + strlen(sets[i]);
    char *src = malloc(total + 1);
    if (!src)
        return NULL;
    memcpy(src, text, len);
    size_t used = len;
    if (newline)
        src[used++] = '\n';
    for (int i = 0; i < n_sets; i++)
        used += (size_t)sprintf(src + used, "# --set %s\n", sets[i]);
    src[used] = '\0';
    *out_len = used;
    return src;
}

int rf_check_model_text_set(const char *path, const char *text, size_t len,
                            const char *const *sets, int n_sets, rf_model *out, FILE *diag_out,
                            rf_diag *d)
{
    memset(out, 0, sizeof *out);
    rf_diag_sink sink;
    rf_diag_sink_init(&sink, path, diag_out, d);
    if (n_sets < 0 || (n_sets > 0 && !sets))
        n_sets = 0;
    if (len > RF_MAX_MODEL_FILE) {
        rf_diag_error(&sink, 1, 1, "the file has %zu bytes; a model file may have at most %d",
                      len, RF_MAX_MODEL_FILE);
    } else {
        rf_ynode *root;
        if (rf_yaml_parse(text, len, &root, &sink) == 0) {
            /* A refused --set is reported and the file still checked, as
             * one run reports every problem it can. */
            rf_yaml_apply_sets(root, sets, n_sets, &sink);
            rf_check_tree(root, path, out, &sink);
            rf_ynode_free(root);
        }
    }
    if (sink.errors == 0) {
        out->path = strdup(path ? path : "");
        out->source = source_with_sets(text, len, sets, n_sets, &out->source_len);
        if (!out->path || !out->source)
            rf_diag_error(&sink, 0, 0, "out of memory");
    }
    int errors = sink.errors;
    rf_diag_sink_finish(&sink);
    if (errors) {
        rf_model_free(out);
        return 2;
    }
    return 0;
}

int rf_check_model_text(const char *path, const char *text, size_t len, rf_model *out,
                        FILE *diag_out, rf_diag *d)
{
    return rf_check_model_text_set(path, text, len, NULL, 0, out, diag_out, d);
}

/* Reads at most RF_MAX_MODEL_FILE + 1 bytes: enough to tell a file is too
 * large without trusting its reported size (pipes, /proc). */
static char *read_bounded(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t want = cap - n;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (got < want)
            break;
        if (n > RF_MAX_MODEL_FILE)
            break;
        size_t next = cap * 2 > RF_MAX_MODEL_FILE + 1 ? RF_MAX_MODEL_FILE + 1 : cap * 2;
        if (next <= cap)
            break;
        char *grown = realloc(buf, next);
        if (!grown) {
            free(buf);
            return NULL;
        }
        buf = grown;
        cap = next;
    }
    *len = n;
    return buf;
}

int rf_load_model(const char *path, rf_model *out, FILE *diag_out, rf_diag *d)
{
    return rf_load_model_set(path, NULL, 0, out, diag_out, d);
}

int rf_load_model_set(const char *path, const char *const *sets, int n_sets, rf_model *out,
                      FILE *diag_out, rf_diag *d)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    const char *why = NULL;
    char *text = NULL;
    size_t len = 0;
    if (!f) {
        why = strerror(errno);
    } else {
        text = read_bounded(f, &len);
        if (!text)
            why = "out of memory";
        else if (ferror(f))
            why = strerror(errno ? errno : EIO);
        fclose(f);
    }
    if (why) {
        free(text);
        rf_diag_sink sink;
        rf_diag_sink_init(&sink, path, diag_out, d);
        rf_diag_error(&sink, 0, 0, "cannot read the model file: %s", why);
        rf_diag_sink_finish(&sink);
        return 1;
    }
    int rc = rf_check_model_text_set(path, text, len, sets, n_sets, out, diag_out, d);
    free(text);
    return rc;
}
