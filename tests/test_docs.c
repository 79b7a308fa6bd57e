/* The manual's examples are run (docs/README.md, "How the examples are
 * tested"): each docs/NAME.md page gets its own empty folder, and its marked
 * blocks run in order there:
 *
 *   ```yaml file=NAME.yaml [check=N]   saved, then regfitc --check must exit N (default 0)
 *   ```yaml base=NAME.yaml [file=F]    a fragment: its top-level keys replace NAME.yaml's (saved as F); must check
 *   ```LANG file=NAME                  saved
 *   ```sh                              "$ CMD" lines run by /bin/sh; the lines after one are its
 *                                      stdout then stderr; "..." a line = any lines, in a line = any text
 *   pending=FEATURE                    skipped while FEATURE is in not_built_yet below
 *
 * Also: regfitc --help and docs/command-line.md name every option of the
 * command line and every environment variable; the man page is what
 * docs/make_man.sh makes of command-line.md; relative links lead to files. */
#include "rftest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Features documented before they are built: their blocks (pending=FEATURE)
 * are skipped, visibly. Empty: everything the manual shows is built. */
static const char *const not_built_yet[] = {NULL};

/* Pages linked from the manual that another branch writes. */
static const char *const pages_written_elsewhere[] = {NULL};

/* The environment variables regfitc honours (command-line.md, --help). */
static const char *const environment[] = {"REGFIT_HOME", "REGFIT_CACHE", "XDG_CACHE_HOME", "REGFIT_DATA",
                                          "REGFIT_DATA_CACHE", "REGFIT_CFLAGS", "CC", NULL};

static int in_list(const char *word, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(word, list[i]))
            return 1;
    return 0;
}

/* ---- text helpers ---- */

typedef struct {
    char **v;
    int n, cap;
} lines;

static void lines_push(lines *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(l->v);
    }
    l->v[l->n] = strndup(s, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l->v[l->n]);
    l->n++;
}

static void lines_free(lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Splits text into lines (no trailing empty line for a final newline). */
static lines split_lines(const char *text)
{
    lines l = {0};
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        lines_push(&l, text, len);
        text += len + (nl != NULL);
    }
    return l;
}

static char *read_text(const char *path)
{
    size_t len;
    return rf_test_read_file(path, &len);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

/* "key=value" among the words of a fence's info string, or NULL. */
static const char *attribute(const char *info, const char *key, char *buf, size_t size)
{
    size_t k = strlen(key);
    for (const char *p = info; (p = strstr(p, key)); p += k) {
        if ((p != info && p[-1] != ' ') || p[k] != '=')
            continue;
        const char *v = p + k + 1;
        size_t n = strcspn(v, " ");
        snprintf(buf, size, "%.*s", (int)n, v);
        return buf;
    }
    return NULL;
}

/* ---- matching expected output: "..." ---- */

/* One line against a pattern in which "..." matches any text. */
static int line_matches(const char *pat, const char *s)
{
    const char *dots = strstr(pat, "...");
    if (!dots)
        return !strcmp(pat, s);
    size_t head = (size_t)(dots - pat);
    if (strncmp(pat, s, head) != 0)
        return 0;
    const char *rest = dots + 3;
    for (const char *t = s + head;; t++) {
        if (line_matches(rest, t))
            return 1;
        if (!*t)
            return 0;
    }
}

/* Lines against patterns in which a line "..." matches any number of lines. */
static int lines_match(char *const *pat, int np, char *const *s, int ns)
{
    if (np == 0)
        return ns == 0;
    if (!strcmp(pat[0], "...")) {
        for (int skip = 0; skip <= ns; skip++)
            if (lines_match(pat + 1, np - 1, s + skip, ns - skip))
                return 1;
        return 0;
    }
    return ns > 0 && line_matches(pat[0], s[0]) && lines_match(pat + 1, np - 1, s + 1, ns - 1);
}

/* ---- running ---- */

typedef struct {
    const char *page;  /* docs/NAME.md, for messages */
    char dir[4096];    /* the page's folder */
    int failures, commands, skipped;
} page_run;

/* Runs cmd with /bin/sh in the page's folder; returns its status and the
 * lines of stdout followed by those of stderr. */
static int run_shell(page_run *p, const char *cmd, lines *out)
{
    char script[8192], outp[4200], errp[4200];
    snprintf(outp, sizeof outp, "%s/.stdout", p->dir);
    snprintf(errp, sizeof errp, "%s/.stderr", p->dir);
    write_text(strcat(strcpy(script, p->dir), "/.command"), cmd);
    snprintf(script, sizeof script, "cd '%s' && /bin/sh ./.command >'%s' 2>'%s' </dev/null", p->dir, outp, errp);
    int status = system(script);
    char *o = read_text(outp), *e = read_text(errp);
    lines lo = split_lines(o ? o : ""), le = split_lines(e ? e : "");
    for (int i = 0; i < lo.n; i++)
        lines_push(out, lo.v[i], strlen(lo.v[i]));
    for (int i = 0; i < le.n; i++)
        lines_push(out, le.v[i], strlen(le.v[i]));
    lines_free(&lo);
    lines_free(&le);
    free(o);
    free(e);
    unlink(outp);
    unlink(errp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void report(page_run *p, int line, const char *what, const char *cmd, char *const *want, int nwant,
                   const lines *have, int status)
{
    fprintf(stderr, "\n%s:%d: %s\n  command: %s\n  exit status: %d\n  expected:\n", p->page, line, what, cmd, status);
    for (int i = 0; i < nwant; i++)
        fprintf(stderr, "    | %s\n", want[i]);
    fprintf(stderr, "  got:\n");
    for (int i = 0; i < have->n; i++)
        fprintf(stderr, "    | %s\n", have->v[i]);
    p->failures++;
}

/* One "$ CMD" with its expected lines. */
static void run_command(page_run *p, int line, const char *cmd, char *const *want, int nwant)
{
    lines have = {0};
    int status = run_shell(p, cmd, &have);
    p->commands++;
    if (status != 0)
        report(p, line, "the command failed", cmd, want, nwant, &have, status);
    else if (!lines_match(want, nwant, have.v, have.n))
        report(p, line, "the output differs", cmd, want, nwant, &have, status);
    lines_free(&have);
}

static void run_sh_block(page_run *p, const lines *body, int first_line)
{
    for (int i = 0; i < body->n;) {
        if (strncmp(body->v[i], "$ ", 2) != 0) {
            fprintf(stderr, "\n%s:%d: a sh block's lines are '$ ' commands and their output\n", p->page,
                    first_line + i);
            p->failures++;
            return;
        }
        int j = i + 1;
        while (j < body->n && strncmp(body->v[j], "$ ", 2) != 0)
            j++;
        run_command(p, first_line + i, body->v[i] + 2, body->v + i + 1, j - i - 1);
        i = j;
    }
}

static char *join(const lines *l)
{
    size_t n = 1;
    for (int i = 0; i < l->n; i++)
        n += strlen(l->v[i]) + 1;
    char *s = malloc(n), *o = s;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int i = 0; i < l->n; i++)
        o += sprintf(o, "%s\n", l->v[i]);
    *o = '\0';
    return s;
}

/* The top-level key of a line ("name" of "name: x"), or 0 when the line
 * is not a top-level key. */
static size_t top_key(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
    return n > 0 && s[n] == ':' ? n : 0;
}

/* base's lines without the top-level sections whose keys the fragment holds,
 * then the fragment. */
static char *compose(const char *base_text, const lines *fragment)
{
    lines base = split_lines(base_text), merged = {0};
    int dropping = 0;
    for (int i = 0; i < base.n; i++) {
        size_t k = top_key(base.v[i]);
        if (k) {
            dropping = 0;
            for (int j = 0; j < fragment->n && !dropping; j++)
                dropping = top_key(fragment->v[j]) == k && !strncmp(fragment->v[j], base.v[i], k);
        }
        if (!dropping)
            lines_push(&merged, base.v[i], strlen(base.v[i]));
    }
    for (int j = 0; j < fragment->n; j++)
        lines_push(&merged, fragment->v[j], strlen(fragment->v[j]));
    char *s = join(&merged);
    lines_free(&base);
    lines_free(&merged);
    return s;
}

static void check_model(page_run *p, int line, const char *file, int want_status)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "regfitc --check '%s'", file);
    lines have = {0};
    int status = run_shell(p, cmd, &have);
    p->commands++;
    if (status != want_status) {
        char want[64];
        snprintf(want, sizeof want, "(exit status %d)", want_status);
        char *w = want;
        report(p, line, "regfitc --check gave another exit status", cmd, &w, 1, &have, status);
    }
    lines_free(&have);
}

static void run_block(page_run *p, const char *info, const lines *body, int first_line)
{
    char lang[64], file[256], base[256], check[32], pending[64];
    snprintf(lang, sizeof lang, "%.*s", (int)strcspn(info, " "), info);
    if (attribute(info, "pending", pending, sizeof pending) && in_list(pending, not_built_yet)) {
        fprintf(stderr, "\n  %s:%d: skipped (pending=%s: not built yet)", p->page, first_line, pending);
        p->skipped++;
        return;
    }
    char path[4600];
    int named = attribute(info, "file", file, sizeof file) != NULL;
    if (named && strchr(file, '/')) { /* file=app/main.c: its folder first */
        char sub[300];
        snprintf(sub, sizeof sub, "%.*s", (int)(strrchr(file, '/') - file), file);
        snprintf(path, sizeof path, "%s/%s", p->dir, sub);
        mkdir(path, 0755);
    }
    if (!strcmp(lang, "yaml") && attribute(info, "base", base, sizeof base)) {
        snprintf(path, sizeof path, "%s/%s", p->dir, base);
        char *base_text = read_text(path);
        if (!base_text) {
            fprintf(stderr, "\n%s:%d: base=%s was not saved earlier on the page\n", p->page, first_line, base);
            p->failures++;
            return;
        }
        char *text = compose(base_text, body);
        if (!named)
            snprintf(file, sizeof file, "fragment_line_%d.yaml", first_line);
        snprintf(path, sizeof path, "%s/%s", p->dir, file);
        write_text(path, text);
        free(text);
        free(base_text);
        check_model(p, first_line, file, 0);
    } else if (named) {
        snprintf(path, sizeof path, "%s/%s", p->dir, file);
        char *text = join(body);
        write_text(path, text);
        free(text);
        if (!strcmp(lang, "yaml"))
            check_model(p, first_line, file,
                        attribute(info, "check", check, sizeof check) ? atoi(check) : 0);
    } else if (!strcmp(lang, "sh")) {
        run_sh_block(p, body, first_line + 1);
    }
}

static void run_page(const char *name, page_run *p)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/%s", rf_test_source_dir(), name);
    char *text = read_text(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    lines l = split_lines(text);
    free(text);
    for (int i = 0; i < l.n; i++) {
        if (strncmp(l.v[i], "```", 3) != 0)
            continue;
        const char *info = l.v[i] + 3;
        lines body = {0};
        int j = i + 1;
        while (j < l.n && strcmp(l.v[j], "```") != 0)
            lines_push(&body, l.v[j], strlen(l.v[j])), j++;
        if (j == l.n) {
            fprintf(stderr, "\n%s:%d: a code block is never closed\n", p->page, i + 1);
            p->failures++;
        } else {
            run_block(p, info, &body, i + 1);
        }
        lines_free(&body);
        i = j;
    }
    lines_free(&l);
}

/* The pages of docs/ (NAME.md), sorted. */
static lines manual_pages(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/docs", rf_test_source_dir());
    DIR *d = opendir(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    lines pages = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 3 && !strcmp(e->d_name + n - 3, ".md"))
            lines_push(&pages, e->d_name, n);
    }
    closedir(d);
    for (int i = 1; i < pages.n; i++)
        for (int j = i; j > 0 && strcmp(pages.v[j - 1], pages.v[j]) > 0; j--) {
            char *t = pages.v[j];
            pages.v[j] = pages.v[j - 1];
            pages.v[j - 1] = t;
        }
    return pages;
}

/* PATH with the built regfitc first, a build cache that outlives the test
 * (the cache is keyed by content) and no data folder from the caller. */
static void example_environment(void)
{
    char dir[4096], path[16384], cache[4200];
    snprintf(dir, sizeof dir, "%s", rf_test_regfitc_exe());
    *strrchr(dir, '/') = '\0';
    const char *old = getenv("PATH");
    snprintf(path, sizeof path, "%s:%s", dir, old ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    snprintf(cache, sizeof cache, "%s/test_docs_cache", RF_BINARY_DIR);
    setenv("REGFIT_CACHE", cache, 1);
    setenv("REGFIT_BUILD", RF_BINARY_DIR, 1); /* for cmake --install in cmake.md */
    unsetenv("REGFIT_DATA");
}

static void test_examples_run(void)
{
    example_environment();
    lines pages = manual_pages();
    CU_ASSERT_TRUE(pages.n >= 10);
    int failures = 0, commands = 0, skipped = 0;
    for (int i = 0; i < pages.n; i++) {
        page_run p = {.page = pages.v[i]};
        snprintf(p.dir, sizeof p.dir, "%s/%s", rf_test_tmpdir(), pages.v[i]);
        p.dir[strlen(p.dir) - 3] = '\0';
        CU_ASSERT_EQUAL_FATAL(mkdir(p.dir, 0755), 0);
        run_page(pages.v[i], &p);
        failures += p.failures;
        commands += p.commands;
        skipped += p.skipped;
    }
    fprintf(stderr, "\n  %d pages, %d commands run, %d blocks skipped, %d failed ", pages.n, commands, skipped,
            failures);
    CU_ASSERT_TRUE(commands > 30);
    CU_ASSERT_EQUAL(failures, 0);
    lines_free(&pages);
}

/* ---- --help, command-line.md and the options of main.c ---- */

/* The options main.c compares arguments with: its string literals that
 * are a whole option ("--epochs", "-o"). */
static lines cli_options(void)
{
    static const char *const places[] = {"cli/main.c", "compiler/main.c", NULL};
    char *text = NULL;
    for (int i = 0; places[i] && !text; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", rf_test_source_dir(), places[i]);
        text = read_text(path);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    lines opts = {0};
    for (const char *p = text; (p = strstr(p, "\"-")); p++) {
        size_t n = strspn(p + 1, "-abcdefghijklmnopqrstuvwxyz");
        if (p[1 + n] != '"' || n < 2 || !strcmp(p + 1, "--\""))
            continue;
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)n, p + 1);
        int seen = 0;
        for (int i = 0; i < opts.n && !seen; i++)
            seen = !strcmp(opts.v[i], opt);
        if (!seen && strcmp(opt, "--"))
            lines_push(&opts, opt, strlen(opt));
    }
    free(text);
    return opts;
}

/* Whether word stands in text as itself (not as the start of a longer option). */
static int mentions(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p++) {
        char before = p == text ? ' ' : p[-1], after = p[n];
        if ((before == '-' || before == '_' || (before >= 'A' && before <= 'Z')) ||
            after == '-' || after == '_' || (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z'))
            continue;
        return 1;
    }
    return 0;
}

static void test_help_and_manual_name_every_option(void)
{
    rf_run_result r = rf_test_regfitc("--help");
    CU_ASSERT_EQUAL(r.status, 0);
    char *help = strdup(r.out);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/command-line.md", rf_test_source_dir());
    char *manual = read_text(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(manual);
    lines opts = cli_options();
    CU_ASSERT_TRUE(opts.n >= 20);
    for (int i = 0; i < opts.n; i++) {
        if (!mentions(help, opts.v[i]))
            fprintf(stderr, "\n  --help does not mention %s", opts.v[i]);
        if (!mentions(manual, opts.v[i]))
            fprintf(stderr, "\n  docs/command-line.md does not mention %s", opts.v[i]);
        CU_ASSERT_TRUE(mentions(help, opts.v[i]) && mentions(manual, opts.v[i]));
    }
    for (int i = 0; environment[i]; i++) {
        if (!mentions(help, environment[i]) || !mentions(manual, environment[i]))
            fprintf(stderr, "\n  --help or command-line.md does not mention $%s", environment[i]);
        CU_ASSERT_TRUE(mentions(help, environment[i]) && mentions(manual, environment[i]));
    }
    RF_ASSERT_CONTAINS(help, "docs/README.md");
    RF_ASSERT_CONTAINS(help, "man regfitc");
    RF_ASSERT_CONTAINS(help, "~/.cache/regfitc");
    lines_free(&opts);
    free(manual);
    free(help);
}

/* ---- the man page ---- */

static void test_man_page_is_made_from_the_manual(void)
{
    char cmd[8192];
    const char *src = rf_test_source_dir();
    char fresh[4200];
    snprintf(fresh, sizeof fresh, "%s/regfitc.1", rf_test_tmpdir());
    snprintf(cmd, sizeof cmd, "sh '%s/docs/make_man.sh' '%s/docs/command-line.md' > '%s'", src, src, fresh);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/regfitc.1", src);
    char *have = read_text(path), *want = read_text(fresh);
    CU_ASSERT_PTR_NOT_NULL_FATAL(have);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    if (strcmp(have, want) != 0)
        fprintf(stderr, "\n  docs/regfitc.1 is stale: sh docs/make_man.sh docs/command-line.md > docs/regfitc.1");
    CU_ASSERT_STRING_EQUAL(have, want);
    free(have);
    free(want);
    if (access("/usr/bin/groff", X_OK) != 0) {
        fprintf(stderr, "\n  (groff not installed: the page's rendering is not checked)");
        return;
    }
    /* groff warns on stderr about requests and escapes it does not know */
    char warnings[4200];
    snprintf(warnings, sizeof warnings, "%s/groff.err", rf_test_tmpdir());
    snprintf(cmd, sizeof cmd, "groff -man -Tutf8 -ww -z '%s' 2>'%s'", path, warnings);
    CU_ASSERT_EQUAL(system(cmd), 0);
    char *w = read_text(warnings);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    if (*w)
        fprintf(stderr, "\n  groff: %s", w);
    CU_ASSERT_STRING_EQUAL(w, "");
    free(w);
}

/* ---- links ---- */

static void test_links_lead_to_files(void)
{
    lines pages = manual_pages();
    char path[4096];
    for (int i = 0; i < pages.n; i++) {
        snprintf(path, sizeof path, "%s/docs/%s", rf_test_source_dir(), pages.v[i]);
        char *text = read_text(path);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        for (const char *p = text; (p = strstr(p, "](")); p += 2) {
            const char *t = p + 2;
            size_t n = strcspn(t, ")#");
            if (n == 0 || !strncmp(t, "http", 4) || memchr(t, ' ', n))
                continue;
            char target[512];
            snprintf(target, sizeof target, "%.*s", (int)n, t);
            if (in_list(target, pages_written_elsewhere))
                continue;
            snprintf(path, sizeof path, "%s/docs/%s", rf_test_source_dir(), target);
            if (access(path, F_OK) != 0) {
                fprintf(stderr, "\n  %s links to %s, which does not exist", pages.v[i], target);
                CU_FAIL("a link leads nowhere");
            }
        }
        free(text);
    }
    lines_free(&pages);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"every marked example of docs/ runs as shown", test_examples_run},
        {"--help and command-line.md name every option and variable", test_help_and_manual_name_every_option},
        {"docs/regfitc.1 is made from command-line.md and renders cleanly", test_man_page_is_made_from_the_manual},
        {"the manual's relative links lead to files", test_links_lead_to_files},
        {NULL, NULL},
    };
    return rf_test_main("docs", cases, argc, argv);
}
