/* Checks across sections, once rf_model_finish() has derived shapes and
 * parameters: at least one dense layer, unique layer names, loss against
 * outputs, data against the model, sizes against memory and int indexing,
 * and decay groups that decide nothing (warnings). Each runs only when the
 * sections it reads came through clean, so one mistake does not cascade. */
#include "check_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

double rf_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0)
        return 16.0 * GIB;
    return (double)pages * (double)page;
}

static const rf_ynode *layer_node(rf_checker *c, int i)
{
    return c->layers_node->items[i];
}

static void check_names(rf_checker *c, const int *explicit_name)
{
    rf_model *m = c->m;
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        if (L->kind != RF_LAYER_DENSE)
            continue;
        for (int j = 0; j < i; j++) {
            const rf_layer *E = &m->layers[j];
            if (E->kind != RF_LAYER_DENSE || strcmp(E->name, L->name) != 0)
                continue;
            if (explicit_name[i] && explicit_name[j])
                break; /* reported by check_layers() */
            if (explicit_name[i])
                ck_error(c, layer_node(c, i),
                         "layer name '%s' is already the automatic name of the dense layer at "
                         "line %d", L->name, E->pos.line);
            else
                ck_error(c, layer_node(c, i),
                         "this layer's automatic name '%s' is already the name of the layer at "
                         "line %d; rename that one",
                         L->name, E->pos.line);
            break;
        }
    }
}

static int last_dense(const rf_model *m)
{
    for (int i = m->n_layers - 1; i >= 0; i--)
        if (m->layers[i].kind == RF_LAYER_DENSE)
            return i;
    return -1;
}

static void check_loss_outputs(rf_checker *c)
{
    rf_model *m = c->m;
    if (m->loss == RF_LOSS_SOFTMAX_CE && m->outputs < 2)
        ck_error(c, c->loss_node,
                 "softmax_cross_entropy needs at least 2 outputs (one per class), but the "
                 "model has %d (the dense layer at line %d)",
                 m->outputs, m->layers[last_dense(m)].pos.line);
}

/* ---- csv columns ---- */

static int is_number_field(const char *f)
{
    while (*f == ' ' || *f == '\t')
        f++;
    if (!*f)
        return 0;
    char *end;
    strtod(f, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    return end != f && *end == '\0';
}

/* Columns of the first data line (a first line with a non-number field is
 * a header); *line_no gets its line. Returns -1 when unreadable or empty:
 * the runtime reports that when it loads the file. Reads a bounded prefix. */
static int csv_columns(const char *path, int *line_no)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char field[256];
    size_t flen = 0;
    int cols = 1, all_numbers = 1, line = 1, ch = 0, seen = 0;
    long budget = 1L << 24;
    int result = -1;
    while (budget-- > 0 && (ch = getc(f)) != EOF) {
        if (ch == ',' || ch == '\n') {
            field[flen] = '\0';
            if (!is_number_field(field))
                all_numbers = 0;
            flen = 0;
            if (ch == ',') {
                cols++;
                continue;
            }
            if (seen && all_numbers) {
                result = cols;
                break;
            }
            if (seen && line > 1) /* a second non-number line: not a data line we know */
                break;
            cols = 1;
            all_numbers = 1;
            seen = 0;
            line++;
            continue;
        }
        if (ch == '\r')
            continue;
        seen = 1;
        if (flen + 1 < sizeof field)
            field[flen++] = (char)ch;
    }
    if (result < 0 && seen && budget > 0 && ch == EOF) { /* last line without newline */
        field[flen] = '\0';
        if (is_number_field(field) && all_numbers)
            result = cols;
    }
    fclose(f);
    *line_no = line;
    return result;
}

static void check_csv_file(rf_checker *c, const rf_ynode *at, const char *path, int need,
                           const char *why)
{
    int line;
    int cols = csv_columns(path, &line);
    if (cols >= 0 && cols != need)
        ck_error(c, at, "csv file '%s' has %d columns in its first data line (line %d), but the "
                        "model needs %d: %s",
                 path, cols, line, need, why);
}

/* ---- idx headers ---- */

/* Reads up to `len` bytes of an IDX file (gzipped or plain). Returns the
 * count read, or -1 when the file cannot be opened. */
static long idx_read(const char *path, unsigned char *buf, long len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    long got = 0;
    while (got < len) {
        int chunk = len - got > (1 << 20) ? (1 << 20) : (int)(len - got);
        int n = gzread(f, buf + got, (unsigned)chunk);
        if (n <= 0)
            break;
        got += n;
    }
    gzclose(f);
    return got;
}

static unsigned long be32(const unsigned char *b)
{
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
}

/* The image size in an idx3 header against the model's input. A file that
 * cannot be read or is not idx3 is left to the runtime's loader, which
 * reports it in full. */
static void check_idx_images(rf_checker *c, const rf_ynode *at, const char *path)
{
    unsigned char h[16];
    if (!path || idx_read(path, h, 16) != 16 || be32(h) != 0x803)
        return;
    unsigned long rows = be32(h + 8), cols = be32(h + 12);
    if ((double)rows * cols != c->m->input)
        ck_error(c, at, "idx file '%s' holds images of %lu x %lu = %.0f pixels, but input is %d "
                        "(line %d)", path, rows, cols, (double)rows * cols, c->m->input,
                 c->input_node->line);
}

/* The largest label in an idx1 file against the model's class count. */
static void check_idx_labels(rf_checker *c, const rf_ynode *at, const char *path)
{
    enum { MAX_LABELS = 10 * 1000 * 1000 };
    unsigned char h[8];
    if (!path || idx_read(path, h, 8) != 8 || be32(h) != 0x801 || be32(h + 4) > MAX_LABELS)
        return;
    long n = (long)be32(h + 4);
    unsigned char *buf = malloc((size_t)n + 8);
    if (!buf || idx_read(path, buf, n + 8) != n + 8) {
        free(buf);
        return; /* truncated: the loader says so */
    }
    int top = -1;
    long at_sample = 0;
    for (long i = 0; i < n; i++)
        if (buf[8 + i] > top) {
            top = buf[8 + i];
            at_sample = i;
        }
    free(buf);
    rf_model *m = c->m;
    if (m->loss == RF_LOSS_SOFTMAX_CE && top >= m->outputs)
        ck_error(c, at, "idx file '%s' has class label %d (sample %ld), but the model has %d "
                        "outputs, one per class (the dense layer at line %d)",
                 path, top, at_sample, m->outputs, m->layers[last_dense(m)].pos.line);
}

static void check_data_fit(rf_checker *c)
{
    rf_model *m = c->m;
    const rf_data *d = &m->data;
    const rf_ynode *at = c->data_node;
    int loss_line = c->loss_node->line, input_line = c->input_node->line;
    switch (d->kind) {
    case RF_DATA_FASHION_MNIST:
    case RF_DATA_MNIST: {
        const char *set = d->kind == RF_DATA_MNIST ? "mnist" : "fashion-mnist";
        if (m->input != 784)
            ck_error(c, at, "%s has 784 features per sample (28x28 pixels), but input is %d "
                            "(line %d)", set, m->input, input_line);
        if (m->loss != RF_LOSS_SOFTMAX_CE)
            ck_error(c, at, "%s has class labels: it needs loss softmax_cross_entropy and 10 "
                            "outputs, but loss is %s (line %d)",
                     set, rf_loss_name(m->loss), loss_line);
        else if (m->outputs != 10)
            ck_error(c, at, "%s has 10 classes, but the model has %d outputs (the dense layer at "
                            "line %d)", set, m->outputs, m->layers[last_dense(m)].pos.line);
        break;
    }
    case RF_DATA_IDX: {
        if (m->loss != RF_LOSS_SOFTMAX_CE) {
            ck_error(c, at, "idx data has class labels: it needs loss softmax_cross_entropy, "
                            "but loss is %s (line %d)", rf_loss_name(m->loss), loss_line);
            break;
        }
        const rf_ynode *idx = at->items[0];
        check_idx_images(c, rf_ynode_get(idx, "train_images"), d->train_images);
        check_idx_images(c, rf_ynode_get(idx, "test_images"), d->test_images);
        check_idx_labels(c, rf_ynode_get(idx, "train_labels"), d->train_labels);
        check_idx_labels(c, rf_ynode_get(idx, "test_labels"), d->test_labels);
        break;
    }
    case RF_DATA_CSV: {
        const rf_ynode *csv = at->items[0];
        char why[160];
        int targets = m->loss == RF_LOSS_SOFTMAX_CE ? 1 : m->outputs;
        if (m->loss == RF_LOSS_SOFTMAX_CE)
            snprintf(why, sizeof why, "%d input features + 1 class index", m->input);
        else
            snprintf(why, sizeof why, "%d input features + %d targets", m->input, m->outputs);
        check_csv_file(c, rf_ynode_get(csv, "train"), d->csv_train, m->input + targets, why);
        check_csv_file(c, rf_ynode_get(csv, "test"), d->csv_test, m->input + targets, why);
        break;
    }
    case RF_DATA_SYNTHETIC_LINEAR:
        if (m->loss != RF_LOSS_SQUARED)
            ck_error(c, at, "synthetic_linear has one real-valued target per sample: it needs "
                            "loss squared, but loss is %s (line %d)",
                     rf_loss_name(m->loss), loss_line);
        else if (m->outputs != 1)
            ck_error(c, at, "synthetic_linear has one target per sample, but the model has %d "
                            "outputs (the dense layer at line %d)",
                     m->outputs, m->layers[last_dense(m)].pos.line);
        break;
    default:
        break;
    }
}

/* ---- sizes ---- */

static void check_sizes(rf_checker *c)
{
    rf_model *m = c->m;
    double limit = rf_memory_limit(), bytes = rf_model_bytes(m);
    if (bytes > limit) {
        /* Point at the biggest culprit: the largest dense layer when the
         * parameters dominate, else the batch size. */
        int big = -1;
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i].kind == RF_LAYER_DENSE &&
                (big < 0 || m->params[m->layers[i].weight_param].size >
                                m->params[m->layers[big].weight_param].size))
                big = i;
        double param_bytes = 4.0 * (2 + rf_model_state_per_param(m)) * (double)rf_model_param_count(m);
        const rf_ynode *at = param_bytes * 2 >= bytes ? layer_node(c, big) : c->batch_node;
        ck_error(c, at, "the model needs %.0f bytes (%.1f GiB) for its parameters, gradients and "
                        "activations; this machine has %.1f GiB of memory",
                 bytes, bytes / GIB, limit / GIB);
        return;
    }
    /* The generated code indexes tensors with int. */
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i].size > INT_MAX)
            ck_error(c, layer_node(c, m->params[i].layer),
                     "%s would have %ld elements, more than the %d the generated code can index",
                     m->params[i].name, m->params[i].size, INT_MAX);
    long widest = m->input;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].out > widest)
            widest = m->layers[i].out;
    if ((double)m->batch * widest > INT_MAX)
        ck_error(c, c->batch_node, "a batch of %d rows of %ld features has more than %d elements, "
                                   "more than the generated code can index",
                 m->batch, widest, INT_MAX);
    if (m->data.kind == RF_DATA_SYNTHETIC_LINEAR) {
        double data_bytes = 4.0 * ((double)m->data.n_train + m->data.n_test) * (m->input + 1);
        if (data_bytes > limit)
            ck_error(c, c->data_node, "synthetic_linear data needs %.0f bytes (%.1f GiB); this "
                                      "machine has %.1f GiB of memory",
                     data_bytes, data_bytes / GIB, limit / GIB);
    }
}

/* ---- decay ---- */

static const rf_ynode *group_patterns(rf_checker *c, int g)
{
    return rf_ynode_get(c->decay_node->items[g], "params");
}

static int pattern_matches_any(const rf_model *m, const char *pattern)
{
    for (int p = 0; p < m->n_params; p++)
        if (rf_glob_match(pattern, m->params[p].name))
            return 1;
    return 0;
}

static void check_decay_groups(rf_checker *c)
{
    rf_model *m = c->m;
    char names[200];
    size_t used = 0;
    names[0] = '\0';
    for (int p = 0; p < m->n_params && used < sizeof names; p++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", p ? ", " : "",
                                 m->params[p].name);
    for (int g = 0; g < m->n_groups; g++) {
        const rf_decay_group *G = &m->groups[g];
        const rf_ynode *node = c->decay_node->items[g];
        int any = 0;
        for (int k = 0; k < G->n_patterns; k++)
            any |= pattern_matches_any(m, G->patterns[k]);
        if (!any) {
            ck_warning(c, node, "decay group matches no parameter (the parameters are %s)", names);
            continue;
        }
        if (G->matches == 0) {
            ck_warning(c, node, "decay group decides no parameter: every parameter it matches is "
                                "taken by an earlier group (the first match wins)");
            continue;
        }
        const rf_ynode *list = group_patterns(c, g);
        for (int k = 0; list->kind == RF_YNODE_SEQUENCE && k < G->n_patterns; k++)
            if (!pattern_matches_any(m, G->patterns[k]))
                ck_warning(c, list->items[k], "'%s' matches no parameter (the parameters are %s)",
                           G->patterns[k], names);
    }
}

/* ---- the training protocol (SPEC 1b) ---- */

/* Held-out samples of a training set of n: round(F * n). */
static long validation_count(double f, long n) { return lround(f * (double)n); }

static void check_protocol(rf_checker *c)
{
    rf_model *m = c->m;
    rf_train *t = &m->train;
    if (c->validation_node && !c->validation_ok)
        return; /* reported where it is; what depends on it would only repeat it */
    if (t->early_stopping && c->validation_node == NULL)
        ck_error(c, c->early_stopping_node, "early_stopping needs a validation set to monitor: add "
                                            "e.g. 'validation: 0.1' to train");
    else if (t->early_stopping && t->validation == 0)
        ck_error(c, c->early_stopping_node, "early_stopping needs validation > 0 (here validation is 0, "
                                            "line %d)", t->validation_pos.line);
    if (t->early_stopping && t->monitor == RF_MONITOR_VALID_ACC && c->loss_ok && m->loss != RF_LOSS_SOFTMAX_CE)
        ck_error(c, c->monitor_node, "monitor valid_acc needs classes (loss softmax_cross_entropy); "
                                     "the loss is %s (line %d): monitor valid_loss instead",
                 rf_loss_name(m->loss), m->loss_pos.line);
    /* Sets whose size the file fixes: the split must leave samples on both sides. */
    long n = m->data.kind == RF_DATA_SYNTHETIC_LINEAR ? m->data.n_train
             : m->data.kind == RF_DATA_FASHION_MNIST || m->data.kind == RF_DATA_MNIST ? 60000 : 0;
    if (c->validation_node && t->validation > 0 && n > 0) {
        long held = validation_count(t->validation, n);
        if (held == 0)
            ck_error(c, c->validation_node, "validation %g of %ld training samples holds out none "
                                            "(round(%g * %ld) = 0)", t->validation, n, t->validation, n);
        else if (held == n)
            ck_error(c, c->validation_node, "validation %g of %ld training samples leaves none to train "
                                            "on (round(%g * %ld) = %ld)", t->validation, n, t->validation,
                     n, held);
    }
}

void ck_cross(rf_checker *c)
{
    rf_model *m = c->m;
    check_protocol(c);
    if (!c->layers_ok)
        return;
    int n_dense = 0;
    int *explicit_name = calloc((size_t)m->n_layers, sizeof *explicit_name);
    if (!explicit_name) {
        ck_error(c, c->layers_node, "out of memory");
        return;
    }
    for (int i = 0; i < m->n_layers; i++) {
        n_dense += m->layers[i].kind == RF_LAYER_DENSE;
        explicit_name[i] = m->layers[i].name[0] != '\0';
    }
    if (n_dense == 0) {
        ck_error(c, c->layers_node, "layers: a model needs at least one dense layer (it has no "
                                    "parameters otherwise)");
        free(explicit_name);
        return;
    }
    if (rf_model_finish(m) < 0) {
        ck_error(c, c->layers_node, "out of memory");
        free(explicit_name);
        return;
    }
    check_names(c, explicit_name);
    free(explicit_name);
    if (c->decay_ok && c->decay_node && m->n_groups > 0)
        check_decay_groups(c);
    if (!c->input_ok)
        return;
    if (c->loss_ok)
        check_loss_outputs(c);
    if (c->loss_ok && c->data_ok && c->data_node && m->data.kind != RF_DATA_NONE)
        check_data_fit(c);
    if (c->batch_ok)
        check_sizes(c);
}
