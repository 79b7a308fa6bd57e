/* Template: the register-blocked micro-kernel and the product driver of the
 * generated file (see vector.h for how templates are used). It calls the
 * epilogue the emitter generates for the model: NAME_epilogue (a struct with at
 * least `transposed`), NAME_epilogue_v and NAME_epilogue_1. */
/*@ section product @*/
/* ---- Matrix products: C = A B, then the epilogue, A(i, p) = a[i * a_row + p * a_step] ---- */
#if BF16_INPUTS
/* precision bf16: every element of A and B is rounded to bfloat16 as it is loaded
 * (round_bf16, vround_bf16); the sums stay float32. */
#endif

/* The micro-kernel: acc[i][v] = sum over p < depth of A(i, p) * b[p * b_row + v * VL + lane]
 * for i < rows and v < nv, p ascending (one FMA chain per element). rows, nv and the
 * strides are constants at every call, so acc stays in registers. */
ALWAYS_INLINE void NAME_kernel(
        int rows, int nv, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, int depth, vf acc[MR][NV])
{
    UNROLL for (int i = 0; i < MR; i++)
        UNROLL for (int v = 0; v < NV; v++)
            acc[i][v] = (vf){0};
#if BF16_INPUTS
    int p = 0;
    /* A's rows contiguous along p (the forward and input-gradient products): VL elements of
     * each row rounded at once, as a vector, then taken one by one as the FMAs need them */
    if (a_step == 1)
        for (; p + VL <= depth; p += VL) {
            float a_bf16[MR][VL];
            UNROLL for (int i = 0; i < rows; i++)
                vstore(a_bf16[i], vround_bf16(vload(a + i * a_row + p)));
            for (int q = 0; q < VL; q++) {
                vf b_row_p[NV];
                UNROLL for (int v = 0; v < nv; v++)
                    b_row_p[v] = vround_bf16(vload(b + (p + q) * b_row + v * VL));
                UNROLL for (int i = 0; i < rows; i++) {
                    const vf a_ip = vsplat(a_bf16[i][q]);
                    UNROLL for (int v = 0; v < nv; v++)
                        acc[i][v] = vfma(a_ip, b_row_p[v], acc[i][v]);
                }
            }
        }
    for (; p < depth; p++) { /* the rest, each element of A rounded alone */
        vf b_row_p[NV];
        UNROLL for (int v = 0; v < nv; v++)
            b_row_p[v] = vround_bf16(vload(b + p * b_row + v * VL));
        UNROLL for (int i = 0; i < rows; i++) {
            const vf a_ip = vsplat(round_bf16(a[i * a_row + p * a_step]));
            UNROLL for (int v = 0; v < nv; v++)
                acc[i][v] = vfma(a_ip, b_row_p[v], acc[i][v]);
        }
    }
#else
    for (int p = 0; p < depth; p++) {
        vf b_row_p[NV];
        UNROLL for (int v = 0; v < nv; v++)
            b_row_p[v] = vload(b + p * b_row + v * VL);
        UNROLL for (int i = 0; i < rows; i++) {
            const vf a_ip = vsplat(a[i * a_row + p * a_step]);
            UNROLL for (int v = 0; v < nv; v++)
                acc[i][v] = vfma(a_ip, b_row_p[v], acc[i][v]);
        }
    }
#endif
}

/* The same for the last cols < VL columns of b, which starts at column c0 of a matrix of
 * depth rows of b_row floats: one vector per row of b all the same, its lanes past cols
 * read from the next row and never stored; the last rows of b, where a vector would pass
 * its end, lane by lane. One or two columns go one float at a time, and a tile of one or
 * two sums (a layer of one or two units) would then be one long chain of dependent adds,
 * as slow as the add latency: it is split into SPLIT partial sums over p, added in a fixed
 * order (it vectorises where A and B are contiguous along p, as in a 1-unit layer). */
#define SPLIT 8 /* the pairwise sum below adds exactly 8 parts */
ALWAYS_INLINE void NAME_kernel_columns(
        int rows, int cols, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,
        const float *restrict b, ptrdiff_t b_row, int depth, int c0, float acc[MR][VL])
{
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < VL; j++)
            acc[i][j] = 0.0f;
    if (rows * cols <= 2) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                float part[SPLIT] = {0};
                int p = 0;
                for (; p + SPLIT <= depth; p += SPLIT)
                    for (int s = 0; s < SPLIT; s++)
#if BF16_INPUTS
                        part[s] += round_bf16(a[i * a_row + (p + s) * a_step]) *
                                   round_bf16(b[(p + s) * b_row + j]);
#else
                        part[s] += a[i * a_row + (p + s) * a_step] * b[(p + s) * b_row + j];
#endif
                float sum = ((part[0] + part[1]) + (part[2] + part[3])) +
                            ((part[4] + part[5]) + (part[6] + part[7]));
                for (; p < depth; p++)
#if BF16_INPUTS
                    sum += round_bf16(a[i * a_row + p * a_step]) * round_bf16(b[p * b_row + j]);
#else
                    sum += a[i * a_row + p * a_step] * b[p * b_row + j];
#endif
                acc[i][j] = sum;
            }
        return;
    }
    if (cols <= 2) { /* a vector would be mostly waste */
        for (int p = 0; p < depth; p++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
#if BF16_INPUTS
                    acc[i][j] += round_bf16(a[i * a_row + p * a_step]) * round_bf16(b[p * b_row + j]);
#else
                    acc[i][j] += a[i * a_row + p * a_step] * b[p * b_row + j];
#endif
        return;
    }
    const ptrdiff_t end = depth * b_row - c0; /* floats of the matrix from b on */
    ptrdiff_t whole_rows = end < VL ? 0 : (end - VL) / b_row + 1; /* a vector reads a row */
    if (whole_rows > depth)
        whole_rows = depth;
    vf sum[MR];
    UNROLL for (int i = 0; i < MR; i++)
        sum[i] = (vf){0};
    for (int p = 0; p < depth; p++) {
        vf b_p = (vf){0};
        if (p < whole_rows)
            b_p = vload(b + p * b_row);
        else
            for (int j = 0; j < cols; j++)
                b_p[j] = b[p * b_row + j];
#if BF16_INPUTS
        b_p = vround_bf16(b_p);
        UNROLL for (int i = 0; i < rows; i++)
            sum[i] = vfma(vsplat(round_bf16(a[i * a_row + p * a_step])), b_p, sum[i]);
#else
        UNROLL for (int i = 0; i < rows; i++)
            sum[i] = vfma(vsplat(a[i * a_row + p * a_step]), b_p, sum[i]);
#endif
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            acc[i][j] = sum[i][j];
}

/* Rows r0 .. r0 + rows - 1 and the panel from column c0 of C: the kernel, then C = the
 * epilogue of acc. The panel is NR columns, or the whole vectors left, or the last
 * cols % VL. */
ALWAYS_INLINE void NAME_tile(
        int rows, float *restrict c, ptrdiff_t c_row, NAME_epilogue e,
        const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const float *restrict b,
        ptrdiff_t b_row, int cols, int depth, int r0, int c0)
{
    const int vector_cols = cols - cols % VL, vectors_left = vector_cols % NR / VL;
    a += r0 * a_row;
    b += c0;
    if (c0 + NR <= vector_cols || c0 < vector_cols) {
        const int nv = c0 + NR <= vector_cols ? NV : vectors_left;
        vf acc[MR][NV];
        if (nv == NV)
            NAME_kernel(rows, NV, a, a_row, a_step, b, b_row, depth, acc);
        else
            NAME_kernel(rows, vectors_left, a, a_row, a_step, b, b_row, depth, acc);
        if (e.transposed) /* a column of C^T per lane */
            UNROLL for (int i = 0; i < rows; i++)
                UNROLL for (int v = 0; v < NV; v++)
                    for (int lane = 0; lane < VL && v < nv; lane++) {
                        const ptrdiff_t at = (ptrdiff_t)(c0 + v * VL + lane) * c_row + r0 + i;
                        c[at] = NAME_epilogue_1(e, acc[i][v][lane], at, 0);
                    }
        else
            UNROLL for (int i = 0; i < rows; i++)
                UNROLL for (int v = 0; v < NV; v++)
                    if (v < nv) {
                        const ptrdiff_t at = (r0 + i) * c_row + c0 + v * VL;
                        vstore(c + at, NAME_epilogue_v(e, acc[i][v], at, c0 + v * VL));
                    }
    } else {
        float acc[MR][VL];
        NAME_kernel_columns(rows, cols % VL, a, a_row, a_step, b, b_row, depth, c0, acc);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols % VL; j++) {
                const ptrdiff_t at = e.transposed ? (ptrdiff_t)(c0 + j) * c_row + r0 + i
                                                  : (r0 + i) * c_row + c0 + j;
                c[at] = NAME_epilogue_1(e, acc[i][j], at, c0 + j);
            }
    }
}

/* C (rows x cols) = the epilogue of A B, B depth x cols, shared among the threads in fixed
 * work tiles of tile_rows rows x one panel: panel by panel when panel_major (a thread's
 * tiles then reuse one panel of B), else row tile by row tile. The tiles never depend on
 * the number of threads. No barrier at the end. */
ALWAYS_INLINE void NAME_product(
        float *restrict c, ptrdiff_t c_row, NAME_epilogue e,
        const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const float *restrict b,
        ptrdiff_t b_row, int rows, int cols, int depth, int tile_rows, int panel_major)
{
    const int vector_cols = cols - cols % VL;
    const int panels = (vector_cols + NR - 1) / NR + (cols % VL != 0);
    const int row_tiles = (rows + tile_rows - 1) / tile_rows;
    OMP_FOR_NOWAIT
    for (int tile = 0; tile < row_tiles * panels; tile++) {
        const int panel = panel_major ? tile / row_tiles : tile % panels;
        const int row_tile = panel_major ? tile % row_tiles : tile / panels;
        const int c0 = panel * NR < vector_cols ? panel * NR : vector_cols; /* the last: a tail */
        const int row_end = row_tile * tile_rows + tile_rows < rows
                                ? row_tile * tile_rows + tile_rows : rows;
        for (int r0 = row_tile * tile_rows; r0 < row_end; r0 += MR) {
            if (r0 + MR <= row_end)
                NAME_tile(MR, c, c_row, e, a, a_row, a_step, b, b_row, cols, depth,
                        r0, c0);
            else /* the last rows (fewer than MR <= 8): 4, 2 and 1 at a time, as a row
                  * alone has only NV chains of dependent FMAs, too few for the FMA units */
                for (int r = r0; r < row_end;) {
                    if (row_end - r >= 4) {
                        NAME_tile(4, c, c_row, e, a, a_row, a_step, b, b_row, cols, depth,
                                r, c0);
                        r += 4;
                    } else if (row_end - r >= 2) {
                        NAME_tile(2, c, c_row, e, a, a_row, a_step, b, b_row, cols, depth,
                                r, c0);
                        r += 2;
                    } else {
                        NAME_tile(1, c, c_row, e, a, a_row, a_step, b, b_row, cols, depth,
                                r, c0);
                        r += 1;
                    }
                }
        }
    }
}
