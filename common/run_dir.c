/* The run folder (see run_dir.h). */
#include "run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rf_run_path(char *out, size_t size, const char *dir, const char *file)
{
    return snprintf(out, size, "%s/%s", dir, file) < (int)size ? 0 : -1;
}

int rf_make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[RF_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", buf, strerror(errno));
                return -1;
            }
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "cannot create folder %s: not a folder", buf);
                return -1;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    if (access(buf, W_OK) != 0) {
        snprintf(err, errlen, "cannot write into folder %s: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

int rf_dir_writable(const char *path, char *err, size_t errlen)
{
    char buf[RF_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", *path ? path : ".") >= (int)sizeof buf) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    /* climb to the nearest part of the path that exists */
    for (;;) {
        struct stat st;
        if (stat(buf, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "cannot create folder %s: %s is not a folder", path, buf);
                return -1;
            }
            if (access(buf, W_OK | X_OK) != 0) {
                snprintf(err, errlen, "cannot write into folder %s: %s", buf, strerror(errno));
                return -1;
            }
            return 0;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            snprintf(err, errlen, "cannot create folder %s: %s: %s", path, buf, strerror(errno));
            return -1;
        }
        char *slash = strrchr(buf, '/');
        while (slash && slash > buf && slash[1] == '\0') { /* trailing slashes */
            *slash = '\0';
            slash = strrchr(buf, '/');
        }
        if (!slash) {
            strcpy(buf, ".");
        } else if (slash == buf) {
            buf[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
}

int rf_file_writable(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot write %s: it is a folder", path);
        return -1;
    }
    char dir[RF_PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot write %s: the folder %s does not exist", path, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "cannot write %s: %s: %s", path, dir, strerror(errno));
        return -1;
    }
    return 0;
}

void rf_remove_stale_temps(const char *dir)
{
    static const char *const files[] = {"metrics.csv.tmp.", "loss.svg.tmp.", "model.ckpt.tmp.", "best.ckpt.tmp.",
                                        "last.ckpt.tmp.", "model.id.tmp."};
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            size_t n = strlen(files[i]);
            if (strncmp(e->d_name, files[i], n) == 0 && strlen(e->d_name) == n + 6) {
                char path[RF_PATH_MAX + 300];
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                unlink(path);
            }
        }
    }
    closedir(d);
}
