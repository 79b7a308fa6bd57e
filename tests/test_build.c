/* The build driver: the cache (hit, keys, concurrent builders), the compile
 * jobs (NAME.c's two parts and the glue at once, then the link, the user's
 * flags in each), compiler failures reported with the compiler's message and
 * nothing left behind, extra sources, the cache folder's resolution; and
 * rf_emit_files' whole-or-nothing writes. */
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"
#define TM_PRIVATE_CACHE /* the tests below count compiles */
#include "test_codegen_support.h"

static void small_model(rf_model *m, const char *name, double lr)
{
    tm_begin(m, name, 3, 5, RF_LOSS_SOFTMAX_CE, lr, 0);
    tm_dense(m, 4, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dense(m, 2, NULL);
    tm_finish(m);
}

static char *fresh_dir(const char *name)
{
    static char path[4300];
    snprintf(path, sizeof path, "%s/%s", rf_test_tmpdir(), name);
    mkdir(path, 0755);
    return path;
}

static rf_build_options options(const char *cache)
{
    rf_build_options opt;
    memset(&opt, 0, sizeof opt);
    opt.cc = "clang";
    opt.cflags = "-O1 -fopenmp";
    opt.cache_dir = cache;
    return opt;
}

/* Names in a folder matching a part ("tmp", ".log"): how many. */
static int count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, part))
            n++;
    closedir(d);
    return n;
}

static void test_cache_hit_and_keys(void)
{
    char cache[4300];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-keys"));
    rf_model m, other;
    small_model(&m, "small", 0.1);
    small_model(&other, "small", 0.2);
    rf_build_options opt = options(cache);
    rf_built a, b, c, d;
    char err[4096];
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL(a.cached, 0);
    CU_ASSERT_PTR_NOT_NULL(a.handle);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a.model);
    CU_ASSERT_STRING_EQUAL(a.model->name, "small");
    CU_ASSERT_EQUAL(a.model->batch, 5);
    CU_ASSERT_EQUAL(a.model->num_params, 4);
    CU_ASSERT_EQUAL(access(a.so_path, R_OK), 0);

    /* unchanged: no compile */
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &b, err, sizeof err), 0);
    CU_ASSERT_EQUAL(b.cached, 1);
    CU_ASSERT_STRING_EQUAL(a.so_path, b.so_path);
    /* the loaded model works */
    void *inst = tm_new_instance(b.model);
    tm_init(&m, b.model, inst, 1);
    float x[15] = {0}, out[10];
    b.model->predict(inst, x, 5, out);
    CU_ASSERT(out[0] == 0 && out[1] == 0); /* zero input, zero biases */
    free(inst);

    /* a model file of the same shapes with other hyperparameters, seed, epochs and
     * comments: the same code, a cache hit */
    rf_model same_shapes;
    small_model(&same_shapes, "small", 0.7);
    same_shapes.momentum = 0; /* as m: plain sgd keeps no state */
    same_shapes.train.seed = 99;
    same_shapes.train.epochs = 3;
    same_shapes.layers[1].pos.line = 40;
    free(same_shapes.source);
    same_shapes.source = strdup("# a comment\n");
    same_shapes.source_len = strlen(same_shapes.source);
    rf_built hit;
    CU_ASSERT_EQUAL_FATAL(rf_build(&same_shapes, &opt, &hit, err, sizeof err), 0);
    CU_ASSERT_EQUAL(hit.cached, 1);
    CU_ASSERT_STRING_EQUAL(hit.so_path, a.so_path);
    rf_build_close(&hit);
    rf_model_free(&same_shapes);

    /* another shape, other flags: other keys */
    other.layers[0].units = 5;
    tm_finish(&other);
    CU_ASSERT_EQUAL_FATAL(rf_build(&other, &opt, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.cached, 0);
    CU_ASSERT(strcmp(c.so_path, a.so_path) != 0);
    opt.cflags = "-O2 -fopenmp";
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.cached, 0);
    CU_ASSERT(strcmp(d.so_path, a.so_path) != 0 && strcmp(d.so_path, c.so_path) != 0);

    /* nothing temporary left behind; the sources kept beside the object */
    CU_ASSERT_EQUAL(count_entries(cache, "tmp"), 0);
    CU_ASSERT_EQUAL(count_entries(cache, ".log"), 0);
    CU_ASSERT_EQUAL(count_entries(cache, ".so"), 3);
    char src[4400];
    snprintf(src, sizeof src, "%.*s.src/small.c", (int)(strlen(a.so_path) - 3), a.so_path);
    CU_ASSERT_EQUAL(access(src, R_OK), 0);

    rf_build_close(&a);
    rf_build_close(&b);
    rf_build_close(&c);
    rf_build_close(&d);
    CU_ASSERT_PTR_NULL(a.handle);
    rf_model_free(&m);
    rf_model_free(&other);
}

/* A compiler script that logs each `--version` to count_path and prints `fake VERSION`. */
static const char *fake_compiler(const char *count_path, int version)
{
    char text[8192];
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "if [ \"$1\" = --version ]; then echo run >> '%s'; echo 'fake %d'; exit 0; fi\n"
             "exec clang \"$@\"\n",
             count_path, version);
    const char *path = rf_test_write("fakecc", text);
    chmod(path, 0755);
    return path;
}

static int lines_in(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

/* The compiler's `--version` is part of the key; it is run once per compiler file and then
 * read from the cache, and again when the compiler's file changes (an upgrade). */
static void test_compiler_version_memo(void)
{
    char cache[4300], count[4400];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-version"));
    snprintf(count, sizeof count, "%s/version-runs", rf_test_tmpdir());
    unlink(count);
    rf_model m;
    small_model(&m, "small", 0.1);
    rf_build_options opt = options(cache);
    opt.cc = fake_compiler(count, 1);
    rf_built a, b, c, d;
    char err[4096];
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL(a.cached, 0);
    CU_ASSERT_EQUAL(lines_in(count), 1);
    CU_ASSERT_EQUAL(count_entries(cache, ".version"), 1);
    /* the same compiler file: the remembered output, a cache hit, no --version */
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &b, err, sizeof err), 0);
    CU_ASSERT_EQUAL(b.cached, 1);
    CU_ASSERT_EQUAL(lines_in(count), 1);
    /* another compiler in its place, printing another version: run again, a new key */
    sleep(1); /* a new mtime even where the file system keeps whole seconds */
    opt.cc = fake_compiler(count, 2);
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.cached, 0);
    CU_ASSERT(strcmp(c.so_path, a.so_path) != 0);
    CU_ASSERT_EQUAL(lines_in(count), 2);
    /* the first one back: its output read again, the first entry hit */
    sleep(1);
    opt.cc = fake_compiler(count, 1);
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.cached, 1);
    CU_ASSERT_STRING_EQUAL(d.so_path, a.so_path);
    CU_ASSERT_EQUAL(lines_in(count), 3);
    CU_ASSERT_EQUAL(count_entries(cache, ".log"), 0);
    rf_build_close(&a);
    rf_build_close(&b);
    rf_build_close(&c);
    rf_build_close(&d);
    rf_model_free(&m);
}

/* A temporary of the cache older than an hour (a killed build's) is removed by the next
 * compile; a young one (a live builder's) and other files stay. */
static void test_stale_temporaries(void)
{
    char cache[4300], path[4400];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-stale"));
    const char *names[] = {"small-0123456789abcdef.log.Ab12Cd", "small-0123456789abcdef.so.tmp.Ab12Cd",
                           "version.log.Ab12Cd", "compiler-0123.version.tmp.Ab12Cd",
                           "small-0123456789abcdef.part2.o.tmp.Ab12Cd", "small-0123456789abcdef.glue.log.Ab12Cd",
                           "small-0123456789abcdef.part1.o.tmp-1a2b3c4d.Ab12Cd.tmp", /* clang's own, killed */
                           "notes.txt", "notes.tmp", "young.log.Ab12Cd"};
    const int stale[] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    const int n_names = (int)(sizeof names / sizeof names[0]);
    for (int i = 0; i < n_names; i++) {
        snprintf(path, sizeof path, "%s/%s", cache, names[i]);
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fclose(f);
        if (i != n_names - 1) { /* two hours old */
            struct timespec t[2];
            clock_gettime(CLOCK_REALTIME, &t[0]);
            t[0].tv_sec -= 7200;
            t[1] = t[0];
            CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, t, 0), 0);
        }
    }
    rf_model m;
    small_model(&m, "small", 0.1);
    rf_build_options opt = options(cache);
    rf_built a;
    char err[4096];
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL(a.cached, 0);
    for (int i = 0; i < n_names; i++) {
        snprintf(path, sizeof path, "%s/%s", cache, names[i]);
        CU_ASSERT_EQUAL(access(path, F_OK) != 0, stale[i]);
        if ((access(path, F_OK) != 0) != stale[i])
            fprintf(stderr, "\n%s: %s\n", names[i], stale[i] ? "kept" : "removed");
    }
    rf_build_close(&a);
    rf_model_free(&m);
}

static void test_compiler_failures(void)
{
    char cache[4300];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-fail"));
    rf_model m;
    small_model(&m, "small", 0.1);
    rf_build_options opt = options(cache);
    rf_built b;
    char err[4096];

    opt.cc = "false";
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "failed") && strstr(err, "false") && strstr(err, "status 1"));
    CU_ASSERT_PTR_NULL(b.handle);
    CU_ASSERT_PTR_NULL(b.model);

    opt.cc = "clang";
    opt.cflags = "-O2 --no-such-option-anywhere";
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "no-such-option-anywhere") != NULL); /* clang's own message */
    if (!strstr(err, "no-such-option-anywhere"))
        fprintf(stderr, "\nerr: %s\n", err);

    opt.cflags = "-O1";
    opt.cc = "/nonexistent/bin/cc";
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "cannot run") && strstr(err, "/nonexistent/bin/cc"));

    /* a tiny err buffer is cut, not overrun */
    opt.cc = "clang";
    opt.cflags = "-O2 --no-such-option-anywhere";
    char tiny[24];
    memset(tiny, 'x', sizeof tiny);
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, tiny, 20), -1);
    CU_ASSERT(strlen(tiny) < 20 && tiny[21] == 'x');

    /* $REGFIT_HOME points the include path elsewhere: rf_abi.h is then missing */
    setenv("REGFIT_HOME", "/nonexistent-regfit-home", 1);
    opt.cflags = "-O1";
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "rf_abi.h") != NULL);
    unsetenv("REGFIT_HOME");

    CU_ASSERT_EQUAL(count_entries(cache, "tmp"), 0);
    CU_ASSERT_EQUAL(count_entries(cache, ".log"), 0);
    CU_ASSERT_EQUAL(count_entries(cache, ".so"), 0);
    rf_model_free(&m);
}

/* A compiler script: --version answers; each other command line is appended to log_path;
 * part 1's compile waits (up to 20 s) until part 2's has started, so the build only succeeds
 * when the two run at once; then clang does the work. */
static const char *logging_compiler(const char *log_path, const char *mark_path)
{
    char text[8192];
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "if [ \"$1\" = --version ]; then echo 'fake 1'; exit 0; fi\n"
             "echo \"$*\" >> '%s'\n"
             "case \" $* \" in\n"
             "*' -DSMALL_PART=1 '*)\n"
             "    i=0\n"
             "    while [ ! -e '%s' ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done\n"
             "    [ -e '%s' ] || { echo 'fakecc: part 2 did not start while part 1 ran' >&2; exit 3; } ;;\n"
             "*' -DSMALL_PART=2 '*) touch '%s' ;;\n"
             "esac\n"
             "exec clang \"$@\"\n",
             log_path, mark_path, mark_path, mark_path);
    const char *path = rf_test_write("logcc", text);
    chmod(path, 0755);
    return path;
}

/* The lines of a file, at most max, in lines[] (malloc'd text in *text). */
static int read_lines(const char *path, char **text, char **lines, int max)
{
    *text = rf_test_read_file(path, NULL);
    int n = 0;
    for (char *p = *text; p && *p && n < max;) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* The commands of a build: NAME.c's two parts (-DNAME_PART=1 and 2) and the glue compiled
 * at once, each to an object, then one link of the three objects; the user's flags in all
 * four; every command printed with verbose. A model without a backward pass: NAME.c whole. */
static void test_compile_jobs(void)
{
    char cache[4300], log_path[4400], mark[4400], verbose_path[4400];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-jobs"));
    snprintf(log_path, sizeof log_path, "%s/jobs.log", rf_test_tmpdir());
    snprintf(mark, sizeof mark, "%s/part2.started", rf_test_tmpdir());
    snprintf(verbose_path, sizeof verbose_path, "%s/verbose.txt", rf_test_tmpdir());
    unlink(log_path);
    unlink(mark);
    rf_model m;
    small_model(&m, "small", 0.1);
    rf_build_options opt = options(cache);
    opt.cc = logging_compiler(log_path, mark);
    opt.cflags = "-O1 -fopenmp -DUSER_FLAG=1";
    opt.verbose = 1;
    rf_built b;
    char err[4096];
    /* stderr into a file for the verbose lines */
    fflush(stderr);
    const int saved = dup(2), fd = open(verbose_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    const int rc = rf_build(&m, &opt, &b, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0)
        fprintf(stderr, "\nerr: %s\n", err);
    CU_ASSERT_EQUAL(b.cached, 0);

    char *text, *lines[16], *verbose = rf_test_read_file(verbose_path, NULL);
    const int n = read_lines(log_path, &text, lines, 16);
    CU_ASSERT_EQUAL(n, 4);
    int part1 = 0, part2 = 0, glue = 0, link = 0, user = 0, printed = 0;
    for (int i = 0; i < n; i++) {
        const int compile = strstr(lines[i], " -c ") != NULL;
        part1 += compile && strstr(lines[i], "-DSMALL_PART=1 ") && strstr(lines[i], "/small.c -o ");
        part2 += compile && strstr(lines[i], "-DSMALL_PART=2 ") && strstr(lines[i], "/small.c -o ");
        glue += compile && !strstr(lines[i], "_PART") && strstr(lines[i], "/small_glue.c -o ");
        if (!compile && strstr(lines[i], "-shared")) { /* the link: the three objects */
            int objects = 0;
            for (const char *o = lines[i]; (o = strstr(o, ".o.tmp.")); o++)
                objects++;
            link += objects == 3 && strstr(lines[i], " -lm -Wl,-Bsymbolic") != NULL;
        }
        user += strstr(lines[i], "-O1 -fopenmp -DUSER_FLAG=1 ") != NULL;
        printed += verbose && strstr(verbose, lines[i]) != NULL;
    }
    CU_ASSERT(part1 == 1 && part2 == 1 && glue == 1 && link == 1);
    CU_ASSERT_EQUAL(user, 4);
    CU_ASSERT_EQUAL(printed, 4);
    if (part1 + part2 + glue + link + user + printed != 12)
        fprintf(stderr, "\ncommands:\n%s\nverbose:\n%s\n", text ? text : "", verbose ? verbose : "");
    free(text);
    free(verbose);
    /* the model works, and nothing temporary is left */
    void *inst = tm_new_instance(b.model);
    tm_init(&m, b.model, inst, 1);
    float x[15] = {0}, out[10];
    int32_t y[5] = {0, 1, 0, 1, 0};
    CU_ASSERT(isfinite(b.model->train_step(inst, x, y, 5)));
    b.model->predict(inst, x, 5, out);
    free(inst);
    rf_build_close(&b);
    CU_ASSERT_EQUAL(count_entries(cache, "tmp"), 0);
    CU_ASSERT_EQUAL(count_entries(cache, ".log"), 0);
    rf_model_free(&m);

    /* no backward pass (no parameters): NAME.c whole, and the glue */
    unlink(log_path);
    tm_begin(&m, "bare", 4, 3, RF_LOSS_SQUARED, 0.1, 0);
    tm_layer(&m, RF_LAYER_RELU);
    tm_finish(&m);
    opt.verbose = 0;
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &b, err, sizeof err), 0);
    const int n_bare = read_lines(log_path, &text, lines, 16);
    CU_ASSERT_EQUAL(n_bare, 3);
    int whole = 0, bare_glue = 0;
    for (int i = 0; i < n_bare; i++) {
        CU_ASSERT(strstr(lines[i], "_PART") == NULL);
        whole += strstr(lines[i], " -c ") && strstr(lines[i], "/bare.c -o ");
        bare_glue += strstr(lines[i], " -c ") && strstr(lines[i], "/bare_glue.c -o ");
    }
    CU_ASSERT(whole == 1 && bare_glue == 1);
    free(text);
    rf_build_close(&b);
    rf_model_free(&m);
}

/* A compiler script that fails the compile whose command line holds `failing` with its own
 * message, and sleeps instead of compiling the others (they must be stopped). */
static const char *failing_compiler(const char *failing)
{
    char text[8192];
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "if [ \"$1\" = --version ]; then echo 'fake 1'; exit 0; fi\n"
             "case \" $* \" in\n"
             "*'%s'*) echo 'fakecc: error: refusing to compile (%s)' >&2; exit 1 ;;\n"
             "*' -c '*) exec sleep 60 ;;\n"
             "esac\n"
             "exec clang \"$@\"\n",
             failing, failing);
    const char *path = rf_test_write("failcc", text);
    chmod(path, 0755);
    return path;
}

/* One compile job fails: its message is reported (status, the compiler's own words), the
 * jobs still running are stopped at once, and the cache holds nothing of the build. */
static void test_one_job_fails(void)
{
    static const char *const failing[] = {"-DSMALL_PART=2 ", "-DSMALL_PART=1 ", "small_glue.c"};
    for (int k = 0; k < 3; k++) {
        char cache[4300], name[32];
        snprintf(name, sizeof name, "cache-job-fails-%d", k);
        snprintf(cache, sizeof cache, "%s", fresh_dir(name));
        rf_model m;
        small_model(&m, "small", 0.1);
        rf_build_options opt = options(cache);
        opt.cc = failing_compiler(failing[k]);
        rf_built b;
        char err[4096], expect[128];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, err, sizeof err), -1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        snprintf(expect, sizeof expect, "fakecc: error: refusing to compile (%s)", failing[k]);
        CU_ASSERT(strstr(err, "compiling the generated code of small failed") != NULL);
        CU_ASSERT(strstr(err, "exited with status 1") != NULL);
        CU_ASSERT(strstr(err, expect) != NULL);
        if (!strstr(err, expect))
            fprintf(stderr, "\nerr: %s\n", err);
        CU_ASSERT(t1.tv_sec - t0.tv_sec < 30); /* the sleeping jobs were stopped, not waited out */
        CU_ASSERT_PTR_NULL(b.handle);
        /* nothing of the build but its sources: no object, log, shared object or temporary */
        DIR *d = opendir(cache);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        struct dirent *e;
        int others = 0;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.' && !strstr(e->d_name, ".src") && !strstr(e->d_name, ".version")) {
                others++;
                fprintf(stderr, "\nleft in the cache: %s\n", e->d_name);
            }
        closedir(d);
        CU_ASSERT_EQUAL(others, 0);
        rf_model_free(&m);
    }
}

static void test_extra_sources(void)
{
    char cache[4300], extra[4400];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-extra"));
    snprintf(extra, sizeof extra, "%s/extra.c", rf_test_tmpdir());
    rf_model m;
    small_model(&m, "small", 0.1);
    rf_build_options opt = options(cache);
    const char *extras[] = {extra, NULL};
    opt.extra_sources = extras;
    rf_built a, b, c;
    char err[4096];
    FILE *f = fopen(extra, "w");
    fputs("int small_extra(void);\nint small_extra(void) { return 1; }\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &b, err, sizeof err), 0);
    CU_ASSERT(b.cached);
    f = fopen(extra, "w");
    fputs("int small_extra(void);\nint small_extra(void) { return 2; }\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(rf_build(&m, &opt, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.cached, 0);
    CU_ASSERT(strcmp(a.so_path, c.so_path) != 0);
    /* only the table is exported */
    CU_ASSERT_PTR_NULL(dlsym(c.handle, "small_extra"));
    CU_ASSERT_PTR_NULL(dlsym(c.handle, "small_init"));
    CU_ASSERT_PTR_NOT_NULL(dlsym(c.handle, RF_ABI_SYMBOL));
    rf_build_close(&a);
    rf_build_close(&b);
    rf_build_close(&c);

    const char *missing[] = {"/nonexistent/generic.c", NULL};
    opt.extra_sources = missing;
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &a, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "/nonexistent/generic.c") != NULL);
    rf_model_free(&m);
}

/* Two processes building the same model at once both succeed. */
static void test_concurrent_builders(void)
{
    char cache[4300];
    snprintf(cache, sizeof cache, "%s", fresh_dir("cache-race"));
    rf_model m;
    small_model(&m, "race", 0.1);
    rf_build_options opt = options(cache);
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            rf_built b;
            char err[4096];
            int rc = rf_build(&m, &opt, &b, err, sizeof err);
            if (rc != 0)
                fprintf(stderr, "\nbuilder %d: %s\n", i, err);
            _exit(rc == 0 && b.model && strcmp(b.model->name, "race") == 0 ? 0 : 1);
        }
    }
    for (int i = 0; i < 3; i++) {
        int status;
        CU_ASSERT_EQUAL(waitpid(pids[i], &status, 0), pids[i]);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    rf_built b;
    char err[4096];
    CU_ASSERT_EQUAL(rf_build(&m, &opt, &b, err, sizeof err), 0);
    CU_ASSERT_EQUAL(b.cached, 1);
    CU_ASSERT_EQUAL(count_entries(cache, "tmp"), 0);
    CU_ASSERT_EQUAL(count_entries(cache, ".so"), 1);
    rf_build_close(&b);
    rf_model_free(&m);
}

static void test_cache_dir_resolution(void)
{
    const char *names[] = {"REGFIT_CACHE", "XDG_CACHE_HOME", "HOME"};
    char *saved[3];
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        saved[i] = v ? strdup(v) : NULL;
    }
    char buf[4300];
    rf_build_options opt;
    memset(&opt, 0, sizeof opt);
    setenv("REGFIT_CACHE", "/r/cache", 1);
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/h/home", 1);
    rf_build_cache_dir(&opt, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "/r/cache");
    opt.cache_dir = "/given";
    rf_build_cache_dir(&opt, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "/given");
    opt.cache_dir = NULL;
    unsetenv("REGFIT_CACHE");
    rf_build_cache_dir(&opt, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "/x/cache/regfitc");
    unsetenv("XDG_CACHE_HOME");
    rf_build_cache_dir(NULL, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "/h/home/.cache/regfitc");
    unsetenv("HOME");
    rf_build_cache_dir(&opt, buf, sizeof buf);
    CU_ASSERT(strncmp(buf, "/tmp/regfitc-cache-", 19) == 0);
    for (int i = 0; i < 3; i++) {
        if (saved[i])
            setenv(names[i], saved[i], 1);
        free(saved[i]);
    }
}

static void test_emit_files(void)
{
    rf_model m;
    small_model(&m, "small", 0.1);
    char dir[4400], err[1024], path[4600];
    int written;
    snprintf(dir, sizeof dir, "%s/emit/new/folder", rf_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(rf_emit_files(&m, dir, &written, err, sizeof err), 0);
    CU_ASSERT_EQUAL(written, 2);
    char *h, *c;
    CU_ASSERT_EQUAL_FATAL(rf_emit_source(&m, &h, &c), 0);
    snprintf(path, sizeof path, "%s/small.h", dir);
    char *got = rf_test_read_file(path, NULL);
    CU_ASSERT(got && strcmp(got, h) == 0);
    free(got);
    snprintf(path, sizeof path, "%s/small.c", dir);
    got = rf_test_read_file(path, NULL);
    CU_ASSERT(got && strcmp(got, c) == 0);
    free(got);
    CU_ASSERT_EQUAL(count_entries(dir, "tmp"), 0);
    /* again: the same text, nothing written (the files keep their inode and time) */
    struct stat before, after;
    snprintf(path, sizeof path, "%s/small.c", dir);
    CU_ASSERT_EQUAL_FATAL(stat(path, &before), 0);
    CU_ASSERT_EQUAL(rf_emit_files(&m, dir, &written, err, sizeof err), 0);
    CU_ASSERT_EQUAL(written, 0);
    CU_ASSERT_EQUAL_FATAL(stat(path, &after), 0);
    CU_ASSERT(before.st_ino == after.st_ino && before.st_mtime == after.st_mtime);
    /* one file changed by hand: only it is written again */
    snprintf(path, sizeof path, "%s/small.h", dir);
    FILE *f = fopen(path, "a");
    CU_ASSERT_FATAL(f != NULL);
    fputs("/* edited */\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(rf_emit_files(&m, dir, &written, err, sizeof err), 0);
    CU_ASSERT_EQUAL(written, 1);
    got = rf_test_read_file(path, NULL);
    CU_ASSERT(got && strcmp(got, h) == 0);
    free(got);

    /* a file where a folder should be */
    snprintf(path, sizeof path, "%s/small.h/sub", dir);
    CU_ASSERT_EQUAL(rf_emit_files(&m, path, &written, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "small.h") != NULL);

    /* NAME.c cannot be written (a folder is in the way): an error, no temporary file left */
    snprintf(dir, sizeof dir, "%s/emit/blocked", rf_test_tmpdir());
    snprintf(path, sizeof path, "%s/small.c", dir);
    mkdir(dir, 0755);
    mkdir(path, 0755);
    CU_ASSERT_EQUAL(rf_emit_files(&m, dir, &written, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "small.c") != NULL);
    CU_ASSERT_EQUAL(count_entries(dir, "tmp"), 0);
    CU_ASSERT_EQUAL(count_entries(dir, "small.h"), 0); /* both or neither */

    /* a read-only folder (meaningless for root, who may write anyway) */
    if (geteuid() != 0) {
        snprintf(dir, sizeof dir, "%s/emit/readonly", rf_test_tmpdir());
        mkdir(dir, 0555);
        CU_ASSERT_EQUAL(rf_emit_files(&m, dir, &written, err, sizeof err), -1);
        CU_ASSERT_EQUAL(count_entries(dir, ""), 0);
        chmod(dir, 0755);
    }
    free(h);
    free(c);
    rf_model_free(&m);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"a second build is cached; other models and flags get other keys", test_cache_hit_and_keys},
        {"the compiler's --version: in the key, run once per compiler file", test_compiler_version_memo},
        {"a compile removes the cache's temporaries older than an hour", test_stale_temporaries},
        {"compiler failures: -1 with the compiler's message, nothing left behind", test_compiler_failures},
        {"the jobs: two parts and the glue at once, then the link; the user's flags in all", test_compile_jobs},
        {"one job fails: its message, the others stopped, nothing left in the cache", test_one_job_fails},
        {"extra sources are compiled in and hashed; only the table is exported", test_extra_sources},
        {"concurrent builders of one model all succeed", test_concurrent_builders},
        {"the cache folder: options, REGFIT_CACHE, XDG_CACHE_HOME, HOME, /tmp", test_cache_dir_resolution},
        {"emit_files: both files whole, a new folder, clean failures", test_emit_files},
        {NULL, NULL},
    };
    return rf_test_main("build driver", cases, argc, argv);
}
