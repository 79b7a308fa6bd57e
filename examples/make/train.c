/* Trains fashion_mlp (fashion.yaml) on Fashion-MNIST with the generated code, reports the
 * test accuracy after each epoch and writes the parameters to a checkpoint, which
 * `regfitc --emit-inference --load FILE fashion.yaml` turns into inference-only C.
 *
 *   ./train_fashion DATA_DIR OUT.ckpt [EPOCHS]     (DATA_DIR: the four *-ubyte.gz files) */
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint.h"  /* regfitc's runtime (pkg-config regfitc) */
#include "dataset.h"
#include "fashion_mlp.h" /* generated */

typedef struct {
    float *x; /* (n, 784) in [0, 1] */
    int32_t *y;
    int n;
} images;

static int load(const char *dir, const char *set, images *d)
{
    char path[4096], err[512];
    int n_labels, rows, cols;
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, set);
    if (rf_idx_load_images(path, &d->x, &d->n, &rows, &cols, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, set);
    if (rf_idx_load_labels(path, &d->y, &n_labels, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (rows * cols != FASHION_MLP_INPUTS || n_labels != d->n) {
        fprintf(stderr, "%s: %d images of %dx%d, %d labels\n", set, d->n, rows, cols, n_labels);
        return -1;
    }
    return 0;
}

/* Fraction of d the model classifies right (predict: dropout off, logits out). */
static double accuracy(fashion_mlp_model *m, const images *d)
{
    static float logits[FASHION_MLP_BATCH * FASHION_MLP_OUTPUTS];
    int right = 0;
    for (int i = 0; i < d->n; i += FASHION_MLP_BATCH) {
        int n = d->n - i < FASHION_MLP_BATCH ? d->n - i : FASHION_MLP_BATCH;
        fashion_mlp_predict(m, d->x + (size_t)i * FASHION_MLP_INPUTS, n, logits);
        for (int r = 0; r < n; r++) {
            const float *z = logits + r * FASHION_MLP_OUTPUTS;
            int best = 0;
            for (int k = 1; k < FASHION_MLP_OUTPUTS; k++)
                best = z[k] > z[best] ? k : best;
            right += best == d->y[i + r];
        }
    }
    return (double)right / d->n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATA_DIR OUT.ckpt [EPOCHS]\n", argv[0]);
        return 2;
    }
    int epochs = argc > 3 ? atoi(argv[3]) : 2;
    images train, test;
    if (load(argv[1], "train", &train) != 0 || load(argv[1], "t10k", &test) != 0)
        return 1;
    fashion_mlp_model *m = malloc(sizeof *m); /* every buffer of the model: a few MiB */
    if (!m)
        return 1;
    fashion_mlp_init(m, 1); /* hyperparameters: the model file's */

    for (int epoch = 1; epoch <= epochs; epoch++) {
        double loss = 0;
        /* in file order; regfitc's own runs shuffle every epoch */
        for (int i = 0; i < train.n; i += FASHION_MLP_BATCH) {
            int n = train.n - i < FASHION_MLP_BATCH ? train.n - i : FASHION_MLP_BATCH;
            loss += (double)fashion_mlp_train_step(m, train.x + (size_t)i * FASHION_MLP_INPUTS, train.y + i, n) * n;
        }
        printf("epoch %d, loss %.4f, test acc %.3f\n", epoch, loss / train.n, accuracy(m, &test));
    }

    /* the parameters and the momentum buffers, as `regfitc --load` reads them */
    enum { N = FASHION_MLP_NUM_PARAMS + FASHION_MLP_NUM_STATE };
    const char *names[N];
    int sizes[N];
    float *data[N];
    for (int i = 0; i < N; i++) {
        int p = i < FASHION_MLP_NUM_PARAMS, j = p ? i : i - FASHION_MLP_NUM_PARAMS;
        names[i] = p ? fashion_mlp_param_name(j) : fashion_mlp_state_name(j);
        sizes[i] = p ? fashion_mlp_param_size(j) : fashion_mlp_state_size(j);
        data[i] = p ? fashion_mlp_param(m, j) : fashion_mlp_state(m, j);
    }
    rf_ckpt ck = {.n_params = FASHION_MLP_NUM_PARAMS, .n_state = FASHION_MLP_NUM_STATE, .names = names,
                  .sizes = sizes, .data = data, .updates = fashion_mlp_updates(m),
                  .forward_steps = fashion_mlp_forward_steps(m), .epochs = (uint32_t)epochs};
    char err[512];
    int rc = rf_ckpt_save(argv[2], &ck, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    free(m);
    free(train.x), free(train.y), free(test.x), free(test.y);
    return rc != 0;
}
