/* The training run (see train.h). One epoch: a fresh seeded shuffle, the
 * batches in that order through train_step (the last one may be partial),
 * then evaluation with dropout off, the epoch line, and the run files
 * rewritten whole. */
#include "train.h"

#include "atomic_file.h"
#include "checkpoint.h"
#include "dataset.h"
#include "hparams.h"
#include "metrics_csv.h"
#include "plot_svg.h"
#include "rf_random.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ERRLEN 1024

void *rf_model_alloc(const rf_compiled *c)
{
    size_t align = c->model_align < sizeof(void *) ? sizeof(void *) : c->model_align;
    size_t size = (c->model_size + align - 1) / align * align;
    void *p = NULL;
    if (posix_memalign(&p, align, size) != 0)
        return NULL;
    memset(p, 0, size);
    return p;
}

void rf_model_release(void *p) { free(p); }

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", buf, strerror(errno));
                return -1;
            }
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "cannot create folder %s: not a folder", buf);
                return -1;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    if (access(buf, W_OK) != 0) {
        snprintf(err, errlen, "cannot write into folder %s: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

/* Temporary files of the run files that a killed run left behind
 * (FILE.tmp.XXXXXX, see atomic_file.h): a new run of the same model starts
 * by removing them. */
static void remove_stale_temps(const char *dir)
{
    static const char *const files[] = {"metrics.csv.tmp.", "loss.svg.tmp.", "model.ckpt.tmp."};
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            size_t n = strlen(files[i]);
            if (strncmp(e->d_name, files[i], n) == 0 && strlen(e->d_name) == n + 6) {
                char path[4400];
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                unlink(path);
            }
        }
    }
    closedir(d);
}

/* Fisher-Yates from the identity, with counter-based draws keyed by
 * (seed, epoch, i): the order of an epoch depends on nothing else. */
static void shuffle(int *perm, int n, uint64_t seed, int epoch)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        uint64_t r = rf_key(seed, RF_STREAM_SHUFFLE, (uint64_t)epoch, (uint64_t)i);
        int j = (int)(r % (uint64_t)(i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* Copies rows idx[0..n) of a set into the batch buffers. */
static void gather(const rf_dataset *d, const int *idx, int n, float *x, int32_t *labels, float *y)
{
    for (int r = 0; r < n; r++) {
        int s = idx[r];
        memcpy(x + (size_t)r * d->features, d->x + (size_t)s * d->features, sizeof(float) * d->features);
        if (d->labels)
            labels[r] = d->labels[s];
        else
            memcpy(y + (size_t)r * d->targets, d->y + (size_t)s * d->targets, sizeof(float) * d->targets);
    }
}

/* Per-row loss of the model outputs, in double. */
static double row_loss(const rf_dataset *d, int s, const float *out, int outputs, int *correct)
{
    if (d->labels) {
        int best = 0;
        double mx = out[0];
        for (int j = 1; j < outputs; j++)
            if (out[j] > mx) {
                mx = out[j];
                best = j;
            }
        double sum = 0;
        for (int j = 0; j < outputs; j++)
            sum += exp((double)out[j] - mx);
        *correct = best == d->labels[s];
        return mx + log(sum) - out[d->labels[s]];
    }
    double l = 0;
    const float *y = d->y + (size_t)s * d->targets;
    for (int j = 0; j < outputs; j++) {
        double e = (double)out[j] - y[j];
        l += 0.5 * e * e;
    }
    *correct = 0;
    return l;
}

/* Index of the first maximum of the row: the predicted class. */
static int argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

typedef struct {
    const rf_compiled *c;
    void *model;
    float *xb, *yb, *out; /* batch buffers */
    int32_t *lb;
    int *idx;
} trainer;

/* Mean loss and accuracy of a whole set under predict (dropout off). */
static void evaluate(trainer *t, const rf_dataset *d, double *loss, double *acc)
{
    const rf_compiled *c = t->c;
    double total = 0;
    long correct = 0;
    for (int start = 0; start < d->n; start += c->batch) {
        int n = d->n - start < c->batch ? d->n - start : c->batch;
        for (int r = 0; r < n; r++)
            t->idx[r] = start + r;
        gather(d, t->idx, n, t->xb, t->lb, t->yb);
        c->predict(t->model, t->xb, n, t->out);
        for (int r = 0; r < n; r++) {
            int ok = 0;
            total += row_loss(d, start + r, t->out + (size_t)r * c->outputs, c->outputs, &ok);
            correct += ok;
        }
    }
    *loss = d->n ? total / d->n : NAN;
    *acc = d->labels && d->n ? (double)correct / d->n : NAN;
}

static void progress(int epoch, int epochs, int done, int total)
{
    int width = 30, filled = total ? (int)((long)width * done / total) : width;
    fprintf(stderr, "\repoch %d/%d [", epoch, epochs);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '=' : ' ', stderr);
    fprintf(stderr, "] %d/%d", done, total);
    fflush(stderr);
}

static void clear_progress(void) { fprintf(stderr, "\r%60s\r", ""); }

typedef struct {
    const char **names;
    int *sizes;
    float **data;
} tensor_list;

static int tensor_list_make(const rf_compiled *c, void *model, tensor_list *tl)
{
    int n = c->num_params;
    tl->names = calloc(n ? n : 1, sizeof *tl->names);
    tl->sizes = calloc(n ? n : 1, sizeof *tl->sizes);
    tl->data = calloc(n ? n : 1, sizeof *tl->data);
    if (!tl->names || !tl->sizes || !tl->data)
        return -1;
    for (int i = 0; i < n; i++) {
        tl->names[i] = c->param_name(i);
        tl->sizes[i] = c->param_size(i);
        tl->data[i] = c->param(model, i);
    }
    return 0;
}

static void tensor_list_free(tensor_list *tl)
{
    free(tl->names);
    free(tl->sizes);
    free(tl->data);
}

static int save_ckpt(const rf_compiled *c, const tensor_list *tl, const char *path, char *err, size_t errlen)
{
    return rf_ckpt_save(path, c->num_params, tl->names, tl->sizes, (float *const *)tl->data, err, errlen);
}

/* Writes metrics.csv, loss.svg and model.ckpt of the run so far. */
static int write_run_files(const rf_model *m, const rf_compiled *c, const tensor_list *tl, const char *dir,
                           const rf_metrics_row *rows, int n_rows, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    if (rf_metrics_write(path, rows, n_rows, err, errlen) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    if (rf_plot_loss_svg(path, m->name, rows, n_rows, err, errlen) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/model.ckpt", dir);
    return save_ckpt(c, tl, path, err, errlen);
}

static void print_epoch_line(const rf_model *m, const rf_metrics_row *r)
{
    if (m->loss == RF_LOSS_SOFTMAX_CE)
        printf("epoch %d, loss %.4f, train acc %.3f, test acc %.3f\n", r->epoch, r->train_loss, r->train_acc,
               r->test_acc);
    else
        printf("epoch %d, train loss %.6f, test loss %.6f\n", r->epoch, r->train_loss, r->test_loss);
    fflush(stdout);
}

static void print_norms(const rf_compiled *c, void *model)
{
    for (int i = 0; i < c->num_params; i++) {
        const float *w = c->param(model, i);
        double s = 0;
        for (int k = 0; k < c->param_size(i); k++)
            s += (double)w[k] * w[k];
        printf("L2 norm of %s: %.6f\n", c->param_name(i), sqrt(s));
    }
}

/* One epoch of training. Returns 0, or -1 when the loss stopped being
 * finite (message in err). */
static int train_epoch(trainer *t, const rf_dataset *train, int epoch, int epochs, int show_progress,
                       uint64_t seed, rf_metrics_row *row, char *err, size_t errlen)
{
    const rf_compiled *c = t->c;
    int *perm = malloc(sizeof(int) * (size_t)(train->n ? train->n : 1));
    if (!perm) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    shuffle(perm, train->n, seed, epoch);
    double loss_sum = 0;
    long correct = 0;
    int steps = (train->n + c->batch - 1) / c->batch;
    for (int s = 0; s < steps; s++) {
        int start = s * c->batch;
        int n = train->n - start < c->batch ? train->n - start : c->batch;
        gather(train, perm + start, n, t->xb, t->lb, t->yb);
        float loss = c->train_step(t->model, t->xb, train->labels ? (const void *)t->lb : (const void *)t->yb, n);
        if (!isfinite(loss)) {
            if (show_progress)
                clear_progress();
            if (epoch > 1)
                snprintf(err, errlen, "training diverged: the loss is %s at epoch %d, step %d (of %d); model.ckpt "
                         "keeps the parameters after epoch %d (lower the learning rate?)",
                         isnan(loss) ? "NaN" : "infinite", epoch, s + 1, steps, epoch - 1);
            else
                snprintf(err, errlen, "training diverged: the loss is %s at epoch 1, step %d (of %d), before any "
                         "epoch finished, so no checkpoint was written (lower the learning rate?)",
                         isnan(loss) ? "NaN" : "infinite", s + 1, steps);
            free(perm);
            return -1;
        }
        loss_sum += (double)loss * n;
        if (train->labels) {
            const float *out = c->last_output(t->model);
            for (int r = 0; r < n; r++)
                correct += argmax(out + (size_t)r * c->outputs, c->outputs) == t->lb[r];
        }
        if (show_progress && (s % 8 == 0 || s + 1 == steps))
            progress(epoch, epochs, s + 1, steps);
    }
    if (show_progress)
        clear_progress();
    free(perm);
    row->train_loss = train->n ? loss_sum / train->n : NAN;
    row->train_acc = train->labels && train->n ? (double)correct / train->n : NAN;
    return 0;
}

int rf_train_run(const rf_model *m, const rf_compiled *c, const rf_train_options *opt)
{
    char err[ERRLEN] = "";
    int rc = 1;
    int epochs = opt->epochs >= 0 ? opt->epochs : m->epochs;
    uint64_t seed = opt->has_seed ? opt->seed : m->seed;
    const char *runs = opt->runs_dir ? opt->runs_dir : "runs";
    int show_progress = !opt->quiet && isatty(STDERR_FILENO);
    rf_datasets data;
    memset(&data, 0, sizeof data);
    trainer t;
    memset(&t, 0, sizeof t);
    tensor_list tl;
    memset(&tl, 0, sizeof tl);
    rf_hparams_buf hp = {0};
    rf_metrics_row *rows = NULL;
    char dir[4096];

    if (opt->threads > 0)
        c->set_threads(opt->threads);

    /* Everything that can fail before training fails first. */
    if (snprintf(dir, sizeof dir, "%s/%s", runs, m->name) >= (int)sizeof dir) {
        fprintf(stderr, "regfitc: error: runs folder path too long\n");
        return 1;
    }
    if (make_dirs(dir, err, sizeof err) != 0)
        goto fail;
    remove_stale_temps(dir);
    if (rf_data_load(m, opt->data_dir, &data, err, sizeof err) != 0)
        goto fail;

    t.c = c;
    t.model = rf_model_alloc(c);
    size_t B = (size_t)c->batch;
    t.xb = malloc(sizeof(float) * B * c->inputs);
    t.yb = malloc(sizeof(float) * B * c->outputs);
    t.out = malloc(sizeof(float) * B * c->outputs);
    t.lb = malloc(sizeof(int32_t) * B);
    t.idx = malloc(sizeof(int) * B);
    rows = calloc((size_t)epochs + 1, sizeof *rows);
    if (!t.model || !t.xb || !t.yb || !t.out || !t.lb || !t.idx || !rows || tensor_list_make(c, t.model, &tl)) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    c->init(t.model, seed);
    /* the code may have been compiled for another model file of the same shapes */
    if (rf_hparams_from_model(m, &hp) != 0) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    c->set_hparams(t.model, &hp.in);
    if (opt->load_path &&
        rf_ckpt_load(opt->load_path, c->num_params, tl.names, tl.sizes, (float *const *)tl.data, err, sizeof err))
        goto fail;

    int n_rows = 0;
    if (epochs == 0) {
        /* Evaluation only (typically of a --load'ed checkpoint). */
        rf_metrics_row *r = &rows[n_rows++];
        double t0 = now_seconds();
        r->epoch = 0;
        evaluate(&t, &data.train, &r->train_loss, &r->train_acc);
        evaluate(&t, &data.test, &r->test_loss, &r->test_acc);
        r->seconds = now_seconds() - t0;
        if (m->loss == RF_LOSS_SOFTMAX_CE)
            printf("evaluation, train loss %.4f, test loss %.4f, train acc %.3f, test acc %.3f\n", r->train_loss,
                   r->test_loss, r->train_acc, r->test_acc);
        else
            printf("evaluation, train loss %.6f, test loss %.6f\n", r->train_loss, r->test_loss);
        if (write_run_files(m, c, &tl, dir, rows, n_rows, err, sizeof err) != 0)
            goto fail;
    }
    for (int epoch = 1; epoch <= epochs; epoch++) {
        rf_metrics_row *r = &rows[n_rows];
        double t0 = now_seconds();
        r->epoch = epoch;
        if (train_epoch(&t, &data.train, epoch, epochs, show_progress, seed, r, err, sizeof err) != 0)
            goto fail;
        double acc_unused;
        if (m->loss == RF_LOSS_SQUARED)
            evaluate(&t, &data.train, &r->train_loss, &acc_unused);
        evaluate(&t, &data.test, &r->test_loss, &r->test_acc);
        r->seconds = now_seconds() - t0;
        n_rows++;
        if (!isfinite(r->test_loss) && data.test.n > 0) {
            snprintf(err, sizeof err, "training diverged: the test loss is not finite after epoch %d", epoch);
            goto fail;
        }
        print_epoch_line(m, r);
        if (write_run_files(m, c, &tl, dir, rows, n_rows, err, sizeof err) != 0)
            goto fail;
    }
    print_norms(c, t.model);
    if (opt->save_path && save_ckpt(c, &tl, opt->save_path, err, sizeof err) != 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    fflush(stdout);
    fprintf(stderr, "regfitc: error: %s\n", err);
done:
    tensor_list_free(&tl);
    free(rows);
    free(t.xb);
    free(t.yb);
    free(t.out);
    free(t.lb);
    free(t.idx);
    rf_model_release(t.model);
    rf_hparams_buf_free(&hp);
    rf_datasets_free(&data);
    return rc;
}
