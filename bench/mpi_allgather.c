/* The collective of one data-parallel step alone (docs/mpi.md): MPI_Allgather
 * of BYTES bytes a rank, after a barrier so that no rank waits for another's
 * compute, timed over STEPS repetitions on rank 0.
 *   mpicc -O2 -o /tmp/mpi_allgather bench/mpi_allgather.c
 *   mpirun -np 2 /tmp/mpi_allgather 1077304 500     (mlp_dropout's partial) */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long bytes = argc > 1 ? atol(argv[1]) : 1077304, steps = argc > 2 ? atol(argv[2]) : 500;
    char *send = malloc((size_t)bytes), *recv = malloc((size_t)bytes * (size_t)size);
    memset(send, rank, (size_t)bytes);
    double total = 0, best = 1e30;
    for (long s = 0; s < steps + 10; s++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allgather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
        double t = MPI_Wtime() - t0;
        if (s >= 10) { /* the first ones set up the shared-memory segments */
            total += t;
            best = t < best ? t : best;
        }
    }
    if (rank == 0)
        printf("%d ranks, %ld bytes a rank: mean %.3f ms, best %.3f ms over %ld allgathers\n", size, bytes,
               1e3 * total / steps, 1e3 * best, steps);
    free(send);
    free(recv);
    MPI_Finalize();
    return 0;
}
