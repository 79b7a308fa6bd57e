/* metrics.csv (see metrics_csv.h). */
#include "metrics_csv.h"
#include "atomic_file.h"

#include <math.h>
#include <stdio.h>

static void cell(FILE *f, const char *fmt, double v)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, fmt, v);
}

int rf_metrics_write(const char *path, const rf_metrics_row *rows, int n, char *err, size_t errlen)
{
    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0)
        return -1;
    fputs("epoch,train_loss,test_loss,train_acc,test_acc,seconds\n", af.f);
    for (int i = 0; i < n; i++) {
        const rf_metrics_row *r = &rows[i];
        fprintf(af.f, "%d", r->epoch);
        cell(af.f, "%.9g", r->train_loss);
        cell(af.f, "%.9g", r->test_loss);
        cell(af.f, "%.9g", r->train_acc);
        cell(af.f, "%.9g", r->test_acc);
        cell(af.f, "%.6f", r->seconds);
        fputc('\n', af.f);
    }
    return rf_atomic_commit(&af, err, errlen);
}
