/* Reading a whole input file, bounded: the loaders (IDX, CSV, checkpoints)
 * read through zlib, which reads gzip and plain files alike, and never
 * hold more than the caller allows, whatever the file claims. */
#ifndef RF_FILE_READ_H
#define RF_FILE_READ_H

#include <stddef.h>

/* Reads PATH (gzip-compressed or plain) into a malloc'd buffer, at most
 * max_len bytes. *more is set to 1 when the file holds more than that.
 * The buffer grows as data arrives (so a short file never costs max_len)
 * and always has one spare byte, set to '\0' after the data.
 * Returns 0, or -1 with "PATH: what is wrong" in err (nothing allocated). */
int rf_read_file(const char *path, size_t max_len, unsigned char **buf, size_t *len, int *more, char *err,
                 size_t errlen);

#endif
