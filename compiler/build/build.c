/* The build driver (see build.h). */
#define _DEFAULT_SOURCE /* realpath */
#include "build.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cache_dir.h"
#include "emit.h"
#include "file_read.h"
#include "hash.h"
#include "home.h"
#include "run_dir.h"

#ifndef REGFIT_VERSION
#define REGFIT_VERSION "unknown"
#endif

#define RF_DEFAULT_CC "clang"
#define RF_MAX_ARGS 256

extern char **environ;

void rf_build_cache_dir(const rf_build_options *opt, char *buf, size_t len)
{
    if (opt && opt->cache_dir)
        snprintf(buf, len, "%s", opt->cache_dir);
    else
        rf_cache_dir(buf, len); /* the rule the data cache shares (common/cache_dir.h) */
}

/* A whole text file (sources, compiler logs) of at most 256 MiB, NUL-terminated, or NULL
 * (a larger one too: a cut source must never be hashed as if it were whole). */
static char *read_whole(const char *path, size_t *len)
{
    unsigned char *buf;
    size_t n;
    int more;
    char err[256];
    if (rf_read_file(path, (size_t)256 << 20, &buf, &n, &more, err, sizeof err) != 0)
        return NULL;
    if (more) {
        free(buf);
        return NULL;
    }
    if (len)
        *len = n;
    return (char *)buf;
}

/* Splits s on spaces into argv (pointing into the copy *storage). Returns the count or -1. */
static int split_words(const char *s, char **storage, char **argv, int max)
{
    *storage = strdup(s ? s : "");
    if (!*storage)
        return -1;
    int n = 0;
    for (char *p = *storage; *p;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max)
            return -1;
        argv[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    return n;
}

/* Starts argv (no shell) with stdin from /dev/null and stdout and stderr into log_path, in
 * this process's group (a terminal's ^C reaches it). Its pid, or -1 with errno when it could
 * not start. */
static pid_t spawn_logged(char *const *argv, const char *log_path)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}

/* A waitpid status as an exit status: 128 + signal when killed. */
static int exit_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Waits for pid; its exit status, or -1 with errno. */
static int wait_for(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return exit_status(status);
}

/* Runs argv with its output into log_path (spawn_logged); returns the exit status, or -1
 * with errno when it could not start. */
static int run_logged(char *const *argv, const char *log_path)
{
    pid_t pid = spawn_logged(argv, log_path);
    return pid < 0 ? -1 : wait_for(pid);
}

/* One of the commands rf_build runs at once: a compile of NAME.c (whole or a part) or of the
 * glue to an object, with its own log. */
typedef struct {
    char *argv[3 * RF_MAX_ARGS];
    char object[4400], log[4400];
    pid_t pid;  /* while it runs, else 0 */
    int status; /* once it is done: its exit status, or -1 (it could not start: errno in error) */
    int error;
} rf_compile_job;

/* Starts the n jobs together and waits for all. Returns -1 when all succeed, else the job
 * that failed first. The others are then stopped (SIGTERM: clang removes its temporary
 * output; gcc's cc1, which the signal does not reach, writes only to gcc's own temporary
 * file, and `as` never starts) and waited for. Only the jobs' own pids are reaped, the
 * caller's other children are left to it: waitid's WNOWAIT looks without reaping, and when
 * the child that ended is not a job, the jobs are waited for in order instead. */
static int run_jobs(rf_compile_job *jobs, int n)
{
    int failed = -1, running = 0;
    for (int i = 0; i < n && failed < 0; i++) {
        jobs[i].pid = spawn_logged(jobs[i].argv, jobs[i].log);
        if (jobs[i].pid > 0) {
            running++;
            continue;
        }
        jobs[i].pid = 0;
        jobs[i].status = -1;
        jobs[i].error = errno;
        failed = i;
    }
    int stopped = 0;
    while (running > 0) {
        if (failed >= 0 && !stopped) {
            for (int i = 0; i < n; i++)
                if (jobs[i].pid > 0)
                    kill(jobs[i].pid, SIGTERM);
            stopped = 1;
        }
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
            continue;
        int done = -1;
        for (int i = 0; i < n; i++) /* the job that ended, else the first one running */
            if (jobs[i].pid > 0 && (jobs[i].pid == info.si_pid || done < 0))
                done = i;
        jobs[done].status = wait_for(jobs[done].pid);
        jobs[done].error = errno;
        jobs[done].pid = 0;
        running--;
        if (jobs[done].status != 0 && failed < 0)
            failed = done;
    }
    return failed;
}

/* Removes the cache's temporaries (NAME.log.XXXXXX, NAME.so.tmp.XXXXXX, a compile job's
 * NAME.JOB.o.tmp.XXXXXX and NAME.JOB.log.XXXXXX, version.log.XXXXXX, rf_atomic_write's
 * FILE.tmp.XXXXXX, and clang's own temporary of an object, NAME.JOB.o.tmp-HHHHHHHH.XXXXXX.tmp,
 * left when clang is killed with SIGKILL) older than an hour: a build or a --version run
 * that was killed leaves its own behind, and nothing else ever removes them. A live
 * builder's are seconds old. Called before a compile, so a warm run reads no folder. */
static void sweep_stale_temporaries(const char *cache)
{
    DIR *d = opendir(cache);
    if (!d)
        return;
    const time_t old = time(NULL) - 3600;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        const size_t len = strlen(e->d_name);
        const int compilers = len > 4 && !strcmp(e->d_name + len - 4, ".tmp") && strstr(e->d_name, ".o.tmp-");
        if (!compilers && (!dot || strlen(dot + 1) != 6 || len < 12))
            continue;
        const size_t stem = (size_t)(dot - e->d_name);
        const int temp = compilers || (stem >= 4 && !strncmp(dot - 4, ".log", 4)) ||
                         (stem >= 4 && !strncmp(dot - 4, ".tmp", 4));
        char path[4600];
        struct stat st;
        if (!temp || snprintf(path, sizeof path, "%s/%s", cache, e->d_name) >= (int)sizeof path ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_mtime > old)
            continue;
        unlink(path);
    }
    closedir(d);
}

/* A fresh empty file beside the cache entry (for a log or an object); 0 or -1. */
static int temp_name(char *buf, size_t len, const char *base, const char *what)
{
    if (snprintf(buf, len, "%s.%s.XXXXXX", base, what) >= (int)len)
        return -1;
    int fd = mkstemp(buf);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* The runtime headers generated sources and extras may include, hashed in name order. */
static uint64_t hash_headers(uint64_t h, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return rf_fnv1a64_str(h, "(no runtime headers)");
    int n = 0, cap = 0;
    char **list = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".h") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **bigger = realloc(list, (size_t)cap * sizeof *list);
            if (!bigger)
                break;
            list = bigger;
        }
        if ((list[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(list[j - 1], list[j]) > 0; j--) {
            char *t = list[j];
            list[j] = list[j - 1];
            list[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, list[i]);
        size_t len = 0;
        char *text = read_whole(path, &len);
        h = rf_fnv1a64_str(h, list[i]);
        h = rf_fnv1a64(h, text ? text : "", text ? len : 0);
        free(text);
        free(list[i]);
    }
    free(list);
    return h;
}

/* With -march=native the object depends on the machine: the CPU's feature
 * flags join the key (a cache folder shared between machines stays sound). */
static uint64_t hash_cpu(uint64_t h, const char *cflags)
{
    if (!strstr(cflags, "native"))
        return h;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return h;
    char line[8192];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0 || strncmp(line, "model name", 10) == 0 ||
            strncmp(line, "Features", 8) == 0 || strncmp(line, "CPU part", 8) == 0) {
            h = rf_fnv1a64_str(h, line);
            if (line[0] == 'f' || line[0] == 'F')
                break; /* the first processor's flags end its description */
        }
    fclose(f);
    return h;
}

/* The loaded table must describe the model asked for (guards against a
 * stale or colliding cache entry). */
static int check_loaded(const rf_model *m, const rf_compiled *c, char *err, size_t errlen)
{
    const char *why = NULL;
    if (c->abi_version != RF_ABI_VERSION)
        why = "ABI version";
    else if (!c->name || strcmp(c->name, m->name) != 0)
        why = "name";
    else if (c->batch != m->batch || c->inputs != m->input || c->outputs != m->outputs)
        why = "shapes";
    else if (c->num_params != m->n_params || c->loss != (int)m->loss)
        why = "parameters or loss";
    for (int i = 0; !why && i < m->n_params; i++) {
        const char *name = c->param_name(i);
        if (!name || strcmp(name, m->params[i].name) != 0 || c->param_size(i) != m->params[i].size)
            why = "parameter names or sizes";
    }
    if (why) {
        snprintf(err, errlen, "the compiled model does not match %s (%s differ)", m->name, why);
        return -1;
    }
    return 0;
}

static void unload(rf_built *out)
{
    if (out->handle)
        dlclose(out->handle);
    out->handle = NULL;
    out->model = NULL;
}

static int load(const rf_model *m, rf_built *out, char *err, size_t errlen)
{
    out->handle = dlopen(out->so_path, RTLD_NOW | RTLD_LOCAL);
    if (!out->handle) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load %s: %s", out->so_path, e ? e : "unknown error");
        return -1;
    }
    out->model = dlsym(out->handle, RF_ABI_SYMBOL);
    if (!out->model) {
        snprintf(err, errlen, "%s has no symbol %s", out->so_path, RF_ABI_SYMBOL);
        unload(out);
        return -1;
    }
    if (check_loaded(m, out->model, err, errlen) != 0) {
        unload(out);
        return -1;
    }
    return 0;
}

typedef struct {
    char *h, *c, *glue;
    char **extra_text;
    size_t *extra_len;
    int n_extra;
    char *cc_words, *flag_words;
    char *cc_argv[RF_MAX_ARGS], *flag_argv[RF_MAX_ARGS];
    int n_cc, n_flags;
    char *version;
    int parts; /* NAME.c compiles as 2 parts or 1 whole (rf_emit_source_parts) */
} rf_build_inputs;

static void free_inputs(rf_build_inputs *in)
{
    free(in->h);
    free(in->c);
    free(in->glue);
    for (int i = 0; i < in->n_extra; i++)
        free(in->extra_text[i]);
    free(in->extra_text);
    free(in->extra_len);
    free(in->cc_words);
    free(in->flag_words);
    free(in->version);
}

/* The file a command word runs: the word itself when it holds a '/', else its first
 * executable match on PATH, as posix_spawnp finds it. 0, or -1 when there is none. */
static int command_file(const char *word, char *buf, size_t len)
{
    if (strchr(word, '/'))
        return snprintf(buf, len, "%s", word) < (int)len && access(buf, X_OK) == 0 ? 0 : -1;
    const char *path = getenv("PATH");
    for (const char *dir = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; *dir;) {
        const char *colon = strchr(dir, ':');
        const int n = colon ? (int)(colon - dir) : (int)strlen(dir);
        if (n > 0 && snprintf(buf, len, "%.*s/%s", n, dir, word) < (int)len && access(buf, X_OK) == 0)
            return 0;
        dir += n + (colon != NULL);
    }
    return -1;
}

/* A key for what the compiler command runs: each word's file (followed through symlinks)
 * with its device, inode, size and change times, or the word itself for one that names no
 * file (a flag). Installing another compiler over the old one changes it. 0, or -1 when
 * the command's first word names no file. */
static int compiler_identity(const rf_build_inputs *in, uint64_t *key)
{
    uint64_t h = rf_fnv1a64_str(RF_FNV1A64_INIT, "regfitc compiler identity 1");
    for (int i = 0; i < in->n_cc; i++) {
        char file[4096], real[4096];
        struct stat st;
        if (command_file(in->cc_argv[i], file, sizeof file) != 0 || !realpath(file, real) ||
            stat(real, &st) != 0) {
            if (i == 0)
                return -1;
            h = rf_fnv1a64_str(h, in->cc_argv[i]);
            continue;
        }
        const unsigned long long fields[] = {
            (unsigned long long)st.st_dev,          (unsigned long long)st.st_ino,
            (unsigned long long)st.st_size,         (unsigned long long)st.st_mtim.tv_sec,
            (unsigned long long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ctim.tv_sec,
            (unsigned long long)st.st_ctim.tv_nsec};
        h = rf_fnv1a64_str(h, real);
        h = rf_fnv1a64(h, fields, sizeof fields);
    }
    *key = h;
    return 0;
}

/* `cc --version`, so a compiler upgrade changes the key. Its output, or "" when it fails.
 * Starting the compiler takes 0.05 to 0.2 s, at every run with a warm cache, so the output
 * is kept in the cache under the compiler's identity (compiler_identity) and read from
 * there while the compiler's files are the same. (A wrapper script's identity is its own:
 * replacing the compiler it calls is not seen until the script changes.) */
static char *compiler_version(rf_build_inputs *in, const char *cache)
{
    char memo[4200];
    uint64_t id;
    const int known = compiler_identity(in, &id) == 0;
    if (known) {
        snprintf(memo, sizeof memo, "%s/compiler-%016llx.version", cache, (unsigned long long)id);
        char *text = read_whole(memo, NULL);
        if (text)
            return text;
    }
    char base[4200], log[4300];
    snprintf(base, sizeof base, "%s/version", cache);
    if (temp_name(log, sizeof log, base, "log") != 0)
        return strdup("");
    char *argv[RF_MAX_ARGS + 2];
    int n = 0;
    for (int i = 0; i < in->n_cc; i++)
        argv[n++] = in->cc_argv[i];
    argv[n++] = "--version";
    argv[n] = NULL;
    int status = run_logged(argv, log);
    char *text = status >= 0 ? read_whole(log, NULL) : NULL;
    unlink(log);
    if (text && known && status == 0) {
        char err[256]; /* a cache that cannot keep it only runs the compiler again next time */
        (void)rf_atomic_write(memo, text, strlen(text), err, sizeof err);
    }
    return text ? text : strdup("");
}

/* Cuts the compiler's messages into err after a first line. */
static void compile_error(char *err, size_t errlen, const char *name, const char *cc, int status, const char *log)
{
    char *text = read_whole(log, NULL);
    int o = snprintf(err, errlen, "compiling the generated code of %s failed (%s exited with status %d)%s", name,
                     cc, status, text && *text ? ":\n" : "");
    if (text && o >= 0 && (size_t)o < errlen) {
        size_t room = errlen - (size_t)o, len = strlen(text);
        while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
            text[--len] = '\0';
        if (len < room) {
            memcpy(err + o, text, len + 1);
        } else if (room > 8) {
            memcpy(err + o, text, room - 5);
            memcpy(err + o + room - 5, "\n...", 5);
        }
    }
    free(text);
}

/* argv[n...] = the words every command starts with: the compiler, fixed, the user's flags
 * and the include folders. Returns the new count. */
static int command_head(char **argv, const rf_build_inputs *in, char *const *fixed, int n_fixed, char *src_arg,
                        char *include_arg)
{
    int n = 0;
    for (int i = 0; i < in->n_cc; i++)
        argv[n++] = in->cc_argv[i];
    for (int i = 0; i < n_fixed; i++)
        argv[n++] = fixed[i];
    for (int i = 0; i < in->n_flags; i++)
        argv[n++] = in->flag_argv[i];
    argv[n++] = src_arg;
    argv[n++] = include_arg;
    return n;
}

static void print_command(char *const *argv)
{
    for (int i = 0; argv[i]; i++)
        fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
    fprintf(stderr, "\n");
}

/* Compiles the sources in BASE.src into tmp_so. NAME.c (as its two parts, NAME_PART=1 and 2, when
 * it has them: rf_emit_source_parts) and the glue are each compiled to an object, all at
 * once, and the objects are linked with the extra sources; the user's flags go to every
 * command. The temporaries (BASE.JOB.o.tmp.XXXXXX, the logs BASE.JOB.log.XXXXXX and
 * BASE.log.XXXXXX of the link) are removed whatever happens. 0, or -1 with a message in err:
 * the first failing command's exit status and messages, as compile_error words them. */
static int compile_model(const rf_model *m, const rf_build_options *opt, const rf_build_inputs *in, const char *cc,
                         const char *cache, const char *base, const char *include_dir, char *tmp_so, char *err,
                         size_t errlen)
{
    static char *const compile_fixed[] = {"-std=c11", "-fPIC", "-fvisibility=hidden"};
    static char *const link_fixed[] = {"-std=c11", "-fPIC", "-shared", "-fvisibility=hidden"};
    char c_path[4400], glue_path[4400], include_arg[4200], src_arg[4400], link_log[4400] = "";
    char part_arg[2][RF_NAME_MAX + 32], src[4300];
    snprintf(src, sizeof src, "%s.src", base);
    snprintf(c_path, sizeof c_path, "%s/%s.c", src, m->name);
    snprintf(glue_path, sizeof glue_path, "%s/%s_glue.c", src, m->name);
    snprintf(include_arg, sizeof include_arg, "-I%s", include_dir);
    snprintf(src_arg, sizeof src_arg, "-I%s", src);
    char macro[RF_NAME_MAX + 1];
    snprintf(macro, sizeof macro, "%s", m->name);
    for (char *c = macro; *c; c++)
        *c = (char)toupper((unsigned char)*c);

    /* the jobs: part1, part2 and glue, or whole and glue */
    rf_compile_job jobs[3];
    const int n_jobs = in->parts + 1;
    static const char *const split_names[] = {"part1", "part2", "glue"}, *const whole_names[] = {"whole", "glue"};
    const char *const *names = in->parts == 2 ? split_names : whole_names;
    memset(jobs, 0, sizeof jobs);
    int rc = -1;
    for (int j = 0; j < n_jobs; j++) {
        char what[32];
        snprintf(what, sizeof what, "%s.o.tmp", names[j]);
        if (temp_name(jobs[j].object, sizeof jobs[j].object, base, what) != 0) {
            jobs[j].object[0] = '\0';
            goto cannot_create;
        }
        snprintf(what, sizeof what, "%s.log", names[j]);
        if (temp_name(jobs[j].log, sizeof jobs[j].log, base, what) != 0) {
            jobs[j].log[0] = '\0';
            goto cannot_create;
        }
        char **argv = jobs[j].argv;
        int n = command_head(argv, in, compile_fixed, 3, src_arg, include_arg);
        const int glue = j == n_jobs - 1;
        if (!glue && in->parts == 2) {
            snprintf(part_arg[j], sizeof part_arg[j], "-D%s_PART=%d", macro, j + 1);
            argv[n++] = part_arg[j];
        }
        argv[n++] = "-c";
        argv[n++] = glue ? glue_path : c_path;
        argv[n++] = "-o";
        argv[n++] = jobs[j].object;
        argv[n] = NULL;
    }
    if (temp_name(link_log, sizeof link_log, base, "log") != 0) {
        link_log[0] = '\0';
        goto cannot_create;
    }
    for (int j = 0; opt->verbose && j < n_jobs; j++)
        print_command(jobs[j].argv);
    const int failed = run_jobs(jobs, n_jobs);
    if (failed >= 0) {
        if (jobs[failed].status < 0)
            snprintf(err, errlen, "cannot run the C compiler '%s': %s", jobs[failed].argv[0],
                     strerror(jobs[failed].error));
        else
            compile_error(err, errlen, m->name, cc, jobs[failed].status, jobs[failed].log);
        goto cleanup;
    }

    char *argv[3 * RF_MAX_ARGS];
    int n = command_head(argv, in, link_fixed, 4, src_arg, include_arg);
    argv[n++] = "-o";
    argv[n++] = tmp_so;
    for (int j = 0; j < n_jobs; j++)
        argv[n++] = jobs[j].object;
    for (int i = 0; i < in->n_extra && n < 3 * RF_MAX_ARGS - 3; i++)
        argv[n++] = (char *)opt->extra_sources[i];
    argv[n++] = "-lm";
    argv[n++] = "-Wl,-Bsymbolic";
    argv[n] = NULL;
    if (opt->verbose)
        print_command(argv);
    const int status = run_logged(argv, link_log);
    if (status < 0)
        snprintf(err, errlen, "cannot run the C compiler '%s': %s", argv[0], strerror(errno));
    else if (status > 0)
        compile_error(err, errlen, m->name, cc, status, link_log);
    else
        rc = 0;
    goto cleanup;

cannot_create:
    snprintf(err, errlen, "cannot create a file in %s: %s", cache, strerror(errno));
cleanup:
    for (int j = 0; j < n_jobs; j++) {
        if (jobs[j].object[0])
            unlink(jobs[j].object);
        if (jobs[j].log[0])
            unlink(jobs[j].log);
    }
    if (link_log[0])
        unlink(link_log);
    return rc;
}

int rf_build(const rf_model *m, const rf_build_options *opt, rf_built *out, char *err, size_t errlen)
{
    static const rf_build_options defaults;
    if (!opt)
        opt = &defaults;
    memset(out, 0, sizeof *out);
    rf_build_inputs in;
    memset(&in, 0, sizeof in);
    int rc = -1;

    const char *env_cc = getenv("CC");
    const char *cc = opt->cc ? opt->cc : env_cc && *env_cc ? env_cc : RF_DEFAULT_CC;
    const char *cflags = opt->cflags ? opt->cflags : RF_DEFAULT_CFLAGS;
    char include_dir[4096], cache[4096];
    snprintf(include_dir, sizeof include_dir, "%s/runtime", rf_home());
    rf_build_cache_dir(opt, cache, sizeof cache);

    in.n_cc = split_words(cc, &in.cc_words, in.cc_argv, RF_MAX_ARGS);
    in.n_flags = split_words(cflags, &in.flag_words, in.flag_argv, RF_MAX_ARGS);
    if (in.n_cc <= 0 || in.n_flags < 0) {
        snprintf(err, errlen, in.n_cc == 0 ? "no C compiler given (CC is empty)" : "compiler command too long or out of memory");
        goto done;
    }
    if (rf_make_dirs(cache, err, errlen) != 0)
        goto done;
    /* the code of the model's shapes only: one compile serves every model file that
     * differs in hyperparameters, epochs, seed, data or comments */
    rf_model shapes;
    if (rf_model_for_build(m, &shapes) != 0) {
        snprintf(err, errlen, "out of memory while generating %s", m->name);
        goto done;
    }
    in.parts = rf_emit_source_parts(&shapes);
    int emitted = in.parts > 0 && rf_emit_source(&shapes, &in.h, &in.c) == 0 &&
                  rf_emit_glue(&shapes, &in.glue) == 0;
    rf_model_free_build_copy(&shapes);
    if (!emitted) {
        snprintf(err, errlen, "out of memory while generating %s", m->name);
        goto done;
    }
    for (const char *const *e = opt->extra_sources; e && *e; e++)
        in.n_extra++;
    in.extra_text = calloc((size_t)in.n_extra + 1, sizeof *in.extra_text);
    in.extra_len = calloc((size_t)in.n_extra + 1, sizeof *in.extra_len);
    if (!in.extra_text || !in.extra_len) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < in.n_extra; i++) {
        in.extra_text[i] = read_whole(opt->extra_sources[i], &in.extra_len[i]);
        if (!in.extra_text[i]) {
            snprintf(err, errlen, "cannot read %s: %s", opt->extra_sources[i], strerror(errno));
            goto done;
        }
    }
    in.version = compiler_version(&in, cache);

    /* the cache key */
    uint64_t key = rf_fnv1a64_str(RF_FNV1A64_INIT, "regfitc build 2 " REGFIT_VERSION);
    key = rf_fnv1a64_str(key, in.h);
    key = rf_fnv1a64_str(key, in.c);
    key = rf_fnv1a64_str(key, in.glue);
    for (int i = 0; i < in.n_extra; i++) {
        key = rf_fnv1a64_str(key, opt->extra_sources[i]);
        key = rf_fnv1a64(key, in.extra_text[i], in.extra_len[i]);
    }
    key = hash_headers(key, include_dir);
    key = rf_fnv1a64_str(key, include_dir);
    key = rf_fnv1a64_str(key, cc);
    key = rf_fnv1a64_str(key, cflags);
    key = rf_fnv1a64_str(key, in.version);
    key = hash_cpu(key, cflags);

    char base[4200];
    snprintf(base, sizeof base, "%s/%s-%016llx", cache, m->name, (unsigned long long)key);
    if (snprintf(out->so_path, sizeof out->so_path, "%s.so", base) >= (int)sizeof out->so_path) {
        snprintf(err, errlen, "cache folder name too long: %s", cache);
        goto done;
    }
    if (access(out->so_path, R_OK) == 0) {
        char load_err[512];
        if (load(m, out, load_err, sizeof load_err) == 0) {
            out->cached = 1;
            rc = 0;
            goto done;
        }
        /* a broken entry: build it again */
    }

    sweep_stale_temporaries(cache);

    /* the sources, where compiler messages can point */
    char src[4300], path[4400];
    snprintf(src, sizeof src, "%s.src", base);
    if (rf_make_dirs(src, err, errlen) != 0)
        goto done;
    const char *texts[3] = {in.h, in.c, in.glue};
    const char *suffixes[3] = {".h", ".c", "_glue.c"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s%s", src, m->name, suffixes[i]);
        if (rf_atomic_write(path, texts[i], strlen(texts[i]), err, errlen) != 0)
            goto done;
    }

    char tmp_so[4400];
    if (temp_name(tmp_so, sizeof tmp_so, base, "so.tmp") != 0) {
        snprintf(err, errlen, "cannot create a file in %s: %s", cache, strerror(errno));
        goto done;
    }
    if (compile_model(m, opt, &in, cc, cache, base, include_dir, tmp_so, err, errlen) != 0) {
        unlink(tmp_so);
        goto done;
    }
    if (rename(tmp_so, out->so_path) != 0) {
        snprintf(err, errlen, "cannot move the compiled model to %s: %s", out->so_path, strerror(errno));
        unlink(tmp_so);
        goto done;
    }
    rc = load(m, out, err, errlen);

done:
    free_inputs(&in);
    if (rc != 0) {
        char keep[sizeof out->so_path];
        memcpy(keep, out->so_path, sizeof keep);
        memset(out, 0, sizeof *out);
        memcpy(out->so_path, keep, sizeof keep);
    }
    return rc;
}

void rf_build_close(rf_built *b)
{
    if (b->handle)
        dlclose(b->handle);
    memset(b, 0, sizeof *b);
}
