/* Files written whole or not at all: write to a temporary file in the same
 * folder, flush and fsync it, then rename() it over the destination. A
 * reader (or a SIGKILL at any moment) sees the old whole file or the new
 * whole file, never a half-written one; on any error the temporary file is
 * removed and the destination is untouched. */
#ifndef RF_ATOMIC_FILE_H
#define RF_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *f;            /* write through this (fprintf, fwrite, ...) */
    char *final_path;
    char *temp_path;
} rf_atomic_file;

/* Opens DEST.tmp.XXXXXX beside DEST. Returns 0, or -1 with errno set and a
 * message in err (when err is not NULL). */
int rf_atomic_open(rf_atomic_file *af, const char *dest, char *err, size_t errlen);

/* Flushes, fsyncs and renames over the destination; on any write error so
 * far (or now) removes the temporary file and returns -1 with a message. */
int rf_atomic_commit(rf_atomic_file *af, char *err, size_t errlen);

/* Gives up: closes and removes the temporary file. */
void rf_atomic_abort(rf_atomic_file *af);

/* The whole buffer to DEST atomically. Returns 0 or -1 with a message. */
int rf_atomic_write(const char *dest, const void *data, size_t len, char *err, size_t errlen);

#endif
