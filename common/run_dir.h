/* The run folder RUNS/NAME/ (see train.h): creating it, clearing what a
 * killed run left, and the paths of its files. */
#ifndef RF_RUN_DIR_H
#define RF_RUN_DIR_H

#include <stddef.h>

#define RF_PATH_MAX 4096

/* mkdir -p, then checks the folder is writable. Returns 0, or -1 with a message. */
int rf_make_dirs(const char *path, char *err, size_t errlen);

/* 0 when path could be created as a folder or written into: it is a
 * writable folder, or its nearest existing ancestor is. -1 with a message. */
int rf_dir_writable(const char *path, char *err, size_t errlen);

/* 0 when a file could be written at path (its folder exists and is
 * writable, and path is not a folder). -1 with a message. */
int rf_file_writable(const char *path, char *err, size_t errlen);

/* Removes the temporary files (FILE.tmp.XXXXXX, atomic_file.h) of the run
 * files that a killed run left behind. */
void rf_remove_stale_temps(const char *dir);

/* dir/file into out; -1 when it does not fit. */
int rf_run_path(char *out, size_t size, const char *dir, const char *file);

#endif
