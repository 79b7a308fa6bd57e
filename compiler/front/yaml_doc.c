/* libyaml events -> rf_ynode tree, with the limits of yaml_doc.h. */
#include "yaml_doc.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct {
    rf_diag_sink *s;
    rf_ynode *stack[RF_YAML_MAX_DEPTH + 1]; /* open collections */
    int depth;
    rf_ynode *pending_key[RF_YAML_MAX_DEPTH + 1]; /* per open mapping: key awaiting its value */
    rf_ynode *root;
    rf_ynode discard; /* rejected pairs: kept until the end, as events may still fill them */
    int nodes;
    int documents;
} builder;

const char *rf_ynode_kind_name(rf_ynode_kind k)
{
    switch (k) {
    case RF_YNODE_SCALAR: return "a scalar";
    case RF_YNODE_SEQUENCE: return "a list";
    default: return "a mapping";
    }
}

void rf_ynode_free(rf_ynode *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        rf_ynode_free(n->items[i]);
        if (n->keys)
            rf_ynode_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->value);
    free(n);
}

const rf_ynode *rf_ynode_get(const rf_ynode *map, const char *key)
{
    if (!map || map->kind != RF_YNODE_MAPPING)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    return NULL;
}

static int grow(rf_ynode *c)
{
    if (c->n < c->cap)
        return 0;
    int cap = c->cap ? 2 * c->cap : 4;
    rf_ynode **items = realloc(c->items, (size_t)cap * sizeof *items);
    if (!items)
        return -1;
    c->items = items;
    if (c->kind == RF_YNODE_MAPPING) {
        rf_ynode **keys = realloc(c->keys, (size_t)cap * sizeof *keys);
        if (!keys)
            return -1;
        c->keys = keys;
    }
    c->cap = cap;
    return 0;
}

int rf_ynode_add(rf_ynode *coll, rf_ynode *key, rf_ynode *value)
{
    if (grow(coll) < 0)
        return -1;
    if (coll->kind == RF_YNODE_MAPPING)
        coll->keys[coll->n] = key;
    coll->items[coll->n++] = value;
    return 0;
}

/* Hands a scalar, or a collection just opened, to its parent. Returns -1
 * on a fatal problem (out of memory); the node is then freed here. In a
 * mapping, a node is first held as the pending key until its value comes
 * (a collection used as a key is filled by events meanwhile). A rejected
 * pair (non-scalar or duplicate key) is reported and parked in `discard`,
 * which is not fatal: checking goes on to find more problems. */
static int attach(builder *b, rf_ynode *node)
{
    if (b->depth == 0) {
        b->root = node;
        return 0;
    }
    rf_ynode *parent = b->stack[b->depth - 1];
    if (parent->kind == RF_YNODE_SEQUENCE) {
        if (grow(parent) < 0) {
            rf_ynode_free(node);
            return -1;
        }
        parent->items[parent->n++] = node;
        return 0;
    }
    rf_ynode **key = &b->pending_key[b->depth - 1];
    if (!*key) {
        *key = node;
        return 0;
    }
    rf_ynode *k = *key;
    *key = NULL;
    int reject = 0;
    if (k->kind != RF_YNODE_SCALAR) {
        rf_diag_error(b->s, k->line, k->col, "a mapping key must be a plain name, not %s",
                      rf_ynode_kind_name(k->kind));
        reject = 1;
    }
    for (int i = 0; !reject && i < parent->n; i++) {
        if (strcmp(parent->keys[i]->value, k->value) == 0) {
            rf_diag_error(b->s, k->line, k->col, "duplicate key '%s' (first at line %d)",
                          k->value, parent->keys[i]->line);
            reject = 1;
        }
    }
    /* A rejected value may be a collection that later events still fill,
     * so it is parked in `discard` (freed at the end), not freed now. */
    rf_ynode *into = reject ? &b->discard : parent;
    if (grow(into) < 0) {
        rf_ynode_free(k);
        rf_ynode_free(node);
        return -1;
    }
    into->keys[into->n] = k;
    into->items[into->n++] = node;
    return 0;
}

static rf_ynode *new_node(builder *b, rf_ynode_kind kind, const yaml_mark_t *mark)
{
    if (++b->nodes > RF_YAML_MAX_NODES) {
        rf_diag_error(b->s, (int)mark->line + 1, (int)mark->column + 1,
                      "the file has more than %d YAML nodes; a model file needs far fewer",
                      RF_YAML_MAX_NODES);
        return NULL;
    }
    rf_ynode *n = calloc(1, sizeof *n);
    if (!n) {
        rf_diag_error(b->s, 0, 0, "out of memory while reading the YAML");
        return NULL;
    }
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    return n;
}

/* Anchors and tags are refused where they appear. Returns -1 if refused. */
static int refuse_extras(builder *b, const yaml_mark_t *mark, const yaml_char_t *anchor,
                         const yaml_char_t *tag)
{
    if (anchor) {
        rf_diag_error(b->s, (int)mark->line + 1, (int)mark->column + 1,
                      "YAML anchors (&%.40s) and aliases are not supported in model files",
                      (const char *)anchor);
        return -1;
    }
    if (tag) {
        rf_diag_error(b->s, (int)mark->line + 1, (int)mark->column + 1,
                      "YAML tags (%.60s) are not supported in model files", (const char *)tag);
        return -1;
    }
    return 0;
}

/* One event. Returns 1 to go on, 0 at the end of the stream, -1 on a
 * fatal problem (already reported). */
static int on_event(builder *b, const yaml_event_t *ev)
{
    const yaml_mark_t *mark = &ev->start_mark;
    int line = (int)mark->line + 1, col = (int)mark->column + 1;
    switch (ev->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return 1;
    case YAML_STREAM_END_EVENT:
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            rf_diag_error(b->s, line, col,
                          "a model file holds one YAML document; this is a second one");
            return -1;
        }
        return 1;
    case YAML_ALIAS_EVENT:
        rf_diag_error(b->s, line, col,
                      "YAML aliases (*%.40s) and anchors are not supported in model files",
                      (const char *)ev->data.alias.anchor);
        return -1;
    case YAML_SCALAR_EVENT: {
        if (refuse_extras(b, mark, ev->data.scalar.anchor, ev->data.scalar.tag) < 0)
            return -1;
        size_t len = ev->data.scalar.length;
        if (len > RF_YAML_MAX_SCALAR) {
            rf_diag_error(b->s, line, col, "a value of %zu bytes; the limit is %d", len,
                          RF_YAML_MAX_SCALAR);
            return -1;
        }
        if (memchr(ev->data.scalar.value, '\0', len)) {
            rf_diag_error(b->s, line, col, "a value contains a NUL character");
            return -1;
        }
        rf_ynode *n = new_node(b, RF_YNODE_SCALAR, mark);
        if (!n)
            return -1;
        n->value = malloc(len + 1);
        if (!n->value) {
            free(n);
            rf_diag_error(b->s, 0, 0, "out of memory while reading the YAML");
            return -1;
        }
        memcpy(n->value, ev->data.scalar.value, len);
        n->value[len] = '\0';
        n->len = len;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return attach(b, n) < 0 ? -1 : 1;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
        const yaml_char_t *anchor = is_seq ? ev->data.sequence_start.anchor
                                           : ev->data.mapping_start.anchor;
        const yaml_char_t *tag = is_seq ? ev->data.sequence_start.tag
                                        : ev->data.mapping_start.tag;
        if (refuse_extras(b, mark, anchor, tag) < 0)
            return -1;
        if (b->depth >= RF_YAML_MAX_DEPTH) {
            rf_diag_error(b->s, line, col, "YAML nested deeper than %d levels",
                          RF_YAML_MAX_DEPTH);
            return -1;
        }
        rf_ynode *n = new_node(b, is_seq ? RF_YNODE_SEQUENCE : RF_YNODE_MAPPING, mark);
        if (!n)
            return -1;
        /* Attach first so the tree owns it; then open it. */
        if (attach(b, n) < 0)
            return -1;
        b->pending_key[b->depth] = NULL;
        b->stack[b->depth++] = n;
        return 1;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0) {
            b->depth--;
            /* A key without a value cannot happen in a well-formed stream. */
            rf_ynode_free(b->pending_key[b->depth]);
            b->pending_key[b->depth] = NULL;
        }
        return 1;
    default:
        return 1;
    }
}

/* The reader (bad encoding, control characters) reports a byte offset,
 * not a mark: turn it into a line and a (byte) column. */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset)
{
    yaml_mark_t m = {0, 0, 0};
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    m.index = offset;
    return m;
}

int rf_yaml_parse(const char *text, size_t len, rf_ynode **root, rf_diag_sink *s)
{
    *root = NULL;
    builder b;
    memset(&b, 0, sizeof b);
    b.s = s;
    b.discard.kind = RF_YNODE_MAPPING;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        rf_diag_error(s, 0, 0, "out of memory while starting the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int status = 1;
    while (status == 1) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const char *problem = parser.problem ? parser.problem : "malformed YAML";
            yaml_mark_t at = parser.problem_mark;
            if (parser.error == YAML_READER_ERROR)
                at = mark_of_offset(text, len, parser.problem_offset);
            if (parser.context)
                rf_diag_error(s, (int)at.line + 1, (int)at.column + 1, "YAML syntax error: %s %s",
                              problem, parser.context);
            else
                rf_diag_error(s, (int)at.line + 1, (int)at.column + 1, "YAML syntax error: %s",
                              problem);
            status = -1;
            break;
        }
        status = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    /* Unwind pending keys of collections still open after an error. */
    for (int i = 0; i < b.depth; i++)
        rf_ynode_free(b.pending_key[i]);
    for (int i = 0; i < b.discard.n; i++) {
        rf_ynode_free(b.discard.keys[i]);
        rf_ynode_free(b.discard.items[i]);
    }
    free(b.discard.keys);
    free(b.discard.items);
    if (status < 0) {
        rf_ynode_free(b.root);
        return -1;
    }
    if (!b.root) {
        rf_diag_error(s, 1, 1, "the file is empty; a model file is a mapping with the keys "
                               "name, input, batch, layers, loss and optimizer");
        return -1;
    }
    *root = b.root;
    return 0;
}
