/* Shared between the check_*.c files; not a public interface. */
#ifndef RF_CHECK_INTERNAL_H
#define RF_CHECK_INTERNAL_H

#include "check.h"

#include <stdint.h>

#define RF_MAX_COUNT (1 << 24) /* units, input, batch, samples: far beyond any sane model,
                                  and small enough that products stay exact in int64 */

typedef struct {
    rf_diag_sink *s;
    rf_model *m;
    const char *path;
    /* nodes kept for the cross checks (NULL when absent) */
    const rf_ynode *root, *input_node, *batch_node, *layers_node, *loss_node, *decay_node,
        *data_node, *validation_node, *early_stopping_node, *monitor_node;
    /* which sections came through clean; cross checks need their inputs sound */
    int input_ok, batch_ok, layers_ok, loss_ok, data_ok, decay_ok, validation_ok;
} rf_checker;

void ck_error(rf_checker *c, const rf_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ck_warning(rf_checker *c, const rf_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "a list", "a mapping", "the string \"0.1\"", "1.5", "an empty value" */
const char *ck_describe(const rf_ynode *n, char *buf, size_t size);

/* Closest of `choices` (NULL-terminated) to `word` by edit distance, or
 * NULL when none is close enough to be a likely misspelling. */
const char *ck_suggest(const char *word, const char *const *choices);

/* Appends "; did you mean 'X'?" to buf when there is a suggestion. */
void ck_hint(char *buf, size_t size, const char *word, const char *const *choices);

/* Readers: each returns 0 with the value, or -1 after reporting at `n`.
 * `what` names the value in messages ("lr", "units"). */
int ck_is_null(const rf_ynode *n);
int ck_number(rf_checker *c, const rf_ynode *n, const char *what, double *out);
int ck_int(rf_checker *c, const rf_ynode *n, const char *what, long long min, long long max,
           long long *out);
int ck_u64(rf_checker *c, const rf_ynode *n, const char *what, uint64_t *out);
int ck_string(rf_checker *c, const rf_ynode *n, const char *what, const char **out);
/* A name [a-z][a-z0-9_]*, at most RF_NAME_MAX characters, copied to out. */
int ck_name(rf_checker *c, const rf_ynode *n, const char *what, char out[RF_NAME_MAX + 1]);
/* true or false (YAML booleans, unquoted). */
int ck_bool(rf_checker *c, const rf_ynode *n, const char *what, int *out);
/* A number in [lo, hi] (lo_open/hi_open exclude the end). */
int ck_range(rf_checker *c, const rf_ynode *n, const char *what, double lo, int lo_open,
             double hi, int hi_open, double *out);

/* n must be a mapping (reported otherwise). Every key must be in
 * `allowed` (unknown keys reported with a suggestion); every key in
 * `required` must be present (reported at the mapping). Returns 0 when
 * n is a mapping (even if some keys were wrong), -1 when it is not. */
int ck_keys(rf_checker *c, const rf_ynode *n, const char *what, const char *const *allowed,
            const char *const *required);

/* For { kind: value } mappings with exactly one key from `kinds`:
 * returns the index of the kind and sets *value, or -1 after reporting. */
int ck_one_of(rf_checker *c, const rf_ynode *n, const char *what, const char *const *kinds,
              const rf_ynode **value);

int ck_index_of(const char *word, const char *const *choices);

void ck_data(rf_checker *c, const rf_ynode *n);
void ck_cross(rf_checker *c);

#endif
