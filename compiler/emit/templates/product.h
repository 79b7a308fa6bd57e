/* Template: the register-blocked micro-kernel and the product driver of the
 * generated file (see vector.h for how templates are used). It calls the
 * epilogue the emitter generates for the model: NAME_epilogue (a struct with at
 * least `transposed`), NAME_epilogue_v and NAME_epilogue_1, and reads the row
 * shards of a pass, NAME_shards (the header's: lo, hi, start[]). */
/*@ section product @*/
/* ---- Matrix products: C = A B, then the epilogue, A(i, p) = a[i * a_row + p * a_step] ----
 * B is row-major (B(p, j) = b[p * b_row + j]) or packed in panels (b_panel > 0, NAME_pack):
 * the NR columns of a panel side by side, its rows one after the other. A tile walks down
 * one panel of B for every row of A it sums: rows of a wide matrix are far apart in memory
 * (a 784 x 256 weight's are 1 KB apart, so a panel's rows fall into a few cache sets and
 * leave L1 before the next tile), a packed panel's are adjacent. */
#if BF16_INPUTS
/* precision bf16: every operand arrives rounded to bfloat16 (NAME_pack rounds what it packs;
 * the layers round the rest once, NAME_round_copy), so the kernels are float32's: the same
 * products of the same rounded values, summed in float32, the depth taken pair by pair as a
 * bf16 dot product takes it (vector.h): 1, 0, 3, 2, ..., an odd last one alone. Where
 * BF16_PAIRS is 1, the products with a packed B read pairs (NAME_tile_pairs). */
#endif

/* One step of NAME_kernel's sums: acc[i][v] += A(i, p) * B(p, v * VL + lane). */
ALWAYS_INLINE void NAME_kernel_step(
        int rows, int nv, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, int p, vf acc[MR][NV])
{
    vf b_row_p[NV];
    UNROLL for (int v = 0; v < nv; v++)
        b_row_p[v] = vload(b + p * b_row + v * VL);
    UNROLL for (int i = 0; i < rows; i++) {
        const vf a_ip = vsplat(a[i * a_row + p * a_step]);
        UNROLL for (int v = 0; v < nv; v++)
            acc[i][v] = vfma(a_ip, b_row_p[v], acc[i][v]);
    }
}

/* The micro-kernel: acc[i][v] = sum over p < depth of A(i, p) * b[p * b_row + v * VL + lane]
 * for i < rows and v < nv, p ascending (one FMA chain per element). rows, nv and the
 * strides are constants at every call, so acc stays in registers. Two steps a turn of the
 * loop, one after the other (the step 1% to 5% faster than one a turn on Zen 3:
 * BENCHMARKS.md); the compiler itself must not unroll it (DEPTH_LOOP, vector.h). */
ALWAYS_INLINE void NAME_kernel(
        int rows, int nv, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, int depth, vf acc[MR][NV])
{
    UNROLL for (int i = 0; i < MR; i++)
        UNROLL for (int v = 0; v < NV; v++)
            acc[i][v] = (vf){0};
    DEPTH_LOOP
    for (int p = 0; p + 1 < depth; p += 2) {
#if BF16_INPUTS
        NAME_kernel_step(rows, nv, a, a_row, a_step, b, b_row, p + 1, acc); /* the odd one first */
        NAME_kernel_step(rows, nv, a, a_row, a_step, b, b_row, p, acc);
#else
        NAME_kernel_step(rows, nv, a, a_row, a_step, b, b_row, p, acc);
        NAME_kernel_step(rows, nv, a, a_row, a_step, b, b_row, p + 1, acc);
#endif
    }
    if (depth % 2)
        NAME_kernel_step(rows, nv, a, a_row, a_step, b, b_row, depth - 1, acc);
}

/* The same for the last cols < VL columns of b, with `end` floats readable from b on: one
 * vector per row of b all the same, its lanes past cols read from the next row (or a packed
 * panel's padding) and never stored; the last rows of b, where a vector would pass the
 * end, lane by lane. One or two columns go one float at a time, each sum split into
 * SPLIT partial sums over p, added in a fixed order: a single chain of dependent adds
 * would be as slow as the add latency (it vectorises where A and B are contiguous along
 * p, as in a 1-unit layer). The way a row is summed never depends on how many rows its
 * tile has, so a row's result does not depend on where it stands in the batch (a rank
 * of a data-parallel run holds other rows than one process, SPEC 9). */
#define SPLIT 8 /* the pairwise sum below adds exactly 8 parts */
ALWAYS_INLINE void NAME_kernel_columns(
        int rows, int cols, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, int depth, ptrdiff_t end, float acc[MR][VL])
{
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < VL; j++)
            acc[i][j] = 0.0f;
    if (cols <= 2) { /* a vector would be mostly waste */
        /* B's columns are copied BLOCK rows at a time, so that the sums read B along p as they
         * read A: where A runs along p too (a_step 1, a forward product), the compiler makes
         * the SPLIT partial sums the lanes of a vector. The same sums in the same order. */
        enum { BLOCK = 256 };
        const int whole = depth - depth % SPLIT;
        float part[MR][2][SPLIT] = {{{0}}}, column[2][BLOCK];
        for (int p0 = 0; p0 < whole; p0 += BLOCK) {
            const int p1 = p0 + BLOCK < whole ? p0 + BLOCK : whole;
            for (int j = 0; j < cols; j++)
                for (int p = p0; p < p1; p++)
                    column[j][p - p0] = b[p * b_row + j];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) {
                    float *q = part[i][j];
                    const float *ai = a + i * a_row, *cj = column[j];
                    for (int p = p0; p < p1; p += SPLIT)
                        for (int s = 0; s < SPLIT; s++)
                            q[s] += ai[(p + s) * a_step] * cj[p - p0 + s];
                }
        }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                const float *q = part[i][j];
                float sum = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
                for (int p = whole; p < depth; p++)
                    sum += a[i * a_row + p * a_step] * b[p * b_row + j];
                acc[i][j] = sum;
            }
        return;
    }
    ptrdiff_t whole_rows = end < VL ? 0 : (end - VL) / b_row + 1; /* a vector reads a row */
    if (whole_rows > depth)
        whole_rows = depth;
    vf sum[MR];
    UNROLL for (int i = 0; i < MR; i++)
        sum[i] = (vf){0};
#if BF16_INPUTS
    for (int k = 0; k < depth; k++) {
        const int p = k + 1 < depth || k % 2 ? k ^ 1 : k; /* pairs, the odd one first */
#else
    for (int p = 0; p < depth; p++) {
#endif
        vf b_p = (vf){0};
        if (p < whole_rows)
            b_p = vload(b + p * b_row);
        else
            for (int j = 0; j < cols; j++)
                b_p[j] = b[p * b_row + j];
        UNROLL for (int i = 0; i < rows; i++)
            sum[i] = vfma(vsplat(a[i * a_row + p * a_step]), b_p, sum[i]);
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            acc[i][j] = sum[i][j];
}

/* ---- Row shards: the fixed reduction tree of every sum over the batch rows ----
 * A weight gradient sums over the rows of the batch (its depth). Shard k of a batch of n
 * rows is rows [k n / 4, (k + 1) n / 4); each shard is summed in row order by the kernels
 * above, and the four shard sums are added as ((s0 + s1) + (s2 + s3)). A pass that holds
 * only shards [lo, hi) (a rank of a data-parallel run) leaves the others out of the tree,
 * so the partial sums of the ranks, added in the same tree, give the one-process sum bit
 * for bit. The tile stays tile-local: two more tiles of accumulators, no scratch. */
/* sum = part, or sum += part when `add` (rows x cols of either type) */
#define SHARD_TREE_PUT(sum, part, add, rows, cols)                                           \
    do {                                                                                     \
        if (add)                                                                             \
            UNROLL for (int i_ = 0; i_ < (rows); i_++)                                       \
                UNROLL for (int j_ = 0; j_ < (cols); j_++)                                   \
                    (sum)[i_][j_] = (sum)[i_][j_] + (part)[i_][j_];                          \
        else                                                                                 \
            UNROLL for (int i_ = 0; i_ < (rows); i_++)                                       \
                UNROLL for (int j_ = 0; j_ < (cols); j_++)                                   \
                    (sum)[i_][j_] = (part)[i_][j_];                                          \
    } while (0)

/* The tree's waiting tiles (pair, acc) are put in memory while the next shard's kernel
 * runs: the kernel needs 15 of AVX2's 16 vector registers, and left to itself clang's
 * register allocator sometimes kept two vectors of a waiting tile in registers through
 * the depth loop and spilled an accumulator instead, a store and a load on every FMA
 * chain step (the seed's first weight gradient 1.4x slower when the backward pass was
 * compiled on its own). The empty asm only says the tile's memory may be read and
 * written, so the compiler stores it there and loads it at its next use. */
#if defined(__GNUC__)
#define IN_MEMORY(tile) __asm__ volatile("" : "+m"(tile))
#else
#define IN_MEMORY(tile) ((void)0)
#endif

/* acc = the tile of NAME_kernel over the pass's shards, added in the tree.
 * Each shard's kernel writes the same local tile, so it stays in registers. */
ALWAYS_INLINE void NAME_kernel_shards(
        int rows, int nv, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, const NAME_shards *sh,
        vf acc[MR][NV])
{
    vf pair[MR][NV], part[MR][NV];
    int have = 0;
    UNROLL for (int i = 0; i < MR; i++) /* zeros for an empty range (and for gcc's -Wmaybe- */
        UNROLL for (int v = 0; v < NV; v++) /* uninitialized, which cannot see `have`) */
            acc[i][v] = (vf){0};
    for (int h = 0; h < 4; h += 2) { /* the pairs (s0, s1) and (s2, s3) */
        int in_pair = 0;
        for (int k = h; k < h + 2; k++) {
            if (k < sh->lo || k >= sh->hi)
                continue;
            const int p0 = sh->start[k - sh->lo], depth = sh->start[k - sh->lo + 1] - p0;
            NAME_kernel(rows, nv, a + p0 * a_step, a_row, a_step, b + p0 * b_row,
                    b_row, depth, part);
            SHARD_TREE_PUT(pair, part, in_pair, MR, NV);
            IN_MEMORY(pair);
            in_pair = 1;
        }
        if (in_pair) {
            SHARD_TREE_PUT(acc, pair, have, MR, NV);
            IN_MEMORY(*(vf(*)[MR][NV])acc);
        }
        have |= in_pair;
    }
}

/* The same for NAME_kernel_columns. */
ALWAYS_INLINE void NAME_kernel_columns_shards(
        int rows, int cols, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, ptrdiff_t end, const NAME_shards *sh,
        float acc[MR][VL])
{
    float pair[MR][VL] = {{0}}, part[MR][VL]; /* zeros: gcc cannot see `have` */
    int have = 0;
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < VL; j++)
            acc[i][j] = 0.0f;
    for (int h = 0; h < 4; h += 2) {
        int in_pair = 0;
        for (int k = h; k < h + 2; k++) {
            if (k < sh->lo || k >= sh->hi)
                continue;
            const int p0 = sh->start[k - sh->lo], depth = sh->start[k - sh->lo + 1] - p0;
            NAME_kernel_columns(rows, cols, a + p0 * a_step, a_row, a_step,
                    b + p0 * b_row, b_row, depth, end - p0 * b_row, part);
            SHARD_TREE_PUT(pair, part, in_pair, MR, VL);
            in_pair = 1;
        }
        if (in_pair)
            SHARD_TREE_PUT(acc, pair, have, MR, VL);
        have |= in_pair;
    }
}

/* sum[j] = the column sums of g over the pass's rows, j < cols <= 32 (g_row floats a row):
 * each shard's rows in order, the shards added in the tree, as above (the bias gradient). */
ALWAYS_INLINE void NAME_column_sums(
        float sum[32], const float *restrict g, ptrdiff_t g_row, int cols,
        const NAME_shards *sh)
{
    float pair[1][32], part[1][32];
    int have = 0;
    for (int j = 0; j < 32; j++)
        sum[j] = 0.0f;
    for (int h = 0; h < 4; h += 2) {
        int in_pair = 0;
        for (int k = h; k < h + 2; k++) {
            if (k < sh->lo || k >= sh->hi)
                continue;
            for (int j = 0; j < 32; j++)
                part[0][j] = 0.0f;
            for (int r = sh->start[k - sh->lo]; r < sh->start[k - sh->lo + 1]; r++)
                for (int j = 0; j < cols; j++)
                    part[0][j] += g[r * g_row + j];
            SHARD_TREE_PUT(pair, part, in_pair, 1, 32);
            in_pair = 1;
        }
        if (in_pair)
            for (int j = 0; j < cols; j++)
                sum[j] = have ? sum[j] + pair[0][j] : pair[0][j];
        have |= in_pair;
    }
}

/* Rows r0 .. r0 + rows - 1 and the panel from column c0 of C: the kernel, then C = the
 * epilogue of acc. The panel is NR columns, or the whole vectors left, or the last
 * cols % VL. With shards (a weight gradient) the depth is the pass's rows, summed
 * shard by shard in the tree; without (NULL), one chain over the depth. The first skip
 * rows are summed and not stored (the rows before a product's last rows: NAME_product). */
ALWAYS_INLINE void NAME_tile(
        int rows, int skip, float *restrict c, ptrdiff_t c_row, NAME_epilogue e,
        const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const float *restrict b,
        ptrdiff_t b_row, ptrdiff_t b_panel, int cols, int depth,
        const NAME_shards *shards, int r0, int c0)
{
    const int vector_cols = cols - cols % VL, vectors_left = vector_cols % NR / VL;
    ptrdiff_t end; /* floats readable from b on (the column tail's last rows) */
    a += r0 * a_row;
    if (b_panel) { /* column c0 of a packed B: in panel c0 / NR, NR floats a row */
        b += c0 / NR * b_panel + c0 % NR;
        b_row = NR;
        end = depth * (ptrdiff_t)NR - c0 % NR;
    } else {
        b += c0;
        end = depth * b_row - c0;
    }
    /* cols % VL == 0 and vectors_left == 0 change nothing (every c0 is then a whole panel's)
     * but, constant at a call, they let the compiler drop the tail's kernels early: the file
     * compiles faster (BENCHMARKS.md: the cold compile) */
    if (cols % VL == 0 || c0 < vector_cols) {
        const int nv = vectors_left == 0 || c0 + NR <= vector_cols ? NV : vectors_left;
        vf acc[MR][NV];
        if (shards && nv == NV)
            NAME_kernel_shards(rows, NV, a, a_row, a_step, b, b_row, shards, acc);
        else if (shards)
            NAME_kernel_shards(rows, vectors_left, a, a_row, a_step, b, b_row, shards,
                    acc);
        else if (nv == NV)
            NAME_kernel(rows, NV, a, a_row, a_step, b, b_row, depth, acc);
        else
            NAME_kernel(rows, vectors_left, a, a_row, a_step, b, b_row, depth, acc);
        if (e.transposed) /* a column of C^T per lane */
            UNROLL for (int i = 0; i < rows; i++)
                UNROLL for (int v = 0; v < NV; v++)
                    for (int lane = 0; lane < VL && v < nv && i >= skip; lane++) {
                        const ptrdiff_t at = (ptrdiff_t)(c0 + v * VL + lane) * c_row + r0 + i;
                        c[at] = NAME_epilogue_1(e, acc[i][v][lane], at, 0);
                    }
        else
            UNROLL for (int i = 0; i < rows; i++)
                UNROLL for (int v = 0; v < NV; v++)
                    if (v < nv && i >= skip) {
                        const ptrdiff_t at = (r0 + i) * c_row + c0 + v * VL;
                        vstore(c + at, NAME_epilogue_v(e, acc[i][v], at, c0 + v * VL));
                    }
    } else {
        float acc[MR][VL];
        if (shards)
            NAME_kernel_columns_shards(rows, cols % VL, a, a_row, a_step, b, b_row,
                    end, shards, acc);
        else
            NAME_kernel_columns(rows, cols % VL, a, a_row, a_step, b, b_row, depth,
                    end, acc);
        for (int i = skip; i < rows; i++)
            for (int j = 0; j < cols % VL; j++) {
                const ptrdiff_t at = e.transposed ? (ptrdiff_t)(c0 + j) * c_row + r0 + i
                                                  : (r0 + i) * c_row + c0 + j;
                c[at] = NAME_epilogue_1(e, acc[i][j], at, c0 + j);
            }
    }
}

#if BF16_INPUTS
/* ---- Products of pairs (precision bf16, BF16_PAIRS: vector.h) ----
 * A and B hold pairs along the depth: A(i, t) = a[i * a_row + t * a_step] is the pair
 * of elements 2t and 2t + 1 of A's row i; B is packed by NAME_pack_pairs, NR pairs a
 * pair row.
 * With shards, each shard's rows are paired on their own (NAME_shard_pairs). */

/* The pairs before shard k of the pass (k in [lo, hi]): a shard of odd length ends with
 * the pair (last, +0). */
ALWAYS_INLINE int NAME_shard_pairs(const NAME_shards *sh, int k)
{
    int pairs = 0;
    for (int m = sh->lo; m < k; m++)
        pairs += PAIRS_OF(sh->start[m - sh->lo + 1] - sh->start[m - sh->lo]);
    return pairs;
}

/* acc[i][v] = the sum over the pairs t < pairs of A(i, t) . B(t, v * VL + lane), t ascending. */
ALWAYS_INLINE void NAME_kernel_pairs(
        int rows, int nv, const pair_t *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const pair_t *restrict b, int pairs, vf acc[MR][NV])
{
    UNROLL for (int i = 0; i < MR; i++)
        UNROLL for (int v = 0; v < NV; v++)
            acc[i][v] = (vf){0};
    DEPTH_LOOP
    for (int t = 0; t < pairs; t++) {
        vp b_t[NV];
        UNROLL for (int v = 0; v < nv; v++)
            b_t[v] = vpload(b + t * NR + v * VL);
        UNROLL for (int i = 0; i < rows; i++) {
            const pair_t a_it = a[i * a_row + t * a_step];
            UNROLL for (int v = 0; v < nv; v++)
                acc[i][v] = vdot_bf16(acc[i][v], a_it, b_t[v]);
        }
    }
}

/* The same over the pass's shards, added in the tree (NAME_kernel_shards). */
ALWAYS_INLINE void NAME_kernel_pairs_shards(
        int rows, int nv, const pair_t *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const pair_t *restrict b, const NAME_shards *sh, vf acc[MR][NV])
{
    vf pair[MR][NV], part[MR][NV];
    int have = 0;
    UNROLL for (int i = 0; i < MR; i++)
        UNROLL for (int v = 0; v < NV; v++)
            acc[i][v] = (vf){0};
    for (int h = 0; h < 4; h += 2) {
        int in_pair = 0;
        for (int k = h; k < h + 2; k++) {
            if (k < sh->lo || k >= sh->hi)
                continue;
            const int t0 = NAME_shard_pairs(sh, k);
            const int pairs = PAIRS_OF(sh->start[k - sh->lo + 1] - sh->start[k - sh->lo]);
            NAME_kernel_pairs(rows, nv, a + t0 * a_step, a_row, a_step, b + t0 * NR,
                    pairs, part);
            SHARD_TREE_PUT(pair, part, in_pair, MR, NV);
            IN_MEMORY(pair);
            in_pair = 1;
        }
        if (in_pair) {
            SHARD_TREE_PUT(acc, pair, have, MR, NV);
            IN_MEMORY(*(vf(*)[MR][NV])acc);
        }
        have |= in_pair;
    }
}

/* NAME_tile for pairs: depth counts pairs (unused with shards), b_panel the pairs of a
 * panel. Every panel is whole vectors: the lanes past cols multiply the packed zeros and
 * are not stored (NV is 2: one vector when the columns left fit in one). */
ALWAYS_INLINE void NAME_tile_pairs(
        int rows, int skip, float *restrict c, ptrdiff_t c_row, NAME_epilogue e,
        const pair_t *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const pair_t *restrict b,
        ptrdiff_t b_panel, int cols, int depth, const NAME_shards *shards, int r0,
        int c0)
{
    const int width = cols - c0 < NR ? cols - c0 : NR; /* the columns stored */
    a += r0 * a_row;
    b += c0 / NR * b_panel;
    vf acc[MR][NV];
    if (shards && width > VL)
        NAME_kernel_pairs_shards(rows, NV, a, a_row, a_step, b, shards, acc);
    else if (shards)
        NAME_kernel_pairs_shards(rows, 1, a, a_row, a_step, b, shards, acc);
    else if (width > VL)
        NAME_kernel_pairs(rows, NV, a, a_row, a_step, b, depth, acc);
    else
        NAME_kernel_pairs(rows, 1, a, a_row, a_step, b, depth, acc);
    UNROLL for (int i = 0; i < rows; i++)
        UNROLL for (int v = 0; v < NV; v++) {
            const int lanes = width - v * VL < VL ? width - v * VL : VL;
            const ptrdiff_t at = (r0 + i) * c_row + c0 + v * VL;
            if (i < skip || lanes <= 0)
                continue;
            if (e.transposed) /* a column of C^T per lane */
                for (int lane = 0; lane < lanes; lane++) {
                    const ptrdiff_t at_t = (ptrdiff_t)(c0 + v * VL + lane) * c_row + r0 + i;
                    c[at_t] = NAME_epilogue_1(e, acc[i][v][lane], at_t, 0);
                }
            else if (lanes == VL)
                vstore(c + at, NAME_epilogue_v(e, acc[i][v], at, c0 + v * VL));
            else
                for (int lane = 0; lane < lanes; lane++)
                    c[at + lane] = NAME_epilogue_1(e, acc[i][v][lane], at + lane,
                            c0 + v * VL + lane);
        }
}

/* The tile of NAME_product: of pairs when the call says so and the layout is pairs. */
#define PRODUCT_TILE(rows_, skip_, r_) \
    (BF16_PAIRS && pairs \
         ? NAME_tile_pairs(rows_, skip_, c, c_row, e, (const pair_t *)a, a_row, \
                   a_step, (const pair_t *)b, b_panel, cols, depth, shards, r_, c0) \
         : NAME_tile(rows_, skip_, c, c_row, e, a, a_row, a_step, b, b_row, b_panel, \
                   cols, depth, shards, r_, c0))

#endif
/* C (rows x cols) = the epilogue of A B, B depth x cols, shared among the threads in fixed
 * work tiles of tile_rows rows x one panel: panel by panel when panel_major (a thread's
 * tiles then reuse one panel of B), else row tile by row tile. The tiles never depend on
 * the number of threads. B: row-major with b_row floats a row (b_panel = 0), or packed by
 * NAME_pack (b_panel = depth * NR, b_row unused). shards: NULL, or the row shards of a
 * depth that is the batch rows (NAME_tile). No barrier at the end. */
#if BF16_INPUTS
/* precision bf16: pairs (1 only where BF16_PAIRS is 1) says that a, b hold pairs: the strides,
 * b_panel and depth count pairs, b is packed by NAME_pack_pairs, every panel whole. */
#endif
ALWAYS_INLINE void NAME_product(
        float *restrict c, ptrdiff_t c_row, NAME_epilogue e,
        const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const float *restrict b,
        ptrdiff_t b_row, ptrdiff_t b_panel, int rows, int cols, int depth,
#if BF16_INPUTS
        const NAME_shards *shards, int tile_rows, int panel_major, int pairs)
#else
        const NAME_shards *shards, int tile_rows, int panel_major)
#endif
{
    const int vector_cols = cols - cols % VL;
#if BF16_INPUTS
    const int panels = BF16_PAIRS && pairs ? (cols + NR - 1) / NR
                                           : (vector_cols + NR - 1) / NR + (cols % VL != 0);
#else
    const int panels = (vector_cols + NR - 1) / NR + (cols % VL != 0);
#endif
    const int row_tiles = (rows + tile_rows - 1) / tile_rows;
    OMP_FOR_NOWAIT
    for (int tile = 0; tile < row_tiles * panels; tile++) {
        const int panel = panel_major ? tile / row_tiles : tile % panels;
        const int row_tile = panel_major ? tile % row_tiles : tile / panels;
#if BF16_INPUTS
        /* the last: a tail (pairs: every panel whole) */
        const int c0 = panel * NR < vector_cols || (BF16_PAIRS && pairs) ? panel * NR : vector_cols;
#else
        const int c0 = panel * NR < vector_cols ? panel * NR : vector_cols; /* the last: a tail */
#endif
        const int row_end = row_tile * tile_rows + tile_rows < rows
                                ? row_tile * tile_rows + tile_rows : rows;
        for (int r0 = row_tile * tile_rows; r0 < row_end; r0 += MR) {
            /* fewer than MR rows in all: one at a time (row_end < MR only if rows < MR, which
             * a constant rows rules out at compile time: no one-row tiles compiled for it) */
            if (rows < MR && row_end < MR) {
                for (int r = r0; r < row_end; r++)
#if BF16_INPUTS
                    PRODUCT_TILE(1, 0, r);
#else
                    NAME_tile(1, 0, c, c_row, e, a, a_row, a_step, b, b_row, b_panel, cols,
                            depth, shards, r, c0);
#endif
                continue;
            }
            /* MR rows from r0, or for the last rows (fewer than MR) the MR rows that end
             * with them, the ones before r0 summed again and not stored: a row's sums do
             * not depend on its tile, and one tile shape keeps the file quick to compile */
            const int last = r0 + MR > row_end;
#if BF16_INPUTS
            PRODUCT_TILE(MR, last ? r0 + MR - row_end : 0, last ? row_end - MR : r0);
#else
            NAME_tile(MR, last ? r0 + MR - row_end : 0, c, c_row, e, a, a_row, a_step, b,
                    b_row, b_panel, cols, depth, shards, last ? row_end - MR : r0, c0);
#endif
        }
    }
}

/*@ section pack @*/
/* dst = B (depth x cols, B(p, j) = b[p * b_row + j * b_col]) packed in panels of NR
 * columns for NAME_product (b_panel = depth * NR): B(p, j) at
 * dst[j / NR * depth * NR + p * NR + j % NR], zeros past cols to the end of the last
 * panel; dst holds depth * NR * ceil(cols / NR) floats. b_col = 1 reads B's rows, b_row = 1
 * reads B as the transpose of a row-major matrix (a weight for its input gradient). The
 * panels are shared among the threads; no barrier at the end. A copy: the products' sums
 * are the same bit for bit with B packed or not. */
#if BF16_INPUTS
/* precision bf16: the copy is rounded to bfloat16, the products' operand. */
#endif
ALWAYS_INLINE void NAME_pack(
        float *restrict dst, const float *restrict b, ptrdiff_t b_row, ptrdiff_t b_col,
        int depth, int cols)
{
    enum { BLOCK = 16 }; /* rows of the transposed copy at a time: lines read whole */
    const int panels = (cols + NR - 1) / NR;
    OMP_FOR_NOWAIT
    for (int q = 0; q < panels; q++) {
        float *restrict panel = dst + (ptrdiff_t)q * depth * NR;
        const int j0 = q * NR, width = cols - j0 < NR ? cols - j0 : NR;
        if (b_col == 1 && (cols % NR == 0 || width == NR)) /* (a constant test first) */
            for (int p = 0; p < depth; p++)
                UNROLL for (int v = 0; v < NV; v++)
#if BF16_INPUTS
                    vstore(panel + p * NR + v * VL, vround_bf16(vload(b + p * b_row + j0 + v * VL)));
#else
                    vstore(panel + p * NR + v * VL, vload(b + p * b_row + j0 + v * VL));
#endif
        else if (b_col == 1)
            for (int p = 0; p < depth; p++)
                for (int j = 0; j < NR; j++)
#if BF16_INPUTS
                    panel[p * NR + j] = j < width ? round_bf16(b[p * b_row + j0 + j]) : 0.0f;
#else
                    panel[p * NR + j] = j < width ? b[p * b_row + j0 + j] : 0.0f;
#endif
        else
            for (int p0 = 0; p0 < depth; p0 += BLOCK) {
                const int p1 = p0 + BLOCK < depth ? p0 + BLOCK : depth;
                for (int j = 0; j < NR; j++)
                    for (int p = p0; p < p1; p++)
#if BF16_INPUTS
                        panel[p * NR + j] = j < width ? round_bf16(b[p * b_row + (j0 + j) * b_col])
                                                      : 0.0f;
#else
                        panel[p * NR + j] = j < width ? b[p * b_row + (j0 + j) * b_col] : 0.0f;
#endif
            }
    }
}

/*@ section round_copy @*/
/* precision bf16: dst = src rounded to bfloat16, count floats, shared among the threads in
 * fixed blocks; no barrier at the end. The layers round each operand a product reads
 * unpacked once, here, rather than in the kernels at every use. */
ALWAYS_INLINE void NAME_round_copy(float *restrict dst, const float *restrict src, ptrdiff_t count)
{
    enum { BLOCK = 64 * VL }; /* floats a block */
    const ptrdiff_t blocks = (count + BLOCK - 1) / BLOCK;
    OMP_FOR_NOWAIT
    for (ptrdiff_t k = 0; k < blocks; k++) {
        const ptrdiff_t end = (k + 1) * BLOCK < count ? (k + 1) * BLOCK : count;
        ptrdiff_t i = k * BLOCK;
        for (; i + VL <= end; i += VL)
            vstore(dst + i, vround_bf16(vload(src + i)));
        for (; i < end; i++)
            dst[i] = round_bf16(src[i]);
    }
}

/*@ section pairs @*/
/* ---- precision bf16 where BF16_PAIRS is 1: the operands as pairs (vector.h) ----
 * Each shared among the threads, without a barrier at the end; each rounds what it copies. */
#if BF16_PAIRS

/* dst = B (depth x cols, B(p, j) = b[p * b_row + j * b_col], as NAME_pack reads
 * it) in panels of NR columns of pairs for NAME_tile_pairs: pair row t of a panel
 * holds, for each of its columns j, the pair (B(p, j), B(p + 1, j)), zeros past cols.
 * Without shards the rows pair from 0 (p = 2t: PAIRS_OF(depth) pair rows a panel); with
 * them the rows of each of the pass's shards pair from the shard's first, as the weight
 * gradient sums them (NAME_shard_pairs(sh, hi) pair rows a panel). A run of odd length
 * ends with the pair (last row, 0). */
ALWAYS_INLINE void NAME_pack_pairs(
        float *restrict dst, const float *restrict b, ptrdiff_t b_row, ptrdiff_t b_col,
        int depth, int cols, const NAME_shards *sh)
{
    const int panels = (cols + NR - 1) / NR, runs = sh ? sh->hi - sh->lo : 1;
    const ptrdiff_t panel_pairs = sh ? NAME_shard_pairs(sh, sh->hi) : PAIRS_OF(depth);
    OMP_FOR_NOWAIT
    for (int q = 0; q < panels; q++) {
        pair_t *restrict out = (pair_t *)dst + q * panel_pairs * NR;
        const int j0 = q * NR, width = cols - j0 < NR ? cols - j0 : NR;
        for (int k = 0; k < runs; k++) {
            const int p1 = sh ? sh->start[k + 1] : depth;
            for (int p = sh ? sh->start[k] : 0; p < p1; p += 2, out += NR) {
                const float *even = b + p * b_row + j0 * b_col;
                const float *odd = p + 1 < p1 ? even + b_row : even; /* (not read when even) */
                if (b_col == 1 && width == NR && p + 1 < p1)
                    UNROLL for (int v = 0; v < NV; v++)
                        vpstore(out + v * VL,
                                vpair_bf16(vload(even + v * VL), vload(odd + v * VL)));
                else
                    for (int j = 0; j < NR; j++)
                        out[j] = j >= width ? 0
                                 : pair_bf16(even[j * b_col], p + 1 < p1 ? odd[j * b_col] : 0.0f);
            }
        }
    }
}

/* dst = src (rows x cols, row-major) as rows of pairs along the row: dst[r * PAIRS_OF(cols)
 * + t] = (src[r][2t], src[r][2t + 1]), the second 0 past an odd row's end. The A of a
 * product whose depth runs along the row (the forward's in, the input gradient's out_grad). */
ALWAYS_INLINE void NAME_pair_copy(
        float *restrict dst, const float *restrict src, int rows, int cols)
{
    const int width = PAIRS_OF(cols);
    OMP_FOR_NOWAIT
    for (int r = 0; r < rows; r++) {
        pair_t *restrict out = (pair_t *)dst + (ptrdiff_t)r * width;
        const float *row = src + (ptrdiff_t)r * cols;
        for (int t = 0; t < cols / 2; t++)
            out[t] = pair_bf16(row[2 * t], row[2 * t + 1]);
        if (cols % 2)
            out[width - 1] = pair_bf16(row[cols - 1], 0.0f);
    }
}

/* dst = src (the pass's rows x cols, row-major) as pairs of rows, each shard's rows
 * paired from its first as NAME_pack_pairs pairs them: pair row u of shard k,
 * dst[(NAME_shard_pairs(sh, k) + u) * cols + i] = (src[p][i], src[p + 1][i]) for p the
 * shard's row 2u, the second 0 past an odd shard's end. The A of a weight gradient (in^T,
 * whose depth is the batch rows). */
ALWAYS_INLINE void NAME_pair_rows(
        float *restrict dst, const float *restrict src, int cols, const NAME_shards *sh)
{
    const int pairs = NAME_shard_pairs(sh, sh->hi);
    OMP_FOR_NOWAIT
    for (int t = 0; t < pairs; t++) {
        int k = sh->lo; /* the shard of pair row t */
        while (k + 1 < sh->hi && NAME_shard_pairs(sh, k + 1) <= t)
            k++;
        const int p = sh->start[k - sh->lo] + 2 * (t - NAME_shard_pairs(sh, k));
        const int odd = p + 1 < sh->start[k - sh->lo + 1];
        pair_t *restrict out = (pair_t *)dst + (ptrdiff_t)t * cols;
        const float *even_row = src + (ptrdiff_t)p * cols;
        const float *odd_row = odd ? even_row + cols : even_row; /* (not read when even) */
        int i = 0;
        for (; odd && i + VL <= cols; i += VL)
            vpstore(out + i, vpair_bf16(vload(even_row + i), vload(odd_row + i)));
        for (; i < cols; i++)
            out[i] = pair_bf16(even_row[i], odd ? odd_row[i] : 0.0f);
    }
}
#endif
