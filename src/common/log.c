#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static msiz_log_fn g_log_fn;
static void *g_log_user;
static msiz_log_level g_log_max = MSIZ_LOG_WARNING;

void msiz_set_log_callback(msiz_log_fn fn, void *user, msiz_log_level max_level)
{
    g_log_fn = fn;
    g_log_user = user;
    g_log_max = max_level;
}

int msiz_log_enabled(msiz_log_level level) { return g_log_fn != NULL && level <= g_log_max; }

void msiz_log(msiz_log_level level, const char *fmt, ...)
{
    if (!msiz_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    g_log_fn(g_log_user, level, msg);
}
