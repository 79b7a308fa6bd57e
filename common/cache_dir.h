/* The regfitc cache folder: the build cache's root (compiled models) and,
 * under it, data/ (decoded data sets, runtime/data_cache.h). */
#ifndef RF_CACHE_DIR_H
#define RF_CACHE_DIR_H

#include <stddef.h>

/* $REGFIT_CACHE, else $XDG_CACHE_HOME/regfitc, else $HOME/.cache/regfitc,
 * else /tmp/regfitc-cache-UID (empty variables count as unset): the rule of
 * rf_build_cache_dir (compiler/build/build.h) when no folder is given. */
void rf_cache_dir(char *buf, size_t len);

#endif
