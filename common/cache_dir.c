/* The regfitc cache folder (see cache_dir.h). */
#include "cache_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void rf_cache_dir(char *buf, size_t len)
{
    const char *env;
    if ((env = getenv("REGFIT_CACHE")) && *env)
        snprintf(buf, len, "%s", env);
    else if ((env = getenv("XDG_CACHE_HOME")) && *env)
        snprintf(buf, len, "%s/regfitc", env);
    else if ((env = getenv("HOME")) && *env)
        snprintf(buf, len, "%s/.cache/regfitc", env);
    else
        snprintf(buf, len, "/tmp/regfitc-cache-%u", (unsigned)getuid());
}
