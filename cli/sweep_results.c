/* A sweep's results (see sweep_internal.h): each point's final values and
 * norms read back from its folder, results.csv (SPEC 6), curve.svg and
 * curves.svg, and the table on stdout. */
#include "sweep_internal.h"

#include "atomic_file.h"
#include "checkpoint.h"
#include "model_tensors.h"
#include "plot_sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results of a point, from its folder ---- */

int sw_read_result(point *p, char *err, size_t errlen)
{
    const rf_model *m = &p->m;
    char path[RF_PATH_MAX + 64];
    rf_run_path(path, sizeof path, p->dir, "metrics.csv");
    free(p->rows);
    p->rows = NULL;
    if (rf_metrics_read(path, &p->rows, &p->n_rows, err, errlen) != 0)
        return -1;
    /* the parameters, the epochs and the best epoch from model.ckpt */
    rf_model_tensors tn;
    int rc = rf_model_tensors_make(m, 1, &tn);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    rf_ckpt ck = rf_model_tensors_ckpt(&tn);
    rf_run_path(path, sizeof path, p->dir, "model.ckpt");
    if (rc == 0)
        rc = rf_ckpt_load(path, &ck, RF_CKPT_WHOLE, NULL, err, errlen);
    free(p->norms);
    p->norms = rc == 0 ? calloc((size_t)m->n_params + 1, sizeof *p->norms) : NULL;
    for (int i = 0; p->norms && i < m->n_params; i++) {
        double sum = 0;
        for (int k = 0; k < tn.sizes[i]; k++)
            sum += (double)tn.data[i][k] * tn.data[i][k];
        p->norms[i] = sqrt(sum);
    }
    rf_model_tensors_free(&tn);
    if (rc != 0 || !p->norms)
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
    return 0;
}

void sw_print_point_line(const sweep *s, const point *p, int index, const char *note)
{
    printf("point %d/%d: %s: test loss %.6f", index + 1, s->n_points, p->label, p->result.test_loss);
    if (p->m.loss == RF_LOSS_SOFTMAX_CE)
        printf(", test acc %.3f", p->result.test_acc);
    printf("%s\n", note);
    fflush(stdout);
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

int sw_write_results(const sweep *s, char *err, size_t errlen)
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

int sw_write_plots(const sweep *s, char *err, size_t errlen)
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
void sw_print_table(const sweep *s)
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
