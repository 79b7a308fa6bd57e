/* The training run (see train.h). One epoch: the epoch's learning rate, a
 * fresh seeded shuffle of the training samples, the batches in that order
 * through train_step (the last one may be partial), then evaluation with
 * dropout off (validation and test), the epoch line, the run files
 * rewritten whole, and the early-stopping decision.
 *
 * Everything an epoch depends on is a function of the model file and of
 * what model.ckpt holds (parameters, optimizer state, the generated code's
 * update and forward-step counters, epochs completed), so --resume
 * continues bit for bit where the checkpoint left off.
 *
 * Under mpirun (SPEC 9, dist.h) each rank of R computes the gradients of
 * its shards of every global batch (loss_grad_shards), the ranks exchange
 * their partial gradients and loss sums in one allgather, and every rank
 * adds them in the shard tree and applies the same update: the parameters
 * after each step are those of one process, bit for bit (R = 1 to 4).
 * Every rank evaluates the whole sets itself (so every rank has the same
 * metrics and the same early-stopping decisions); rank 0 alone prints and
 * writes the run files. */
#include "train.h"

#include "atomic_file.h"
#include "checkpoint.h"
#include "clock.h"
#include "dist.h"
#include "hparams.h"
#include "metrics_csv.h"
#include "plot_svg.h"
#include "protocol.h"
#include "rf_random.h"
#include "run_dir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int rf_train_epochs(const rf_model *m, const rf_train_options *opt)
{
    return opt->epochs >= 0 ? opt->epochs : m->train.epochs;
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

/* Samples of a data set by index: the training part, the validation part,
 * or (idx NULL) the whole test set. */
typedef struct {
    const rf_dataset *d;
    const int *idx;
    int n;
} subset;

static int subset_row(const subset *s, int i) { return s->idx ? s->idx[i] : i; }

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

/* One run's state in memory. */
typedef struct {
    const rf_model *m;
    const rf_compiled *c;
    void *model;
    float *xb, *yb, *out; /* batch buffers */
    int32_t *lb;
    int *rows;            /* batch row indices */
    int *perm;            /* the epoch's order */
    subset train, valid, test;
    /* the checkpoint's tensors: parameters, then optimizer state */
    const char **names;
    int *sizes;
    float **data;
    float **best;         /* the best epoch's parameters (early stopping) */
    rf_early_stop es;
    rf_hparams_buf hp;
    char dir[RF_PATH_MAX];
    int written;          /* the epoch model.ckpt holds (0: none of this run) */
    const volatile int *threads_live; /* see rf_train_options */
    int threads;          /* the count set last, 0: OpenMP's default */
    double write_end, write_cost; /* when the run files were last written, and how long that took */
    const rf_dist *dist;  /* the ranks of a data-parallel run (size 1: one process) */
    int lead;             /* rank 0: prints and writes the run files */
    int shard_lo, shard_hi; /* the shards of each batch this rank computes */
    size_t grad_floats;   /* floats of all the gradients */
    size_t part_bytes;    /* one rank's partial: the gradients, then loss sum and correct count */
    char *part, *parts;   /* this rank's partial, and all ranks' (allgather) */
    double comm_seconds;  /* time in the collective */
    double step_seconds;  /* time in whole data-parallel steps */
    long comm_steps;
} run;

/* Mean loss and accuracy of a set under predict (dropout off). */
static void evaluate(run *t, const subset *s, double *loss, double *acc)
{
    const rf_compiled *c = t->c;
    double total = 0;
    long correct = 0;
    for (int start = 0; start < s->n; start += c->batch) {
        int n = s->n - start < c->batch ? s->n - start : c->batch;
        for (int r = 0; r < n; r++)
            t->rows[r] = subset_row(s, start + r);
        rf_dataset_gather(s->d, t->rows, n, t->xb, t->lb, t->yb);
        c->predict(t->model, t->xb, n, t->out);
        for (int r = 0; r < n; r++) {
            int ok = 0;
            total += row_loss(s->d, t->rows[r], t->out + (size_t)r * c->outputs, c->outputs, &ok);
            correct += ok;
        }
    }
    *loss = s->n ? total / s->n : NAN;
    *acc = s->d->labels && s->n ? (double)correct / s->n : NAN;
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

/* ---- checkpoints of the run ---- */

static rf_ckpt run_ckpt(const run *t, float *const *data, uint32_t epochs)
{
    const rf_compiled *c = t->c;
    return (rf_ckpt){.n_params = c->num_params,
                     .n_state = c->num_state,
                     .names = t->names,
                     .sizes = t->sizes,
                     .data = data,
                     .updates = c->updates(t->model),
                     .forward_steps = c->forward_steps(t->model),
                     .epochs = epochs,
                     .best_epoch = (uint32_t)t->es.best_epoch};
}

static int save_run_ckpt(const run *t, const char *file, float *const *data, int epochs, char *err, size_t errlen)
{
    if (!t->lead) /* rank 0 alone writes the run files */
        return 0;
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, t->dir, file);
    rf_ckpt ck = run_ckpt(t, data, (uint32_t)epochs);
    return rf_ckpt_save(path, &ck, err, errlen);
}

static void copy_params(const run *t, float *const *to, float *const *from)
{
    for (int i = 0; i < t->c->num_params; i++)
        memcpy(to[i], from[i], sizeof(float) * (size_t)t->sizes[i]);
}

/* metrics.csv, loss.svg and model.ckpt of the run so far. */
static int write_run_files(run *t, const rf_metrics_row *rows, int n_rows, char *err, size_t errlen)
{
    double t0 = rf_now_seconds();
    t->written = rows[n_rows - 1].epoch;
    if (!t->lead)
        return 0;
    int rc = 0;
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, t->dir, "metrics.csv");
    if (rf_metrics_write(path, rows, n_rows, err, errlen) != 0)
        return -1;
    rf_run_path(path, sizeof path, t->dir, "loss.svg");
    if (rf_plot_loss_svg(path, t->m->name, rows, n_rows, t->m->loss == RF_LOSS_SOFTMAX_CE, err, errlen) != 0)
        return -1;
    rc = save_run_ckpt(t, "model.ckpt", t->data, rows[n_rows - 1].epoch, err, errlen);
    t->write_end = rf_now_seconds();
    t->write_cost = t->write_end - t0;
    return rc;
}

/* Whether the run files are written after an epoch that neither is the
 * last nor improved: when the epochs since the last write took ten times
 * what that write took. Epochs of seconds (the MLP) are all written; for
 * epochs of microseconds (the d2l regression) writing three files each
 * time would be nearly all of the run, and a kill loses at most a few
 * milliseconds of training, which --resume recomputes bit for bit. */
static int write_due(const run *t) { return rf_now_seconds() - t->write_end >= 10 * t->write_cost; }

/* ---- report lines ---- */

static void print_validation(const rf_model *m, const rf_metrics_row *r)
{
    if (isnan(r->valid_loss))
        return;
    if (m->loss == RF_LOSS_SOFTMAX_CE)
        printf(", valid loss %.4f, valid acc %.3f", r->valid_loss, r->valid_acc);
    else
        printf(", valid loss %.6f", r->valid_loss);
}

static void print_epoch_line(const rf_model *m, const rf_metrics_row *r)
{
    if (m->loss == RF_LOSS_SOFTMAX_CE)
        printf("epoch %d, loss %.4f, train acc %.3f, test acc %.3f", r->epoch, r->train_loss, r->train_acc,
               r->test_acc);
    else
        printf("epoch %d, train loss %.6f, test loss %.6f", r->epoch, r->train_loss, r->test_loss);
    print_validation(m, r);
    if (rf_schedule_varies(&m->train))
        printf(", lr %g", r->lr);
    printf("\n");
    fflush(stdout);
}

static void print_evaluation_line(const rf_model *m, const rf_metrics_row *r)
{
    if (m->loss == RF_LOSS_SOFTMAX_CE)
        printf("evaluation, train loss %.4f, test loss %.4f, train acc %.3f, test acc %.3f", r->train_loss,
               r->test_loss, r->train_acc, r->test_acc);
    else
        printf("evaluation, train loss %.6f, test loss %.6f", r->train_loss, r->test_loss);
    print_validation(m, r);
    printf("\n");
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

/* ---- epochs ---- */

/* One data-parallel step on the global batch t->rows[0..n): this rank's shards
 * through loss_grad_shards, the partials of all ranks gathered and added in the
 * shard tree into the gradient buffers, then the update. Returns the mean loss
 * of the n rows (as train_step would) and adds the batch's correct count. */
static float dist_step(run *t, const subset *s, int n, long *correct)
{
    const rf_compiled *c = t->c;
    const int G = c->grad_shards;
    const double start = rf_now_seconds();
    const int row0 = t->shard_lo * n / G, rows = t->shard_hi * n / G - row0;
    rf_dataset_gather(s->d, t->rows + row0, rows, t->xb, t->lb, t->yb);
    double sum = c->loss_grad_shards(t->model, t->xb, s->d->labels ? (const void *)t->lb : (const void *)t->yb, n,
                                     t->shard_lo, t->shard_hi, 1);
    long ok = 0;
    if (s->d->labels) {
        const float *out = c->last_output(t->model);
        for (int r = 0; r < rows; r++)
            ok += argmax(out + (size_t)r * c->outputs, c->outputs) == t->lb[r];
    }
    /* pack: every gradient, then (aligned) the loss sum and the correct count */
    float *g = (float *)t->part;
    for (int i = 0; i < c->num_params; i++) {
        memcpy(g, c->grad(t->model, i), sizeof(float) * (size_t)t->sizes[i]);
        g += t->sizes[i];
    }
    double tail[2] = {sum, (double)ok};
    memcpy(t->part + t->part_bytes - sizeof tail, tail, sizeof tail);
    double t0 = rf_now_seconds();
    if (rf_dist_allgather(t->dist, t->part, t->parts, t->part_bytes) != 0) {
        fprintf(stderr, "regfitc: error: rank %d: the allgather of a step failed\n", t->dist->rank);
        rf_dist_abort(t->dist, 1);
    }
    t->comm_seconds += rf_now_seconds() - t0;
    t->comm_steps++;
    /* unpack in the tree, straight into the gradient buffers */
    size_t at = 0;
    for (int i = 0; i < c->num_params; i++) {
        rf_dist_tree_add_f(c->grad(t->model, i), t->parts + at * sizeof(float), t->part_bytes,
                           (size_t)t->sizes[i], t->dist->size, G);
        at += (size_t)t->sizes[i];
    }
    rf_dist_tree_add_d(tail, t->parts + t->part_bytes - sizeof tail, t->part_bytes, 2, t->dist->size, G);
    *correct += (long)tail[1];
    c->update(t->model);
    t->step_seconds += rf_now_seconds() - start;
    return (float)(tail[0] / n);
}

/* One epoch of training. Returns 0, or -1 when the loss stopped being
 * finite (message in err). */
static int train_epoch(run *t, int epoch, int epochs, int show_progress, rf_metrics_row *row, char *err,
                       size_t errlen)
{
    const rf_compiled *c = t->c;
    const subset *s = &t->train;
    shuffle(t->perm, s->n, t->m->train.seed, epoch);
    double loss_sum = 0;
    long correct = 0;
    int steps = (s->n + c->batch - 1) / c->batch;
    for (int k = 0; k < steps; k++) {
        int start = k * c->batch;
        int n = s->n - start < c->batch ? s->n - start : c->batch;
        for (int r = 0; r < n; r++)
            t->rows[r] = subset_row(s, t->perm[start + r]);
        if (t->threads_live && *t->threads_live > 0 && *t->threads_live != t->threads)
            c->set_threads(t->threads = *t->threads_live);
        float loss;
        if (t->dist->size > 1) {
            loss = dist_step(t, s, n, &correct);
        } else {
            rf_dataset_gather(s->d, t->rows, n, t->xb, t->lb, t->yb);
            loss = c->train_step(t->model, t->xb, s->d->labels ? (const void *)t->lb : (const void *)t->yb, n);
            if (s->d->labels) {
                const float *out = c->last_output(t->model);
                for (int r = 0; r < n; r++)
                    correct += argmax(out + (size_t)r * c->outputs, c->outputs) == t->lb[r];
            }
        }
        if (!isfinite(loss)) {
            if (show_progress)
                clear_progress();
            if (t->written > 0)
                snprintf(err, errlen, "training diverged: the loss is %s at epoch %d, step %d (of %d); model.ckpt "
                         "keeps the parameters after epoch %d (lower the learning rate?)",
                         isnan(loss) ? "NaN" : "infinite", epoch, k + 1, steps, t->written);
            else
                snprintf(err, errlen, "training diverged: the loss is %s at epoch %d, step %d (of %d), before any "
                         "checkpoint was written (lower the learning rate?)",
                         isnan(loss) ? "NaN" : "infinite", epoch, k + 1, steps);
            return -1;
        }
        loss_sum += (double)loss * n;
        if (show_progress && (k % 8 == 0 || k + 1 == steps))
            progress(epoch, epochs, k + 1, steps);
    }
    if (show_progress)
        clear_progress();
    row->train_loss = s->n ? loss_sum / s->n : NAN;
    row->train_acc = s->d->labels && s->n ? (double)correct / s->n : NAN;
    return 0;
}

/* Sets the epoch's learning rate in the compiled model. */
static void set_epoch_lr(run *t, double lr)
{
    t->hp.in.lr = (float)lr;
    t->c->set_hparams(t->model, &t->hp.in);
}

/* ---- setting up ---- */

static int alloc_run(run *t, const rf_model *m, const rf_compiled *c, const rf_datasets *data)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    t->c = c;
    t->model = rf_model_alloc(c);
    size_t B = (size_t)c->batch, n_tensors = (size_t)(c->num_params + c->num_state);
    int n_train = data->train.n;
    t->xb = malloc(sizeof(float) * B * c->inputs);
    t->yb = malloc(sizeof(float) * B * c->outputs);
    t->out = malloc(sizeof(float) * B * c->outputs);
    t->lb = malloc(sizeof(int32_t) * B);
    t->rows = malloc(sizeof(int) * B);
    t->perm = malloc(sizeof(int) * (size_t)(n_train ? n_train : 1));
    int *train_idx = malloc(sizeof(int) * (size_t)(n_train ? n_train : 1));
    int *valid_idx = malloc(sizeof(int) * (size_t)(n_train ? n_train : 1));
    t->names = calloc(n_tensors + 1, sizeof *t->names);
    t->sizes = calloc(n_tensors + 1, sizeof *t->sizes);
    t->data = calloc(n_tensors + 1, sizeof *t->data);
    t->best = calloc((size_t)c->num_params + 1, sizeof *t->best);
    t->train = (subset){&data->train, train_idx, 0};
    t->valid = (subset){&data->train, valid_idx, 0};
    t->test = (subset){&data->test, NULL, data->test.n};
    if (!t->model || !t->xb || !t->yb || !t->out || !t->lb || !t->rows || !t->perm || !train_idx || !valid_idx ||
        !t->names || !t->sizes || !t->data || !t->best)
        return -1;
    for (int i = 0; i < c->num_params; i++) {
        t->names[i] = c->param_name(i);
        t->sizes[i] = c->param_size(i);
        t->data[i] = c->param(t->model, i);
        if (m->train.early_stopping && !(t->best[i] = malloc(sizeof(float) * (size_t)(t->sizes[i] + 1))))
            return -1;
    }
    for (int i = 0; i < c->num_state; i++) {
        t->names[c->num_params + i] = c->state_name(i);
        t->sizes[c->num_params + i] = c->state_size(i);
        t->data[c->num_params + i] = c->state(t->model, i);
    }
    t->dist = rf_dist_self();
    t->lead = t->dist->rank == 0;
    rf_dist_shard_range(t->dist->rank, t->dist->size, c->grad_shards, &t->shard_lo, &t->shard_hi);
    if (t->dist->size > 1) {
        for (int i = 0; i < c->num_params; i++)
            t->grad_floats += (size_t)t->sizes[i];
        t->part_bytes = (t->grad_floats * sizeof(float) + 7) / 8 * 8 + 2 * sizeof(double);
        t->part = malloc(t->part_bytes);
        t->parts = malloc(t->part_bytes * (size_t)t->dist->size);
        if (!t->part || !t->parts)
            return -1;
    }
    rf_split(n_train, m->train.validation, m->train.seed, train_idx, &t->train.n, valid_idx, &t->valid.n);
    rf_early_stop_init(&t->es, &m->train);
    return rf_hparams_from_model(m, &t->hp);
}

static void free_run(run *t)
{
    if (t->best)
        for (int i = 0; i < t->c->num_params; i++)
            free(t->best[i]);
    free(t->best);
    free(t->names);
    free(t->sizes);
    free(t->data);
    free(t->xb);
    free(t->yb);
    free(t->out);
    free(t->lb);
    free(t->rows);
    free(t->perm);
    free(t->part);
    free(t->parts);
    free((void *)t->train.idx);
    free((void *)t->valid.idx);
    rf_model_release(t->model);
    rf_hparams_buf_free(&t->hp);
}

/* Loads a checkpoint of the run folder whole into the model; *epochs and
 * *best_epoch get its counts. Returns 0, or -1 with a message. */
static int load_run_ckpt(run *t, const char *file, float *const *data, int *epochs, int *best_epoch, char *err,
                         size_t errlen)
{
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, t->dir, file);
    rf_ckpt ck = run_ckpt(t, data, 0);
    if (rf_ckpt_load(path, &ck, RF_CKPT_WHOLE, NULL, err, errlen) != 0)
        return -1;
    if (data == t->data)
        t->c->set_counters(t->model, ck.updates, ck.forward_steps);
    *epochs = (int)ck.epochs;
    *best_epoch = (int)ck.best_epoch;
    return 0;
}

/* --resume: the model from model.ckpt (or from last.ckpt when model.ckpt
 * holds the restored best epoch of a finished early-stopping run), the
 * rows of metrics.csv up to its epoch, and the early-stopping state
 * replayed from them. *rows is allocated with room for `epochs` rows. */
static int resume_run(run *t, int epochs, rf_metrics_row **rows, int *n_rows, char *err, size_t errlen)
{
    const rf_model *m = t->m;
    int done, best_epoch;
    if (load_run_ckpt(t, "model.ckpt", t->data, &done, &best_epoch, err, errlen) != 0)
        return -1;
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, t->dir, "last.ckpt");
    if (m->train.early_stopping && best_epoch != done && access(path, F_OK) == 0) {
        /* last.ckpt counts only when it is of the same epoch: an older one is
         * what a run continued since then left behind */
        char why[ERRLEN];
        rf_ckpt probe = run_ckpt(t, NULL, 0);
        if (rf_ckpt_load(path, &probe, RF_CKPT_WHOLE, NULL, why, sizeof why) == 0 && (int)probe.epochs == done &&
            load_run_ckpt(t, "last.ckpt", t->data, &done, &best_epoch, err, errlen) != 0)
            return -1;
    }
    rf_metrics_row *read = NULL;
    int n_read = 0;
    rf_run_path(path, sizeof path, t->dir, "metrics.csv");
    if (rf_metrics_read(path, &read, &n_read, err, errlen) != 0)
        return -1;
    if (n_read < done) {
        snprintf(err, errlen, "%s has %d epochs, but model.ckpt says %d were completed: the run folder %s cannot "
                 "be resumed", path, n_read, done, t->dir);
        free(read);
        return -1;
    }
    int room = (epochs > done ? epochs : done) + 1;
    *rows = calloc((size_t)room, sizeof **rows);
    if (!*rows) {
        free(read);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* rows past the checkpoint belong to an epoch that is trained again */
    memcpy(*rows, read, sizeof **rows * (size_t)done);
    *n_rows = done;
    free(read);
    if (m->train.early_stopping) {
        rf_early_stop_replay(&t->es, &m->train, *rows, done);
        if (t->es.best_epoch != best_epoch) {
            snprintf(err, errlen, "model.ckpt's best epoch %d disagrees with metrics.csv's (%d): the run folder %s "
                     "cannot be resumed", best_epoch, t->es.best_epoch, t->dir);
            return -1;
        }
        if (best_epoch == done && best_epoch > 0) {
            /* model.ckpt holds the best epoch itself; best.ckpt may lag behind it (a kill
             * between the two writes): write it now, before a later epoch's model.ckpt
             * stops holding the best one's parameters */
            copy_params(t, t->best, t->data);
            if (save_run_ckpt(t, "best.ckpt", t->data, done, err, errlen) != 0)
                return -1;
        } else if (best_epoch > 0) {
            /* the best epoch's parameters from best.ckpt, checked to be that epoch's */
            float **tmp = calloc((size_t)(t->c->num_params + t->c->num_state) + 1, sizeof *tmp);
            int ok = tmp != NULL, best_done = 0, best_best = 0;
            for (int i = 0; ok && i < t->c->num_params + t->c->num_state; i++)
                ok = (tmp[i] = malloc(sizeof(float) * (size_t)(t->sizes[i] + 1))) != NULL;
            if (!ok)
                snprintf(err, errlen, "out of memory");
            else if (load_run_ckpt(t, "best.ckpt", tmp, &best_done, &best_best, err, errlen) != 0)
                ok = 0;
            else if (best_done != best_epoch) {
                snprintf(err, errlen, "%s/best.ckpt holds epoch %d, not the best epoch %d: the run folder cannot be "
                         "resumed", t->dir, best_done, best_epoch);
                ok = 0;
            } else
                copy_params(t, t->best, tmp);
            for (int i = 0; tmp && i < t->c->num_params + t->c->num_state; i++)
                free(tmp[i]);
            free(tmp);
            if (!ok)
                return -1;
        }
    }
    return 0;
}

/* ---- the run ---- */

int rf_train_run(const rf_model *m, const rf_compiled *c, const rf_datasets *data, const rf_train_options *opt)
{
    char err[ERRLEN] = "";
    int rc = 1;
    int epochs = rf_train_epochs(m, opt);
    const rf_dist *dist = rf_dist_self();
    const int lead = dist->rank == 0;
    int show_progress = lead && !opt->quiet && isatty(STDERR_FILENO);
    int common_fail = 0; /* a failure every rank has alike: rank 0 alone reports it */
    int es_on = m->train.early_stopping;
    rf_metrics_row *rows = NULL;
    int n_rows = 0;
    run t;

    if (opt->threads > 0) {
        c->set_threads(opt->threads);
    } else if (dist->size > 1) { /* the ranks on a machine share its cores */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int per = (int)(cores / dist->local_size);
        c->set_threads(per > 0 ? per : 1);
    }
    if (alloc_run(&t, m, c, data) != 0) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    if (dist->size > 1 && !rf_dist_ranges_are_nodes(dist->size, c->grad_shards)) {
        snprintf(err, sizeof err, "a data-parallel run of %s takes 1 to %d ranks (its row shards), not %d", m->name,
                 c->grad_shards, dist->size);
        common_fail = 1;
        goto fail;
    }
    t.threads = opt->threads;
    t.threads_live = opt->threads_live;
    if (rf_train_dir(m, opt, t.dir, sizeof t.dir) != 0) {
        snprintf(err, sizeof err, "run folder path too long");
        goto fail;
    }
    c->init(t.model, m->train.seed);
    /* the code may have been compiled for another model file of the same shapes */
    c->set_hparams(t.model, &t.hp.in);

    if (opt->resume) {
        if (lead)
            rf_remove_stale_temps(t.dir);
        if (resume_run(&t, epochs, &rows, &n_rows, err, sizeof err) != 0)
            goto fail;
        t.written = n_rows;
        int finished = n_rows >= epochs || (es_on && rf_early_stop_done(&t.es, n_rows));
        if (finished && !opt->quiet && lead)
            fprintf(stderr, "regfitc: the run in %s had already finished (epoch %d); nothing left to train\n", t.dir,
                    n_rows);
    } else {
        rows = calloc((size_t)epochs + 1, sizeof *rows);
        if (!rows) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
        if (opt->load_path) {
            rf_ckpt ck = run_ckpt(&t, t.data, 0);
            rf_ckpt_info info;
            if (rf_ckpt_load(opt->load_path, &ck, RF_CKPT_PARAMS_STATE, &info, err, sizeof err) != 0)
                goto fail;
            /* with the optimizer's state comes its update count (Adam's bias
             * correction); the dropout stream starts afresh with epoch 1 */
            if (info.state_loaded)
                c->set_counters(t.model, ck.updates, 0);
        }
        if (epochs == 0) {
            /* Evaluation only: RUNS/NAME/ is left as it was (SPEC 4). */
            rf_metrics_row r = {.epoch = 0, .valid_loss = NAN, .valid_acc = NAN};
            evaluate(&t, &t.train, &r.train_loss, &r.train_acc);
            if (t.valid.n > 0)
                evaluate(&t, &t.valid, &r.valid_loss, &r.valid_acc);
            evaluate(&t, &t.test, &r.test_loss, &r.test_acc);
            if (lead)
                print_evaluation_line(m, &r);
        } else if (lead) {
            if (rf_make_dirs(t.dir, err, sizeof err) != 0)
                goto fail;
            rf_remove_stale_temps(t.dir);
            /* a new run: the previous run's extra checkpoints are not its own */
            char path[RF_PATH_MAX + 64];
            rf_run_path(path, sizeof path, t.dir, "best.ckpt");
            unlink(path);
            rf_run_path(path, sizeof path, t.dir, "last.ckpt");
            unlink(path);
            rf_run_path(path, sizeof path, t.dir, "model.id");
            if (opt->identity && rf_atomic_write(path, opt->identity, strlen(opt->identity), err, sizeof err) != 0)
                goto fail;
        }
    }

    int stopped = opt->resume && es_on && rf_early_stop_done(&t.es, n_rows);
    for (int epoch = n_rows + 1; epoch <= epochs && !stopped; epoch++) {
        rf_metrics_row *r = &rows[n_rows];
        double t0 = rf_now_seconds();
        memset(r, 0, sizeof *r);
        r->epoch = epoch;
        r->lr = rf_schedule_lr(&m->train, m->lr, epoch);
        set_epoch_lr(&t, r->lr);
        if (train_epoch(&t, epoch, epochs, show_progress, r, err, sizeof err) != 0) {
            common_fail = 1;
            goto fail;
        }
        double acc_unused;
        if (m->loss == RF_LOSS_SQUARED)
            evaluate(&t, &t.train, &r->train_loss, &acc_unused);
        r->valid_loss = r->valid_acc = NAN;
        if (t.valid.n > 0)
            evaluate(&t, &t.valid, &r->valid_loss, &r->valid_acc);
        evaluate(&t, &t.test, &r->test_loss, &r->test_acc);
        r->seconds = rf_now_seconds() - t0;
        rf_metrics_round(r);
        n_rows++;
        if ((!isfinite(r->test_loss) && t.test.n > 0) || (!isfinite(r->valid_loss) && t.valid.n > 0)) {
            snprintf(err, sizeof err, "training diverged: the %s loss is not finite after epoch %d",
                     !isfinite(r->test_loss) && t.test.n > 0 ? "test" : "validation", epoch);
            common_fail = 1;
            goto fail;
        }
        if (lead)
            print_epoch_line(m, r);
        int improved = es_on && rf_early_stop_update(&t.es, epoch, rf_early_stop_value(&m->train, r));
        int last = epoch == epochs || (es_on && rf_early_stop_done(&t.es, epoch));
        /* An improving epoch is always written, so best.ckpt holds whatever
         * epoch a later model.ckpt names the best. model.ckpt first: when it
         * names this epoch the best, it holds its parameters itself, so
         * best.ckpt may lag behind it (RELIABILITY.md). */
        if ((epoch == 1 || last || improved || write_due(&t)) && write_run_files(&t, rows, n_rows, err, sizeof err) != 0)
            goto fail_lead;
        if (improved) {
            copy_params(&t, t.best, t.data);
            if (save_run_ckpt(&t, "best.ckpt", t.data, epoch, err, sizeof err) != 0)
                goto fail_lead;
        }
        if (es_on && rf_early_stop_done(&t.es, epoch)) {
            if (lead)
                printf("early stopping at epoch %d, best epoch %d\n", epoch, t.es.best_epoch);
            stopped = 1;
        }
    }
    if (es_on && t.es.best_epoch > 0 && t.es.best_epoch != n_rows && n_rows > 0) {
        /* The best epoch's parameters become the run's result. The last
         * epoch's whole state goes to last.ckpt first, for --resume. */
        if (save_run_ckpt(&t, "last.ckpt", t.data, n_rows, err, sizeof err) != 0)
            goto fail_lead;
        copy_params(&t, t.data, t.best);
        if (save_run_ckpt(&t, "model.ckpt", t.data, n_rows, err, sizeof err) != 0)
            goto fail_lead;
    }
    if (lead)
        print_norms(c, t.model);
    if (lead && dist->size > 1 && !opt->quiet && t.comm_steps > 0)
        fprintf(stderr, "regfitc: %d ranks: a step took %.3f ms, of which the allgather (%zu bytes a rank) %.3f ms "
                "(mean of %ld steps)\n", dist->size, 1e3 * t.step_seconds / (double)t.comm_steps, t.part_bytes,
                1e3 * t.comm_seconds / (double)t.comm_steps, t.comm_steps);
    if (lead && opt->save_path) {
        rf_ckpt ck = run_ckpt(&t, t.data, (uint32_t)n_rows);
        if (rf_ckpt_save(opt->save_path, &ck, err, sizeof err) != 0)
            goto fail;
    }
    rc = 0;
    goto done;
fail_lead:
    /* only rank 0 writes: the other ranks would wait for it in the next step */
    if (dist->size > 1) {
        fflush(stdout);
        fprintf(stderr, "regfitc: error: %s\n", err);
        rf_dist_abort(dist, 1);
    }
fail:
    fflush(stdout);
    if (lead)
        fprintf(stderr, "regfitc: error: %s\n", err);
    else if (!common_fail)
        fprintf(stderr, "regfitc: error: rank %d: %s\n", dist->rank, err);
done:
    free(rows);
    free_run(&t);
    return rc;
}
