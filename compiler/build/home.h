/* Where regfitc's own files are: the runtime headers the generated glue is
 * compiled against, and the sources the benchmark builds with it. */
#ifndef RF_HOME_H
#define RF_HOME_H

/* The folder holding runtime/ (and compiler/front/model.c for the bench):
 *   1. $REGFIT_HOME when set and not empty;
 *   2. else PREFIX/share/regfitc when the program runs as PREFIX/bin/regfitc
 *      and that folder holds runtime/rf_abi.h (an installed regfitc, found
 *      from its own executable, so any prefix works and the source tree
 *      may be gone);
 *   3. else the source tree the program was built from (REGFIT_SOURCE_DIR).
 * Looked up at every call (the environment may change); the string stays
 * valid until the next call. */
const char *rf_home(void);

#endif
