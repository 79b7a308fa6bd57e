/* MPI start-up and the collectives of a data-parallel run (see dist.h). */
#include "dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef REGFIT_HAVE_MPI
#include <mpi.h>
#endif

static rf_dist self = {.size = 1, .rank = 0, .local_size = 1, .mpi = 0};

const rf_dist *rf_dist_self(void) { return &self; }
void rf_dist_set_self(const rf_dist *d) { self = *d; }

/* A positive whole number from the environment, or 0. */
static int env_int(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= 0 && n < 1 << 24 ? (int)n : 0;
}

void rf_dist_from_env(rf_dist *d)
{
    memset(d, 0, sizeof *d);
    d->size = d->local_size = 1;
    int size = env_int("OMPI_COMM_WORLD_SIZE");
    if (size > 0) {
        d->size = size;
        d->rank = env_int("OMPI_COMM_WORLD_RANK");
        int local = env_int("OMPI_COMM_WORLD_LOCAL_SIZE");
        d->local_size = local > 0 ? local : 1;
    } else if ((size = env_int("PMI_SIZE")) > 0) { /* other launchers (hydra) */
        d->size = size;
        d->rank = env_int("PMI_RANK");
        int local = env_int("MPI_LOCALNRANKS");
        d->local_size = local > 0 ? local : 1;
    }
    if (d->rank >= d->size)
        d->rank = 0;
}

int rf_dist_built_with_mpi(void)
{
#ifdef REGFIT_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int rf_dist_init(rf_dist *d, char *err, size_t errlen)
{
#ifdef REGFIT_HAVE_MPI
    int started = 0;
    MPI_Initialized(&started);
    if (!started && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    d->mpi = 1;
    return 0;
#else
    (void)d;
    snprintf(err, errlen, "this regfitc was built without MPI support");
    return -1;
#endif
}

void rf_dist_finalize(rf_dist *d)
{
#ifdef REGFIT_HAVE_MPI
    if (d->mpi) {
        MPI_Finalize();
        d->mpi = 0;
    }
#else
    (void)d;
#endif
}

int rf_dist_allgather(const rf_dist *d, const void *send, void *recv, size_t bytes)
{
#ifdef REGFIT_HAVE_MPI
    if (d->mpi && d->size > 1) {
        if (bytes > (size_t)0x7fffffff)
            return -1;
        return MPI_Allgather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, MPI_COMM_WORLD) ==
                       MPI_SUCCESS ? 0 : -1;
    }
#endif
    (void)d;
    memmove(recv, send, bytes);
    return 0;
}

int rf_dist_barrier(const rf_dist *d)
{
#ifdef REGFIT_HAVE_MPI
    if (d->mpi && d->size > 1)
        return MPI_Barrier(MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
#endif
    (void)d;
    return 0;
}

void rf_dist_abort(const rf_dist *d, int code)
{
    fflush(stdout);
    fflush(stderr);
#ifdef REGFIT_HAVE_MPI
    if (d->mpi && d->size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
#endif
    (void)d;
    exit(code);
}
