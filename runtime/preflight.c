/* rf_train_preflight (train.h): everything a run can get wrong that shows
 * without training, found before a second is spent compiling. The model
 * file's own checks (frontend) have passed; these need the data, the file
 * system and the command line. */
#include "train.h"

#include "checkpoint.h"
#include "file_read.h"
#include "metrics_csv.h"
#include "model_tensors.h"
#include "protocol.h"
#include "run_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Checks a checkpoint file against the model without keeping anything. */
static int check_ckpt(const rf_model_tensors *tn, const char *path, rf_ckpt_mode mode, rf_ckpt *out, char *err,
                      size_t errlen)
{
    rf_ckpt ck = rf_model_tensors_ckpt(tn);
    int rc = rf_ckpt_load(path, &ck, mode, NULL, err, errlen);
    if (out)
        *out = ck;
    return rc;
}

int rf_train_dir(const rf_model *m, const rf_train_options *opt, char *dir, size_t size)
{
    int n = opt->run_dir ? snprintf(dir, size, "%s", opt->run_dir)
                         : snprintf(dir, size, "%s/%s", opt->runs_dir ? opt->runs_dir : "runs", m->name);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* The folder's model.id as malloc'ed text, or NULL when it has none. */
static char *read_identity(const char *dir)
{
    char path[RF_PATH_MAX + 64], why[256];
    rf_run_path(path, sizeof path, dir, "model.id");
    unsigned char *buf = NULL;
    size_t len;
    int more;
    if (access(path, F_OK) != 0 || rf_read_file(path, 1 << 20, &buf, &len, &more, why, sizeof why) != 0)
        return NULL;
    char *text = realloc(buf, len + 1);
    if (!text) {
        free(buf);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* The first line where two identities differ, for the message. */
static void first_difference(const char *was, const char *now, char *out, size_t size)
{
    while (*was && *now) {
        size_t a = strcspn(was, "\n"), b = strcspn(now, "\n");
        if (a != b || memcmp(was, now, a) != 0) {
            snprintf(out, size, "'%.*s' was '%.*s'", (int)(b < 200 ? b : 200), now, (int)(a < 200 ? a : 200), was);
            return;
        }
        was += a + (was[a] == '\n');
        now += b + (now[b] == '\n');
    }
    snprintf(out, size, "they differ in length");
}

/* --resume: the folder holds a run of this model that can be continued. */
static int check_resume(const rf_model *m, const rf_model_tensors *tn, const char *dir, const char *identity,
                        char *err, size_t errlen)
{
    char path[RF_PATH_MAX + 64];
    char *was = identity ? read_identity(dir) : NULL;
    if (was && strcmp(was, identity) != 0) {
        char diff[512];
        first_difference(was, identity, diff, sizeof diff);
        snprintf(err, errlen, "%s was trained with another model (%s in %s/model.id): --resume continues only "
                 "the same model (train.epochs may change); run without --resume to start afresh",
                 dir, diff, dir);
        free(was);
        return -1;
    }
    free(was);
    rf_run_path(path, sizeof path, dir, "model.ckpt");
    if (access(path, F_OK) != 0) {
        snprintf(err, errlen, "nothing to resume: %s does not exist (train the model first, without --resume)", path);
        return -1;
    }
    rf_ckpt ck;
    if (check_ckpt(tn, path, RF_CKPT_WHOLE, &ck, err, errlen) != 0)
        return -1;
    rf_metrics_row *rows = NULL;
    int n = 0;
    rf_run_path(path, sizeof path, dir, "metrics.csv");
    if (rf_metrics_read(path, &rows, &n, err, errlen) != 0)
        return -1;
    free(rows);
    if (n < (int)ck.epochs) {
        snprintf(err, errlen, "%s has %d epochs, but model.ckpt says %u were completed: the run folder %s cannot be "
                 "resumed", path, n, ck.epochs, dir);
        return -1;
    }
    if (m->train.early_stopping && ck.best_epoch > 0 && ck.best_epoch != ck.epochs) {
        rf_run_path(path, sizeof path, dir, "best.ckpt");
        if (check_ckpt(tn, path, RF_CKPT_WHOLE, NULL, err, errlen) != 0)
            return -1;
    }
    return rf_make_dirs(dir, err, errlen);
}

/* The split must leave samples on both sides (a model-file error at the
 * validation key: its size depends on the data, so the front end could
 * check it only for the sets whose size the file fixes). */
static int check_split(const rf_model *m, int n, char *err, size_t errlen)
{
    if (m->train.validation <= 0)
        return 0;
    int held = rf_split_count(n, m->train.validation);
    if (held > 0 && held < n)
        return 0;
    snprintf(err, errlen, "%s:%d:%d: error: validation %g of %d training samples %s (round(%g * %d) = %d)",
             m->path ? m->path : "model", m->train.validation_pos.line, m->train.validation_pos.col,
             m->train.validation, n, held == 0 ? "holds out none" : "leaves none to train on", m->train.validation,
             n, held);
    return -1;
}

int rf_train_preflight(const rf_model *m, const rf_train_options *opt, rf_datasets *data, char *err, size_t errlen)
{
    char dir[RF_PATH_MAX];
    if (rf_train_dir(m, opt, dir, sizeof dir) != 0) {
        snprintf(err, errlen, "run folder path too long");
        return 1;
    }
    if (opt->resume && opt->load_path) {
        snprintf(err, errlen, "--resume continues %s from its own checkpoint; it does not take --load", dir);
        return 1;
    }
    /* The files first: they are quick to check, the data may not be. */
    rf_model_tensors tn;
    if (rf_model_tensors_make(m, 0, &tn) != 0) {
        rf_model_tensors_free(&tn);
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    int bad = 0;
    if (opt->load_path)
        bad = check_ckpt(&tn, opt->load_path, RF_CKPT_PARAMS, NULL, err, errlen) != 0;
    if (!bad && opt->resume)
        bad = check_resume(m, &tn, dir, opt->identity, err, errlen) != 0;
    rf_model_tensors_free(&tn);
    if (bad)
        return 1;
    if (opt->save_path && rf_file_writable(opt->save_path, err, errlen) != 0)
        return 1;
    if (rf_train_epochs(m, opt) > 0 && rf_dir_writable(dir, err, errlen) != 0)
        return 1;

    rf_datasets local, *d = data ? data : &local;
    if (data && data->train.x)
        return check_split(m, data->train.n, err, errlen) != 0 ? 2 : 0;
    char why[1024];
    int rc = rf_data_load(m, opt->data_dir, d, why, sizeof why);
    if (rc == RF_DATA_MISMATCH) {
        snprintf(err, errlen, "%s:%d:%d: error: %s", m->path ? m->path : "model", m->data.pos.line, m->data.pos.col,
                 why);
        return 2;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s", why);
        return 1;
    }
    rc = check_split(m, d->train.n, err, errlen) != 0 ? 2 : 0;
    if (!data || rc != 0)
        rf_datasets_free(d);
    return rc;
}

int rf_train_status(const rf_model *m, const rf_train_options *opt, int epochs, int *done, int *finished,
                    int *same, char *err, size_t errlen)
{
    *done = *finished = *same = 0;
    char dir[RF_PATH_MAX], path[RF_PATH_MAX + 64];
    if (rf_train_dir(m, opt, dir, sizeof dir) != 0) {
        snprintf(err, errlen, "run folder path too long");
        return -1;
    }
    char *was = read_identity(dir);
    *same = was && opt->identity && strcmp(was, opt->identity) == 0;
    free(was);
    rf_run_path(path, sizeof path, dir, "model.ckpt");
    if (!*same || access(path, F_OK) != 0)
        return 0;
    rf_model_tensors tn;
    if (rf_model_tensors_make(m, 0, &tn) != 0) {
        rf_model_tensors_free(&tn);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rf_ckpt ck;
    int rc = check_ckpt(&tn, path, RF_CKPT_WHOLE, &ck, err, errlen);
    rf_model_tensors_free(&tn);
    if (rc != 0)
        return -1;
    *done = (int)ck.epochs;
    *finished = *done >= epochs;
    if (!*finished && m->train.early_stopping) {
        rf_metrics_row *rows = NULL;
        int n = 0;
        rf_run_path(path, sizeof path, dir, "metrics.csv");
        if (rf_metrics_read(path, &rows, &n, err, errlen) != 0)
            return -1;
        rf_early_stop es;
        rf_early_stop_init(&es, &m->train);
        rf_early_stop_replay(&es, &m->train, rows, n < *done ? n : *done);
        *finished = rf_early_stop_done(&es, *done);
        free(rows);
    }
    return 0;
}
