/* The micro-kernel's depth loops keep their accumulators in registers: in the
 * object code of generated/mlp_dropout.c and of its bf16 twin mlp_dropout_bf16.c, whose
 * products run the same kernels on rounded copies, two depth steps a loop (whole, and each
 * of its two parts, as regfitc's build compiles them), for AVX2 (x86-64-v3: 15 of 16
 * vector registers in use) and AVX-512 (x86-64-v4), and the bf16 twin's kernel of pairs
 * with AVX512_BF16's dot products (the whole file), no inner loop of FMAs reads or writes
 * the stack. A spilled accumulator costs a store and a load on every
 * step of its FMA chain (the step 1.3x to 1.6x slower, seen twice in clang
 * inlining contexts: product.h's DEPTH_LOOP and IN_MEMORY). A structural
 * check of the code, not a timing: it reads objdump's disassembly. */
#include "rftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INSNS = 400000 };

typedef struct {
    unsigned long addr;
    char text[96];
} insn;

static insn *insns;

/* Disassembles obj into insns (AT&T syntax, no raw bytes); returns the count. */
static int disassemble(const char *obj)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn '%s'", obj);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, p) && n < MAX_INSNS) {
        char *colon = strchr(line, ':');
        char *end;
        unsigned long addr = strtoul(line, &end, 16);
        if (!colon || end != colon || end == line || colon[1] != '\t')
            continue; /* a label, a heading or a blank line */
        insns[n].addr = addr;
        snprintf(insns[n].text, sizeof insns[n].text, "%s", colon + 2);
        n++;
    }
    return pclose(p) == 0 ? n : -1;
}

/* Inner FMA loops (a backward jump over at most 60 instructions, none an unconditional jump,
 * 10 or more of them FMAs or bf16 dot products: a bf16 kernel's loop of two depth steps is
 * 55 with AVX-512) and how many of those touch the stack; prints each such loop. */
static void scan(const char *what, int n, int *loops, int *spilling)
{
    *loops = *spilling = 0;
    for (int i = 0; i < n; i++) {
        if (insns[i].text[0] != 'j')
            continue;
        const char *target = strchr(insns[i].text, ' ');
        if (!target)
            continue;
        unsigned long to = strtoul(target, NULL, 16);
        int start = i;
        while (start > 0 && i - start < 60 && insns[start].addr > to)
            start--;
        if (insns[start].addr != to || to >= insns[i].addr)
            continue;
        int fmas = 0, stack = 0, jumps = 0;
        for (int k = start; k < i; k++) /* a loop's body runs down to the jump back (exits aside) */
            jumps += strncmp(insns[k].text, "jmp", 3) == 0;
        if (jumps)
            continue;
        for (int k = start; k <= i; k++) {
            fmas += strncmp(insns[k].text, "vfmadd", 6) == 0 || strncmp(insns[k].text, "vdpbf16ps", 9) == 0;
            stack += strstr(insns[k].text, "(%rsp") != NULL;
        }
        if (fmas < 10)
            continue;
        (*loops)++;
        if (stack) {
            (*spilling)++;
            fprintf(stderr, "\n  %s: the loop at %#lx (%d instructions, %d FMAs) touches the stack %d times",
                    what, to, i - start + 1, fmas, stack);
        }
    }
}

/* The kernels' loops of generated/NAME.c (NAME, and its macro prefix MACRO) for both
 * targets, whole and in parts; bf16: with AVX512_BF16 too. */
static void check_file(const char *name, const char *macro, int bf16)
{
    static const char *const archs[] = {"x86-64-v3", "x86-64-v4", "x86-64-v4 -mavx512bf16"};
    for (int a = 0; a < 2 + bf16; a++) {
        int loops_of_arch = 0;
        for (int p = 0; p < (a < 2 ? 3 : 1); p++) { /* AVX512_BF16: the whole file only */
            char obj[4300], cmd[9000], what[160], part[96] = "";
            if (p)
                snprintf(part, sizeof part, "-D%s_PART=%d", macro, p);
            snprintf(obj, sizeof obj, "%s/spills.o", rf_test_tmpdir());
            snprintf(cmd, sizeof cmd,
                     "clang -std=c11 -O3 -march=%s -fopenmp -fPIC %s -I'%s/generated' -c "
                     "'%s/generated/%s.c' -o '%s'",
                     archs[a], part, rf_test_source_dir(), rf_test_source_dir(), name, obj);
            CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
            const int n = disassemble(obj);
            CU_ASSERT_FATAL(n > 1000);
            int loops, spilling;
            snprintf(what, sizeof what, "%s -march=%s %s", name, archs[a], p ? part : "(whole)");
            scan(what, n, &loops, &spilling);
            CU_ASSERT_EQUAL(spilling, 0);
            loops_of_arch += loops;
        }
        fprintf(stderr, "\n    %s -march=%s: %d kernel loops ", name, archs[a], loops_of_arch);
        /* the scan finds the kernels at all: the file has a dozen of them (half of them in
         * the whole file alone) */
        CU_ASSERT(loops_of_arch >= (a < 2 ? 12 : 6));
    }
}

static void test_no_spilled_accumulator(void)
{
    insns = malloc(sizeof *insns * MAX_INSNS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(insns);
    check_file("mlp_dropout", "MLP_DROPOUT", 0);
    check_file("mlp_dropout_bf16", "MLP_DROPOUT_BF16", 1);
    free(insns);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"no FMA loop of generated/mlp_dropout.c or mlp_dropout_bf16.c spills (AVX2, AVX-512, AVX512_BF16)",
         test_no_spilled_accumulator},
        {NULL, NULL},
    };
    return rf_test_main("codegen_spills", cases, argc, argv);
}
