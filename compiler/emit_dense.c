/* The dense layer, y = x W + b with W [in][out], and the one place the
 * matrix-product tile is generated.
 *
 * Every product here is C = init + A B with B and C row-major and A either
 * row-major or read transposed:
 *     forward       out     = in weight + bias      A = in       (n x IN)
 *     weight grad   w_grad  = in^T out_grad         A = in^T     (IN x n)
 *     input grad    in_grad = out_grad weight^T     A = out_grad (n x OUT), B = weight transposed
 * C is cut into tiles of RF_TILE_ROWS x RF_TILE_COLS held in registers; a
 * tile sums over the depth in order, and each tile belongs to one thread, so
 * the result does not depend on the number of threads. The inner loop runs
 * over RF_TILE_COLS contiguous columns with fixed trip counts, which the
 * compiler turns into vector FMAs. A narrower tile handles the columns past
 * the last multiple of RF_TILE_COLS, a one-row tile the rows past the last
 * multiple of RF_TILE_ROWS. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

/* One product C = init + A B (see above). Rows or depth "n" are the batch
 * rows of the call; every other size is a constant. */
typedef struct {
    const char *what;          /* comment */
    const char *c, *init;      /* destination; init: a row added to every row, NULL for none */
    const char *a;             /* A's array */
    int a_transposed;          /* A(i, p) = a[p][i] instead of a[i][p] */
    const char *a_cols;        /* the row length of array a */
    const char *b;             /* B's array, [depth][cols] */
    const char *rows;          /* M: "n" or a constant */
    long rows_value;           /* its value, -1 for n */
    const char *cols;          /* N: a constant, also the row length of b and c */
    long cols_value;
    const char *depth;         /* K: "n" or a constant */
} rf_gemm;

/* The products of one dense layer: forward, weight gradient, input gradient. */
static int layer_gemms(const rf_plan_op *op, rf_gemm g[3])
{
    const rf_layer *L = op->layer;
    int count = 0;
    g[count++] = (rf_gemm){"out = in weight + bias", "out", "bias", "in", 0, op->in_dim, "weight",
                           "n", -1, op->out_dim, L->out, op->in_dim};
    if (op->backward)
        g[count++] = (rf_gemm){"weight_grad = in^T out_grad, summing the batch rows in order",
                               "weight_grad", NULL, "in", 1, op->in_dim, "out_grad",
                               op->in_dim, L->in, op->out_dim, L->out, "n"};
    if (op->input_grad)
        g[count++] = (rf_gemm){"in_grad = out_grad weight^T", "in_grad", NULL, "out_grad", 0, op->out_dim,
                               "weight_t", "n", -1, op->in_dim, L->in, op->out_dim};
    return count;
}

/* Which tiles (rows 1 or RF_TILE_ROWS, 1..RF_TILE_COLS columns) a product uses. */
typedef struct {
    int used[2][RF_TILE_COLS + 1]; /* [0]: RF_TILE_ROWS rows, [1]: one row */
} rf_tile_set;

static void gemm_widths(const rf_gemm *g, int *full, int *tail)
{
    *full = g->cols_value >= RF_TILE_COLS;
    *tail = (int)(g->cols_value % RF_TILE_COLS);
}

static void gemm_rows(const rf_gemm *g, int *block, int *single)
{
    if (g->rows_value < 0) {
        *block = *single = 1;
    } else {
        *block = g->rows_value >= RF_TILE_ROWS;
        *single = g->rows_value % RF_TILE_ROWS != 0;
    }
}

static void collect_tiles(const rf_plan *p, rf_tile_set *set)
{
    memset(set, 0, sizeof *set);
    for (int i = 0; i < p->n_ops; i++) {
        if (p->ops[i].layer->kind != RF_LAYER_DENSE)
            continue;
        rf_gemm g[3];
        int n = layer_gemms(&p->ops[i], g);
        for (int k = 0; k < n; k++) {
            int full, tail, block, single;
            gemm_widths(&g[k], &full, &tail);
            gemm_rows(&g[k], &block, &single);
            int widths[2] = {full ? RF_TILE_COLS : 0, tail};
            for (int w = 0; w < 2; w++) {
                if (!widths[w])
                    continue;
                set->used[0][widths[w]] |= block;
                set->used[1][widths[w]] |= single;
            }
        }
    }
}

static void emit_tile(rf_codebuf *cb, const rf_plan *p, int rows, int cols)
{
    rf_cb_line(cb, "/* A tile of %d row%s x %d columns. */", rows, rows > 1 ? "s" : "", cols);
    char head[128];
    snprintf(head, sizeof head, "static inline void %s_tile_%dx%d(", p->name, rows, cols);
    static const char *const params[] = {
        "float *restrict c", "ptrdiff_t c_row", "const float *restrict init",
        "const float *restrict a", "ptrdiff_t a_row", "ptrdiff_t a_step",
        "const float *restrict b", "ptrdiff_t b_row", "int depth",
    };
    rf_emit_signature(cb, head, params, 9);
    rf_cb_line(cb, "float acc[%d][%d];", rows, cols);
    rf_cb_line(cb, "for (int i = 0; i < %d; i++)", rows);
    rf_cb_line(cb, "    for (int j = 0; j < %d; j++)", cols);
    rf_cb_line(cb, "        acc[i][j] = init ? init[j] : 0.0f;");
    rf_cb_line(cb, "for (int p = 0; p < depth; p++)");
    rf_cb_line(cb, "    for (int i = 0; i < %d; i++)", rows);
    rf_cb_line(cb, "        for (int j = 0; j < %d; j++)", cols);
    rf_cb_line(cb, "            acc[i][j] += a[i * a_row + p * a_step] * b[p * b_row + j];");
    rf_cb_line(cb, "for (int i = 0; i < %d; i++)", rows);
    rf_cb_line(cb, "    for (int j = 0; j < %d; j++)", cols);
    rf_cb_line(cb, "        c[i * c_row + j] = acc[i][j];");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dense_helpers(rf_codebuf *cb, const rf_plan *p)
{
    rf_tile_set set;
    collect_tiles(p, &set);
    rf_cb_line(cb, "/* Matrix product tiles: for i < rows and j < columns,");
    rf_cb_line(cb, " *     c[i*c_row + j] = init[j] + sum over p < depth of a[i*a_row + p*a_step] * b[p*b_row + j]");
    rf_cb_line(cb, " * (init NULL: 0). a_row and a_step read A row-major or transposed. The sum over p runs in");
    rf_cb_line(cb, " * order in registers, so an element's value does not depend on the thread computing it. */");
    rf_cb_line(cb, "#define TILE_ROWS %d", RF_TILE_ROWS);
    rf_cb_line(cb, "#define TILE_COLS %d", RF_TILE_COLS);
    rf_cb_line(cb, "");
    for (int r = 0; r < 2; r++)
        for (int w = RF_TILE_COLS; w >= 1; w--)
            if (set.used[r][w])
                emit_tile(cb, p, r == 0 ? RF_TILE_ROWS : 1, w);
}

/* The call of one tile: a block of RF_TILE_ROWS rows from r0, or the single row r. */
static void emit_tile_call(rf_codebuf *cb, const rf_plan *p, const rf_gemm *g, int width, int block)
{
    const char *r = block ? "r0" : "r";
    char name[96], c[96], init[96], a[96], a_row[96], a_step[96], b[96];
    snprintf(name, sizeof name, "%s_tile_%dx%d", p->name, block ? RF_TILE_ROWS : 1, width);
    snprintf(c, sizeof c, "&%s[%s][c0]", g->c, r);
    if (g->init)
        snprintf(init, sizeof init, "&%s[c0]", g->init);
    else
        snprintf(init, sizeof init, "NULL");
    if (g->a_transposed) {
        snprintf(a, sizeof a, "&%s[0][%s]", g->a, r);
        snprintf(a_row, sizeof a_row, "1");
        snprintf(a_step, sizeof a_step, "%s", g->a_cols);
    } else {
        snprintf(a, sizeof a, "&%s[%s][0]", g->a, r);
        snprintf(a_row, sizeof a_row, "%s", g->a_cols);
        snprintf(a_step, sizeof a_step, "1");
    }
    snprintf(b, sizeof b, "&%s[0][c0]", g->b);
    const char *args[] = {c, g->cols, init, a, a_row, a_step, b, g->cols, g->depth};
    rf_emit_call(cb, name, args, 9);
}

/* The tile calls for one column width: blocks of rows, then row by row
 * past the last whole block. */
static void emit_tile_rows(rf_codebuf *cb, const rf_plan *p, const rf_gemm *g, int width)
{
    int block, single;
    gemm_rows(g, &block, &single);
    if (block && single) {
        rf_cb_open(cb, "if (r0 + TILE_ROWS <= %s)", g->rows);
        emit_tile_call(cb, p, g, width, 1);
        rf_cb_close(cb, "else");
        cb->indent++;
    }
    if (single) {
        rf_cb_open(cb, "for (int r = r0; r < %s; r++)", g->rows);
        emit_tile_call(cb, p, g, width, 0);
        cb->indent--;
    } else {
        emit_tile_call(cb, p, g, width, 1);
    }
    if (block && single)
        cb->indent--;
}

static void emit_gemm(rf_codebuf *cb, const rf_plan *p, const rf_gemm *g, const char *omp_for)
{
    int full, tail;
    gemm_widths(g, &full, &tail);
    rf_cb_line(cb, "const int row_tiles = (%s + TILE_ROWS - 1) / TILE_ROWS;", g->rows);
    rf_cb_line(cb, "const int col_tiles = (%s + TILE_COLS - 1) / TILE_COLS;", g->cols);
    rf_cb_line(cb, "%s", omp_for);
    rf_cb_open(cb, "for (int tile = 0; tile < row_tiles * col_tiles; tile++) {");
    rf_cb_line(cb, "const int r0 = tile %% row_tiles * TILE_ROWS;");
    rf_cb_line(cb, "const int c0 = tile / row_tiles * TILE_COLS;");
    if (full && tail) {
        rf_cb_open(cb, "if (c0 + TILE_COLS <= %s) {", g->cols);
        emit_tile_rows(cb, p, g, RF_TILE_COLS);
        rf_cb_close(cb, "} else { /* the last %d columns */", tail);
        cb->indent++;
        emit_tile_rows(cb, p, g, tail);
        rf_cb_close(cb, "}");
    } else {
        emit_tile_rows(cb, p, g, full ? RF_TILE_COLS : tail);
    }
    rf_cb_close(cb, "}");
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

static void dense_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char head[160], out[128], in[128], weight[128];
    rf_cb_line(cb, "/* out = in weight + bias, in register tiles */");
    snprintf(head, sizeof head, "static void %s_%s_forward(", p->name, op->name);
    snprintf(out, sizeof out, "float (*restrict out)[%s]", op->out_dim);
    snprintf(in, sizeof in, "const float (*restrict in)[%s]", op->in_dim);
    snprintf(weight, sizeof weight, "const float (*restrict weight)[%s]", op->out_dim);
    const char *params[] = {out, in, weight, "const float *restrict bias", "int n"};
    rf_emit_signature(cb, head, params, 5);
    rf_gemm g[3];
    layer_gemms(op, g);
    char omp_for[64];
    snprintf(omp_for, sizeof omp_for, "OMP_FOR");
    emit_gemm(cb, p, &g[0], omp_for);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dense_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char head[160], in_grad[128], weight_grad[128], weight_t[128], out_grad[128], in[128], weight[128];
    char omp_for[64], omp_nowait[64];
    snprintf(omp_for, sizeof omp_for, "OMP_FOR");
    snprintf(omp_nowait, sizeof omp_nowait, "OMP_FOR_NOWAIT");
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

    rf_gemm g[3];
    layer_gemms(op, g);
    if (op->input_grad) {
        rf_cb_line(cb, "/* weight_t = weight transposed: the input gradient becomes a row-major product too */");
        rf_cb_line(cb, "%s", omp_for);
        rf_cb_line(cb, "for (int j = 0; j < %s; j++)", op->out_dim);
        rf_cb_line(cb, "    for (int k = 0; k < %s; k++)", op->in_dim);
        rf_cb_line(cb, "        weight_t[j][k] = weight[k][j];");
        rf_cb_line(cb, "");
    }
    rf_cb_line(cb, "/* %s */", g[1].what);
    rf_cb_open(cb, "{");
    emit_gemm(cb, p, &g[1], omp_nowait);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    /* bias gradient: TILE_COLS column sums at a time, so the loop over a row's columns vectorises */
    const int out = op->layer->out, whole = out % RF_TILE_COLS == 0;
    rf_cb_line(cb, "/* bias_grad = column sums of out_grad, rows in order, TILE_COLS columns at a time */");
    rf_cb_line(cb, "%s", op->input_grad ? omp_nowait : omp_for);
    rf_cb_open(cb, "for (int c0 = 0; c0 < %s; c0 += TILE_COLS) {", op->out_dim);
    const char *cols = "TILE_COLS";
    if (!whole) {
        rf_cb_line(cb, "const int left = %s - c0;", op->out_dim);
        rf_cb_line(cb, "const int cols = left < TILE_COLS ? left : TILE_COLS;");
        cols = "cols";
    }
    rf_cb_line(cb, "float sum[TILE_COLS] = {0};");
    rf_cb_line(cb, "for (int r = 0; r < n; r++)");
    rf_cb_line(cb, "    for (int j = 0; j < %s; j++)", cols);
    rf_cb_line(cb, "        sum[j] += out_grad[r][c0 + j];");
    rf_cb_line(cb, "for (int j = 0; j < %s; j++)", cols);
    rf_cb_line(cb, "    bias_grad[c0 + j] = sum[j];");
    rf_cb_close(cb, "}");
    if (op->input_grad) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* %s */", g[2].what);
        rf_cb_open(cb, "{");
        emit_gemm(cb, p, &g[2], omp_for);
        rf_cb_close(cb, "}");
    }
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
