/* Finding regfitc's own files (see home.h). */
#include "home.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REGFIT_SOURCE_DIR
#define REGFIT_SOURCE_DIR "."
#endif

/* PREFIX/share/regfitc of the running executable, when it holds the runtime. */
static int installed_home(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/'); /* PREFIX/bin/regfitc -> PREFIX/bin */
    if (!slash)
        return -1;
    *slash = '\0';
    slash = strrchr(exe, '/'); /* PREFIX/bin -> PREFIX */
    if (!slash || strcmp(slash, "/bin") != 0)
        return -1;
    *slash = '\0';
    if (snprintf(buf, len, "%s/share/regfitc", exe) >= (int)len)
        return -1;
    char probe[PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/runtime/rf_abi.h", buf);
    return access(probe, R_OK) == 0 ? 0 : -1;
}

const char *rf_home(void)
{
    static char home[PATH_MAX];
    const char *env = getenv("REGFIT_HOME");
    if (env && *env)
        snprintf(home, sizeof home, "%s", env);
    else if (installed_home(home, sizeof home) != 0)
        snprintf(home, sizeof home, "%s", REGFIT_SOURCE_DIR);
    return home;
}
