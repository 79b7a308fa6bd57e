/* The training protocol of SPEC 1b as pure functions: the learning rate of
 * every schedule against its formula written out independently, warm-up,
 * the validation split (sizes, disjointness, determinism, independence from
 * anything but the seed), and the early-stopping rule. */
#include "protocol.h"
#include "rftest.h"

#include <math.h>
#include <stdlib.h>

static rf_train train_of(rf_schedule_kind kind, int epochs, int warmup)
{
    rf_train t = {0};
    t.epochs = epochs;
    t.schedule = kind;
    t.warmup_epochs = warmup;
    return t;
}

#define LR_EQ(got, want) CU_ASSERT_DOUBLE_EQUAL((got), (want), 1e-15 * fabs(want) + 1e-300)

static void test_constant_and_warmup(void)
{
    rf_train t = train_of(RF_SCHED_CONSTANT, 10, 0);
    for (int e = 1; e <= 10; e++)
        CU_ASSERT_EQUAL(rf_schedule_lr(&t, 0.5, e), 0.5);
    CU_ASSERT_FALSE(rf_schedule_varies(&t));
    t.warmup_epochs = 4;
    CU_ASSERT_TRUE(rf_schedule_varies(&t));
    /* lr0 * e / W for e <= W, then the schedule from s = 1 */
    LR_EQ(rf_schedule_lr(&t, 0.5, 1), 0.125);
    LR_EQ(rf_schedule_lr(&t, 0.5, 2), 0.25);
    LR_EQ(rf_schedule_lr(&t, 0.5, 3), 0.375);
    LR_EQ(rf_schedule_lr(&t, 0.5, 4), 0.5);
    LR_EQ(rf_schedule_lr(&t, 0.5, 5), 0.5);
}

static void test_step(void)
{
    rf_train t = train_of(RF_SCHED_STEP, 20, 2);
    t.step_every = 3;
    t.gamma = 0.1;
    /* s = e - 2: s 1..3 -> lr0, 4..6 -> lr0 * 0.1, 7..9 -> lr0 * 0.01 */
    const double want[] = {0.1 / 2, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001};
    for (int e = 1; e <= 12; e++)
        LR_EQ(rf_schedule_lr(&t, 0.1, e), want[e - 1]);
    t.warmup_epochs = 0;
    t.step_every = 1;
    t.gamma = 0.5;
    LR_EQ(rf_schedule_lr(&t, 1, 1), 1.0);
    LR_EQ(rf_schedule_lr(&t, 1, 4), 0.125);
}

static void test_exponential(void)
{
    rf_train t = train_of(RF_SCHED_EXPONENTIAL, 50, 0);
    t.gamma = 0.9;
    double lr = 0.3;
    for (int e = 1; e <= 50; e++) {
        LR_EQ(rf_schedule_lr(&t, 0.3, e), lr);
        lr *= 0.9;
    }
}

static void test_cosine(void)
{
    /* T defaults to epochs - W: from lr0 at s = 1 down to min_lr at s = T + 1, then flat */
    rf_train t = train_of(RF_SCHED_COSINE, 12, 2);
    t.min_lr = 0.001;
    LR_EQ(rf_schedule_lr(&t, 0.1, 2), 0.1);
    LR_EQ(rf_schedule_lr(&t, 0.1, 3), 0.1);
    for (int e = 3; e <= 12; e++) {
        int s = e - 2;
        double want = 0.001 + (0.1 - 0.001) * (1 + cos(3.14159265358979323846 * (s - 1) / 10.0)) / 2;
        LR_EQ(rf_schedule_lr(&t, 0.1, e), want);
    }
    /* the middle of the curve is the mean of the ends */
    LR_EQ(rf_schedule_lr(&t, 0.1, 8), (0.1 + 0.001) / 2);
    /* past T the rate stays at min_lr */
    LR_EQ(rf_schedule_lr(&t, 0.1, 13), 0.001);
    LR_EQ(rf_schedule_lr(&t, 0.1, 40), 0.001);
    /* an explicit T */
    t.cosine_epochs = 4;
    LR_EQ(rf_schedule_lr(&t, 0.1, 5), 0.001 + 0.099 * 0.5);
    LR_EQ(rf_schedule_lr(&t, 0.1, 7), 0.001);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void test_split(void)
{
    enum { N = 1000 };
    static int tr[N], va[N], tr2[N], va2[N], all[N];
    int nt, nv, nt2, nv2;
    rf_split(N, 0.1, 7, tr, &nt, va, &nv);
    CU_ASSERT_EQUAL(nv, 100);
    CU_ASSERT_EQUAL(nt, 900);
    /* ascending, disjoint, together every sample exactly once */
    for (int i = 1; i < nt; i++)
        CU_ASSERT(tr[i - 1] < tr[i]);
    for (int i = 1; i < nv; i++)
        CU_ASSERT(va[i - 1] < va[i]);
    memcpy(all, tr, sizeof(int) * nt);
    memcpy(all + nt, va, sizeof(int) * nv);
    qsort(all, N, sizeof(int), cmp_int);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(all[i], i);
    /* the same seed, the same split; another seed, another one */
    rf_split(N, 0.1, 7, tr2, &nt2, va2, &nv2);
    CU_ASSERT_EQUAL(memcmp(va, va2, sizeof(int) * nv), 0);
    rf_split(N, 0.1, 8, tr2, &nt2, va2, &nv2);
    CU_ASSERT_NOT_EQUAL(memcmp(va, va2, sizeof(int) * nv), 0);
    /* not a block: the held-out samples are spread over the set */
    CU_ASSERT(va[0] < 100 && va[nv - 1] > 900);
    /* round(F * n) */
    CU_ASSERT_EQUAL(rf_split_count(20, 0.1), 2);
    CU_ASSERT_EQUAL(rf_split_count(20, 0.125), 3); /* 2.5 rounds away from zero */
    CU_ASSERT_EQUAL(rf_split_count(60000, 1.0 / 6), 10000);
    rf_split(20, 0.125, 1, tr, &nt, va, &nv);
    CU_ASSERT_EQUAL(nv, 3);
    CU_ASSERT_EQUAL(nt, 17);
    /* no validation: all of it trains, in order */
    rf_split(5, 0, 3, tr, &nt, va, &nv);
    CU_ASSERT_EQUAL(nt, 5);
    CU_ASSERT_EQUAL(nv, 0);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(tr[i], i);
}

static void test_early_stop(void)
{
    rf_train t = {0};
    t.early_stopping = 1;
    t.patience = 2;
    t.min_delta = 0.01;
    rf_early_stop es;
    rf_early_stop_init(&es, &t);
    CU_ASSERT_TRUE(rf_early_stop_update(&es, 1, 1.0));
    CU_ASSERT_TRUE(rf_early_stop_update(&es, 2, 0.9));
    CU_ASSERT_FALSE(rf_early_stop_update(&es, 3, 0.895)); /* better, but not by more than min_delta */
    CU_ASSERT_FALSE(rf_early_stop_done(&es, 3));
    CU_ASSERT_FALSE(rf_early_stop_update(&es, 4, 0.89)); /* exactly min_delta is not more */
    CU_ASSERT_TRUE(rf_early_stop_done(&es, 4));
    CU_ASSERT_EQUAL(es.best_epoch, 2);
    CU_ASSERT_EQUAL(es.best, 0.9);
    /* valid_acc: higher is better; NaN never improves */
    t.monitor = RF_MONITOR_VALID_ACC;
    t.min_delta = 0;
    t.patience = 1;
    rf_early_stop_init(&es, &t);
    CU_ASSERT_FALSE(rf_early_stop_update(&es, 1, NAN));
    CU_ASSERT_TRUE(rf_early_stop_update(&es, 2, 0.5));
    CU_ASSERT_TRUE(rf_early_stop_update(&es, 3, 0.6));
    CU_ASSERT_FALSE(rf_early_stop_update(&es, 4, 0.6));
    CU_ASSERT_TRUE(rf_early_stop_done(&es, 4));
    CU_ASSERT_EQUAL(es.best_epoch, 3);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"constant schedule and warm-up", test_constant_and_warmup},
        {"step schedule", test_step},
        {"exponential schedule", test_exponential},
        {"cosine schedule, default and explicit T", test_cosine},
        {"validation split", test_split},
        {"early stopping rule", test_early_stop},
        {NULL, NULL},
    };
    return rf_test_main("protocol", cases, argc, argv);
}
