/* The data forms of SPEC section 1: fashion-mnist, mnist, idx, csv,
 * synthetic_linear. Paths resolve against the model file's folder. How the
 * data fits the model (features, classes, loss) is checked in
 * check_cross.c once the shapes are known. */
#include "check_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const named_sets[] = {"fashion-mnist", "mnist", NULL};
static const char *const data_forms[] = {"idx", "csv", "synthetic_linear", NULL};

/* `p` relative to the folder of the model file (unless absolute). */
static char *resolve(const char *model_path, const char *p)
{
    const char *slash = model_path ? strrchr(model_path, '/') : NULL;
    if (p[0] == '/' || !slash)
        return strdup(p);
    size_t dir = (size_t)(slash - model_path), n = strlen(p);
    char *out = malloc(dir + 1 + n + 1);
    if (!out)
        return NULL;
    memcpy(out, model_path, dir);
    out[dir] = '/';
    memcpy(out + dir + 1, p, n + 1);
    return out;
}

/* Reads each key of `keys` as a path into the matching slot of `out`. */
static int read_paths(rf_checker *c, const rf_ynode *n, const char *what,
                      const char *const *keys, char **const *out)
{
    if (ck_keys(c, n, what, keys, keys) < 0)
        return -1;
    int ok = 1;
    for (int i = 0; keys[i]; i++) {
        const rf_ynode *v = rf_ynode_get(n, keys[i]);
        const char *p;
        if (!v) {
            ok = 0;
            continue;
        }
        if (ck_string(c, v, keys[i], &p) < 0) {
            ok = 0;
            continue;
        }
        if (!*p) {
            ck_error(c, v, "%s: the path is empty", keys[i]);
            ok = 0;
            continue;
        }
        if (!(*out[i] = resolve(c->path, p))) {
            ck_error(c, v, "out of memory");
            ok = 0;
        }
    }
    return ok ? 0 : -1;
}

static int check_idx(rf_checker *c, const rf_ynode *n)
{
    static const char *const keys[] = {"train_images", "train_labels", "test_images",
                                       "test_labels", NULL};
    rf_data *d = &c->m->data;
    char **const slots[] = {&d->train_images, &d->train_labels, &d->test_images,
                            &d->test_labels};
    return read_paths(c, n, "idx", keys, slots);
}

static int check_csv(rf_checker *c, const rf_ynode *n)
{
    static const char *const keys[] = {"train", "test", NULL};
    rf_data *d = &c->m->data;
    char **const slots[] = {&d->csv_train, &d->csv_test};
    return read_paths(c, n, "csv", keys, slots);
}

/* n_train and n_test are required; w, b and noise default to the d2l
 * weight-decay values 0.01, 0.05, 0.01. */
static int check_synthetic(rf_checker *c, const rf_ynode *n)
{
    static const char *const keys[] = {"n_train", "n_test", "w", "b", "noise", NULL};
    static const char *const required[] = {"n_train", "n_test", NULL};
    rf_data *d = &c->m->data;
    d->w = 0.01;
    d->b = 0.05;
    d->noise = 0.01;
    if (ck_keys(c, n, "synthetic_linear", keys, required) < 0)
        return -1;
    int ok = rf_ynode_get(n, "n_train") && rf_ynode_get(n, "n_test");
    const rf_ynode *x;
    long long v;
    if ((x = rf_ynode_get(n, "n_train"))) {
        if (ck_int(c, x, "n_train", 1, RF_MAX_COUNT, &v) == 0)
            d->n_train = (int)v;
        else
            ok = 0;
    }
    if ((x = rf_ynode_get(n, "n_test"))) {
        if (ck_int(c, x, "n_test", 1, RF_MAX_COUNT, &v) == 0)
            d->n_test = (int)v;
        else
            ok = 0;
    }
    if ((x = rf_ynode_get(n, "w")) && ck_number(c, x, "w", &d->w) < 0)
        ok = 0;
    if ((x = rf_ynode_get(n, "b")) && ck_number(c, x, "b", &d->b) < 0)
        ok = 0;
    if ((x = rf_ynode_get(n, "noise")) && ck_range(c, x, "noise", 0, 0, INFINITY, 0, &d->noise) < 0)
        ok = 0;
    return ok ? 0 : -1;
}

void ck_data(rf_checker *c, const rf_ynode *n)
{
    rf_data *d = &c->m->data;
    d->kind = RF_DATA_NONE;
    if (ck_is_null(n))
        return;
    d->pos.line = n->line;
    d->pos.col = n->col;
    if (n->kind == RF_YNODE_SCALAR) {
        int k = ck_index_of(n->value, named_sets);
        if (k < 0) {
            const char *const all[] = {"fashion-mnist", "mnist", "idx", "csv",
                                       "synthetic_linear", NULL};
            char hint[96];
            ck_hint(hint, sizeof hint, n->value, all);
            ck_error(c, n,
                     "unknown data '%.60s'%s (expected fashion-mnist, mnist, or a mapping: "
                     "{idx: ...}, {csv: ...}, {synthetic_linear: ...})",
                     n->value, hint);
            c->data_ok = 0;
            return;
        }
        d->kind = k == 0 ? RF_DATA_FASHION_MNIST : RF_DATA_MNIST;
        return;
    }
    const rf_ynode *v;
    int k = ck_one_of(c, n, "data", data_forms, &v);
    int ok = 0;
    switch (k) {
    case 0:
        d->kind = RF_DATA_IDX;
        ok = check_idx(c, v) == 0;
        break;
    case 1:
        d->kind = RF_DATA_CSV;
        ok = check_csv(c, v) == 0;
        break;
    case 2:
        d->kind = RF_DATA_SYNTHETIC_LINEAR;
        ok = check_synthetic(c, v) == 0;
        break;
    default:
        break;
    }
    c->data_ok = ok;
}
