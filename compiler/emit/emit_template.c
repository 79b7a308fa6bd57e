/* Sections of the code templates (compiler/emit/templates: vector.h and product.h, embedded at
 * build time) copied into a generated file with NAME_ renamed to the model's prefix and the
 * `#if BF16_INPUTS` blocks resolved for the model's precision. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

/* Where a line stands in the `#if BF16_INPUTS` blocks (see templates/vector.h). */
typedef struct {
    int in_block; /* inside an #if BF16_INPUTS */
    int keeping;  /* the branch being read is the model's */
    int depth;    /* other #if's opened inside the block */
} bf16_blocks;

/* 1 when the line (without its newline) goes into the file; follows the directives. */
static int bf16_keep_line(bf16_blocks *b, const rf_plan *p, const char *s, size_t len)
{
    const int bf16 = p->precision == RF_PRECISION_BF16;
#define IS(word) (len == strlen(word) && strncmp(s, word, len) == 0)
    if (!b->in_block) {
        if (!IS("#if BF16_INPUTS"))
            return 1;
        *b = (bf16_blocks){1, bf16, 0};
        return 0;
    }
    if (strncmp(s, "#if", 3) == 0)
        b->depth++;
    else if (b->depth == 0 && IS("#else")) {
        b->keeping = !bf16;
        return 0;
    } else if (strncmp(s, "#endif", 6) == 0 && b->depth-- == 0) {
        *b = (bf16_blocks){0, 0, 0};
        return 0;
    }
#undef IS
    return b->keeping;
}

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
    bf16_blocks blocks = {0, 0, 0};
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        if (!bf16_keep_line(&blocks, p, s, (size_t)(stop - s))) {
            s = nl ? nl + 1 : end;
            continue;
        }
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
