/* The optimizer update with run-time sizes (SPEC 1a): sgd (momentum,
 * dampening, nesterov), adam and adamw, with per-tensor l2, l1 and
 * l1_prox, one fused pass per tensor. Every element is independent, so
 * the loops split over threads freely and the result is the same bits on
 * any number of threads. */
#include "generic_kernels.h"

#include <math.h>

#define UPDATE_PARALLEL_MIN RF_GK_PARALLEL_MIN

static inline float sign_of(float w)
{
    return (float)((w > 0.0f) - (w < 0.0f)); /* sign(0) = 0 */
}

/* The proximal step of thr*|w|: sign(w)*max(|w| - thr, 0). Exact zeros
 * for |w| <= thr; a NaN stays NaN (a diverged run must not turn into
 * zeros). */
static inline float shrink(float w, float thr)
{
    const float a = fabsf(w) - thr;
    return a > 0.0f ? sign_of(w) * a : a == a ? sign_of(w) * 0.0f : w;
}

/* sgd without momentum: w -= lr*d */
static void sgd_plain(float *restrict w, const float *restrict grad, long size, float lr,
                      float l2, float l1, int prox, float thr)
{
#pragma omp parallel for schedule(static) if (size >= UPDATE_PARALLEL_MIN)                     \
    firstprivate(lr, l2, l1, prox, thr)
    for (long i = 0; i < size; i++) {
        float wi = w[i];
        const float d = grad[i] + l2 * wi + l1 * sign_of(wi);
        wi -= lr * d;
        w[i] = prox ? shrink(wi, thr) : wi;
    }
}

/* sgd with a momentum buffer b: b = b_scale*b + d_scale*d, which is
 * momentum*b + (1 - dampening)*d, or at the first update (b_scale 0,
 * d_scale 1, b zeroed by init) exactly d: arithmetic rather than a select
 * on a load, so that the loop vectorises. Then d = nesterov ? d +
 * momentum*b : b; w -= lr*d. */
static void sgd_momentum(float *restrict w, const float *restrict grad, float *restrict b,
                         long size, float lr, float l2, float l1, int prox, float thr,
                         float momentum, float b_scale, float d_scale, int nesterov)
{
#pragma omp parallel for schedule(static) if (size >= UPDATE_PARALLEL_MIN)                     \
    firstprivate(lr, l2, l1, prox, thr, momentum, b_scale, d_scale, nesterov)
    for (long i = 0; i < size; i++) {
        float wi = w[i];
        float d = grad[i] + l2 * wi + l1 * sign_of(wi);
        const float bi = b_scale * b[i] + d_scale * d;
        b[i] = bi;
        d = nesterov ? d + momentum * bi : bi;
        wi -= lr * d;
        w[i] = prox ? shrink(wi, thr) : wi;
    }
}

/* adam (decay = 1: l2 coupled into d) and adamw (l2 = 0, decay = 1 - lr*l2):
 * m = beta1*m + (1 - beta1)*d; v = beta2*v + (1 - beta2)*d*d;
 * w -= step_size * m / (sqrt(v)/bc2_sqrt + eps), as torch computes it.
 * (This loop stays scalar: sqrtf may set errno, which the vectoriser
 * cannot drop without -fno-math-errno.) */
static void adam(float *restrict w, const float *restrict grad, float *restrict m,
                 float *restrict v, long size, float l2, float l1, int prox, float thr,
                 float decay, float beta1, float one_minus_beta1, float beta2,
                 float one_minus_beta2, float step_size, float bc2_sqrt, float eps)
{
#pragma omp parallel for schedule(static) if (size >= UPDATE_PARALLEL_MIN)                     \
    firstprivate(l2, l1, prox, thr, decay, beta1, one_minus_beta1, beta2, one_minus_beta2,      \
                 step_size, bc2_sqrt, eps)
    for (long i = 0; i < size; i++) {
        float wi = w[i] * decay;
        const float d = grad[i] + l2 * wi + l1 * sign_of(wi);
        const float mi = beta1 * m[i] + one_minus_beta1 * d;
        const float vi = beta2 * v[i] + one_minus_beta2 * d * d;
        m[i] = mi;
        v[i] = vi;
        wi -= step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
        w[i] = prox ? shrink(wi, thr) : wi;
    }
}

void rf_gk_update(const rf_gk_optimizer *o, const rf_gk_decay *d, uint64_t t, float *w,
                  const float *grad, float *state0, float *state1, long size)
{
    const float lr = (float)o->lr, l1 = (float)d->l1;
    const int prox = d->l1_prox != 0;
    const float thr = (float)(o->lr * d->l1_prox);
    if (o->kind == RF_OPT_SGD) {
        const float l2 = (float)d->l2;
        if (!state0)
            sgd_plain(w, grad, size, lr, l2, l1, prox, thr);
        else if (t == 1) /* b = d */
            sgd_momentum(w, grad, state0, size, lr, l2, l1, prox, thr, (float)o->momentum,
                         0.0f, 1.0f, o->nesterov != 0);
        else
            sgd_momentum(w, grad, state0, size, lr, l2, l1, prox, thr, (float)o->momentum,
                         (float)o->momentum, (float)(1 - o->dampening), o->nesterov != 0);
        return;
    }
    /* adam, adamw: the bias corrections of update t */
    const double tt = (double)t;
    const float step_size = (float)(o->lr / (1 - pow(o->beta1, tt)));
    const float bc2_sqrt = (float)sqrt(1 - pow(o->beta2, tt));
    const int decoupled = o->kind == RF_OPT_ADAMW;
    adam(w, grad, state0, state1, size, decoupled ? 0.0f : (float)d->l2, l1, prox, thr,
         decoupled ? (float)(1 - o->lr * d->l2) : 1.0f, (float)o->beta1,
         (float)(1 - o->beta1), (float)o->beta2, (float)(1 - o->beta2), step_size, bc2_sqrt,
         (float)o->eps);
}
