/* Progress callbacks (throttled), cancellation, and resident-memory readings. */
#include <stdio.h>
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
