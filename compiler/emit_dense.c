/* The dense layer, y = x W + b with W [in][out], and the one place the
 * matrix-product tile is generated.
 *
 * Every product here is C = A B (+ bias) with B and C row-major and A read
 * through two strides, A(i, p) = a[i * a_row + p * a_step]:
 *     forward       out     = in weight + bias      A = in       (n x IN)
 *     weight grad   w_grad  = in^T out_grad         A = in^T     (IN x n)
 *     input grad    in_grad = out_grad weight^T     A = out_grad (n x OUT), B = weight transposed
 * The generated file carries one register-blocked micro-kernel (MR rows x NV
 * vectors of accumulators, sized per instruction set when the C is
 * compiled) and one product driver cutting C into fixed work tiles; each
 * layer's functions call the driver with its constant shapes, so the code
 * grows with the number of layers, not with their width. A tile sums over
 * the depth in order in registers and belongs to one thread, so results do
 * not depend on the number of threads. Columns past the last whole vector
 * (fewer than VL) take a scalar tile; rows past the last whole block of MR
 * take one-row tiles. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

/* The instruction-set block: vector type, loads, broadcast, FMA, tile shape. */
static const char *const isa_block[] = {
    "/* ---- Vectors and the register tile, chosen by the compiler's target ----",
    " * VL floats per vector (GNU vector extensions): 16 with AVX-512, 8 with AVX, else 4.",
    " * The micro-kernel keeps MR rows x NV vectors (NR = NV * VL columns) of C in registers:",
    " * 8 x 2 zmm with AVX-512 (32 registers), 6 x 2 otherwise (16 registers), enough",
    " * independent FMA chains to keep two FMA units busy. The sizes only change speed and",
    " * the rounding of a*b+c (fused where the target has FMA), never which thread computes",
    " * what: results are bit-identical for any number of threads. */",
    "#if defined(__AVX512F__) || defined(__FMA__)",
    "#include <immintrin.h>",
    "#endif",
    "#if defined(__AVX512F__)",
    "#define VL 16",
    "#define MR 8",
    "#elif defined(__AVX__)",
    "#define VL 8",
    "#define MR 6",
    "#else",
    "#define VL 4",
    "#define MR 6",
    "#endif",
    "#define NV 2",
    "#define NR (NV * VL)",
    "#define TILE_ROWS (8 * MR) /* rows of a forward or input-gradient work tile */",
    "",
    "typedef float vf __attribute__((vector_size(VL * 4)));",
    "typedef float vf_unaligned __attribute__((vector_size(VL * 4), aligned(4)));",
    "",
    "#define ALWAYS_INLINE static inline __attribute__((always_inline))",
    "/* gcc -O2 keeps the register loops rolled (and spills the tile) unless told to unroll;",
    " * clang unrolls them by itself and is slowed down by the pragma, so gcc only. */",
    "#if defined(__GNUC__) && !defined(__clang__)",
    "#define UNROLL _Pragma(\"GCC unroll 16\")",
    "#else",
    "#define UNROLL",
    "#endif",
    "",
    "ALWAYS_INLINE vf vload(const float *p)",
    "{",
    "    return *(const vf_unaligned *)p;",
    "}",
    "",
    "ALWAYS_INLINE void vstore(float *p, vf v)",
    "{",
    "    *(vf_unaligned *)p = v;",
    "}",
    "",
    "/* x in every lane (scalar - vector is a splat; x - 0 == x exactly, -0 included) */",
    "ALWAYS_INLINE vf vsplat(float x)",
    "{",
    "    return x - (vf){0};",
    "}",
    "",
    "/* a * b + c, rounded once where the target has FMA (-std=c11 never contracts a*b+c) */",
    "ALWAYS_INLINE vf vfma(vf a, vf b, vf c)",
    "{",
    "#if VL == 16",
    "    return _mm512_fmadd_ps(a, b, c);",
    "#elif VL == 8 && defined(__FMA__)",
    "    return _mm256_fmadd_ps(a, b, c);",
    "#else",
    "    return a * b + c;",
    "#endif",
    "}",
    NULL,
};

static const char *const product_block[] = {
    "/* ---- Matrix products: C = A B (+ bias), A(i, p) = a[i * a_row + p * a_step] ---- */",
    "",
    "/* The micro-kernel: acc[i][v] = sum over p < depth of A(i, p) * b[p * b_row + v * VL + lane]",
    " * for i < rows and v < nv, p ascending (one FMA chain per element). rows, nv and the",
    " * strides are constants at every call, so acc stays in registers. */",
    "ALWAYS_INLINE void {n}_kernel(",
    "        int rows, int nv, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,",
    "        const float *restrict b, ptrdiff_t b_row, int depth, vf acc[MR][NV])",
    "{",
    "    UNROLL for (int i = 0; i < MR; i++)",
    "        UNROLL for (int v = 0; v < NV; v++)",
    "            acc[i][v] = (vf){0};",
    "    for (int p = 0; p < depth; p++) {",
    "        vf b_row_p[NV];",
    "        UNROLL for (int v = 0; v < nv; v++)",
    "            b_row_p[v] = vload(b + p * b_row + v * VL);",
    "        UNROLL for (int i = 0; i < rows; i++) {",
    "            const vf a_ip = vsplat(a[i * a_row + p * a_step]);",
    "            UNROLL for (int v = 0; v < nv; v++)",
    "                acc[i][v] = vfma(a_ip, b_row_p[v], acc[i][v]);",
    "        }",
    "    }",
    "}",
    "",
    "/* The same for the last cols < VL columns, one float at a time. */",
    "ALWAYS_INLINE void {n}_kernel_columns(",
    "        int rows, int cols, const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step,",
    "        const float *restrict b, ptrdiff_t b_row, int depth, float acc[MR][VL])",
    "{",
    "    for (int i = 0; i < MR; i++)",
    "        for (int j = 0; j < VL; j++)",
    "            acc[i][j] = 0.0f;",
    "    for (int p = 0; p < depth; p++)",
    "        for (int i = 0; i < rows; i++)",
    "            for (int j = 0; j < cols; j++)",
    "                acc[i][j] += a[i * a_row + p * a_step] * b[p * b_row + j];",
    "}",
    "",
    "/* C = acc (+ bias) for rows x nv vectors from c (the columns of bias from col). */",
    "ALWAYS_INLINE void {n}_store(",
    "        int rows, int nv, vf acc[MR][NV], float *restrict c, ptrdiff_t c_row,",
    "        const float *restrict bias)",
    "{",
    "    UNROLL for (int i = 0; i < rows; i++)",
    "        UNROLL for (int v = 0; v < nv; v++)",
    "            vstore(c + i * c_row + v * VL, bias ? acc[i][v] + vload(bias + v * VL) : acc[i][v]);",
    "}",
    "",
    "/* Rows r0 .. r0 + rows - 1 and the panel from column c0 of C: the kernel, then C = acc",
    " * (+ bias). The panel is NR columns, or the whole vectors left, or the last cols % VL. */",
    "ALWAYS_INLINE void {n}_tile(",
    "        int rows, float *restrict c, ptrdiff_t c_row, const float *restrict bias,",
    "        const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const float *restrict b,",
    "        ptrdiff_t b_row, int cols, int depth, int r0, int c0)",
    "{",
    "    const int vector_cols = cols - cols % VL, vectors_left = vector_cols % NR / VL;",
    "    a += r0 * a_row;",
    "    b += c0;",
    "    c += r0 * c_row + c0;",
    "    bias = bias ? bias + c0 : NULL;",
    "    if (c0 + NR <= vector_cols) {",
    "        vf acc[MR][NV];",
    "        {n}_kernel(rows, NV, a, a_row, a_step, b, b_row, depth, acc);",
    "        {n}_store(rows, NV, acc, c, c_row, bias);",
    "    } else if (c0 < vector_cols) {",
    "        vf acc[MR][NV];",
    "        {n}_kernel(rows, vectors_left, a, a_row, a_step, b, b_row, depth, acc);",
    "        {n}_store(rows, vectors_left, acc, c, c_row, bias);",
    "    } else {",
    "        float acc[MR][VL];",
    "        {n}_kernel_columns(rows, cols % VL, a, a_row, a_step, b, b_row, depth, acc);",
    "        for (int i = 0; i < rows; i++)",
    "            for (int j = 0; j < cols % VL; j++)",
    "                c[i * c_row + j] = bias ? acc[i][j] + bias[j] : acc[i][j];",
    "    }",
    "}",
    "",
    "/* C (rows x cols) = A B (+ bias), B depth x cols, shared among the threads in fixed work",
    " * tiles of tile_rows rows x one panel: panel by panel when panel_major (a thread's tiles",
    " * then reuse one panel of B), else row tile by row tile. The tiles never depend on the",
    " * number of threads. No barrier at the end. */",
    "ALWAYS_INLINE void {n}_product(",
    "        float *restrict c, ptrdiff_t c_row, const float *restrict bias,",
    "        const float *restrict a, ptrdiff_t a_row, ptrdiff_t a_step, const float *restrict b,",
    "        ptrdiff_t b_row, int rows, int cols, int depth, int tile_rows, int panel_major)",
    "{",
    "    const int vector_cols = cols - cols % VL;",
    "    const int panels = (vector_cols + NR - 1) / NR + (cols % VL != 0);",
    "    const int row_tiles = (rows + tile_rows - 1) / tile_rows;",
    "    OMP_FOR_NOWAIT",
    "    for (int tile = 0; tile < row_tiles * panels; tile++) {",
    "        const int panel = panel_major ? tile / row_tiles : tile % panels;",
    "        const int row_tile = panel_major ? tile % row_tiles : tile / panels;",
    "        const int c0 = panel * NR < vector_cols ? panel * NR : vector_cols; /* the last: a tail */",
    "        const int row_end = row_tile * tile_rows + tile_rows < rows",
    "                                ? row_tile * tile_rows + tile_rows : rows;",
    "        for (int r0 = row_tile * tile_rows; r0 < row_end; r0 += MR) {",
    "            if (r0 + MR <= row_end)",
    "                {n}_tile(MR, c, c_row, bias, a, a_row, a_step, b, b_row, cols, depth,",
    "                        r0, c0);",
    "            else /* the last rows, one at a time */",
    "                for (int r = r0; r < row_end; r++)",
    "                    {n}_tile(1, c, c_row, bias, a, a_row, a_step, b, b_row, cols, depth,",
    "                            r, c0);",
    "        }",
    "    }",
    "}",
    NULL,
};

static void dense_helpers(rf_codebuf *cb, const rf_plan *p)
{
    rf_emit_lines(cb, p, isa_block);
    rf_emit_lines(cb, p, product_block);
}

static void dense_describe(const rf_plan_op *op, char *buf, size_t len)
{
    snprintf(buf, len, "dense %d -> %d", op->layer->in, op->layer->out);
}

static void dense_shapes(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    (void)p;
    rf_cb_line(cb, "#define %s %d", op->in_dim, op->layer->in);
    rf_cb_line(cb, "#define %s %d", op->out_dim, op->layer->out);
}

/* The call of the product driver: c = a b (+ bias), then arguments as in the helper. */
static void emit_product_call(rf_codebuf *cb, const rf_plan *p, const char *c, const char *c_row,
                              const char *bias, const char *a, const char *a_row, const char *a_step,
                              const char *b, const char *b_row, const char *rows, const char *cols,
                              const char *depth, const char *tile_rows, const char *panel_major)
{
    char name[96];
    snprintf(name, sizeof name, "%s_product", p->name);
    const char *args[] = {c, c_row, bias, a, a_row, a_step, b, b_row, rows, cols, depth, tile_rows, panel_major};
    rf_emit_call(cb, name, args, 13);
}

static void dense_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char head[160], out[128], in[128], weight[128];
    rf_cb_line(cb, "/* out = in weight + bias: work tiles of TILE_ROWS rows x NR columns, column panel by");
    rf_cb_line(cb, " * column panel (a thread's consecutive tiles reuse one panel of weight) */");
    snprintf(head, sizeof head, "static void %s_%s_forward(", p->name, op->name);
    snprintf(out, sizeof out, "float (*restrict out)[%s]", op->out_dim);
    snprintf(in, sizeof in, "const float (*restrict in)[%s]", op->in_dim);
    snprintf(weight, sizeof weight, "const float (*restrict weight)[%s]", op->out_dim);
    const char *params[] = {out, in, weight, "const float *restrict bias", "int n"};
    rf_emit_signature(cb, head, params, 5);
    emit_product_call(cb, p, "out[0]", op->out_dim, "bias", "in[0]", op->in_dim, "1", "weight[0]", op->out_dim, "n",
                      op->out_dim, op->in_dim, "TILE_ROWS", "1");
    rf_cb_line(cb, "OMP_BARRIER");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dense_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char head[160], in_grad[128], weight_grad[128], weight_t[128], out_grad[128], in[128], weight[128];
    rf_cb_line(cb, "/* weight_grad = in^T out_grad, bias_grad = column sums of out_grad%s",
               op->input_grad ? "," : "");
    if (op->input_grad)
        rf_cb_line(cb, " * in_grad = out_grad weight^T */");
    else
        rf_cb_line(cb, " * (the first dense layer: its input needs no gradient) */");
    snprintf(head, sizeof head, "static void %s_%s_backward(", p->name, op->name);
    snprintf(in_grad, sizeof in_grad, "float (*restrict in_grad)[%s]", op->in_dim);
    snprintf(weight_grad, sizeof weight_grad, "float (*restrict weight_grad)[%s]", op->out_dim);
    snprintf(weight_t, sizeof weight_t, "float (*restrict weight_t)[%s]", op->in_dim);
    snprintf(out_grad, sizeof out_grad, "const float (*restrict out_grad)[%s]", op->out_dim);
    snprintf(in, sizeof in, "const float (*restrict in)[%s]", op->in_dim);
    snprintf(weight, sizeof weight, "const float (*restrict weight)[%s]", op->out_dim);
    const char *params[9];
    int n = 0;
    if (op->input_grad)
        params[n++] = in_grad;
    params[n++] = weight_grad;
    params[n++] = "float *restrict bias_grad";
    if (op->input_grad)
        params[n++] = weight_t;
    params[n++] = out_grad;
    params[n++] = in;
    if (op->input_grad)
        params[n++] = weight;
    params[n++] = "int n";
    rf_emit_signature(cb, head, params, n);

    if (op->input_grad) {
        rf_cb_line(cb, "/* weight_t = weight transposed: the input gradient becomes a row-major product too */");
        rf_cb_line(cb, "OMP_FOR");
        rf_cb_line(cb, "for (int j = 0; j < %s; j++)", op->out_dim);
        rf_cb_line(cb, "    for (int k = 0; k < %s; k++)", op->in_dim);
        rf_cb_line(cb, "        weight_t[j][k] = weight[k][j];");
        rf_cb_line(cb, "");
    }
    rf_cb_line(cb, "/* weight_grad = in^T out_grad, summing the batch rows in order; work tiles of MR rows");
    rf_cb_line(cb, " * x NR columns, row block by row block (a thread keeps MR columns of in in cache) */");
    emit_product_call(cb, p, "weight_grad[0]", op->out_dim, "NULL", "in[0]", "1", op->in_dim, "out_grad[0]",
                      op->out_dim, op->in_dim, op->out_dim, "n", "MR", "0");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* bias_grad = column sums of out_grad, rows in order, SUM_COLS columns at a time */");
    rf_cb_line(cb, "enum { SUM_COLS = 32 };");
    const int whole = op->layer->out % 32 == 0;
    rf_cb_line(cb, "OMP_FOR_NOWAIT");
    rf_cb_open(cb, "for (int c0 = 0; c0 < %s; c0 += SUM_COLS) {", op->out_dim);
    const char *cols = "SUM_COLS";
    if (!whole) {
        rf_cb_line(cb, "const int left = %s - c0;", op->out_dim);
        rf_cb_line(cb, "const int cols = left < SUM_COLS ? left : SUM_COLS;");
        cols = "cols";
    }
    rf_cb_line(cb, "float sum[SUM_COLS] = {0};");
    rf_cb_line(cb, "for (int r = 0; r < n; r++)");
    rf_cb_line(cb, "    for (int j = 0; j < %s; j++)", cols);
    rf_cb_line(cb, "        sum[j] += out_grad[r][c0 + j];");
    rf_cb_line(cb, "for (int j = 0; j < %s; j++)", cols);
    rf_cb_line(cb, "    bias_grad[c0 + j] = sum[j];");
    rf_cb_close(cb, "}");
    if (op->input_grad) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* in_grad = out_grad weight^T, in the work tiles of the forward */");
        emit_product_call(cb, p, "in_grad[0]", op->in_dim, "NULL", "out_grad[0]", op->out_dim, "1", "weight_t[0]",
                          op->in_dim, "n", op->in_dim, op->out_dim, "TILE_ROWS", "1");
    }
    rf_cb_line(cb, "OMP_BARRIER");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dense_forward_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char name[128], out[96], in[96], weight[96], bias[96];
    snprintf(name, sizeof name, "%s_%s_forward", p->name, op->name);
    const char *args[] = {rf_plan_ref(p, op->out, out, sizeof out), rf_plan_ref(p, op->in, in, sizeof in),
                          rf_plan_ref(p, op->weight, weight, sizeof weight),
                          rf_plan_ref(p, op->bias, bias, sizeof bias), "n"};
    rf_emit_call(cb, name, args, 5);
}

static void dense_backward_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char name[128], bufs[7][96];
    snprintf(name, sizeof name, "%s_%s_backward", p->name, op->name);
    const char *args[9];
    int n = 0;
    if (op->input_grad)
        args[n++] = rf_plan_ref(p, op->in_grad, bufs[0], sizeof bufs[0]);
    args[n++] = rf_plan_ref(p, op->weight_grad, bufs[1], sizeof bufs[1]);
    args[n++] = rf_plan_ref(p, op->bias_grad, bufs[2], sizeof bufs[2]);
    if (op->input_grad)
        args[n++] = rf_plan_ref(p, op->weight_t, bufs[3], sizeof bufs[3]);
    args[n++] = rf_plan_ref(p, op->out_grad, bufs[4], sizeof bufs[4]);
    args[n++] = rf_plan_ref(p, op->in, bufs[5], sizeof bufs[5]);
    if (op->input_grad)
        args[n++] = rf_plan_ref(p, op->weight, bufs[6], sizeof bufs[6]);
    args[n++] = "n";
    rf_emit_call(cb, name, args, n);
}

const rf_layer_emitter rf_dense_emitter = {
    .kind = RF_LAYER_DENSE,
    .describe = dense_describe,
    .shapes = dense_shapes,
    .helpers = dense_helpers,
    .forward = dense_forward,
    .backward = dense_backward,
    .forward_call = dense_forward_call,
    .backward_call = dense_backward_call,
};
