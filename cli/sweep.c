/* Sweeps (see sweep.h): the steps in order. The parent process checks
 * every point (sweep_grid.c), loads, builds and decides what each point
 * needs (sweep_prepare.c), forks the runs J at a time (sweep_run.c) and
 * gathers the results (sweep_results.c). */
#include "sweep_internal.h"

#include "dist.h"
#include "frontend.h"

#include <stdio.h>
#include <string.h>

/* Under mpirun, after this rank's points: MPI starts (no point forks after it),
 * the ranks meet at a barrier, and rank 0 reads the points the others ran.
 * Returns the rank's exit code (rank 0's includes the others' points). */
static int sw_gather_ranks(sweep *s, int rc)
{
    const rf_sweep_options *o = s->o;
    char err[ERRLEN] = "";
    rf_dist d;
    rf_dist_from_env(&d);
    if (rf_dist_init(&d, err, sizeof err) != 0 || rf_dist_barrier(&d) != 0) {
        fprintf(stderr, "regfitc: error: rank %d: %s\n", o->rank, err[0] ? err : "MPI_Barrier failed");
        rf_dist_finalize(&d);
        return 1;
    }
    rf_dist_finalize(&d);
    if (o->rank != 0)
        return rc;
    for (int i = 0; i < s->n_points; i++) {
        point *p = &s->points[i];
        if (p->status != 3)
            continue;
        if (sw_read_result(p, err, sizeof err) == 0) {
            p->status = 2;
            sw_print_point_line(s, p, i, "");
        } else {
            p->status = -1; /* its rank reported the failure */
            rc = 1;
        }
    }
    return rc;
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
    if (sw_parse_keys(&s, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        goto done;
    }
    /* the first seed: --seed, else the model file's (with the --set list) */
    rf_model base;
    if (sw_load_with(&s, NULL, 0, &base) != 0)
        goto done;
    uint64_t first_seed = o->has_seed ? o->seed : base.train.seed;
    snprintf(s.sweep_dir, sizeof s.sweep_dir, "%s/%s-sweep", o->train.runs_dir ? o->train.runs_dir : "runs",
             base.name);
    rf_model_free(&base);
    if ((rc = sw_make_points(&s, first_seed)) != 0 || (rc = sw_check_keys_matter(&s)) != 0)
        goto done;
    s.epochs = rf_train_epochs(&s.points[0].m, &o->train);
    if (s.epochs < 1) {
        fprintf(stderr, "regfitc: error: a sweep trains: --epochs 0 is for evaluating one checkpoint\n");
        rc = 2;
        goto done;
    }
    rf_train_options base_opt = o->train;
    if ((rc = sw_prepare(&s, &base_opt)) != 0)
        goto done;
    /* the points done before report first, in order */
    for (int i = 0; i < s.n_points; i++) {
        point *p = &s.points[i];
        if (p->status != 1)
            continue;
        if (sw_read_result(p, err, sizeof err) != 0) {
            fprintf(stderr, "regfitc: error: %s\n", err);
            rc = 1;
            goto done;
        }
        sw_print_point_line(&s, p, i, " (done before)");
    }
    rc = sw_run_points(&s, &base_opt);
    if (o->ranks > 1) {
        rc = sw_gather_ranks(&s, rc);
        if (o->rank != 0) /* its points are done; rank 0 writes the results */
            goto done;
    }
    if (sw_write_results(&s, err, sizeof err) != 0 || sw_write_plots(&s, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        rc = 1;
        goto done;
    }
    sw_print_table(&s);
done:
    sw_free(&s);
    return rc;
}
