/* The grid of a sweep (see sweep_internal.h): the --sweep arguments split
 * and checked, every point's model loaded with its values as --set
 * overrides, its folder name and label, and the check that each key
 * changes the model. */
#include "sweep_internal.h"

#include "frontend.h"
#include "model_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the grid ---- */

static char *trimmed_copy(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

void rf_sweep_values_free(char *key, char **values, int n)
{
    free(key);
    for (int i = 0; values && i < n; i++)
        free(values[i]);
    free(values);
}

int rf_sweep_split(const char *arg, char **key, char ***values, char *err, size_t errlen)
{
    *key = NULL;
    *values = NULL;
    const char *eq = strchr(arg, '=');
    if (!eq) {
        snprintf(err, errlen, "--sweep %s: expected KEY=V1,V2,... (no '=')", arg);
        return -1;
    }
    *key = trimmed_copy(arg, (size_t)(eq - arg));
    if (!*key || !**key) {
        snprintf(err, errlen, "--sweep %s: the key before '=' is empty", arg);
        free(*key);
        *key = NULL;
        return -1;
    }
    int n = 0, cap = 0, depth = 0;
    char quote = 0;
    const char *start = eq + 1;
    for (const char *p = start;; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            else if (*p == '\0')
                break;
            continue;
        }
        if (*p == '"' || *p == '\'')
            quote = *p;
        else if (*p == '[' || *p == '{')
            depth++;
        else if ((*p == ']' || *p == '}') && depth > 0)
            depth--;
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            char *v = trimmed_copy(start, (size_t)(p - start));
            if (!v || !*v) {
                snprintf(err, errlen, "--sweep %s: value %d of %s is empty%s", arg, n + 1, *key,
                         n == 0 && *p == '\0' ? " (no values after '=')" : "");
                free(v);
                rf_sweep_values_free(*key, *values, n);
                *key = NULL;
                *values = NULL;
                return -1;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                char **grown = realloc(*values, sizeof *grown * (size_t)cap);
                if (!grown) {
                    free(v);
                    snprintf(err, errlen, "out of memory");
                    rf_sweep_values_free(*key, *values, n);
                    *key = NULL;
                    *values = NULL;
                    return -1;
                }
                *values = grown;
            }
            (*values)[n++] = v;
            start = p + 1;
        }
        if (*p == '\0')
            break;
    }
    if (quote) {
        snprintf(err, errlen, "--sweep %s: a quote is not closed", arg);
        rf_sweep_values_free(*key, *values, n);
        *key = NULL;
        *values = NULL;
        return -1;
    }
    return n;
}

void sw_free(sweep *s)
{
    for (int i = 0; s->points && i < s->n_points; i++) {
        point *p = &s->points[i];
        free(p->value);
        if (p->loaded)
            rf_model_free(&p->m);
        free(p->identity);
        free(p->rows);
        free(p->norms);
    }
    free(s->points);
    for (int k = 0; k < s->n_keys; k++)
        rf_sweep_values_free(s->keys[k].key, s->keys[k].values, s->keys[k].n);
    free(s->keys);
    for (int i = 0; i < s->n_data; i++) {
        rf_datasets_free(&s->data[i]);
        free(s->data_keys[i]);
    }
    free(s->data);
    free(s->data_keys);
    for (int i = 0; i < s->n_builds; i++) {
        rf_build_close(&s->builds[i]);
        free(s->build_keys[i]);
    }
    free(s->builds);
    free(s->build_keys);
}

/* Characters a folder name keeps; others become '_' (no commas: the name
 * is a cell of results.csv). */
static void folder_name(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < size; c++)
        out[n++] = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._=+-", *c) ? *c : '_');
    out[n] = '\0';
}

int sw_parse_keys(sweep *s, char *err, size_t errlen)
{
    const rf_sweep_options *o = s->o;
    s->keys = calloc((size_t)o->n_sweeps + 1, sizeof *s->keys);
    if (!s->keys)
        return snprintf(err, errlen, "out of memory"), -1;
    long total = o->seeds;
    for (int k = 0; k < o->n_sweeps; k++) {
        swept_key *sk = &s->keys[k];
        sk->n = rf_sweep_split(o->sweeps[k], &sk->key, &sk->values, err, errlen);
        if (sk->n < 0)
            return -1;
        s->n_keys++;
        for (int j = 0; j < k; j++)
            if (!strcmp(s->keys[j].key, sk->key))
                return snprintf(err, errlen, "--sweep %s: the key is swept twice", sk->key), -1;
        for (int i = 0; i < sk->n; i++)
            for (int j = 0; j < i; j++)
                if (!strcmp(sk->values[i], sk->values[j]))
                    return snprintf(err, errlen, "--sweep %s: the value %s is given twice", sk->key,
                                    sk->values[i]), -1;
        if (!strcmp(sk->key, "name"))
            return snprintf(err, errlen, "--sweep name: the model's name names the sweep; it cannot be swept"), -1;
        if (!strcmp(sk->key, "train.seed") && o->seeds > 1)
            return snprintf(err, errlen, "--sweep train.seed and --seeds %d both choose the seeds; use one",
                            o->seeds), -1;
        for (int i = 0; i < o->n_sets; i++) {
            size_t n = strlen(sk->key);
            if (!strncmp(o->sets[i], sk->key, n) && o->sets[i][n] == '=')
                return snprintf(err, errlen, "--sweep %s and --set %s: a key is either swept or set", sk->key,
                                o->sets[i]), -1;
        }
        total *= sk->n;
        if (total > MAX_POINTS)
            return snprintf(err, errlen, "the sweep has more than %d points", MAX_POINTS), -1;
    }
    s->n_points = (int)total;
    return 0;
}

/* The model file with the --set list, and extra overrides, checked. */
int sw_load_with(const sweep *s, const char *const *extra, int n_extra, rf_model *m)
{
    const rf_sweep_options *o = s->o;
    int n = o->n_sets + n_extra;
    const char **all = calloc((size_t)n + 1, sizeof *all);
    if (!all)
        return 1;
    for (int i = 0; i < o->n_sets; i++)
        all[i] = o->sets[i];
    for (int i = 0; i < n_extra; i++)
        all[o->n_sets + i] = extra[i];
    int rc = rf_load_model_set(o->model_path, all, n, m, stderr, NULL);
    free(all);
    return rc;
}

/* Builds the grid's points: each one's model, checked (exit 2 on the first
 * that is not valid), its folder, its label. */
int sw_make_points(sweep *s, uint64_t first_seed)
{
    const rf_sweep_options *o = s->o;
    s->points = calloc((size_t)s->n_points, sizeof *s->points);
    if (!s->points)
        return 1;
    char (*sets)[4200] = calloc((size_t)s->n_keys + 1, sizeof *sets);
    const char **extra = calloc((size_t)s->n_keys + 2, sizeof *extra);
    if (!sets || !extra) {
        free(sets);
        free(extra);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < s->n_points && rc == 0; i++) {
        point *p = &s->points[i];
        p->value = calloc((size_t)s->n_keys + 1, sizeof *p->value);
        if (!p->value) {
            rc = 1;
            break;
        }
        int rest = i / o->seeds;
        p->seed = first_seed + (uint64_t)(i % o->seeds);
        for (int k = s->n_keys - 1; k >= 0; k--) {
            p->value[k] = rest % s->keys[k].n;
            rest /= s->keys[k].n;
        }
        char label[512] = "", name[512] = "";
        size_t ln = 0, nn = 0;
        for (int k = 0; k < s->n_keys; k++) {
            snprintf(sets[k], sizeof sets[k], "%s=%s", s->keys[k].key, s->keys[k].values[p->value[k]]);
            extra[k] = sets[k];
            ln += (size_t)snprintf(label + ln, sizeof label - ln, "%s%s", k ? ", " : "", sets[k]);
            nn += (size_t)snprintf(name + nn, sizeof name - nn, "%s%s", k ? "_" : "", sets[k]);
            if (ln >= sizeof label)
                ln = sizeof label - 1;
            if (nn >= sizeof name)
                nn = sizeof name - 1;
        }
        int n_extra = s->n_keys;
        int seed_swept = 0;
        for (int k = 0; k < s->n_keys; k++)
            seed_swept |= !strcmp(s->keys[k].key, "train.seed");
        if (!seed_swept) {
            snprintf(sets[s->n_keys], sizeof sets[0], "train.seed=%llu", (unsigned long long)p->seed);
            extra[n_extra++] = sets[s->n_keys];
            snprintf(label + ln, sizeof label - ln, ", seed %llu", (unsigned long long)p->seed);
            snprintf(name + nn, sizeof name - nn, "%sseed=%llu", nn ? "_" : "", (unsigned long long)p->seed);
        }
        snprintf(p->label, sizeof p->label, "%s", label);
        folder_name(p->name, sizeof p->name - 16, name);
        /* two points whose names fold to the same folder get their index too */
        for (int j = 0; j < i; j++)
            if (!strcmp(s->points[j].name, p->name)) {
                size_t len = strlen(p->name);
                snprintf(p->name + len, sizeof p->name - len, "-p%d", i + 1);
                break;
            }
        if (sw_load_with(s, extra, n_extra, &p->m) != 0) {
            fprintf(stderr, "regfitc: error: point %d/%d of the sweep (%s) is not a valid model\n", i + 1,
                    s->n_points, p->label);
            rc = 2;
            break;
        }
        p->loaded = 1;
        if (seed_swept)
            p->seed = p->m.train.seed;
        if (strcmp(p->m.name, s->points[0].m.name) != 0) {
            fprintf(stderr, "regfitc: error: point %d/%d (%s) renames the model; a sweep keeps one name\n", i + 1,
                    s->n_points, p->label);
            rc = 2;
            break;
        }
        if (p->m.data.kind == RF_DATA_NONE) {
            fprintf(stderr, "%s: error: the model file has no 'data' key, so there is nothing to train on\n",
                    o->model_path);
            rc = 2;
            break;
        }
        p->identity = rf_model_identity(&p->m, RF_ID_BUT_EPOCHS);
        if (!p->identity)
            rc = 1;
    }
    free(sets);
    free(extra);
    return rc;
}

/* Each key must change the model: the points that differ only in its value
 * (the others at their first value, the first seed) must differ. */
int sw_check_keys_matter(sweep *s)
{
    int stride = s->o->seeds;
    for (int k = s->n_keys - 1; k >= 0; k--) {
        for (int i = 0; i < s->keys[k].n; i++)
            for (int j = 0; j < i; j++) {
                const point *a = &s->points[i * stride], *b = &s->points[j * stride];
                char *ia = rf_model_identity(&a->m, RF_ID_ALL), *ib = rf_model_identity(&b->m, RF_ID_ALL);
                int same = ia && ib && !strcmp(ia, ib);
                free(ia);
                free(ib);
                if (same) {
                    fprintf(stderr, "regfitc: error: --sweep %s: the values %s and %s give the same model (the key "
                                    "changes nothing the run depends on)\n",
                            s->keys[k].key, s->keys[k].values[j], s->keys[k].values[i]);
                    return 2;
                }
            }
        stride *= s->keys[k].n;
    }
    return 0;
}
