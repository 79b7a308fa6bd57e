/* A monotonic clock in seconds, for run times and the benchmark. */
#ifndef RF_CLOCK_H
#define RF_CLOCK_H

#include <time.h>

static inline double rf_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
