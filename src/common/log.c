#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static msiz_log_fn g_log_fn;
static void *g_log_user;
static msiz_log_level g_log_max = MSIZ_LOG_WARNING;
/* Per thread: a converter writing a QC report collects its own warnings, whatever the
 * process-wide callback does, without seeing another thread's conversion. */
static _Thread_local msiz_log_tap_fn t_tap;
static _Thread_local void *t_tap_user;

void msiz_log_tap(msiz_log_tap_fn fn, void *user)
{
    t_tap = fn;
    t_tap_user = user;
}

void msiz_set_log_callback(msiz_log_fn fn, void *user, msiz_log_level max_level)
{
    g_log_fn = fn;
    g_log_user = user;
    g_log_max = max_level;
}

int msiz_log_enabled(msiz_log_level level)
{
    return g_log_fn != NULL && level <= g_log_max;
}

void msiz_log(msiz_log_level level, const char *fmt, ...)
{
    int tapped = t_tap && level <= MSIZ_LOG_WARNING;
    if (!msiz_log_enabled(level) && !tapped)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (tapped)
        t_tap(t_tap_user, level, msg);
    if (msiz_log_enabled(level))
        g_log_fn(g_log_user, level, msg);
}
