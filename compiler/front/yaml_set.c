/* --set KEY=VALUE on the YAML tree (see yaml_set.h). Each argument goes
 * through three steps: split (KEY=VALUE, limits), resolve (follow KEY in
 * the tree without changing it), graft (parse VALUE, put it in). Nothing
 * is changed before VALUE has parsed, so a refused argument leaves the
 * tree as it was (out of memory aside). */
#include "yaml_set.h"

/* The checker's own notion of a null value and of a likely misspelling,
 * so --set and the checker agree on both. */
#include "check_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_MAX 120 /* bytes of an argument quoted in a message */

typedef struct {
    const char *arg;                    /* as given */
    char shown[SHOWN_MAX + 8];          /* for messages: cut, control characters as '?' */
    char key[RF_SET_MAX_KEY + 1];       /* KEY, split in place at the dots */
    char *part[RF_YAML_MAX_DEPTH + 1];
    int n_parts;
    const char *value;
    size_t value_len;
    rf_diag_sink *s;
} override;

/* Where the path leads. Either the whole path exists (missing == n_parts:
 * replace parent's item `slot`), or parts [missing, n_parts) are to be
 * added under `holder` (a mapping, or a null scalar that becomes one). */
typedef struct {
    rf_ynode *parent;
    int slot;
    rf_ynode *holder;
    int missing;
    const rf_ynode *at; /* the node messages about VALUE point at */
} target;

static void arg_error(override *a, const rf_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "--set ARG: MESSAGE" at `at` (the whole file when NULL). */
static void arg_error(override *a, const rf_ynode *at, const char *fmt, ...)
{
    char msg[RF_DIAG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rf_diag_error(a->s, at ? at->line : 0, at ? at->col : 0, "--set %s: %s", a->shown, msg);
}

static void show(const char *arg, char *buf)
{
    size_t i = 0;
    for (; arg[i] && i < SHOWN_MAX; i++)
        buf[i] = (unsigned char)arg[i] < 0x20 || arg[i] == 0x7f ? '?' : arg[i];
    strcpy(buf + i, arg[i] ? "..." : "");
}

/* The first `upto` parts of KEY joined by dots, or "the model" for none. */
static const char *prefix(const override *a, int upto, char *buf, size_t size)
{
    if (upto == 0)
        return "the model";
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < upto && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "." : "", a->part[i]);
    return buf;
}

/* A list index: decimal digits only, at most 9 of them; else -1. */
static long as_index(const char *p)
{
    size_t len = strlen(p);
    if (len == 0 || len > 9 || strspn(p, "0123456789") != len)
        return -1;
    return strtol(p, NULL, 10);
}

/* ---- split ---- */

static int split(override *a)
{
    const char *arg = a->arg;
    for (const char *p = arg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            arg_error(a, NULL, "holds a control character (a newline or a tab, say); give "
                               "KEY=VALUE on one line");
            return -1;
        }
    const char *eq = strchr(arg, '=');
    if (!eq) {
        arg_error(a, NULL, "expected KEY=VALUE, as in --set optimizer.sgd.lr=0.1");
        return -1;
    }
    const char *k0 = arg, *k1 = eq;
    while (k0 < k1 && *k0 == ' ')
        k0++;
    while (k1 > k0 && k1[-1] == ' ')
        k1--;
    size_t klen = (size_t)(k1 - k0);
    if (klen == 0) {
        arg_error(a, NULL, "the KEY before '=' is empty; expected a path such as "
                           "optimizer.sgd.lr or layers.2.dropout");
        return -1;
    }
    if (klen > RF_SET_MAX_KEY) {
        arg_error(a, NULL, "KEY has %zu bytes; at most %d are allowed", klen, RF_SET_MAX_KEY);
        return -1;
    }
    a->value = eq + 1;
    a->value_len = strlen(eq + 1);
    if (a->value_len > RF_SET_MAX_VALUE) {
        arg_error(a, NULL, "VALUE has %zu bytes; at most %d are allowed", a->value_len,
                  RF_SET_MAX_VALUE);
        return -1;
    }
    memcpy(a->key, k0, klen);
    a->key[klen] = '\0';
    a->n_parts = 0;
    for (char *p = a->key;; p++) {
        if (a->n_parts == RF_YAML_MAX_DEPTH) {
            arg_error(a, NULL, "KEY has more than %d parts; a model file nests far less",
                      RF_YAML_MAX_DEPTH);
            return -1;
        }
        a->part[a->n_parts++] = p;
        p = strchr(p, '.');
        if (!p)
            break;
        *p = '\0';
    }
    return 0;
}

/* ---- resolve ---- */

/* The keys of a mapping as a NULL-terminated array for ck_suggest, or NULL
 * (out of memory). Free with free(). */
static const char **keys_of(const rf_ynode *map)
{
    const char **keys = malloc((size_t)(map->n + 1) * sizeof *keys);
    if (!keys)
        return NULL;
    for (int i = 0; i < map->n; i++)
        keys[i] = map->keys[i]->value;
    keys[map->n] = NULL;
    return keys;
}

/* The key of `map` that `word` may misspell, or NULL. */
static const char *suggest_key(const rf_ynode *map, const char *word)
{
    if (map->kind != RF_YNODE_MAPPING || map->n == 0)
        return NULL;
    const char **keys = keys_of(map);
    const char *s = keys ? ck_suggest(word, keys) : NULL;
    free(keys);
    return s;
}

/* "; did you mean 'X'?" or " (its keys: a, b, c)" or " (it has no keys)". */
static void key_hint(const rf_ynode *map, const char *word, char *buf, size_t size)
{
    const char *s = suggest_key(map, word);
    if (s) {
        snprintf(buf, size, "; did you mean '%s'?", s);
        return;
    }
    if (map->kind != RF_YNODE_MAPPING || map->n == 0) {
        snprintf(buf, size, " (it has no keys)");
        return;
    }
    size_t used = (size_t)snprintf(buf, size, " (its keys: ");
    for (int i = 0; i < map->n && used < size; i++) {
        if (used + strlen(map->keys[i]->value) + 8 > size) {
            used += (size_t)snprintf(buf + used, size - used, "...");
            break;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                 map->keys[i]->value);
    }
    if (used < size)
        snprintf(buf + used, size - used, ")");
}

/* Part i must be a name: letters, digits, '_' and '-' (every model-file
 * key is one; this keeps spaces and quotes out of added keys). */
static int check_part(override *a, const rf_ynode *at, int i)
{
    const char *p = a->part[i];
    if (!*p) {
        arg_error(a, at, "part %d of KEY is empty (two dots in a row, or a dot at an end)",
                  i + 1);
        return -1;
    }
    size_t ok = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    if (p[ok]) {
        arg_error(a, at, "part '%.60s' of KEY holds '%c'; keys are letters, digits, '_' and '-'",
                  p, p[ok]);
        return -1;
    }
    return 0;
}

/* Parts [i, n_parts) are missing under `holder`: fine if each is a valid
 * key (the mappings are created), an error if one is a list index. */
static int missing_from(override *a, rf_ynode *holder, int i, target *t)
{
    char where[256], hint[256];
    for (int k = i; k < a->n_parts; k++) {
        if (check_part(a, holder, k) < 0)
            return -1;
        if (k > i && as_index(a->part[k]) >= 0) {
            const char *name = prefix(a, i, where, sizeof where);
            if (holder->kind == RF_YNODE_MAPPING)
                key_hint(holder, a->part[i], hint, sizeof hint);
            else
                snprintf(hint, sizeof hint, " (it is empty)");
            arg_error(a, holder, "%s has no key '%s', and --set adds missing mappings but "
                                 "not lists (index %s would need one)%s",
                      name, a->part[i], a->part[k], hint);
            return -1;
        }
    }
    t->parent = NULL;
    t->slot = -1;
    t->holder = holder;
    t->missing = i;
    t->at = holder;
    return 0;
}

static int resolve(override *a, rf_ynode *root, target *t)
{
    char where[256], hint[256], buf[96];
    rf_ynode *cur = root, *parent = NULL;
    int slot = -1;
    for (int i = 0; i < a->n_parts; i++) {
        if (check_part(a, cur, i) < 0)
            return -1;
        const char *part = a->part[i];
        long idx = as_index(part);
        const char *name = prefix(a, i, where, sizeof where);
        if (cur->kind == RF_YNODE_MAPPING) {
            int j = 0;
            while (j < cur->n && strcmp(cur->keys[j]->value, part) != 0)
                j++;
            if (j < cur->n) {
                parent = cur;
                slot = j;
                cur = cur->items[j];
                continue;
            }
            if (idx >= 0) {
                key_hint(cur, part, hint, sizeof hint);
                arg_error(a, cur, "%s is a mapping, not a list, and has no key '%s'%s", name,
                          part, hint);
                return -1;
            }
            return missing_from(a, cur, i, t);
        }
        if (cur->kind == RF_YNODE_SEQUENCE) {
            if (idx < 0 || idx >= cur->n) {
                if (cur->n == 0)
                    arg_error(a, cur, "%s is an empty list; it has no item '%s'", name, part);
                else if (idx < 0)
                    arg_error(a, cur, "%s is a list; '%s' is not an index (expected a number "
                                      "from 0 to %d)", name, part, cur->n - 1);
                else
                    arg_error(a, cur, "%s has %d item%s; index %ld is out of range (0 to %d)",
                              name, cur->n, cur->n == 1 ? "" : "s", idx, cur->n - 1);
                return -1;
            }
            parent = cur;
            slot = (int)idx;
            cur = cur->items[idx];
            continue;
        }
        if (ck_is_null(cur) && idx < 0)
            return missing_from(a, cur, i, t);
        arg_error(a, cur, "%s is %s, not a mapping or a list, so it has no %s '%s'; set %s "
                          "itself to replace it", name, ck_describe(cur, buf, sizeof buf),
                  idx >= 0 ? "item" : "key", part, name);
        return -1;
    }
    t->parent = parent;
    t->slot = slot;
    t->holder = NULL;
    t->missing = a->n_parts;
    t->at = cur;
    return 0;
}

/* ---- graft ---- */

static int depth_of(const rf_ynode *n)
{
    int d = 0;
    for (int i = 0; n->kind != RF_YNODE_SCALAR && i < n->n; i++) {
        int di = depth_of(n->items[i]);
        if (di > d)
            d = di;
    }
    return n->kind == RF_YNODE_SCALAR ? 0 : d + 1;
}

static rf_ynode *new_scalar(const char *text)
{
    rf_ynode *n = calloc(1, sizeof *n);
    if (n && !(n->value = strdup(text))) {
        free(n);
        return NULL;
    }
    if (n)
        n->len = strlen(text);
    return n;
}

/* VALUE as a node (positions not yet set), or NULL after reporting. */
static rf_ynode *parse_value(override *a, const rf_ynode *at)
{
    const char *p = a->value;
    while (*p == ' ')
        p++;
    /* Empty, or only a comment: YAML's null. Parsed by hand, as an empty
     * text is no document at all for libyaml. */
    if (*p == '\0' || *p == '#') {
        rf_ynode *n = new_scalar("");
        if (!n)
            arg_error(a, at, "out of memory");
        return n;
    }
    if ((!strncmp(p, "---", 3) || !strncmp(p, "...", 3)) && (p[3] == '\0' || p[3] == ' ')) {
        arg_error(a, at, "VALUE starts with the YAML document marker '%.3s'; quote it to mean "
                         "a string", p);
        return NULL;
    }
    if (*p == '%') {
        arg_error(a, at, "VALUE starts with '%%', a YAML directive; quote it to mean a string");
        return NULL;
    }
    rf_diag *vd = rf_diag_new();
    rf_diag_sink vs;
    rf_diag_sink_init(&vs, "VALUE", NULL, vd);
    rf_ynode *n = NULL;
    int rc = rf_yaml_parse(a->value, a->value_len, &n, &vs);
    int errors = vs.errors;
    rf_diag_sink_finish(&vs);
    if (rc < 0 || errors > 0) {
        const rf_diag_entry *e = rf_diag_get(vd, 0);
        if (e && e->col > 0)
            arg_error(a, at, "VALUE: %s (at column %d of VALUE)", e->message, e->col);
        else
            arg_error(a, at, "VALUE: %s", e ? e->message : "not a YAML value");
        rf_ynode_free(n);
        n = NULL;
    } else if (n->kind != RF_YNODE_SCALAR && *p != '[' && *p != '{') {
        /* "a: 1" or "- x": YAML reads a block collection; on a command line
         * that is more likely a string with ": " in it than meant. */
        arg_error(a, at, "VALUE is a block %s; write it in flow form (%s) or quote it to mean "
                         "a string", n->kind == RF_YNODE_MAPPING ? "mapping" : "list",
                  n->kind == RF_YNODE_MAPPING ? "{key: value}" : "[a, b]");
        rf_ynode_free(n);
        n = NULL;
    }
    rf_diag_free(vd);
    return n;
}

/* Every node of the grafted subtree gets the position `line`:`col` in the
 * file and the argument; its own positions (in VALUE) mean nothing there. */
static void mark(rf_ynode *n, int line, int col, const char *arg)
{
    n->line = line;
    n->col = col;
    n->set_arg = arg;
    n->set_hint = NULL;
    for (int i = 0; n->kind != RF_YNODE_SCALAR && i < n->n; i++) {
        mark(n->items[i], line, col, arg);
        if (n->keys)
            mark(n->keys[i], line, col, arg);
    }
}

/* Adds parts [t->missing, n_parts) under t->holder, the last one holding
 * `value` (taken in all cases). */
static int add_path(override *a, const target *t, rf_ynode *value)
{
    rf_ynode *holder = t->holder;
    int line = holder->line, col = holder->col;
    mark(value, line, col, a->arg);
    rf_ynode *top_key = NULL, *top_value = NULL, *into = NULL;
    for (int k = t->missing; k < a->n_parts; k++) {
        rf_ynode *key = new_scalar(a->part[k]);
        rf_ynode *v = k == a->n_parts - 1 ? value : calloc(1, sizeof *v);
        if (!key || !v || (into && rf_ynode_add(into, key, v) < 0)) {
            rf_ynode_free(key);
            rf_ynode_free(v); /* value itself on the last part */
            if (v != value)
                rf_ynode_free(value);
            rf_ynode_free(top_key);
            rf_ynode_free(top_value);
            arg_error(a, holder, "out of memory");
            return -1;
        }
        mark(key, line, col, a->arg);
        if (v != value) {
            v->kind = RF_YNODE_MAPPING;
            mark(v, line, col, a->arg);
        }
        if (!top_key) {
            top_key = key;
            top_value = v;
        }
        into = v;
    }
    /* The added key may be a slip for one the mapping has: the checker's
     * message about it then says so (rf_yaml_set_note). */
    top_key->set_hint = suggest_key(holder, top_key->value);
    if (holder->kind == RF_YNODE_SCALAR) {
        /* a null value on the way ("train:" with nothing after it) */
        free(holder->value);
        holder->value = NULL;
        holder->len = 0;
        holder->quoted = 0;
        holder->kind = RF_YNODE_MAPPING;
        holder->set_arg = a->arg;
    }
    if (rf_ynode_add(holder, top_key, top_value) < 0) {
        rf_ynode_free(top_key);
        rf_ynode_free(top_value);
        arg_error(a, holder, "out of memory");
        return -1;
    }
    return 0;
}

static int apply_one(rf_ynode *root, const char *arg, rf_diag_sink *s)
{
    override *a = calloc(1, sizeof *a);
    if (!a) {
        rf_diag_error(s, 0, 0, "out of memory");
        return -1;
    }
    a->arg = arg;
    a->s = s;
    show(arg, a->shown);
    target t;
    int rc = -1;
    rf_ynode *value = NULL;
    if (split(a) < 0 || resolve(a, root, &t) < 0 || !(value = parse_value(a, t.at)))
        goto done;
    if (a->n_parts + depth_of(value) > RF_YAML_MAX_DEPTH) {
        arg_error(a, t.at, "KEY and VALUE together nest deeper than %d levels",
                  RF_YAML_MAX_DEPTH);
        rf_ynode_free(value);
        goto done;
    }
    if (t.holder) {
        rc = add_path(a, &t, value);
    } else {
        rf_ynode *old = t.parent->items[t.slot];
        mark(value, old->line, old->col, arg);
        t.parent->items[t.slot] = value;
        rf_ynode_free(old);
        rc = 0;
    }
done:
    free(a);
    return rc;
}

int rf_yaml_apply_sets(rf_ynode *root, const char *const *sets, int n_sets, rf_diag_sink *s)
{
    if (n_sets > RF_SET_MAX_ARGS) {
        rf_diag_error(s, 0, 0, "--set is given %d times; at most %d are allowed", n_sets,
                      RF_SET_MAX_ARGS);
        return n_sets;
    }
    int refused = 0;
    for (int i = 0; i < n_sets; i++)
        refused += apply_one(root, sets[i] ? sets[i] : "", s) < 0;
    return refused;
}

void rf_yaml_set_note(const rf_ynode *n, const char *message, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!n || !n->set_arg)
        return;
    char shown[SHOWN_MAX + 8];
    show(n->set_arg, shown);
    if (n->set_hint && !strstr(message, "did you mean"))
        snprintf(buf, size, " (from --set %s, which added '%.60s'; did you mean '%.60s'?)", shown,
                 n->value, n->set_hint);
    else
        snprintf(buf, size, " (from --set %s)", shown);
}
