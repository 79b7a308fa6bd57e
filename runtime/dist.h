/* Data-parallel runs over MPI ranks (SPEC 9): who this process is under
 * mpirun, the one collective a training step needs, and the fixed tree in
 * which the ranks' partial sums are added.
 *
 * Without mpirun nothing here starts MPI: rf_dist_from_env reads the
 * launcher's environment only, and a process that was not started by
 * mpirun is rank 0 of 1. A build without MPI (REGFIT_HAVE_MPI undefined)
 * keeps the same functions; rf_dist_init then refuses. */
#ifndef RF_DIST_H
#define RF_DIST_H

#include <stddef.h>

/* The most ranks of a data-parallel training run: the generated code's row
 * shards of a batch (NAME_GRAD_SHARDS); a sweep may use any number. */
#define RF_DIST_MAX_RANKS 4

typedef struct {
    int size;       /* ranks: 1 without mpirun */
    int rank;       /* 0 .. size - 1 */
    int local_size; /* ranks on this machine (they share its cores) */
    int mpi;        /* MPI_Init was called (rf_dist_finalize ends it) */
} rf_dist;

/* The launcher's view (Open MPI's OMPI_COMM_WORLD_*, else PMI_SIZE/PMI_RANK):
 * no MPI call. Rank 0 of 1 when the process was not started by mpirun. */
void rf_dist_from_env(rf_dist *d);

/* 1 when regfitc was built with MPI. */
int rf_dist_built_with_mpi(void);

/* MPI_Init, then size and rank from MPI_COMM_WORLD. Returns 0, or -1 with
 * a message (built without MPI, or MPI failed to start). */
int rf_dist_init(rf_dist *d, char *err, size_t errlen);
void rf_dist_finalize(rf_dist *d);

/* MPI_Allgather of `bytes` bytes from every rank into recv (size x bytes, in
 * rank order); MPI_Barrier; MPI_Abort of every rank with `code`. With one
 * rank, or without MPI, the gather is a copy and the others do nothing
 * (rf_dist_abort exits). Return 0, or -1 when MPI reported a failure. */
int rf_dist_allgather(const rf_dist *d, const void *send, void *recv, size_t bytes);
int rf_dist_barrier(const rf_dist *d);
void rf_dist_abort(const rf_dist *d, int code);

/* The distribution of this process for a training run: set by main before
 * the run (rank 0 of 1 until then, and in a sweep's points). */
const rf_dist *rf_dist_self(void);
void rf_dist_set_self(const rf_dist *d);

/* ---- the shard tree (dist_tree.c) ---- */

/* The shards [*lo, *hi) of `shards` that rank r of `size` computes:
 * [r shards / size, (r + 1) shards / size). */
void rf_dist_shard_range(int rank, int size, int shards, int *lo, int *hi);

/* 1 when every rank's range is a node of the binary tree over `shards`
 * leaves (then adding the ranks' partial sums in the tree gives the
 * one-process sum bit for bit): size 1 .. shards for shards = 4. */
int rf_dist_ranges_are_nodes(int size, int shards);

/* out[i] = the ranks' partial values part_r[i] added in the shard tree: a
 * node that is one rank's range is that rank's value, any other node the
 * sum (left + right) of its halves. part_r starts at parts + r * stride
 * bytes; count values of float (rf_dist_tree_add_f) or double (_d). */
void rf_dist_tree_add_f(float *out, const void *parts, size_t stride, size_t count, int size, int shards);
void rf_dist_tree_add_d(double *out, const void *parts, size_t stride, size_t count, int size, int shards);

#endif
