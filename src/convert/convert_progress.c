/* Progress callbacks (throttled), cancellation, and resident-memory readings. */
#include <stdio.h>
#include <string.h>
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
    if (c->o->cancel && *c->o->cancel)
        return msiz_fail(MSIZ_E_INTERRUPTED, "%s: conversion interrupted", c->input);
    if (!c->o->progress)
        return MSIZ_OK;
    /* The first tick of every pass is delivered, then at most one per interval: the state is
     * per conversion and per pass (a batch-sized step need not hit a multiple of 256, and a
     * short pass after a long one is still seen mid-way). */
    int same_pass = c->tick_pass && strcmp(c->tick_pass, pass) == 0 && c->tick_plane == plane &&
                    done >= c->tick_checked;
    if (!force && same_pass && done - c->tick_checked < 256)
        return MSIZ_OK; /* at most one clock reading per 256 spectra */
    c->tick_checked = done;
    double el = seconds_since(pass_start);
    if (!force && same_pass && el - c->tick_last < PROGRESS_INTERVAL_S && el >= c->tick_last)
        return MSIZ_OK;
    c->tick_pass = pass;
    c->tick_plane = plane;
    c->tick_last = el;
    msiz_progress p = {pass, plane, done, total, el, msiz_rss_now()};
    c->o->progress(c->o->progress_user, &p);
    return MSIZ_OK;
}
