/* Trains linreg (linreg.yaml) on the d2l synthetic data with the generated training code
 * and writes the parameters to the checkpoint named on the command line. */
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint.h" /* regfitc::runtime */
#include "dataset.h"
#include "linreg.h"     /* generated */

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.ckpt\n", argv[0]);
        return 2;
    }
    /* the data of linreg.yaml's synthetic_linear: w = 2 for every feature, b = 4.2 */
    rf_datasets data;
    if (rf_synthetic_linear(1, LINREG_INPUTS, 1000, 100, 2.0, 4.2, 0.01, &data) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    linreg_model *m = malloc(sizeof *m);
    if (!m)
        return 1;
    linreg_init(m, 1); /* hyperparameters: the model file's (lr 0.03) */

    const rf_dataset *tr = &data.train;
    for (int epoch = 1; epoch <= 3; epoch++) {
        double sum = 0;
        for (int i = 0; i < tr->n; i += LINREG_BATCH) {
            int n = tr->n - i < LINREG_BATCH ? tr->n - i : LINREG_BATCH;
            sum += (double)linreg_train_step(m, tr->x + (size_t)i * LINREG_INPUTS, tr->y + i, n) * n;
        }
        printf("epoch %d, train loss %f\n", epoch, sum / tr->n);
    }

    /* the parameters, in the model's order, as regfitc --emit-inference --load reads them */
    const char *names[LINREG_NUM_PARAMS];
    int sizes[LINREG_NUM_PARAMS];
    float *params[LINREG_NUM_PARAMS];
    for (int i = 0; i < LINREG_NUM_PARAMS; i++) {
        names[i] = linreg_param_name(i);
        sizes[i] = linreg_param_size(i);
        params[i] = linreg_param(m, i);
    }
    rf_ckpt ck = {.n_params = LINREG_NUM_PARAMS, .names = names, .sizes = sizes, .data = params,
                  .updates = linreg_updates(m), .forward_steps = linreg_forward_steps(m), .epochs = 3};
    char err[512];
    int rc = rf_ckpt_save(argv[1], &ck, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    free(m);
    rf_datasets_free(&data);
    return rc != 0;
}
