/* Sweeps (see sweep.h). The parent process checks every point, compiles
 * and loads what the points need, decides per point whether its folder
 * already holds its run, then forks the runs J at a time; each child trains
 * one point through the ordinary run (rf_train_run) with its output in the
 * point's log.txt, and dies with the parent (PR_SET_PDEATHSIG), so an
 * interrupted sweep leaves no run behind that races with the next one.
 * Forking shares the loaded data and the compiled code with every child
 * without copying; the parent itself never enters OpenMP. */
#define _GNU_SOURCE /* prctl */
#include "sweep.h"

#include "atomic_file.h"
#include "build.h"
#include "checkpoint.h"
#include "frontend.h"
#include "metrics_csv.h"
#include "model_id.h"
#include "plot_sweep.h"
#include "run_dir.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_POINTS 10000
#define ERRLEN 2048

/* ---- the grid ---- */

static char *trimmed_copy(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

void rf_sweep_values_free(char *key, char **values, int n)
{
    free(key);
    for (int i = 0; values && i < n; i++)
        free(values[i]);
    free(values);
}

int rf_sweep_split(const char *arg, char **key, char ***values, char *err, size_t errlen)
{
    *key = NULL;
    *values = NULL;
    const char *eq = strchr(arg, '=');
    if (!eq) {
        snprintf(err, errlen, "--sweep %s: expected KEY=V1,V2,... (no '=')", arg);
        return -1;
    }
    *key = trimmed_copy(arg, (size_t)(eq - arg));
    if (!*key || !**key) {
        snprintf(err, errlen, "--sweep %s: the key before '=' is empty", arg);
        free(*key);
        *key = NULL;
        return -1;
    }
    int n = 0, cap = 0, depth = 0;
    char quote = 0;
    const char *start = eq + 1;
    for (const char *p = start;; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            else if (*p == '\0')
                break;
            continue;
        }
        if (*p == '"' || *p == '\'')
            quote = *p;
        else if (*p == '[' || *p == '{')
            depth++;
        else if ((*p == ']' || *p == '}') && depth > 0)
            depth--;
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            char *v = trimmed_copy(start, (size_t)(p - start));
            if (!v || !*v) {
                snprintf(err, errlen, "--sweep %s: value %d of %s is empty%s", arg, n + 1, *key,
                         n == 0 && *p == '\0' ? " (no values after '=')" : "");
                free(v);
                rf_sweep_values_free(*key, *values, n);
                *key = NULL;
                *values = NULL;
                return -1;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                char **grown = realloc(*values, sizeof *grown * (size_t)cap);
                if (!grown) {
                    free(v);
                    snprintf(err, errlen, "out of memory");
                    rf_sweep_values_free(*key, *values, n);
                    *key = NULL;
                    *values = NULL;
                    return -1;
                }
                *values = grown;
            }
            (*values)[n++] = v;
            start = p + 1;
        }
        if (*p == '\0')
            break;
    }
    if (quote) {
        snprintf(err, errlen, "--sweep %s: a quote is not closed", arg);
        rf_sweep_values_free(*key, *values, n);
        *key = NULL;
        *values = NULL;
        return -1;
    }
    return n;
}

typedef struct {
    char *key;
    char **values;
    int n;
} swept_key;

/* One point of the grid, checked and ready to run. */
typedef struct {
    int *value;          /* per swept key: the index of its value */
    uint64_t seed;
    rf_model m;
    int loaded;          /* m holds a model */
    char *identity;
    char name[256];      /* the folder under RUNS/NAME-sweep/ */
    char dir[RF_PATH_MAX];
    char label[512];     /* "decay.0.l2=3, seed 1" */
    int data;            /* index into the sweep's data sets */
    int build;           /* index into the sweep's builds, -1: none needed */
    int status;          /* 0 to run, 1 done before, 2 ran now, -1 failed */
    int resume;
    /* results */
    rf_metrics_row *rows;
    int n_rows;
    rf_metrics_row result; /* the row of the epoch whose parameters the run kept */
    double *norms;
    double seconds;
} point;

typedef struct {
    const rf_sweep_options *o;
    swept_key *keys;
    int n_keys;
    point *points;
    int n_points;
    rf_datasets *data;
    char **data_keys;
    int n_data;
    rf_built *builds;    /* one per distinct shape */
    char **build_keys;
    int n_builds;
    char sweep_dir[RF_PATH_MAX];
    int epochs;
} sweep;

static void free_sweep(sweep *s)
{
    for (int i = 0; s->points && i < s->n_points; i++) {
        point *p = &s->points[i];
        free(p->value);
        if (p->loaded)
            rf_model_free(&p->m);
        free(p->identity);
        free(p->rows);
        free(p->norms);
    }
    free(s->points);
    for (int k = 0; k < s->n_keys; k++)
        rf_sweep_values_free(s->keys[k].key, s->keys[k].values, s->keys[k].n);
    free(s->keys);
    for (int i = 0; i < s->n_data; i++) {
        rf_datasets_free(&s->data[i]);
        free(s->data_keys[i]);
    }
    free(s->data);
    free(s->data_keys);
    for (int i = 0; i < s->n_builds; i++) {
        rf_build_close(&s->builds[i]);
        free(s->build_keys[i]);
    }
    free(s->builds);
    free(s->build_keys);
}

/* The shape a model compiles to, as a key: points with the same key share
 * one build (rf_model_for_build drops every run-time value). */
static char *build_key(const rf_model *m)
{
    rf_model shape;
    if (rf_model_for_build(m, &shape) != 0)
        return NULL;
    char *id = rf_model_identity(&shape, RF_ID_ALL);
    rf_model_free_build_copy(&shape);
    return id;
}

/* Characters a folder name keeps; others become '_' (no commas: the name
 * is a cell of results.csv). */
static void folder_name(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < size; c++)
        out[n++] = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._=+-", *c) ? *c : '_');
    out[n] = '\0';
}

static int parse_keys(sweep *s, char *err, size_t errlen)
{
    const rf_sweep_options *o = s->o;
    s->keys = calloc((size_t)o->n_sweeps + 1, sizeof *s->keys);
    if (!s->keys)
        return snprintf(err, errlen, "out of memory"), -1;
    long total = o->seeds;
    for (int k = 0; k < o->n_sweeps; k++) {
        swept_key *sk = &s->keys[k];
        sk->n = rf_sweep_split(o->sweeps[k], &sk->key, &sk->values, err, errlen);
        if (sk->n < 0)
            return -1;
        s->n_keys++;
        for (int j = 0; j < k; j++)
            if (!strcmp(s->keys[j].key, sk->key))
                return snprintf(err, errlen, "--sweep %s: the key is swept twice", sk->key), -1;
        for (int i = 0; i < sk->n; i++)
            for (int j = 0; j < i; j++)
                if (!strcmp(sk->values[i], sk->values[j]))
                    return snprintf(err, errlen, "--sweep %s: the value %s is given twice", sk->key,
                                    sk->values[i]), -1;
        if (!strcmp(sk->key, "name"))
            return snprintf(err, errlen, "--sweep name: the model's name names the sweep; it cannot be swept"), -1;
        if (!strcmp(sk->key, "train.seed") && o->seeds > 1)
            return snprintf(err, errlen, "--sweep train.seed and --seeds %d both choose the seeds; use one",
                            o->seeds), -1;
        for (int i = 0; i < o->n_sets; i++) {
            size_t n = strlen(sk->key);
            if (!strncmp(o->sets[i], sk->key, n) && o->sets[i][n] == '=')
                return snprintf(err, errlen, "--sweep %s and --set %s: a key is either swept or set", sk->key,
                                o->sets[i]), -1;
        }
        total *= sk->n;
        if (total > MAX_POINTS)
            return snprintf(err, errlen, "the sweep has more than %d points", MAX_POINTS), -1;
    }
    s->n_points = (int)total;
    return 0;
}

/* The model file with the --set list, and extra overrides, checked. */
static int load_with(const sweep *s, const char *const *extra, int n_extra, rf_model *m)
{
    const rf_sweep_options *o = s->o;
    int n = o->n_sets + n_extra;
    const char **all = calloc((size_t)n + 1, sizeof *all);
    if (!all)
        return 1;
    for (int i = 0; i < o->n_sets; i++)
        all[i] = o->sets[i];
    for (int i = 0; i < n_extra; i++)
        all[o->n_sets + i] = extra[i];
    int rc = rf_load_model_set(o->model_path, all, n, m, stderr, NULL);
    free(all);
    return rc;
}

/* The data a model trains on, as a key: points with the same key share one load. */
static char *data_key(const rf_model *m, const char *data_dir)
{
    char *id = rf_model_identity(m, RF_ID_ALL);
    if (!id)
        return NULL;
    const char *d = strstr(id, "\ndata: ");
    char buf[RF_PATH_MAX * 5];
    snprintf(buf, sizeof buf, "%s|%s|%llu", d ? d : "", data_dir ? data_dir : "",
             m->data.kind == RF_DATA_SYNTHETIC_LINEAR ? (unsigned long long)m->train.seed : 0ull);
    free(id);
    return strdup(buf);
}

/* Builds the grid's points: each one's model, checked (exit 2 on the first
 * that is not valid), its folder, its label. */
static int make_points(sweep *s, uint64_t first_seed)
{
    const rf_sweep_options *o = s->o;
    s->points = calloc((size_t)s->n_points, sizeof *s->points);
    if (!s->points)
        return 1;
    char (*sets)[4200] = calloc((size_t)s->n_keys + 1, sizeof *sets);
    const char **extra = calloc((size_t)s->n_keys + 2, sizeof *extra);
    if (!sets || !extra) {
        free(sets);
        free(extra);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < s->n_points && rc == 0; i++) {
        point *p = &s->points[i];
        p->value = calloc((size_t)s->n_keys + 1, sizeof *p->value);
        if (!p->value) {
            rc = 1;
            break;
        }
        int rest = i / o->seeds;
        p->seed = first_seed + (uint64_t)(i % o->seeds);
        for (int k = s->n_keys - 1; k >= 0; k--) {
            p->value[k] = rest % s->keys[k].n;
            rest /= s->keys[k].n;
        }
        char label[512] = "", name[512] = "";
        size_t ln = 0, nn = 0;
        for (int k = 0; k < s->n_keys; k++) {
            snprintf(sets[k], sizeof sets[k], "%s=%s", s->keys[k].key, s->keys[k].values[p->value[k]]);
            extra[k] = sets[k];
            ln += (size_t)snprintf(label + ln, sizeof label - ln, "%s%s", k ? ", " : "", sets[k]);
            nn += (size_t)snprintf(name + nn, sizeof name - nn, "%s%s", k ? "_" : "", sets[k]);
            if (ln >= sizeof label)
                ln = sizeof label - 1;
            if (nn >= sizeof name)
                nn = sizeof name - 1;
        }
        int n_extra = s->n_keys;
        int seed_swept = 0;
        for (int k = 0; k < s->n_keys; k++)
            seed_swept |= !strcmp(s->keys[k].key, "train.seed");
        if (!seed_swept) {
            snprintf(sets[s->n_keys], sizeof sets[0], "train.seed=%llu", (unsigned long long)p->seed);
            extra[n_extra++] = sets[s->n_keys];
            snprintf(label + ln, sizeof label - ln, ", seed %llu", (unsigned long long)p->seed);
            snprintf(name + nn, sizeof name - nn, "%sseed=%llu", nn ? "_" : "", (unsigned long long)p->seed);
        }
        snprintf(p->label, sizeof p->label, "%s", label);
        folder_name(p->name, sizeof p->name - 16, name);
        /* two points whose names fold to the same folder get their index too */
        for (int j = 0; j < i; j++)
            if (!strcmp(s->points[j].name, p->name)) {
                size_t len = strlen(p->name);
                snprintf(p->name + len, sizeof p->name - len, "-p%d", i + 1);
                break;
            }
        if (load_with(s, extra, n_extra, &p->m) != 0) {
            fprintf(stderr, "regfitc: error: point %d/%d of the sweep (%s) is not a valid model\n", i + 1,
                    s->n_points, p->label);
            rc = 2;
            break;
        }
        p->loaded = 1;
        if (seed_swept)
            p->seed = p->m.train.seed;
        if (strcmp(p->m.name, s->points[0].m.name) != 0) {
            fprintf(stderr, "regfitc: error: point %d/%d (%s) renames the model; a sweep keeps one name\n", i + 1,
                    s->n_points, p->label);
            rc = 2;
            break;
        }
        if (p->m.data.kind == RF_DATA_NONE) {
            fprintf(stderr, "%s: error: the model file has no 'data' key, so there is nothing to train on\n",
                    o->model_path);
            rc = 2;
            break;
        }
        p->identity = rf_model_identity(&p->m, RF_ID_BUT_EPOCHS);
        if (!p->identity)
            rc = 1;
    }
    free(sets);
    free(extra);
    return rc;
}

/* Each key must change the model: the points that differ only in its value
 * (the others at their first value, the first seed) must differ. */
static int check_keys_matter(sweep *s)
{
    int stride = s->o->seeds;
    for (int k = s->n_keys - 1; k >= 0; k--) {
        for (int i = 0; i < s->keys[k].n; i++)
            for (int j = 0; j < i; j++) {
                const point *a = &s->points[i * stride], *b = &s->points[j * stride];
                char *ia = rf_model_identity(&a->m, RF_ID_ALL), *ib = rf_model_identity(&b->m, RF_ID_ALL);
                int same = ia && ib && !strcmp(ia, ib);
                free(ia);
                free(ib);
                if (same) {
                    fprintf(stderr, "regfitc: error: --sweep %s: the values %s and %s give the same model (the key "
                                    "changes nothing the run depends on)\n",
                            s->keys[k].key, s->keys[k].values[j], s->keys[k].values[i]);
                    return 2;
                }
            }
        stride *= s->keys[k].n;
    }
    return 0;
}

/* ---- before training: data, builds, folders ---- */

static int prepare(sweep *s, rf_train_options *base)
{
    const rf_sweep_options *o = s->o;
    char err[ERRLEN];
    s->data = calloc((size_t)s->n_points, sizeof *s->data);
    s->data_keys = calloc((size_t)s->n_points, sizeof *s->data_keys);
    if (!s->data || !s->data_keys)
        return 1;
    for (int i = 0; i < s->n_points; i++) {
        point *p = &s->points[i];
        rf_train_options opt = *base;
        opt.run_dir = p->dir;
        opt.identity = p->identity;
        if (snprintf(p->dir, sizeof p->dir, "%s/%s", s->sweep_dir, p->name) >= (int)sizeof p->dir) {
            fprintf(stderr, "regfitc: error: the sweep folder path is too long\n");
            return 1;
        }
        char *key = data_key(&p->m, o->train.data_dir);
        if (!key)
            return 1;
        p->data = -1;
        for (int d = 0; d < s->n_data && p->data < 0; d++)
            if (!strcmp(s->data_keys[d], key))
                p->data = d;
        if (p->data < 0) {
            p->data = s->n_data;
            s->data_keys[s->n_data++] = key;
        } else {
            free(key);
        }
        int rc = rf_train_preflight(&p->m, &opt, &s->data[p->data], err, sizeof err);
        if (rc != 0) {
            if (rc == 2)
                fprintf(stderr, "%s\n", err);
            else
                fprintf(stderr, "regfitc: error: %s\n", err);
            fprintf(stderr, "regfitc: (point %d/%d: %s)\n", i + 1, s->n_points, p->label);
            return rc;
        }
        int done, finished, same;
        if (rf_train_status(&p->m, &opt, s->epochs, &done, &finished, &same, err, sizeof err) != 0) {
            fprintf(stderr, "regfitc: error: %s\n", err);
            return 1;
        }
        p->status = same && finished ? 1 : 0;
        p->resume = same && !finished && done > 0;
    }
    /* the code, once per distinct shape */
    s->builds = calloc((size_t)s->n_points, sizeof *s->builds);
    s->build_keys = calloc((size_t)s->n_points, sizeof *s->build_keys);
    if (!s->builds || !s->build_keys)
        return 1;
    for (int i = 0; i < s->n_points; i++) {
        point *p = &s->points[i];
        p->build = -1;
        if (p->status != 0)
            continue;
        char *key = build_key(&p->m);
        if (!key)
            return 1;
        for (int b = 0; b < s->n_builds && p->build < 0; b++)
            if (!strcmp(s->build_keys[b], key))
                p->build = b;
        if (p->build >= 0) {
            free(key);
            continue;
        }
        rf_build_options bo = {.cflags = o->cflags};
        rf_built *built = &s->builds[s->n_builds];
        if (rf_build(&p->m, &bo, built, err, sizeof err) != 0) {
            free(key);
            fprintf(stderr, "regfitc: error: %s\n", err);
            return 1;
        }
        p->build = s->n_builds;
        s->build_keys[s->n_builds++] = key;
        if (!o->train.quiet && !built->cached)
            fprintf(stderr, "regfitc: compiled %s into %s\n", p->m.name, built->so_path);
    }
    return rf_make_dirs(s->sweep_dir, err, sizeof err) == 0 ? 0 : (fprintf(stderr, "regfitc: error: %s\n", err), 1);
}

/* ---- results of a point, from its folder ---- */

static int read_result(const sweep *s, point *p, char *err, size_t errlen)
{
    const rf_model *m = &p->m;
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, p->dir, "metrics.csv");
    free(p->rows);
    p->rows = NULL;
    if (rf_metrics_read(path, &p->rows, &p->n_rows, err, errlen) != 0)
        return -1;
    /* the parameters, the epochs and the best epoch from model.ckpt */
    int per = rf_model_state_per_param(m), n = m->n_params * (1 + per);
    char (*names)[RF_PARAM_NAME_MAX + 16] = calloc((size_t)n + 1, sizeof *names);
    const char **ptrs = calloc((size_t)n + 1, sizeof *ptrs);
    int *sizes = calloc((size_t)n + 1, sizeof *sizes);
    float **data = calloc((size_t)n + 1, sizeof *data);
    int rc = names && ptrs && sizes && data ? 0 : -1;
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        snprintf(names[i], sizeof names[i], "%s", m->params[i].name);
        sizes[i] = (int)m->params[i].size;
        for (int k = 0; k < per; k++) {
            int j = m->n_params + i * per + k;
            snprintf(names[j], sizeof names[j], "%s.%s", m->params[i].name, rf_model_state_suffix(m, k));
            sizes[j] = sizes[i];
        }
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        ptrs[i] = names[i];
        if (!(data[i] = malloc(sizeof(float) * (size_t)(sizes[i] + 1))))
            rc = -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    rf_ckpt ck = {.n_params = m->n_params, .n_state = m->n_params * per, .names = ptrs, .sizes = sizes, .data = data};
    rf_run_path(path, sizeof path, p->dir, "model.ckpt");
    if (rc == 0)
        rc = rf_ckpt_load(path, &ck, RF_CKPT_WHOLE, NULL, err, errlen);
    free(p->norms);
    p->norms = rc == 0 ? calloc((size_t)m->n_params + 1, sizeof *p->norms) : NULL;
    for (int i = 0; p->norms && i < m->n_params; i++) {
        double sum = 0;
        for (int k = 0; k < sizes[i]; k++)
            sum += (double)data[i][k] * data[i][k];
        p->norms[i] = sqrt(sum);
    }
    for (int i = 0; data && i < n; i++)
        free(data[i]);
    free(data);
    free(names);
    free(ptrs);
    free(sizes);
    if (rc != 0)
        return -1;
    if (p->n_rows < (int)ck.epochs || ck.epochs == 0) {
        snprintf(err, errlen, "%s: metrics.csv has %d epochs, model.ckpt %u", p->dir, p->n_rows, ck.epochs);
        return -1;
    }
    /* the epoch whose parameters the run kept: the best one after early stopping */
    int kept = m->train.early_stopping && ck.best_epoch > 0 ? (int)ck.best_epoch : (int)ck.epochs;
    p->result = p->rows[kept - 1];
    p->n_rows = (int)ck.epochs;
    p->seconds = 0;
    for (int i = 0; i < p->n_rows; i++)
        p->seconds += isnan(p->rows[i].seconds) ? 0 : p->rows[i].seconds;
    (void)s;
    return 0;
}

static void print_point_line(const sweep *s, const point *p, int index, const char *note)
{
    printf("point %d/%d: %s: test loss %.6f", index + 1, s->n_points, p->label, p->result.test_loss);
    if (p->m.loss == RF_LOSS_SOFTMAX_CE)
        printf(", test acc %.3f", p->result.test_acc);
    printf("%s\n", note);
    fflush(stdout);
}

/* ---- running the points ---- */

static pid_t launch(const sweep *s, point *p, const rf_train_options *base, int threads,
                    const volatile int *threads_live)
{
    char log[RF_PATH_MAX + 64], err[ERRLEN];
    if (rf_make_dirs(p->dir, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        return -1;
    }
    rf_run_path(log, sizeof log, p->dir, "log.txt");
    pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* the child: one ordinary run, its report into log.txt */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    if (!freopen(log, "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0)
        _exit(1);
    rf_train_options opt = *base;
    opt.run_dir = p->dir;
    opt.identity = p->identity;
    opt.resume = p->resume;
    opt.quiet = 1;
    opt.threads = threads;
    opt.threads_live = threads_live;
    int rc = rf_train_run(&p->m, s->builds[p->build].model, &s->data[p->data], &opt);
    fflush(stdout);
    _exit(rc);
}

static int run_points(sweep *s, const rf_train_options *base)
{
    const rf_sweep_options *o = s->o;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    int todo = 0;
    for (int i = 0; i < s->n_points; i++)
        todo += s->points[i].status == 0;
    int jobs = o->jobs > 0 ? o->jobs : (int)(todo < cores ? (todo > 0 ? todo : 1) : cores);
    int threads = o->train.threads > 0 ? o->train.threads : (int)(cores / jobs > 0 ? cores / jobs : 1);
    pid_t *pids = calloc((size_t)s->n_points, sizeof *pids);
    /* Each running point's thread count, shared with its child: when the
     * last points are running and cores fall idle, they get those cores
     * (only when the thread count is the sweep's own choice). */
    size_t live_bytes = sizeof(int) * (size_t)s->n_points;
    int *live = mmap(NULL, live_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!pids || live == MAP_FAILED) {
        free(pids);
        return 1;
    }
    int failed = 0, running = 0, next = 0;
    char err[ERRLEN];
    for (;;) {
        while (running < jobs && next < s->n_points) {
            point *p = &s->points[next];
            if (p->status != 0) {
                next++;
                continue;
            }
            live[next] = threads;
            pids[next] = launch(s, p, base, threads, &live[next]);
            if (pids[next] < 0) {
                p->status = -1;
                failed++;
            } else {
                running++;
            }
            next++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < s->n_points; i++) {
            if (pids[i] != pid)
                continue;
            point *p = &s->points[i];
            running--;
            pids[i] = 0;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && read_result(s, p, err, sizeof err) == 0) {
                p->status = 2;
                print_point_line(s, p, i, "");
            } else {
                p->status = -1;
                failed++;
                printf("point %d/%d: %s: failed (%s %d); its report is in %s/log.txt\n", i + 1, s->n_points, p->label,
                       WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                       p->dir);
                fflush(stdout);
            }
        }
        int waiting = 0;
        for (int i = next; i < s->n_points; i++)
            waiting += s->points[i].status == 0;
        if (waiting == 0 && running > 0 && o->train.threads == 0)
            for (int i = 0; i < s->n_points; i++)
                if (pids[i] > 0)
                    __atomic_store_n(&live[i], (int)(cores / running > 0 ? cores / running : 1), __ATOMIC_RELAXED);
    }
    free(pids);
    munmap(live, live_bytes);
    return failed ? 1 : 0;
}

/* ---- results.csv, the plots, the table ---- */

/* A CSV cell: quoted when it holds a comma, a quote or a line break. */
static void csv_text(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, "%.9g", v);
}

static int write_results(const sweep *s, char *err, size_t errlen)
{
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, s->sweep_dir, "results.csv");
    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0)
        return -1;
    const rf_model *m0 = &s->points[0].m;
    for (int k = 0; k < s->n_keys; k++) {
        csv_text(af.f, s->keys[k].key);
        fputc(',', af.f);
    }
    fputs("seed,epochs,train_loss,test_loss,train_acc,test_acc,valid_loss,valid_acc", af.f);
    for (int i = 0; i < m0->n_params; i++)
        fprintf(af.f, ",norm:%s", m0->params[i].name);
    fputs(",seconds,dir\n", af.f);
    for (int i = 0; i < s->n_points; i++) {
        const point *p = &s->points[i];
        if (p->status <= 0)
            continue;
        for (int k = 0; k < s->n_keys; k++) {
            csv_text(af.f, s->keys[k].values[p->value[k]]);
            fputc(',', af.f);
        }
        const rf_metrics_row *r = &p->result;
        fprintf(af.f, "%llu,%d", (unsigned long long)p->seed, p->n_rows);
        csv_num(af.f, r->train_loss);
        csv_num(af.f, r->test_loss);
        csv_num(af.f, r->train_acc);
        csv_num(af.f, r->test_acc);
        csv_num(af.f, r->valid_loss);
        csv_num(af.f, r->valid_acc);
        for (int j = 0; j < p->m.n_params; j++)
            fprintf(af.f, ",%.6f", p->norms[j]);
        fprintf(af.f, ",%.3f,", p->seconds);
        csv_text(af.f, p->name);
        fputc('\n', af.f);
    }
    return rf_atomic_commit(&af, err, errlen);
}

static int write_plots(const sweep *s, char *err, size_t errlen)
{
    rf_sweep_point *pts = calloc((size_t)s->n_points + 1, sizeof *pts);
    rf_sweep_curve *curves = calloc((size_t)s->n_points + 1, sizeof *curves);
    if (!pts || !curves) {
        free(pts);
        free(curves);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n = 0;
    for (int i = 0; i < s->n_points; i++) {
        const point *p = &s->points[i];
        if (p->status <= 0)
            continue;
        const char *x = s->n_keys ? s->keys[0].values[p->value[0]] : "";
        char *end;
        double xv = strtod(x, &end);
        const rf_metrics_row *r = &p->result;
        pts[n] = (rf_sweep_point){.x_text = x,
                                  .x = end != x && *end == '\0' ? xv : NAN,
                                  .group = s->n_keys > 1 ? s->keys[1].values[p->value[1]] : NULL,
                                  .seed = (unsigned long long)p->seed,
                                  .train_loss = r->train_loss,
                                  .valid_loss = r->valid_loss,
                                  .test_loss = r->test_loss,
                                  .train_acc = r->train_acc,
                                  .valid_acc = r->valid_acc,
                                  .test_acc = r->test_acc};
        curves[n] = (rf_sweep_curve){.label = p->label, .rows = p->rows, .n = p->n_rows};
        n++;
    }
    char path[RF_PATH_MAX + 64], title[128];
    snprintf(title, sizeof title, "%s sweep", s->points[0].m.name);
    int classification = s->points[0].m.loss == RF_LOSS_SOFTMAX_CE;
    rf_run_path(path, sizeof path, s->sweep_dir, "curve.svg");
    int rc = rf_plot_sweep_svg(path, title, s->n_keys ? s->keys[0].key : "", s->n_keys > 1 ? s->keys[1].key : NULL,
                               pts, n, classification, err, errlen);
    rf_run_path(path, sizeof path, s->sweep_dir, "curves.svg");
    if (rc == 0)
        rc = rf_plot_sweep_curves_svg(path, title, curves, n, err, errlen);
    free(pts);
    free(curves);
    return rc;
}

/* results.csv as an aligned table on stdout. */
static void print_table(const sweep *s)
{
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, s->sweep_dir, "results.csv");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[8192];
    enum { MAX_COLS = 256 };
    int width[MAX_COLS] = {0}, rows = 0;
    /* first pass: column widths (a quoted cell counts as written) */
    while (fgets(line, sizeof line, f)) {
        int col = 0, w = 0, quoted = 0;
        for (char *c = line; *c && *c != '\n' && col < MAX_COLS; c++) {
            if (*c == '"')
                quoted = !quoted;
            if (*c == ',' && !quoted) {
                width[col] = w > width[col] ? w : width[col];
                col++, w = 0;
            } else {
                w++;
            }
        }
        if (col < MAX_COLS)
            width[col] = w > width[col] ? w : width[col];
        rows++;
    }
    rewind(f);
    printf("\n");
    while (fgets(line, sizeof line, f)) {
        int col = 0, w = 0, quoted = 0;
        for (char *c = line; *c && *c != '\n'; c++) {
            if (*c == '"')
                quoted = !quoted;
            if (*c == ',' && !quoted && col < MAX_COLS) {
                printf("%*s  ", width[col] - w, "");
                col++, w = 0;
            } else {
                putchar(*c);
                w++;
            }
        }
        putchar('\n');
    }
    fclose(f);
    (void)rows;
}

int rf_sweep_run(const rf_sweep_options *o)
{
    sweep s;
    memset(&s, 0, sizeof s);
    s.o = o;
    char err[ERRLEN] = "";
    int rc = 2;
    if (o->seeds < 1) {
        fprintf(stderr, "regfitc: error: --seeds takes a whole number of at least 1\n");
        return 2;
    }
    if (parse_keys(&s, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        goto done;
    }
    /* the first seed: --seed, else the model file's (with the --set list) */
    rf_model base;
    if (load_with(&s, NULL, 0, &base) != 0)
        goto done;
    uint64_t first_seed = o->has_seed ? o->seed : base.train.seed;
    snprintf(s.sweep_dir, sizeof s.sweep_dir, "%s/%s-sweep", o->train.runs_dir ? o->train.runs_dir : "runs",
             base.name);
    rf_model_free(&base);
    if ((rc = make_points(&s, first_seed)) != 0 || (rc = check_keys_matter(&s)) != 0)
        goto done;
    s.epochs = rf_train_epochs(&s.points[0].m, &o->train);
    if (s.epochs < 1) {
        fprintf(stderr, "regfitc: error: a sweep trains: --epochs 0 is for evaluating one checkpoint\n");
        rc = 2;
        goto done;
    }
    rf_train_options base_opt = o->train;
    if ((rc = prepare(&s, &base_opt)) != 0)
        goto done;
    /* the points done before report first, in order */
    for (int i = 0; i < s.n_points; i++) {
        point *p = &s.points[i];
        if (p->status != 1)
            continue;
        if (read_result(&s, p, err, sizeof err) != 0) {
            fprintf(stderr, "regfitc: error: %s\n", err);
            rc = 1;
            goto done;
        }
        print_point_line(&s, p, i, " (done before)");
    }
    rc = run_points(&s, &base_opt);
    if (write_results(&s, err, sizeof err) != 0 || write_plots(&s, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        rc = 1;
        goto done;
    }
    print_table(&s);
done:
    free_sweep(&s);
    return rc;
}
