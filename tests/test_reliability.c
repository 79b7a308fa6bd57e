/* Nothing lost, nothing half-written: SIGKILL at many moments of a run
 * leaves every run file whole (its previous or its new version); outputs
 * that cannot be written (a full disk, a folder that is not writable) fail
 * with exit 1, a message, and no temporary file left behind. */
#include "rftest.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char slow_model[] =
    "name: killme\n"
    "input: 100\n"
    "batch: 10\n"
    "layers: [{dense: 32}, tanh, {dense: 1}]\n"
    "loss: squared\n"
    "optimizer: {sgd: {lr: 0.01}}\n"
    "train: {epochs: 100000, seed: 5}\n"
    "data: {synthetic_linear: {n_train: 200, n_test: 50, w: 0.01, b: 0.05, noise: 0.01}}\n";

static int ends_with(const char *s, size_t len, const char *tail)
{
    size_t n = strlen(tail);
    return len >= n && memcmp(s + len - n, tail, n) == 0;
}

static int csv_is_whole(const char *s, size_t len)
{
    static const char header[] = "epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr\n";
    if (strncmp(s, header, sizeof header - 1) != 0 || !ends_with(s, len, "\n"))
        return 0;
    for (const char *line = s; *line;) {
        const char *end = strchr(line, '\n');
        int commas = 0;
        for (const char *p = line; p < end; p++)
            commas += *p == ',';
        if (commas != 8)
            return 0;
        line = end + 1;
    }
    return 1;
}

/* Checks each run file present is whole; returns how many were present. */
static int check_run_files(const char *dir)
{
    static const char *files[] = {"metrics.csv", "loss.svg", "model.ckpt"};
    int present = 0;
    for (int i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        size_t len;
        char *s = rf_test_read_file(path, &len);
        if (!s)
            continue;
        present++;
        int whole = i == 0 ? csv_is_whole(s, len)
                  : i == 1 ? (strncmp(s, "<?xml", 5) == 0 || strncmp(s, "<svg", 4) == 0) && ends_with(s, len, "</svg>\n")
                           : rf_test_ckpt_is_whole((unsigned char *)s, len);
        if (!whole)
            fprintf(stderr, "\n  %s is not whole (%zu bytes)\n", path, len);
        CU_ASSERT_TRUE(whole);
        free(s);
    }
    return present;
}

static pid_t start_regfitc(const char *model, const char *runs)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(rf_test_regfitc_exe(), "regfitc", model, "--quiet", "--threads", "1", "--runs", runs, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void test_sigkill_leaves_whole_files(void)
{
    char model[4096], runs[4096], dir[4200];
    snprintf(model, sizeof model, "%s", rf_test_write("killme.yaml", slow_model));
    snprintf(runs, sizeof runs, "%s/killruns", rf_test_tmpdir());
    snprintf(dir, sizeof dir, "%s/killme", runs);
    /* first run: build (and cache) the model, let it write for a while */
    pid_t pid = start_regfitc(model, runs);
    struct timespec tick = {0, 20000000L};
    for (int i = 0; i < 300 && check_run_files(dir) < 3; i++)
        nanosleep(&tick, NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(check_run_files(dir), 3);

    /* then many kills at spread-out moments, each followed by a check */
    srand(12345);
    int kills = 40;
    for (int k = 0; k < kills; k++) {
        pid = start_regfitc(model, runs);
        struct timespec ts = {0, (long)(rand() % 150) * 1000000L + (long)(rand() % 1000) * 1000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        CU_ASSERT_EQUAL(check_run_files(dir), 3);
    }
}

static int leftover_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void test_full_disk_fails_cleanly(void)
{
    rf_test_write("small.yaml", "name: small\ninput: 5\nbatch: 4\nlayers: [{dense: 1}]\nloss: squared\n"
                                "optimizer: {sgd: {lr: 0.01}}\ntrain: {epochs: 2}\n"
                                "data: {synthetic_linear: {n_train: 8, n_test: 4, w: 0.01, b: 0.05, noise: 0.01}}\n");
    char args[4096];
    snprintf(args, sizeof args, "%s/small.yaml --quiet --runs %s/full --save /dev/full", rf_test_tmpdir(),
             rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "/dev/full"));
    /* /dev/full is still the device, not a file renamed over it */
    CU_ASSERT_EQUAL(access("/dev/full", W_OK), 0);
    FILE *f = fopen("/dev/full", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(fputs("x", f) == EOF || fflush(f) != 0);
    fclose(f);
}

static void test_unwritable_outputs_fail_cleanly(void)
{
    char args[4096];
    /* a runs folder that cannot be created */
    snprintf(args, sizeof args, "%s/small.yaml --quiet --runs /proc/regfitc-runs", rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "/proc/regfitc-runs"));
    /* --emit into a folder that cannot be written */
    snprintf(args, sizeof args, "--emit -o /proc/regfitc-out %s/small.yaml", rf_test_tmpdir());
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "/proc/regfitc-out"));
    /* a run file's path taken by a folder: the error names it, nothing is left over */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/blocked/small/metrics.csv", rf_test_tmpdir());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    snprintf(args, sizeof args, "%s/small.yaml --quiet --runs %s/blocked", rf_test_tmpdir(), rf_test_tmpdir());
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "metrics.csv"));
    snprintf(dir, sizeof dir, "%s/blocked/small", rf_test_tmpdir());
    CU_ASSERT_EQUAL(leftover_temp_files(dir), 0);
}

static void test_next_run_removes_stale_temp_files(void)
{
    /* what a SIGKILL in the middle of a write leaves behind */
    char dir[4096], cmd[8400];
    snprintf(dir, sizeof dir, "%s/stale/small", rf_test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cd '%s' && touch metrics.csv.tmp.AbC123 model.ckpt.tmp.x1y2z3 "
             "loss.svg.tmp.QQQQQQ notes.txt", dir, dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    CU_ASSERT_EQUAL(leftover_temp_files(dir), 3);
    char args[4096];
    snprintf(args, sizeof args, "%s/small.yaml --quiet --runs %s/stale", rf_test_tmpdir(), rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(leftover_temp_files(dir), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    CU_ASSERT_EQUAL(access(path, F_OK), 0); /* nothing else is touched */
    CU_ASSERT_EQUAL(check_run_files(dir), 3);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"SIGKILL at many moments leaves every run file whole", test_sigkill_leaves_whole_files},
        {"a full disk (/dev/full) fails with exit 1", test_full_disk_fails_cleanly},
        {"unwritable outputs fail with exit 1, nothing left over", test_unwritable_outputs_fail_cleanly},
        {"the next run removes the temporary files a killed run left", test_next_run_removes_stale_temp_files},
        {NULL, NULL},
    };
    return rf_test_main("reliability", cases, argc, argv);
}
