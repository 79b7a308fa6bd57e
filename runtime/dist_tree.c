/* The shard tree of data-parallel sums (see dist.h). The generated code
 * sums each of its GRAD_SHARDS row shards in row order and adds them as
 * ((s0 + s1) + (s2 + s3)); a rank holding a node of that tree returns the
 * node's value, so the same additions here, node by node, repeat exactly
 * the one-process sums (IEEE addition of the same operands in the same
 * order gives the same bits). */
#include "dist.h"

#include <string.h>

void rf_dist_shard_range(int rank, int size, int shards, int *lo, int *hi)
{
    *lo = rank * shards / size;
    *hi = (rank + 1) * shards / size;
}

/* The rank whose range is [a, b), or -1. */
static int rank_of_node(int a, int b, int size, int shards)
{
    for (int r = 0; r < size; r++) {
        int lo, hi;
        rf_dist_shard_range(r, size, shards, &lo, &hi);
        if (lo == a && hi == b)
            return r;
    }
    return -1;
}

/* Whether [a, b) is covered by ranks whose ranges are nodes below it. */
static int covered(int a, int b, int size, int shards)
{
    if (rank_of_node(a, b, size, shards) >= 0)
        return 1;
    if (b - a < 2)
        return 0;
    int mid = (a + b) / 2;
    return covered(a, mid, size, shards) && covered(mid, b, size, shards);
}

int rf_dist_ranges_are_nodes(int size, int shards)
{
    if (size < 1 || size > shards)
        return 0;
    return covered(0, shards, size, shards);
}

/* The plan of the additions: node k of the tree (k = 1 the root, 2k and 2k + 1 its
 * halves) is rank who[k] >= 0, or (-1) the sum of its halves. 4 shards need
 * nodes 1 .. 7; MAX_NODES leaves room for 32. */
enum { MAX_NODES = 64 };
typedef struct {
    int who[MAX_NODES];
} tree_plan;

static void plan_node(tree_plan *t, int k, int a, int b, int size, int shards)
{
    if (k >= MAX_NODES)
        return;
    t->who[k] = rank_of_node(a, b, size, shards);
    if (t->who[k] < 0 && b - a >= 2) {
        plan_node(t, 2 * k, a, (a + b) / 2, size, shards);
        plan_node(t, 2 * k + 1, (a + b) / 2, b, size, shards);
    }
}

/* The value of node k for element i: a rank's, or left + right (callers check
 * rf_dist_ranges_are_nodes, so every node reached is one or the other). */
#define TREE_ADD(T, name)                                                                  \
    static T name##_node(const tree_plan *t, int k, const char *parts, size_t stride, size_t i) \
    {                                                                                      \
        if (2 * k + 1 >= MAX_NODES || t->who[k] >= 0) {                                    \
            T v;                                                                           \
            const int r = t->who[k] >= 0 ? t->who[k] : 0;                                  \
            memcpy(&v, parts + (size_t)r * stride + i * sizeof(T), sizeof v);              \
            return v;                                                                      \
        }                                                                                  \
        T left = name##_node(t, 2 * k, parts, stride, i);                                  \
        T right = name##_node(t, 2 * k + 1, parts, stride, i);                             \
        return left + right;                                                               \
    }

TREE_ADD(float, tree_f)
TREE_ADD(double, tree_d)

void rf_dist_tree_add_f(float *out, const void *parts, size_t stride, size_t count, int size, int shards)
{
    tree_plan t;
    memset(&t, 0, sizeof t);
    plan_node(&t, 1, 0, shards, size, shards);
    if (size == 2 && t.who[1] < 0 && t.who[2] == 0 && t.who[3] == 1) { /* the common case, flat */
        const float *p0 = parts, *p1 = (const float *)((const char *)parts + stride);
        for (size_t i = 0; i < count; i++)
            out[i] = p0[i] + p1[i];
        return;
    }
    for (size_t i = 0; i < count; i++)
        out[i] = tree_f_node(&t, 1, parts, stride, i);
}

void rf_dist_tree_add_d(double *out, const void *parts, size_t stride, size_t count, int size, int shards)
{
    tree_plan t;
    memset(&t, 0, sizeof t);
    plan_node(&t, 1, 0, shards, size, shards);
    for (size_t i = 0; i < count; i++)
        out[i] = tree_d_node(&t, 1, parts, stride, i);
}
