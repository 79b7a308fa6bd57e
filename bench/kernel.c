/* The micro-kernel alone: generated/mlp_dropout.c's MR x NR register tile (NAME_kernel)
 * summed over depths 784 to 64, its operands the same few KB every call (in L1 and L2),
 * the tile added into a sink so the work stays. What the products could reach if memory
 * and the work around the tiles cost nothing; the best of 5 runs.
 *   clang -std=c11 -O3 -march=native -I generated bench/kernel.c -lm -o /tmp/kernel && /tmp/kernel */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "mlp_dropout.c"

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

enum { DEPTH = 784 };
static float a[MR][DEPTH] __attribute__((aligned(64)));
static float b[DEPTH * NR] __attribute__((aligned(64)));
static float sink[MR][NR] __attribute__((aligned(64)));

__attribute__((noinline)) static void tiles(int count, int depth)
{
    for (int t = 0; t < count; t++) {
        vf acc[MR][NV];
        mlp_dropout_kernel(MR, NV, a[0], DEPTH, 1, b, NR, depth, acc);
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++)
                vstore(sink[i] + v * VL, vload(sink[i] + v * VL) + acc[i][v]);
    }
}

int main(void)
{
    for (int i = 0; i < MR * DEPTH; i++)
        a[0][i] = 1e-3f * (float)(i % 7);
    for (int i = 0; i < DEPTH * NR; i++)
        b[i] = 1e-3f * (float)(i % 5);
    static const int depths[] = {784, 392, 256, 196, 98, 64};
    printf("tile %d x %d (%d-float vectors)\n", MR, NR, VL);
    for (int k = 0; k < (int)(sizeof depths / sizeof depths[0]); k++) {
        const int depth = depths[k], count = 2000000 / depth;
        double best = 1e9;
        for (int rep = 0; rep < 5; rep++) {
            const double t0 = now();
            tiles(count, depth);
            const double t = now() - t0;
            best = t < best ? t : best;
        }
        printf("depth %4d: %6.1f GFLOP/s, %7.1f ns a tile\n", depth, 2.0 * MR * NR * depth * count / best * 1e-9,
               best / count * 1e9);
    }
    printf("(sink %g)\n", (double)sink[0][0]);
    return 0;
}
