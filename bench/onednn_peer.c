/* The seed MLP's 8 matrix products in oneDNN alone, against the whole generated training step,
 * interleaved in one process (issue 15, item 2). Built and run by bench/onednn_peer.sh.
 *
 * A step of 784-256-256-10 at batch 256 holds these products (row-major, W is [in][out]):
 *   forward   Y1 = X W1 (256x784 . 784x256), Y2 = H1 W2, Y3 = H2 W3
 *   backward  dW3 = H2^T dY3, dX3 = dY3 W3^T, dW2 = H1^T dY2, dX2 = dY2 W2^T, dW1 = X^T dY1
 * (no input gradient for the first layer). oneDNN gets them as matmul primitives on the plain
 * row-major buffers, the transposes given as strides, created once before timing: nothing else
 * of the step (no bias, activation, dropout, loss or update), so the ratio flatters oneDNN.
 * The weights stay in plain layout because training changes them every step; a packed layout
 * would have to be redone per step.
 *
 * fp32 always; bf16 inputs with fp32 results only where the CPU has AVX512_BF16 (cpuid), since
 * elsewhere oneDNN emulates or refuses them and the row would say nothing; otherwise "skipped".
 * The bf16 row times the generated bf16 step (generated/mlp_dropout_bf16.c, the seed MLP at
 * precision bf16: its products on VDPBF16PS) against oneDNN's bf16 products, and says how it
 * compares with the fp32 step of the row above.
 *
 * Timing: at 1 and at 2 threads (omp_set_num_threads; the generated code and oneDNN share one
 * OpenMP runtime here), alternating blocks of BLOCK steps of each side with 2 warm-up steps per
 * block, median ms per step of each over all blocks. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "mlp_dropout.h"
#include "mlp_dropout_bf16.h"

#include <cpuid.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

enum { BATCH = MLP_DROPOUT_BATCH, IN = 784, HID = 256, OUT = 10, BATCHES = 8, BLOCK = 10, PRODUCTS = 8 };

#define CHECK(call)                                                                            \
    do {                                                                                       \
        dnnl_status_t st_ = (call);                                                            \
        if (st_ != dnnl_success) {                                                             \
            fprintf(stderr, "onednn_peer: %s failed (status %d) at line %d\n", #call, (int)st_, \
                    __LINE__);                                                                 \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

static int read_gz(const char *path, long skip, void *buf, unsigned len)
{
    gzFile f = gzopen(path, "rb");
    int ok = f && gzseek(f, skip, SEEK_SET) == skip && gzread(f, buf, len) == (int)len;
    if (f)
        gzclose(f);
    return ok;
}

/* AVX512_BF16: cpuid leaf 7, sub-leaf 1, eax bit 5. */
static int cpu_has_avx512_bf16(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
        return 0;
    return (a >> 5) & 1;
}

/* One product C (m x n) = A (m x k) B (k x n), A and B given by their row and column strides. */
typedef struct {
    const char *name;
    dnnl_dim_t m, n, k;
    dnnl_dim_t a_stride[2], b_stride[2]; /* element strides of rows and columns */
    int a_buf, b_buf, c_buf;             /* indices into the buffer table */
} product;

/* The buffers the products read and write, fp32; in bf16 mode A and B read bf16 copies. */
enum { X, W1, W2, W3, H1, H2, Y3, DY1, DY2, DY3, DW1, DW2, DW3, DX2, DX3, Y1, Y2, NBUF };
static const dnnl_dim_t buf_size[NBUF] = {
    [X] = BATCH * IN,   [W1] = IN * HID,   [W2] = HID * HID,  [W3] = HID * OUT,  [H1] = BATCH * HID,
    [H2] = BATCH * HID, [Y3] = BATCH * OUT, [DY1] = BATCH * HID, [DY2] = BATCH * HID, [DY3] = BATCH * OUT,
    [DW1] = IN * HID,   [DW2] = HID * HID, [DW3] = HID * OUT, [DX2] = BATCH * HID, [DX3] = BATCH * HID,
    [Y1] = BATCH * HID, [Y2] = BATCH * HID,
};

static const product products[PRODUCTS] = {
    {"Y1 = X W1", BATCH, HID, IN, {IN, 1}, {HID, 1}, X, W1, Y1},
    {"Y2 = H1 W2", BATCH, HID, HID, {HID, 1}, {HID, 1}, H1, W2, Y2},
    {"Y3 = H2 W3", BATCH, OUT, HID, {HID, 1}, {OUT, 1}, H2, W3, Y3},
    {"dW3 = H2^T dY3", HID, OUT, BATCH, {1, HID}, {OUT, 1}, H2, DY3, DW3},
    {"dX3 = dY3 W3^T", BATCH, HID, OUT, {OUT, 1}, {1, OUT}, DY3, W3, DX3},
    {"dW2 = H1^T dY2", HID, HID, BATCH, {1, HID}, {HID, 1}, H1, DY2, DW2},
    {"dX2 = dY2 W2^T", BATCH, HID, HID, {HID, 1}, {1, HID}, DY2, W2, DX2},
    {"dW1 = X^T dY1", IN, HID, BATCH, {1, IN}, {HID, 1}, X, DY1, DW1},
};

typedef struct {
    dnnl_primitive_t prim[PRODUCTS];
    dnnl_memory_t mem[PRODUCTS][3];
} onednn_step;

/* Creates the 8 matmul primitives over buffers f32 (outputs) and in (inputs: f32 or bf16). */
static void onednn_step_create(onednn_step *s, dnnl_engine_t eng, dnnl_data_type_t in_type, void *const *in,
                               float *const *f32)
{
    for (int p = 0; p < PRODUCTS; p++) {
        const product *q = &products[p];
        dnnl_memory_desc_t a_md, b_md, c_md;
        dnnl_dims_t a_dims = {q->m, q->k}, b_dims = {q->k, q->n}, c_dims = {q->m, q->n};
        dnnl_dims_t c_stride = {q->n, 1};
        CHECK(dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, in_type, q->a_stride));
        CHECK(dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, in_type, q->b_stride));
        CHECK(dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, dnnl_f32, c_stride));
        dnnl_matmul_desc_t desc;
        CHECK(dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md));
        dnnl_primitive_desc_t pd;
        CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, eng, NULL));
        CHECK(dnnl_primitive_create(&s->prim[p], pd));
        CHECK(dnnl_primitive_desc_destroy(pd));
        CHECK(dnnl_memory_create(&s->mem[p][0], &a_md, eng, in[q->a_buf]));
        CHECK(dnnl_memory_create(&s->mem[p][1], &b_md, eng, in[q->b_buf]));
        CHECK(dnnl_memory_create(&s->mem[p][2], &c_md, eng, f32[q->c_buf]));
    }
}

static void onednn_step_run(const onednn_step *s, dnnl_stream_t stream)
{
    for (int p = 0; p < PRODUCTS; p++) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, s->mem[p][0]},
                                   {DNNL_ARG_WEIGHTS, s->mem[p][1]},
                                   {DNNL_ARG_DST, s->mem[p][2]}};
        CHECK(dnnl_primitive_execute(s->prim[p], stream, 3, args));
    }
    CHECK(dnnl_stream_wait(stream));
}

static void onednn_step_destroy(onednn_step *s)
{
    for (int p = 0; p < PRODUCTS; p++) {
        dnnl_primitive_destroy(s->prim[p]);
        for (int j = 0; j < 3; j++)
            dnnl_memory_destroy(s->mem[p][j]);
    }
}

/* bf16 = the high half of the fp32 pattern, rounded to nearest even (inputs are finite). */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

typedef struct {
    mlp_dropout_model *model;
    mlp_dropout_bf16_model *bf16_model; /* NULL: the fp32 step */
    const float *x;
    const int32_t *y;
    const onednn_step *dnn;
    dnnl_stream_t stream;
} sides;

/* Runs `blocks` alternating blocks; t_gen and t_dnn get blocks * BLOCK times each. */
static void timed_blocks(const sides *sd, int blocks, double *t_gen, double *t_dnn)
{
    int k = 0;
    for (int b = 0; b < blocks; b++) {
        for (int side = 0; side < 2; side++) {
            const int gen = (side == 0) == (b % 2 == 0); /* which goes first alternates too */
            for (int s = -2; s < BLOCK; s++) {
                const double t0 = now();
                if (gen) {
                    k = (k + 1) % BATCHES;
                    if (sd->bf16_model)
                        mlp_dropout_bf16_train_step(sd->bf16_model, sd->x + (size_t)k * BATCH * IN,
                                                    sd->y + (size_t)k * BATCH, BATCH);
                    else
                        mlp_dropout_train_step(sd->model, sd->x + (size_t)k * BATCH * IN, sd->y + (size_t)k * BATCH,
                                               BATCH);
                } else {
                    onednn_step_run(sd->dnn, sd->stream);
                }
                const double dt = now() - t0;
                if (s >= 0)
                    (gen ? t_gen : t_dnn)[b * BLOCK + s] = dt;
            }
        }
    }
}

int main(int argc, char **argv)
{
    const int steps = argc > 1 ? atoi(argv[1]) : 200;
    const char *dir = getenv("REGFIT_DATA") ? getenv("REGFIT_DATA") : "/usr/share/datasets/fashion-mnist";
    if (steps < BLOCK || steps > 100000) {
        fprintf(stderr, "usage: onednn_peer [STEPS]  (%d to 100000, default 200)\n", BLOCK);
        return 2;
    }
    const int blocks = steps / BLOCK;
    static unsigned char pixels[BATCHES * BATCH * IN], labels[BATCHES * BATCH];
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    int ok = read_gz(path, 16, pixels, sizeof pixels);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    ok = ok && read_gz(path, 8, labels, sizeof labels);
    if (!ok) {
        fprintf(stderr, "onednn_peer: needs Fashion-MNIST in %s (or REGFIT_DATA)\n", dir);
        return 1;
    }
    float *x = malloc(sizeof(float) * sizeof pixels);
    int32_t *y = malloc(sizeof(int32_t) * sizeof labels);
    mlp_dropout_model *model = aligned_alloc(64, (sizeof *model + 63) / 64 * 64);
    mlp_dropout_bf16_model *bf16_model = aligned_alloc(64, (sizeof *bf16_model + 63) / 64 * 64);
    double *t_gen = malloc(sizeof(double) * blocks * BLOCK), *t_dnn = malloc(sizeof(double) * blocks * BLOCK);
    float *f32[NBUF];
    uint16_t *bf16[NBUF];
    if (!x || !y || !model || !bf16_model || !t_gen || !t_dnn)
        return 1;
    for (size_t i = 0; i < sizeof pixels; i++)
        x[i] = pixels[i] / 255.0f;
    for (size_t i = 0; i < sizeof labels; i++)
        y[i] = labels[i];
    mlp_dropout_init(model, 1);
    mlp_dropout_bf16_init(bf16_model, 1);

    /* oneDNN's operands: the first real batch as X, small values elsewhere (the time of a
     * dense product does not depend on them) */
    for (int i = 0; i < NBUF; i++) {
        f32[i] = aligned_alloc(64, (buf_size[i] * sizeof(float) + 63) / 64 * 64);
        bf16[i] = aligned_alloc(64, (buf_size[i] * sizeof(uint16_t) + 63) / 64 * 64);
        if (!f32[i] || !bf16[i])
            return 1;
        for (dnnl_dim_t j = 0; j < buf_size[i]; j++) {
            f32[i][j] = i == X ? x[j] : 0.01f * (float)((j * 7 + i) % 13 - 6);
            bf16[i][j] = to_bf16(f32[i][j]);
        }
    }
    double flops = 0;
    for (int p = 0; p < PRODUCTS; p++)
        flops += 2.0 * products[p].m * products[p].n * products[p].k;

    dnnl_engine_t eng;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d against generated/mlp_dropout.c: the step's %d products, %.1f MFLOP; "
           "%d blocks of %d steps a side\n",
           v->major, v->minor, v->patch, PRODUCTS, flops * 1e-6, blocks, BLOCK);

    const int has_bf16 = cpu_has_avx512_bf16();
    double fp32_step[3] = {0};
    for (int mode = 0; mode < 2; mode++) {
        if (mode == 1 && !has_bf16) {
            printf("bf16: skipped (this CPU has no AVX512_BF16)\n");
            break;
        }
        for (int threads = 1; threads <= 2; threads++) {
            /* created after the thread count is set: oneDNN may pick its blocking for it */
            omp_set_num_threads(threads);
            onednn_step dnn;
            onednn_step_create(&dnn, eng, mode ? dnnl_bf16 : dnnl_f32,
                               mode ? (void *const *)bf16 : (void *const *)f32, f32);
            const sides sd = {model, mode ? bf16_model : NULL, x, y, &dnn, stream};
            timed_blocks(&sd, blocks, t_gen, t_dnn);
            const double g = median(t_gen, blocks * BLOCK), d = median(t_dnn, blocks * BLOCK);
            printf("%s, %d thread%s: regfitc step %.3f ms, oneDNN products %.3f ms (%.1f GFLOP/s); "
                   "regfitc step / oneDNN products %.3f (regfitc %.2fx as fast)",
                   mode ? "bf16" : "fp32", threads, threads > 1 ? "s" : "", g * 1e3, d * 1e3, flops / d * 1e-9,
                   g / d, d / g);
            if (mode)
                printf("; the bf16 step %.2fx as fast as the fp32 step above", fp32_step[threads] / g);
            else
                fp32_step[threads] = g;
            printf("\n");
            onednn_step_destroy(&dnn);
        }
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    for (int i = 0; i < NBUF; i++) {
        free(f32[i]);
        free(bf16[i]);
    }
    free(x);
    free(y);
    free(model);
    free(bf16_model);
    free(t_gen);
    free(t_dnn);
    return 0;
}
