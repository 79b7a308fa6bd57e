/* The build driver: a checked model becomes a loaded shared object.
 *
 * rf_build() emits NAME.h, NAME.c and the glue file, compiles them (plus any
 * extra sources) with the C compiler into a shared object in a cache folder,
 * and dlopen()s it. The compiles run at once, one process each: NAME.c as its
 * two parts (-DNAME_PART=1, everything but the backward pass, and
 * -DNAME_PART=2, the backward pass; a model without a backward pass whole)
 * and the glue, each to an object; the objects are then linked (a cold build
 * of the seed MLP takes about two thirds of one whole compile's time on two
 * cores). The cache key hashes everything that decides the
 * object's contents: the generated sources and glue, the extra sources, the
 * runtime headers they may include, the compiler command, its flags, its
 * `--version` output and, with -march=native, the CPU's model and feature
 * flags; an unchanged model therefore loads without compiling.
 *
 * Cache layout: CACHE/NAME-KEY.so, the sources it was built from in
 * CACHE/NAME-KEY.src/ (compiler messages point there). Each object is
 * compiled to a temporary name and renamed into place, so processes
 * building the same key at once all succeed and never load half a file; the
 * compile jobs' objects and logs are temporaries beside it, removed whether
 * the build succeeds or fails. */
#ifndef RF_BUILD_H
#define RF_BUILD_H

#include <stddef.h>

#include "model.h"
#include "rf_abi.h"

/* The flags generated code is built with unless told otherwise. */
#define RF_DEFAULT_CFLAGS "-O3 -march=native -fopenmp"

typedef struct {
    const char *cc;          /* NULL: $CC, else "clang" (split on spaces: "ccache clang" works) */
    const char *cflags;      /* NULL: "-O3 -march=native -fopenmp" */
    const char *cache_dir;   /* NULL: $REGFIT_CACHE, else $XDG_CACHE_HOME/regfitc, else $HOME/.cache/regfitc, else /tmp/regfitc-cache-UID */
    const char *const *extra_sources; /* NULL-terminated list of extra .c files compiled into the same object (the bench adds runtime/generic.c); may be NULL */
    int verbose;             /* print the compiler command lines to stderr */
} rf_build_options;

typedef struct {
    void *handle;                  /* dlopen handle */
    const rf_compiled *model;      /* the ABI table */
    char so_path[4096];
    int cached;                    /* 1 when the cache already had it (no compile ran) */
} rf_built;

/* Emits the code, compiles NAME.c + glue (+ extras) into a shared object in
 * the cache (see above), then dlopen()s it and checks the loaded table
 * against the model (name, shapes, parameter names and sizes). Each compile
 * job is `-std=c11 -fPIC -fvisibility=hidden` + cflags + `-I<the sources>
 * -I<rf_home()>/runtime` (home.h) [+ `-DNAME_PART=k`] `-c`; the link is
 * `-std=c11 -fPIC -shared -fvisibility=hidden` + cflags + the includes + the
 * objects and extra sources + `-lm -Wl,-Bsymbolic`; only rf_compiled_model is
 * exported. Returns 0, or -1 with a message in err; when a command fails, err
 * holds its exit status and the compiler's messages (its stdout and stderr,
 * cut to fit err), and the other jobs are stopped. Nothing is printed except
 * the command lines (stderr) with opt->verbose. */
int rf_build(const rf_model *m, const rf_build_options *opt, rf_built *out, char *err, size_t errlen);

/* dlclose()s a built model and clears *b. */
void rf_build_close(rf_built *b);

/* The cache folder rf_build uses for these options (see rf_build_options). */
void rf_build_cache_dir(const rf_build_options *opt, char *buf, size_t len);

#endif
