/* The checker, top level: name, input, batch, layers, loss, optimizer,
 * precision, decay, train; then data (check_data.c) and the cross checks
 * (check_cross.c). Every section is checked even after an error in
 * another, so one run reports every problem of the file. */
#include "check_internal.h"

#include <float.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"name", "input", "batch", "layers", "loss",
                                       "optimizer", "decay", "train", "data", "precision", NULL};
static const char *const top_required[] = {"name", "input", "batch", "layers", "loss",
                                           "optimizer", NULL};

/* Indexed by rf_layer_kind and rf_optimizer_kind. */
#define NAME(E, name) name,
static const char *const layer_kinds[] = {RF_LAYER_KINDS(NAME) NULL};
static const char *const optimizer_kinds[] = {RF_OPTIMIZERS(NAME) NULL};
#undef NAME
static const char *const init_kinds[] = {"normal", "uniform", "constant", NULL};
static const char *const loss_names[] = {"squared", "softmax_cross_entropy", NULL};
static const char *const precision_names[] = {"fp32", "bf16", NULL}; /* by rf_precision */

static void set_pos(rf_pos *p, const rf_ynode *n)
{
    p->line = n->line;
    p->col = n->col;
}

/* ---- layers ---- */

static int check_init(rf_checker *c, const rf_ynode *n, const char *what, rf_init *out)
{
    const rf_ynode *v;
    int k = ck_one_of(c, n, what, init_kinds, &v);
    if (k < 0)
        return -1;
    double x;
    if (k == RF_INIT_CONSTANT) {
        if (ck_number(c, v, init_kinds[k], &x) < 0)
            return -1;
    } else if (ck_range(c, v, k == RF_INIT_NORMAL ? "normal (the standard deviation)"
                                                   : "uniform (the half-width A)",
                        0, 0, INFINITY, 0, &x) < 0) {
        return -1;
    }
    out->kind = (rf_init_kind)k;
    out->value = x;
    set_pos(&out->pos, n);
    return 0;
}

static int check_units(rf_checker *c, const rf_ynode *n, rf_layer *L)
{
    long long units;
    if (ck_int(c, n, "units", 1, RF_MAX_COUNT, &units) < 0)
        return -1;
    L->units = (int)units;
    return 0;
}

static int check_dense(rf_checker *c, const rf_ynode *v, rf_layer *L)
{
    static const char *const keys[] = {"units", "name", "init", "bias_init", NULL};
    static const char *const required[] = {"units", NULL};
    if (v->kind == RF_YNODE_SCALAR && !ck_is_null(v))
        return check_units(c, v, L);
    if (v->kind != RF_YNODE_MAPPING) {
        char buf[96];
        ck_error(c, v, "dense: expected units (dense: 256) or a mapping (dense: {units: 256, "
                       "name: ...}), got %s", ck_describe(v, buf, sizeof buf));
        return -1;
    }
    ck_keys(c, v, "dense", keys, required);
    /* Only the units decide the shapes the cross checks need; a bad name
     * or init is reported but leaves the layer usable for them. */
    const rf_ynode *n;
    int units_ok = (n = rf_ynode_get(v, "units")) && check_units(c, n, L) == 0;
    if ((n = rf_ynode_get(v, "name")))
        ck_name(c, n, "layer name", L->name);
    if ((n = rf_ynode_get(v, "init")))
        check_init(c, n, "init", &L->weight_init);
    if ((n = rf_ynode_get(v, "bias_init")))
        check_init(c, n, "bias_init", &L->bias_init);
    return units_ok ? 0 : -1;
}

static int check_dropout(rf_checker *c, const rf_ynode *v, rf_layer *L)
{
    static const char *const keys[] = {"p", NULL};
    if (v->kind == RF_YNODE_MAPPING) {
        if (ck_keys(c, v, "dropout", keys, keys) < 0 || !(v = rf_ynode_get(v, "p")))
            return -1;
    }
    return ck_range(c, v, "dropout p", 0, 0, 1, 0, &L->p);
}

/* leaky_relu, leaky_relu: 0.1 or leaky_relu: {alpha: 0.1}; alpha >= 0 (the
 * derivative is read from the output's sign, which needs alpha >= 0) */
static int check_leaky_relu(rf_checker *c, const rf_ynode *v, rf_layer *L)
{
    static const char *const keys[] = {"alpha", NULL};
    L->alpha = 0.01; /* torch.nn.LeakyReLU's default negative_slope */
    if (!v || ck_is_null(v) || (v->kind == RF_YNODE_MAPPING && v->n == 0))
        return 0;
    if (v->kind == RF_YNODE_MAPPING) {
        if (ck_keys(c, v, "leaky_relu", keys, keys) < 0 || !(v = rf_ynode_get(v, "alpha")))
            return -1;
    }
    return ck_range(c, v, "leaky_relu alpha", 0, 0, FLT_MAX, 0, &L->alpha);
}

static int check_layer(rf_checker *c, const rf_ynode *item, rf_layer *L)
{
    char buf[96], hint[96];
    set_pos(&L->pos, item);
    L->weight_init = (rf_init){RF_INIT_NORMAL, 0.01, L->pos};
    L->bias_init = (rf_init){RF_INIT_CONSTANT, 0, L->pos};
    const rf_ynode *key = item, *value = NULL;
    if (item->kind == RF_YNODE_MAPPING) {
        if (item->n == 0) {
            ck_error(c, item, "empty layer: expected a kind (dense, relu, leaky_relu, sigmoid, tanh, dropout)");
            return -1;
        }
        if (item->n > 1) {
            ck_error(c, item->keys[1],
                     "a layer has one key, its kind ('%s' here); put options inside it, "
                     "as in '- dense: {units: 256, name: hidden}'",
                     item->keys[0]->value);
            return -1;
        }
        key = item->keys[0];
        value = item->items[0];
    } else if (item->kind != RF_YNODE_SCALAR || ck_is_null(item)) {
        ck_error(c, item, "layer: expected a kind (relu) or a mapping (dense: 256), got %s",
                 ck_describe(item, buf, sizeof buf));
        return -1;
    }
    int k = ck_index_of(key->value, layer_kinds);
    if (k < 0) {
        ck_hint(hint, sizeof hint, key->value, layer_kinds);
        ck_error(c, key, "unknown layer kind '%.60s'%s (expected dense, relu, leaky_relu, sigmoid, "
                         "tanh or dropout)", key->value, hint);
        return -1;
    }
    L->kind = (rf_layer_kind)k;
    switch (L->kind) {
    case RF_LAYER_DENSE:
        if (!value) {
            ck_error(c, item, "dense needs its units: '- dense: 256' or '- dense: {units: 256}'");
            return -1;
        }
        return check_dense(c, value, L);
    case RF_LAYER_DROPOUT:
        if (!value) {
            ck_error(c, item, "dropout needs its drop probability: '- dropout: 0.5'");
            return -1;
        }
        return check_dropout(c, value, L);
    case RF_LAYER_LEAKY_RELU:
        return check_leaky_relu(c, value, L);
    default:
        if (value && !ck_is_null(value) &&
            !(value->kind == RF_YNODE_MAPPING && value->n == 0)) {
            ck_error(c, value, "%s takes no options, got %s", layer_kinds[k],
                     ck_describe(value, buf, sizeof buf));
            return -1;
        }
        return 0;
    }
}

static void check_layers(rf_checker *c, const rf_ynode *n)
{
    char buf[96];
    rf_model *m = c->m;
    if (n->kind != RF_YNODE_SEQUENCE) {
        ck_error(c, n, "layers: expected a list of layers, got %s",
                 ck_describe(n, buf, sizeof buf));
        return;
    }
    if (n->n == 0) {
        ck_error(c, n, "layers: the list is empty; a model needs at least one dense layer");
        return;
    }
    m->layers = calloc((size_t)n->n, sizeof *m->layers);
    if (!m->layers) {
        ck_error(c, n, "out of memory");
        return;
    }
    m->n_layers = n->n;
    int ok = 1;
    for (int i = 0; i < n->n; i++) {
        rf_layer *L = &m->layers[i];
        if (check_layer(c, n->items[i], L) < 0)
            ok = 0;
        /* Explicit names clash whatever else is wrong; clashes with the
         * automatic names denseK are found once those exist (check_cross.c). */
        for (int j = 0; L->name[0] && j < i; j++)
            if (!strcmp(m->layers[j].name, L->name)) {
                ck_error(c, n->items[i], "duplicate layer name '%s' (first used at line %d)",
                         L->name, m->layers[j].pos.line);
                break;
            }
    }
    c->layers_ok = ok;
}

/* ---- loss, optimizer, decay, train ---- */

static void check_loss(rf_checker *c, const rf_ynode *n)
{
    const char *v;
    if (ck_string(c, n, "loss", &v) < 0)
        return;
    int k = ck_index_of(v, loss_names);
    if (k < 0) {
        char hint[96];
        ck_hint(hint, sizeof hint, v, loss_names);
        ck_error(c, n, "unknown loss '%.60s'%s (expected squared or softmax_cross_entropy)", v,
                 hint);
        return;
    }
    c->m->loss = k == 0 ? RF_LOSS_SQUARED : RF_LOSS_SOFTMAX_CE;
    set_pos(&c->m->loss_pos, n);
    c->loss_ok = 1;
}

/* precision: fp32 (the default) or bf16, compiled in (SPEC 1c) */
static void check_precision(rf_checker *c, const rf_ynode *n)
{
    const char *v;
    if (ck_string(c, n, "precision", &v) < 0)
        return;
    int k = ck_index_of(v, precision_names);
    if (k < 0) {
        char hint[96];
        ck_hint(hint, sizeof hint, v, precision_names);
        ck_error(c, n, "unknown precision '%.60s'%s (expected fp32 or bf16)", v, hint);
        return;
    }
    c->m->precision = (rf_precision)k;
    set_pos(&c->m->precision_pos, n);
}

/* lr: a run-time float of the generated code, 0 or a normal float */
static void check_lr(rf_checker *c, const rf_ynode *x)
{
    if (ck_range(c, x, "lr", 0, 0, FLT_MAX, 0, &c->m->lr) == 0 && c->m->lr > 0 && c->m->lr < FLT_MIN)
        ck_error(c, x, "lr %g is too small for float arithmetic (the smallest normal float is %g)",
                 c->m->lr, (double)FLT_MIN);
}

static void check_sgd(rf_checker *c, const rf_ynode *v)
{
    static const char *const keys[] = {"lr", "momentum", "dampening", "nesterov", NULL};
    static const char *const required[] = {"lr", NULL};
    if (ck_keys(c, v, "sgd", keys, required) < 0)
        return;
    rf_model *m = c->m;
    const rf_ynode *x, *nesterov = rf_ynode_get(v, "nesterov");
    if ((x = rf_ynode_get(v, "lr")))
        check_lr(c, x);
    int ok = 1;
    if ((x = rf_ynode_get(v, "momentum")))
        ok &= ck_range(c, x, "momentum", 0, 0, 1, 1, &m->momentum) == 0;
    if ((x = rf_ynode_get(v, "dampening")))
        ok &= ck_range(c, x, "dampening", 0, 0, 1, 0, &m->dampening) == 0;
    if (nesterov && ck_bool(c, nesterov, "nesterov", &m->nesterov) == 0 && ok && m->nesterov &&
        (m->momentum <= 0 || m->dampening != 0))
        ck_error(c, nesterov, "nesterov needs momentum > 0 and dampening 0 (here momentum %g, "
                              "dampening %g), as in torch.optim.SGD", m->momentum, m->dampening);
}

/* adam and adamw: lr, betas: [beta1, beta2] in [0, 1), eps >= 0 (torch's defaults) */
static void check_adam(rf_checker *c, const rf_ynode *v, const char *kind)
{
    static const char *const keys[] = {"lr", "betas", "eps", NULL};
    static const char *const required[] = {"lr", NULL};
    rf_model *m = c->m;
    m->beta1 = 0.9;
    m->beta2 = 0.999;
    m->eps = 1e-8;
    if (ck_keys(c, v, kind, keys, required) < 0)
        return;
    const rf_ynode *x;
    if ((x = rf_ynode_get(v, "lr")))
        check_lr(c, x);
    if ((x = rf_ynode_get(v, "betas"))) {
        char buf[96];
        if (x->kind != RF_YNODE_SEQUENCE || x->n != 2)
            ck_error(c, x, "betas: expected a list of two numbers like [0.9, 0.999], got %s",
                     ck_describe(x, buf, sizeof buf));
        else if (ck_range(c, x->items[0], "beta1", 0, 0, 1, 1, &m->beta1) == 0)
            ck_range(c, x->items[1], "beta2", 0, 0, 1, 1, &m->beta2);
    }
    if ((x = rf_ynode_get(v, "eps")))
        ck_range(c, x, "eps", 0, 0, FLT_MAX, 0, &m->eps);
}

static void check_optimizer(rf_checker *c, const rf_ynode *n)
{
    set_pos(&c->m->optimizer_pos, n);
    const rf_ynode *v;
    int k = ck_one_of(c, n, "optimizer", optimizer_kinds, &v);
    if (k < 0)
        return;
    c->m->optimizer = (rf_optimizer_kind)k;
    if (k == RF_OPT_SGD)
        check_sgd(c, v);
    else
        check_adam(c, v, optimizer_kinds[k]);
}

static int add_pattern(rf_checker *c, rf_decay_group *g, const rf_ynode *n)
{
    const char *v;
    if (ck_string(c, n, "params", &v) < 0)
        return -1;
    if (!*v) {
        ck_error(c, n, "params: an empty pattern matches nothing");
        return -1;
    }
    char *copy = strdup(v);
    if (!copy)
        return -1;
    g->patterns[g->n_patterns++] = copy;
    return 0;
}

static int check_group(rf_checker *c, const rf_ynode *n, rf_decay_group *g)
{
    static const char *const keys[] = {"params", "l2", "l1", "l1_prox", NULL};
    static const char *const required[] = {"params", NULL};
    set_pos(&g->pos, n);
    if (ck_keys(c, n, "decay group", keys, required) < 0)
        return -1;
    int ok = 1;
    const rf_ynode *x;
    if ((x = rf_ynode_get(n, "l2")) && ck_range(c, x, "l2", 0, 0, FLT_MAX, 0, &g->l2) < 0)
        ok = 0;
    if ((x = rf_ynode_get(n, "l1")) && ck_range(c, x, "l1", 0, 0, FLT_MAX, 0, &g->l1) < 0)
        ok = 0;
    if ((x = rf_ynode_get(n, "l1_prox")) && ck_range(c, x, "l1_prox", 0, 0, FLT_MAX, 0, &g->l1_prox) < 0)
        ok = 0;
    if (!(x = rf_ynode_get(n, "params")))
        return -1;
    int count = x->kind == RF_YNODE_SEQUENCE ? x->n : 1;
    if (x->kind == RF_YNODE_SEQUENCE && count == 0) {
        ck_error(c, x, "params: the list is empty");
        return -1;
    }
    g->patterns = calloc((size_t)count, sizeof *g->patterns);
    if (!g->patterns)
        return -1;
    for (int i = 0; i < count; i++)
        if (add_pattern(c, g, x->kind == RF_YNODE_SEQUENCE ? x->items[i] : x) < 0)
            ok = 0;
    return ok ? 0 : -1;
}

static void check_decay(rf_checker *c, const rf_ynode *n)
{
    char buf[96];
    if (ck_is_null(n)) {
        c->decay_ok = 1;
        return;
    }
    if (n->kind != RF_YNODE_SEQUENCE) {
        ck_error(c, n, "decay: expected a list of groups like {params: \"*.weight\", l2: "
                       "0.0001}, got %s", ck_describe(n, buf, sizeof buf));
        return;
    }
    rf_model *m = c->m;
    m->groups = calloc(n->n > 0 ? (size_t)n->n : 1, sizeof *m->groups);
    if (!m->groups)
        return;
    m->n_groups = n->n;
    int ok = 1;
    for (int i = 0; i < n->n; i++)
        if (check_group(c, n->items[i], &m->groups[i]) < 0)
            ok = 0;
    c->decay_ok = ok;
}

/* schedule: `constant`, or one of {step: {every, gamma}}, {exponential: {gamma}},
 * {cosine: {min_lr, epochs}} (SPEC 1b) */
static void check_schedule(rf_checker *c, const rf_ynode *n)
{
    static const char *const kinds[] = {"constant", "step", "exponential", "cosine", NULL};
    rf_train *t = &c->m->train;
    set_pos(&t->schedule_pos, n);
    if (n->kind == RF_YNODE_SCALAR && !n->quoted && !strcmp(n->value, "constant")) {
        t->schedule = RF_SCHED_CONSTANT;
        return;
    }
    const rf_ynode *v;
    int k = ck_one_of(c, n, "schedule", kinds, &v);
    if (k < 0)
        return;
    t->schedule = (rf_schedule_kind)k;
    const rf_ynode *x;
    long long i;
    switch (t->schedule) {
    case RF_SCHED_CONSTANT:
        if (!ck_is_null(v))
            ck_keys(c, v, "constant", (const char *const[]){NULL}, NULL);
        break;
    case RF_SCHED_STEP:
        if (ck_keys(c, v, "step", (const char *const[]){"every", "gamma", NULL},
                    (const char *const[]){"every", "gamma", NULL}) < 0)
            break;
        if ((x = rf_ynode_get(v, "every")) && ck_int(c, x, "every", 1, 1000000000, &i) == 0)
            t->step_every = (int)i;
        if ((x = rf_ynode_get(v, "gamma")))
            ck_range(c, x, "gamma", 0, 0, FLT_MAX, 0, &t->gamma);
        break;
    case RF_SCHED_EXPONENTIAL:
        if (ck_keys(c, v, "exponential", (const char *const[]){"gamma", NULL},
                    (const char *const[]){"gamma", NULL}) < 0)
            break;
        if ((x = rf_ynode_get(v, "gamma")))
            ck_range(c, x, "gamma", 0, 0, FLT_MAX, 0, &t->gamma);
        break;
    case RF_SCHED_COSINE:
        if (ck_keys(c, v, "cosine", (const char *const[]){"min_lr", "epochs", NULL},
                    (const char *const[]){"min_lr", NULL}) < 0)
            break;
        if ((x = rf_ynode_get(v, "min_lr")))
            ck_range(c, x, "min_lr", 0, 0, FLT_MAX, 0, &t->min_lr);
        if ((x = rf_ynode_get(v, "epochs")) && ck_int(c, x, "epochs", 1, 1000000000, &i) == 0)
            t->cosine_epochs = (int)i;
        break;
    }
}

/* early_stopping: {patience: N, min_delta: D, monitor: valid_loss | valid_acc};
 * whether validation and the loss allow it is a cross check (check_cross.c) */
static void check_early_stopping(rf_checker *c, const rf_ynode *n)
{
    static const char *const keys[] = {"patience", "min_delta", "monitor", NULL};
    static const char *const required[] = {"patience", NULL};
    static const char *const monitors[] = {"valid_loss", "valid_acc", NULL};
    rf_train *t = &c->m->train;
    set_pos(&t->early_stopping_pos, n);
    if (ck_keys(c, n, "early_stopping", keys, required) < 0)
        return;
    t->early_stopping = 1;
    c->early_stopping_node = n;
    const rf_ynode *x;
    long long i;
    if ((x = rf_ynode_get(n, "patience")) && ck_int(c, x, "patience", 1, 1000000000, &i) == 0)
        t->patience = (int)i;
    if ((x = rf_ynode_get(n, "min_delta")))
        ck_range(c, x, "min_delta", 0, 0, FLT_MAX, 0, &t->min_delta);
    const char *v;
    if ((x = rf_ynode_get(n, "monitor")) && ck_string(c, x, "monitor", &v) == 0) {
        int k = ck_index_of(v, monitors);
        if (k < 0) {
            char hint[96];
            ck_hint(hint, sizeof hint, v, monitors);
            ck_error(c, x, "unknown monitor '%.60s'%s (expected valid_loss or valid_acc)", v, hint);
        } else {
            t->monitor = (rf_monitor_kind)k;
            c->monitor_node = x;
        }
    }
}

static void check_train(rf_checker *c, const rf_ynode *n)
{
    static const char *const keys[] = {"epochs",   "seed",          "validation",
                                       "schedule", "warmup_epochs", "early_stopping", NULL};
    if (ck_is_null(n))
        return;
    if (ck_keys(c, n, "train", keys, NULL) < 0)
        return;
    rf_train *t = &c->m->train;
    const rf_ynode *x;
    long long v;
    if ((x = rf_ynode_get(n, "epochs")) && ck_int(c, x, "epochs", 0, 1000000000, &v) == 0)
        t->epochs = (int)v;
    if ((x = rf_ynode_get(n, "seed")))
        ck_u64(c, x, "seed", &t->seed);
    if ((x = rf_ynode_get(n, "validation"))) {
        set_pos(&t->validation_pos, x);
        c->validation_node = x;
        c->validation_ok = ck_range(c, x, "validation", 0, 0, 1, 1, &t->validation) == 0;
    }
    if ((x = rf_ynode_get(n, "schedule")))
        check_schedule(c, x);
    if ((x = rf_ynode_get(n, "warmup_epochs")) && ck_int(c, x, "warmup_epochs", 0, 1000000000, &v) == 0)
        t->warmup_epochs = (int)v;
    if ((x = rf_ynode_get(n, "early_stopping")))
        check_early_stopping(c, x);
}

/* ---- top level ---- */

void rf_check_tree(const rf_ynode *root, const char *path, rf_model *m, rf_diag_sink *s)
{
    rf_checker ck, *c = &ck;
    memset(c, 0, sizeof *c);
    c->s = s;
    c->m = m;
    c->path = path;
    c->root = root;
    m->train.epochs = 10;
    m->train.seed = 0;
    m->data.kind = RF_DATA_NONE;
    if (root->kind != RF_YNODE_MAPPING) {
        char buf[96];
        ck_error(c, root, "a model file is a mapping with the keys name, input, batch, layers, "
                          "loss and optimizer; this one is %s",
                 ck_describe(root, buf, sizeof buf));
        return;
    }
    ck_keys(c, root, "the model", top_keys, top_required);
    const rf_ynode *n;
    long long v;
    if ((n = rf_ynode_get(root, "name")))
        ck_name(c, n, "model name", m->name);
    if ((c->input_node = rf_ynode_get(root, "input")) &&
        ck_int(c, c->input_node, "input", 1, RF_MAX_COUNT, &v) == 0) {
        m->input = (int)v;
        c->input_ok = 1;
    }
    if ((c->batch_node = rf_ynode_get(root, "batch")) &&
        ck_int(c, c->batch_node, "batch", 1, RF_MAX_COUNT, &v) == 0) {
        m->batch = (int)v;
        c->batch_ok = 1;
    }
    if ((c->layers_node = rf_ynode_get(root, "layers")))
        check_layers(c, c->layers_node);
    if ((c->loss_node = rf_ynode_get(root, "loss")))
        check_loss(c, c->loss_node);
    if ((n = rf_ynode_get(root, "optimizer")))
        check_optimizer(c, n);
    if ((n = rf_ynode_get(root, "precision")))
        check_precision(c, n);
    c->decay_ok = 1;
    if ((c->decay_node = rf_ynode_get(root, "decay")))
        check_decay(c, c->decay_node);
    if ((n = rf_ynode_get(root, "train")))
        check_train(c, n);
    c->data_ok = 1;
    if ((c->data_node = rf_ynode_get(root, "data")))
        ck_data(c, c->data_node);
    ck_cross(c);
}
