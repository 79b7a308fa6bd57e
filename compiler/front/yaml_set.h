/* --set KEY=VALUE (SPEC section 2): overrides applied to the YAML tree
 * after parsing and before checking, so the checker sees one tree and
 * reports on overridden values as on any other.
 *
 * KEY is a path of mapping keys and list indices separated by dots
 * (optimizer.sgd.lr, decay.0.l2, layers.2.dropout). VALUE is parsed as
 * YAML on its own: a plain scalar (0.1 is a number, "0.1" a string, an
 * empty VALUE is null) or a flow collection ([0.9, 0.99], {cosine: {}}).
 *
 * - A node the path reaches is replaced; the new node takes the old one's
 *   line and column, so later messages point at the key in the file.
 * - A missing mapping key is added, with any missing mappings on the way
 *   (train.validation in a file without train), all positioned at the
 *   deepest node of the path that exists. A null value on the way (train:
 *   with nothing after it) becomes a mapping. The checker then reports a
 *   key it does not know, as it does for the file's own keys.
 * - Every node put in by a --set carries the argument (rf_ynode.set_arg),
 *   and the checker's messages about such a node end in "(from --set ARG)".
 * - A path that cannot be followed is an error at the node where it
 *   stopped: into a scalar, an index out of range or not a number, a
 *   missing key before an index (--set adds mappings, not lists), an empty
 *   or malformed part; with a did-you-mean among that mapping's keys. */
#ifndef RF_YAML_SET_H
#define RF_YAML_SET_H

#include "diag.h"
#include "yaml_doc.h"

#define RF_SET_MAX_ARGS 256                 /* --set arguments in one run */
#define RF_SET_MAX_KEY 1024                 /* bytes of KEY */
#define RF_SET_MAX_VALUE RF_YAML_MAX_SCALAR /* bytes of VALUE */

/* Applies sets[0..n_sets) to the tree in order (a later --set of the same
 * KEY wins). Each argument that cannot be applied is reported to the sink
 * and skipped; the others are applied. sets[i] must stay alive as long as
 * the tree (nodes point at it). Returns the number of arguments refused. */
int rf_yaml_apply_sets(rf_ynode *root, const char *const *sets, int n_sets, rf_diag_sink *s);

/* The note that ends a checker message about a node from --set:
 * " (from --set ARG)", with ARG cut to a readable length; on a key that
 * --set added and that may misspell another key of its mapping, also
 * "which added 'KEY'; did you mean 'OTHER'?" unless `message` already
 * has a did-you-mean. Empty when n carries no --set. */
void rf_yaml_set_note(const rf_ynode *n, const char *message, char *buf, size_t size);

#endif
