/* The --check summary (rf_print_summary, declared in frontend.h) and the
 * number formatting it uses. */
#ifndef RF_SUMMARY_H
#define RF_SUMMARY_H

#include <stddef.h>

/* 1234567 -> "1,234,567" (digits grouped by three). */
void rf_format_count(double x, char *buf, size_t size);

/* Bytes as "812.0 KiB", "2.3 MiB", "7.5 GiB". */
void rf_format_bytes(double bytes, char *buf, size_t size);

#endif
