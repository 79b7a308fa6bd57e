/* Running a sweep's points (see sweep_internal.h). Each point is a child
 * process: one ordinary run (rf_train_run) with its output in the point's
 * log.txt, dying with the parent (PR_SET_PDEATHSIG), so an interrupted
 * sweep leaves no run behind that races with the next one. Forking shares
 * the loaded data and the compiled code with every child without copying;
 * the parent itself never enters OpenMP. */
#define _GNU_SOURCE /* prctl */
#include "sweep_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- running the points ---- */

static pid_t launch(const sweep *s, point *p, const rf_train_options *base, int threads,
                    const volatile int *threads_live)
{
    char log[RF_PATH_MAX + 64], err[ERRLEN];
    if (rf_make_dirs(p->dir, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        return -1;
    }
    rf_run_path(log, sizeof log, p->dir, "log.txt");
    pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* the child: one ordinary run, its report into log.txt */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    if (!freopen(log, "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0)
        _exit(1);
    rf_train_options opt = *base;
    opt.run_dir = p->dir;
    opt.identity = p->identity;
    opt.resume = p->resume;
    opt.quiet = 1;
    opt.threads = threads;
    opt.threads_live = threads_live;
    int rc = rf_train_run(&p->m, s->builds[p->build].model, &s->data[p->data], &opt);
    fflush(stdout);
    _exit(rc);
}

int sw_run_points(sweep *s, const rf_train_options *base)
{
    const rf_sweep_options *o = s->o;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->local_ranks > 1) /* under mpirun: the ranks on this machine share its cores */
        cores /= o->local_ranks;
    if (cores < 1)
        cores = 1;
    int todo = 0;
    for (int i = 0; i < s->n_points; i++)
        todo += s->points[i].status == 0;
    int jobs = o->jobs > 0 ? o->jobs : (int)(todo < cores ? (todo > 0 ? todo : 1) : cores);
    int threads = o->train.threads > 0 ? o->train.threads : (int)(cores / jobs > 0 ? cores / jobs : 1);
    pid_t *pids = calloc((size_t)s->n_points, sizeof *pids);
    /* Each running point's thread count, shared with its child: when the
     * last points are running and cores fall idle, they get those cores
     * (only when the thread count is the sweep's own choice). */
    size_t live_bytes = sizeof(int) * (size_t)s->n_points;
    int *live = mmap(NULL, live_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!pids || live == MAP_FAILED) {
        free(pids);
        return 1;
    }
    int failed = 0, running = 0, next = 0;
    char err[ERRLEN];
    for (;;) {
        while (running < jobs && next < s->n_points) {
            point *p = &s->points[next];
            if (p->status != 0) {
                next++;
                continue;
            }
            live[next] = threads;
            pids[next] = launch(s, p, base, threads, &live[next]);
            if (pids[next] < 0) {
                p->status = -1;
                failed++;
            } else {
                running++;
            }
            next++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < s->n_points; i++) {
            if (pids[i] != pid)
                continue;
            point *p = &s->points[i];
            running--;
            pids[i] = 0;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sw_read_result(p, err, sizeof err) == 0) {
                p->status = 2;
                sw_print_point_line(s, p, i, "");
            } else {
                p->status = -1;
                failed++;
                fprintf(stderr, "regfitc: error: point %d/%d (%s) failed (%s %d); its report is in %s/log.txt\n",
                        i + 1, s->n_points, p->label, WIFEXITED(status) ? "exit" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), p->dir);
            }
        }
        int waiting = 0;
        for (int i = next; i < s->n_points; i++)
            waiting += s->points[i].status == 0;
        if (waiting == 0 && running > 0 && o->train.threads == 0)
            for (int i = 0; i < s->n_points; i++)
                if (pids[i] > 0)
                    __atomic_store_n(&live[i], (int)(cores / running > 0 ? cores / running : 1), __ATOMIC_RELAXED);
    }
    free(pids);
    munmap(live, live_bytes);
    return failed ? 1 : 0;
}
