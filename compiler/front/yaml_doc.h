/* The YAML document as a small tree of nodes with positions.
 *
 * libyaml's event parser feeds a tree builder that refuses what a model
 * file never needs and a hostile file could abuse: anchors and aliases
 * (alias bombs), tags, more than one document, nesting deeper than
 * RF_YAML_MAX_DEPTH, scalars longer than RF_YAML_MAX_SCALAR, more than
 * RF_YAML_MAX_NODES nodes, non-scalar or duplicate mapping keys. */
#ifndef RF_YAML_DOC_H
#define RF_YAML_DOC_H

#include "diag.h"

#include <stddef.h>

#define RF_YAML_MAX_DEPTH 64
#define RF_YAML_MAX_SCALAR 4096
#define RF_YAML_MAX_NODES 100000

typedef enum { RF_YNODE_SCALAR, RF_YNODE_SEQUENCE, RF_YNODE_MAPPING } rf_ynode_kind;

typedef struct rf_ynode rf_ynode;
struct rf_ynode {
    rf_ynode_kind kind;
    int line, col;     /* 1-based start of the node */
    /* scalar */
    char *value;       /* NUL-terminated (embedded NULs are refused) */
    size_t len;
    int quoted;        /* any style but plain: "0.1" is a string, not a number */
    /* sequence: items[0..n); mapping: keys[0..n) (scalars) and values[0..n) */
    rf_ynode **items;
    rf_ynode **keys;
    int n, cap;
    /* --set (yaml_set.h): the argument that put this node here, or NULL for
     * the file's own nodes; checker messages about it name the argument.
     * On a key that --set added, set_hint is a key of the same mapping it
     * may misspell (else NULL). Neither is owned by the node. */
    const char *set_arg;
    const char *set_hint;
};

/* Parses text into *root. Problems go to the sink. Returns 0 with a tree
 * (possibly after non-fatal errors such as a duplicate key, which the sink
 * counted), or -1 with *root NULL when the text cannot be made a tree. */
int rf_yaml_parse(const char *text, size_t len, rf_ynode **root, rf_diag_sink *s);

void rf_ynode_free(rf_ynode *n);

/* Appends an item to a sequence (key NULL) or a pair to a mapping; the
 * collection then owns them. Returns -1 on out of memory (nothing taken). */
int rf_ynode_add(rf_ynode *coll, rf_ynode *key, rf_ynode *value);

/* The value for `key` in a mapping, or NULL. */
const rf_ynode *rf_ynode_get(const rf_ynode *map, const char *key);

const char *rf_ynode_kind_name(rf_ynode_kind k);

#endif
