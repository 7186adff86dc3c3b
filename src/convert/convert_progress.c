/* Progress callbacks (throttled), cancellation, and resident-memory readings. */
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/error.h"
#include "convert/convert_internal.h"

#define PROGRESS_INTERVAL_S 0.2

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) * 1e-9;
}

uint64_t msiz_rss_now(void)
{
    unsigned long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &pages_total, &pages_resident);
    fclose(f);
    return n == 2 ? (uint64_t)pages_resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* VmHWM: the peak of this program's own address space. getrusage's ru_maxrss also counts the
 * image the process had before exec (a large parent's RSS after fork/vfork). */
uint64_t msiz_rss_peak(void)
{
    char line[256];
    unsigned long long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    if (kib > 0)
        return (uint64_t)kib * 1024u;
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024u : 0;
}

msiz_status msiz_conv_tick(msiz_conv *c, const char *pass, int plane, uint64_t done, uint64_t total,
                           struct timespec *pass_start, int force)
{
    static _Thread_local double last;
    if (c->o->cancel && *c->o->cancel)
        return msiz_fail(MSIZ_E_INTERRUPTED, "%s: conversion interrupted", c->input);
    if (!c->o->progress)
        return MSIZ_OK;
    if ((done & 255) != 0 && !force)
        return MSIZ_OK;
    double el = seconds_since(pass_start);
    if (!force && done > 1 && el - last < PROGRESS_INTERVAL_S && el >= last)
        return MSIZ_OK;
    last = el;
    msiz_progress p = {pass, plane, done, total, el, msiz_rss_now()};
    c->o->progress(c->o->progress_user, &p);
    return MSIZ_OK;
}
