/* Sections of the code templates (compiler/emit/templates: vector.h and product.h, embedded at
 * build time) copied into a generated file with NAME_ renamed to the model's prefix. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

void rf_emit_template(rf_codebuf *cb, const rf_plan *p, const char *tmpl, const char *section)
{
    char marker[96];
    snprintf(marker, sizeof marker, "/*@ section %s @*/\n", section);
    const char *s = strstr(tmpl, marker);
    if (!s) {
        rf_cb_raw(cb, "#error regfitc: no template section %s\n", section);
        return;
    }
    s += strlen(marker);
    const char *end = strstr(s, "/*@ section ");
    if (!end)
        end = s + strlen(s);
    while (end > s && end[-1] == '\n' && (end - 1 == s || end[-2] == '\n'))
        end--; /* the blank lines before the next section */
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        char line[512];
        size_t o = 0;
        for (const char *c = s; c < stop && o + RF_NAME_MAX + 2 < sizeof line; c++) {
            if (strncmp(c, "NAME_", 5) == 0 && c + 5 <= stop) {
                o += (size_t)snprintf(line + o, sizeof line - o, "%s_", p->name);
                c += 4;
            } else {
                line[o++] = *c;
            }
        }
        line[o] = '\0';
        rf_cb_line(cb, "%s", line);
        s = nl ? nl + 1 : end;
    }
    rf_cb_line(cb, "");
}
