/* Predicts with the inference-only code: the trained parameters are compiled into
 * linreg_infer.c, so this program needs no checkpoint and no regfitc runtime. */
#include <math.h>
#include <stdio.h>

#include "linreg_infer.h" /* generated with the checkpoint's parameters */

int main(void)
{
    enum { N = 3 };
    float x[N][LINREG_INFER_INPUTS] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0.5f, -1, 2, 0.25f}};
    float y[N][LINREG_INFER_OUTPUTS];
    float workspace[LINREG_INFER_WORKSPACE];
    linreg_infer(&x[0][0], N, &y[0][0], workspace);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float want = 4.2f;
        for (int j = 0; j < LINREG_INFER_INPUTS; j++)
            want += 2 * x[i][j];
        printf("x = (%g, %g, %g, %g): predicted %.4f, true %.4f\n", x[i][0], x[i][1], x[i][2], x[i][3], y[i][0],
               want);
        bad |= fabsf(y[i][0] - want) > 0.05f;
    }
    return bad;
}
