/* Before a sweep trains (see sweep_internal.h): each distinct data set
 * loaded once, each point checked like a run (rf_train_preflight), whether
 * its folder already holds its run, and the code built once per shape. */
#include "sweep_internal.h"

#include "model_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- before training: data, builds, folders ---- */

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

int sw_prepare(sweep *s, rf_train_options *base)
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
        if (p->status == 0 && o->ranks > 1 && i % o->ranks != o->rank)
            p->status = 3; /* under mpirun, another rank's point */
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
