/* Installation (SPEC 8), as a user meets it: `cmake --install` of this build
 * into a temporary prefix, the prefix moved elsewhere and the original
 * deleted; the installed regfitc trains, emits and benchmarks from its own
 * share/regfitc (REGFIT_HOME unset; a logging CC shows the include folders);
 * pkg-config; examples/make and examples/cmake built against the prefix and
 * run; regfitc_generate regenerates on a touched or edited model file or a
 * new regfitc, and a no-op rebuild runs nothing.
 *
 * The cases run in order and share the prefix; each later case needs the
 * first. About 30 s on 2 cores, most of it the examples' builds and --bench. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rftest.h"

#ifndef RF_CMAKE
#define RF_CMAKE "cmake"
#endif
#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static char prefix[4200]; /* the moved prefix, once the first case has made it */
static char *log_text;    /* output of the last sh() */
static int failure_expected; /* sh() keeps a failure's output to itself */

/* Runs a shell command (printf-style) with stdout and stderr into log_text.
 * Returns its exit status; on failure the output goes to stderr. */
static int sh(const char *fmt, ...)
{
    char cmd[16384], log[4300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(log, sizeof log, "%s/sh.log", rf_test_tmpdir());
    char full[16384 + 4400];
    snprintf(full, sizeof full, "( %s ) >'%s' 2>&1", cmd, log);
    int status = system(full);
    int rc = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    free(log_text);
    log_text = rf_test_read_file(log, NULL);
    if (!log_text)
        log_text = calloc(1, 1);
    if (rc != 0 && !failure_expected)
        fprintf(stderr, "\n$ %s\n%s(exit %d)\n", cmd, log_text, rc);
    return rc;
}

static int exists(const char *dir, const char *rel)
{
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return access(path, F_OK) == 0;
}

/* Asserts the last output does not contain part. */
#define ASSERT_NOT_IN_LOG(part)                                                        \
    do {                                                                               \
        if (strstr(log_text, (part)))                                                  \
            fprintf(stderr, "\nunexpected '%s' in:\n%s\n", (part), log_text);          \
        CU_ASSERT_PTR_NULL(strstr(log_text, (part)));                                  \
    } while (0)

static void test_install_and_move(void)
{
    const char *t = rf_test_tmpdir();
    /* the environment of every case: no regfitc home or prefix from outside, a fresh
     * build cache (so the installed program really compiles), no parent make's jobserver */
    unsetenv("REGFIT_HOME");
    unsetenv("CMAKE_PREFIX_PATH");
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("REGFIT_CFLAGS");
    char cache[4300];
    snprintf(cache, sizeof cache, "%s/cache", t);
    setenv("REGFIT_CACHE", cache, 1);

    CU_ASSERT_EQUAL_FATAL(sh("'%s' --install '%s' --prefix '%s/first'", RF_CMAKE, RF_BINARY_DIR, t), 0);
    CU_ASSERT_EQUAL_FATAL(sh("cp -a '%s/first' '%s/moved' && rm -rf '%s/first'", t, t, t), 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/moved", t);
    static const char *const files[] = {
        "bin/regfitc", "lib/libregfitc_runtime.a", "include/regfitc/dataset.h", "include/regfitc/checkpoint.h",
        "include/regfitc/model.h", "lib/cmake/regfitc/regfitcConfig.cmake",
        "lib/cmake/regfitc/regfitcConfigVersion.cmake", "lib/cmake/regfitc/regfitcTargets.cmake",
        "lib/cmake/regfitc/regfitcGenerate.cmake", "lib/pkgconfig/regfitc.pc", "share/regfitc/runtime/rf_abi.h",
        "share/regfitc/runtime/generic.c", "share/regfitc/compiler/front/model.c",
        "share/regfitc/models/highdim_linreg.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!exists(p, files[i]))
            fprintf(stderr, "\nnot installed: %s\n", files[i]);
        CU_ASSERT(exists(p, files[i]));
    }
    char man[4300];
    snprintf(man, sizeof man, "%s/docs/regfitc.1", REGFIT_SOURCE_DIR);
    if (access(man, F_OK) == 0)
        CU_ASSERT(exists(p, "share/man/man1/regfitc.1"));
    /* nothing of the source or build tree left in the installed text files */
    CU_ASSERT_EQUAL(sh("! grep -rlF -e '%s' -e '%s' '%s/lib/cmake' '%s/lib/pkgconfig'", REGFIT_SOURCE_DIR,
                       RF_BINARY_DIR, p, p),
                    0);
    snprintf(prefix, sizeof prefix, "%s", p);
}

/* A C compiler that logs its arguments: the build driver's -I and sources show where it
 * found regfitc's files. */
static const char *logging_cc(void)
{
    static char cc[4300];
    char body[9000];
    snprintf(body, sizeof body, "#!/bin/sh\necho \"$@\" >> '%s/cc.log'\nexec clang \"$@\"\n", rf_test_tmpdir());
    snprintf(cc, sizeof cc, "%s", rf_test_write("cc.sh", body));
    chmod(cc, 0755);
    return cc;
}

static void test_installed_program(void)
{
    CU_ASSERT_FATAL(prefix[0] != '\0');
    const char *t = rf_test_tmpdir();
    const char *cc = logging_cc();
    char model[4400], logfile[4300];
    snprintf(model, sizeof model, "%s/share/regfitc/models/highdim_linreg.yaml", prefix);
    snprintf(logfile, sizeof logfile, "%s/cc.log", t);

    /* train from another folder, the program found on PATH as a user would */
    CU_ASSERT_EQUAL(sh("cd '%s' && CC='%s' PATH='%s/bin':\"$PATH\" regfitc --quiet --epochs 3 --runs runs '%s'", t,
                       cc, prefix, model),
                    0);
    RF_ASSERT_CONTAINS(log_text, "epoch 3, train loss");
    char *ccs = rf_test_read_file(logfile, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ccs);
    char want[4400];
    snprintf(want, sizeof want, "-I%s/share/regfitc/runtime", prefix);
    RF_ASSERT_CONTAINS(ccs, want);
    CU_ASSERT_PTR_NULL(strstr(ccs, REGFIT_SOURCE_DIR));
    free(ccs);

    CU_ASSERT_EQUAL(sh("cd '%s' && '%s/bin/regfitc' --emit -o gen '%s'", t, prefix, model), 0);
    CU_ASSERT(exists(t, "gen/highdim_linreg.c") && exists(t, "gen/highdim_linreg.h"));
    CU_ASSERT_EQUAL(sh("cd '%s' && '%s/bin/regfitc' --emit-inference --runs runs -o gen '%s'", t, prefix, model), 0);
    CU_ASSERT(exists(t, "gen/highdim_linreg_infer.c") && exists(t, "gen/highdim_linreg_infer.h"));

    /* --bench compiles the generic kernels and model.c from share/regfitc too */
    unlink(logfile);
    CU_ASSERT_EQUAL(sh("cd '%s' && CC='%s' '%s/bin/regfitc' --quiet --bench --steps 1 '%s'", t, cc, prefix, model),
                    0);
    RF_ASSERT_CONTAINS(log_text, "speedup");
    ccs = rf_test_read_file(logfile, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ccs);
    snprintf(want, sizeof want, "%s/share/regfitc/runtime/generic_dense.c", prefix);
    RF_ASSERT_CONTAINS(ccs, want);
    snprintf(want, sizeof want, "%s/share/regfitc/compiler/front/model.c", prefix);
    RF_ASSERT_CONTAINS(ccs, want);
    CU_ASSERT_PTR_NULL(strstr(ccs, REGFIT_SOURCE_DIR));
    free(ccs);
}

static void test_pkg_config(void)
{
    CU_ASSERT_FATAL(prefix[0] != '\0');
    CU_ASSERT_EQUAL_FATAL(sh("PKG_CONFIG_PATH='%s/lib/pkgconfig' pkg-config --cflags --libs regfitc", prefix), 0);
    char want[4400];
    snprintf(want, sizeof want, "-I%s/lib/pkgconfig/../../include/regfitc", prefix);
    RF_ASSERT_CONTAINS(log_text, want);
    snprintf(want, sizeof want, "-L%s/lib/pkgconfig/../../lib", prefix);
    RF_ASSERT_CONTAINS(log_text, want);
    RF_ASSERT_CONTAINS(log_text, "-lregfitc_runtime");
    RF_ASSERT_CONTAINS(log_text, "-fopenmp");
    CU_ASSERT_EQUAL(sh("PKG_CONFIG_PATH='%s/lib/pkgconfig' pkg-config --modversion regfitc", prefix), 0);
    RF_ASSERT_CONTAINS(log_text, "0.");
}

static void test_make_example(void)
{
    CU_ASSERT_FATAL(prefix[0] != '\0');
    const char *t = rf_test_tmpdir();
    char env[9000];
    snprintf(env, sizeof env, "cd '%s/make' && PATH='%s/bin':\"$PATH\" PKG_CONFIG_PATH='%s/lib/pkgconfig'", t,
             prefix, prefix);
    CU_ASSERT_EQUAL_FATAL(sh("cp -r '%s/examples/make' '%s/make'", REGFIT_SOURCE_DIR, t), 0);
    CU_ASSERT_EQUAL_FATAL(sh("%s make", env), 0);
    RF_ASSERT_CONTAINS(log_text, "regfitc --emit");
    RF_ASSERT_CONTAINS(log_text, "-lregfitc_runtime");

    if (access(FASHION_DIR "/train-images-idx3-ubyte.gz", R_OK) != 0) {
        fprintf(stderr, "\nno Fashion-MNIST in " FASHION_DIR ": the make example is built, not run\n");
    } else {
        CU_ASSERT_EQUAL(sh("%s OMP_NUM_THREADS=1 ./train_fashion " FASHION_DIR " fashion.ckpt 1", env), 0);
        const char *acc = strstr(log_text, "test acc ");
        CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
        CU_ASSERT(atof(acc + 9) > 0.75);
        /* its checkpoint is one regfitc reads */
        CU_ASSERT_EQUAL(sh("%s regfitc --emit-inference --load fashion.ckpt -o generated fashion.yaml", env), 0);
        CU_ASSERT(exists(t, "make/generated/fashion_mlp_infer.c"));
    }

    /* nothing changed: nothing runs; a touched model: regfitc runs, nothing compiles */
    CU_ASSERT_EQUAL(sh("%s make", env), 0);
    RF_ASSERT_CONTAINS(log_text, "is up to date");
    CU_ASSERT_EQUAL(sh("sleep 0.01 && touch '%s/make/fashion.yaml'", t), 0);
    CU_ASSERT_EQUAL(sh("%s make", env), 0);
    RF_ASSERT_CONTAINS(log_text, "regfitc --emit");
    ASSERT_NOT_IN_LOG("gcc");
}

/* cmake --build of the CMake example; returns its exit status with the output in log_text */
static int build_cmake_example(void)
{
    return sh("'%s' --build '%s/cm/build'", RF_CMAKE, rf_test_tmpdir());
}

static void assert_built_nothing(void)
{
    ASSERT_NOT_IN_LOG("Building C");
    ASSERT_NOT_IN_LOG("Linking");
    ASSERT_NOT_IN_LOG("Training");
    ASSERT_NOT_IN_LOG("regfitc: generating");
}

static void test_cmake_example(void)
{
    CU_ASSERT_FATAL(prefix[0] != '\0');
    const char *t = rf_test_tmpdir();
    CU_ASSERT_EQUAL_FATAL(sh("cp -r '%s/examples/cmake' '%s/cm'", REGFIT_SOURCE_DIR, t), 0);
    CU_ASSERT_EQUAL_FATAL(sh("'%s' -S '%s/cm' -B '%s/cm/build' -DCMAKE_PREFIX_PATH='%s'", RF_CMAKE, t, t, prefix), 0);
    CU_ASSERT_EQUAL_FATAL(build_cmake_example(), 0);
    RF_ASSERT_CONTAINS(log_text, "regfitc: generating linreg from linreg.yaml");
    RF_ASSERT_CONTAINS(log_text, "regfitc: generating linreg_infer from linreg.yaml");
    RF_ASSERT_CONTAINS(log_text, "epoch 3, train loss");
    CU_ASSERT_EQUAL(sh("'%s/cm/build/predict_linreg'", t), 0);
    RF_ASSERT_CONTAINS(log_text, "true 12.2000");

    /* a no-op rebuild */
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    assert_built_nothing();
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    assert_built_nothing();

    /* a touched model file: regenerated, the same text, so nothing compiles */
    CU_ASSERT_EQUAL(sh("sleep 0.01 && touch '%s/cm/linreg.yaml'", t), 0);
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    RF_ASSERT_CONTAINS(log_text, "regfitc: generating linreg from");
    RF_ASSERT_CONTAINS(log_text, "regfitc: generating linreg_infer from");
    ASSERT_NOT_IN_LOG("Building C");
    ASSERT_NOT_IN_LOG("Linking");
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    assert_built_nothing();

    /* a new regfitc: regenerated */
    CU_ASSERT_EQUAL(sh("sleep 0.01 && touch '%s/bin/regfitc'", prefix), 0);
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    RF_ASSERT_CONTAINS(log_text, "regfitc: generating linreg from");
    ASSERT_NOT_IN_LOG("Linking");

    /* an edited model file (another learning rate): new code, retrained, new inference file */
    CU_ASSERT_EQUAL(sh("sed -i 's/lr: 0.03}/lr: 0.02}/' '%s/cm/linreg.yaml'", t), 0);
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    RF_ASSERT_CONTAINS(log_text, "Linking C static library liblinreg.a");
    RF_ASSERT_CONTAINS(log_text, "Training linreg");
    RF_ASSERT_CONTAINS(log_text, "Linking C static library liblinreg_infer.a");
    RF_ASSERT_CONTAINS(log_text, "Linking C executable predict_linreg");
    CU_ASSERT_EQUAL(sh("'%s/cm/build/predict_linreg'", t), 0);
    CU_ASSERT_EQUAL(build_cmake_example(), 0);
    assert_built_nothing();
}

/* A project of one regfitc_generate call in T/NAME (CMakeLists.txt from body), configured
 * against the prefix: returns cmake's exit status, its output in log_text. */
static int configure_project(const char *name, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "%s/CMakeLists.txt", name);
    char text[4096];
    snprintf(text, sizeof text, "cmake_minimum_required(VERSION 3.20)\nproject(%s C)\n"
             "find_package(regfitc REQUIRED)\n%s\n", name, body);
    sh("mkdir -p '%s/%s'", rf_test_tmpdir(), name);
    rf_test_write(path, text);
    return sh("'%s' -S '%s/%s' -B '%s/%s/build' -DCMAKE_PREFIX_PATH='%s'", RF_CMAKE, rf_test_tmpdir(), name,
              rf_test_tmpdir(), name, prefix);
}

static void test_generate_checkpoint_and_errors(void)
{
    CU_ASSERT_FATAL(prefix[0] != '\0');
    const char *t = rf_test_tmpdir();
    /* a checkpoint kept beside the model in the source folder, named relative to it */
    CU_ASSERT_EQUAL_FATAL(sh("mkdir -p '%s/kept' && cp '%s/cm/linreg.yaml' '%s/cm/build/linreg.ckpt' '%s/kept/'", t,
                             t, t, t),
                          0);
    CU_ASSERT_EQUAL_FATAL(configure_project("kept", "regfitc_generate(TARGET shipped MODEL linreg.yaml INFERENCE "
                                                    "CHECKPOINT linreg.ckpt OUTPUT_DIR gen)"),
                          0);
    CU_ASSERT_EQUAL(sh("'%s' --build '%s/kept/build'", RF_CMAKE, t), 0);
    RF_ASSERT_CONTAINS(log_text, "Linking C static library libshipped.a");
    CU_ASSERT(exists(t, "kept/build/gen/linreg_infer.h"));

    /* errors at configure time, naming what is wrong */
    failure_expected = 1;
    CU_ASSERT_EQUAL(sh("mkdir -p '%s/bad'", t), 0);
    rf_test_write("bad/bad.yaml", "name: bad\ninput: -3\nlayers: [dense: 1]\nloss: squared\n"
                                  "optimizer: {sgd: {lr: 0.1}}\n");
    CU_ASSERT_NOT_EQUAL(configure_project("bad", "regfitc_generate(TARGET b MODEL bad.yaml)"), 0);
    RF_ASSERT_CONTAINS(log_text, "regfitc cannot read");
    RF_ASSERT_CONTAINS(log_text, "bad.yaml:2");
    CU_ASSERT_NOT_EQUAL(configure_project("bad", "regfitc_generate(TARGET b MODEL missing.yaml)"), 0);
    RF_ASSERT_CONTAINS(log_text, "no model file");
    CU_ASSERT_NOT_EQUAL(configure_project("bad", "regfitc_generate(TARGET b MODEL bad.yaml INFERENCE)"), 0);
    RF_ASSERT_CONTAINS(log_text, "INFERENCE needs CHECKPOINT");
    failure_expected = 0;
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"cmake --install into a prefix, moved elsewhere", test_install_and_move},
        {"the installed regfitc trains, emits and benches from its share/", test_installed_program},
        {"pkg-config --cflags --libs regfitc", test_pkg_config},
        {"examples/make: built with pkg-config, run, no-op make", test_make_example},
        {"examples/cmake: regfitc_generate, rebuilds only on change", test_cmake_example},
        {"regfitc_generate: a checkpoint in the source folder; configure-time errors",
         test_generate_checkpoint_and_errors},
        {NULL, NULL}};
    int rc = rf_test_main("install", cases, argc, argv);
    free(log_text);
    return rc;
}
