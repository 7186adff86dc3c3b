#include "common/error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char g_errmsg[MSIZ_ERRMSG_MAX];

const char *msiz_strerror(msiz_status status)
{
    switch (status) {
    case MSIZ_OK: return "success";
    case MSIZ_END: return "end of iteration";
    case MSIZ_E_NOMEM: return "out of memory";
    case MSIZ_E_IO: return "input/output error";
    case MSIZ_E_FORMAT: return "invalid input format";
    case MSIZ_E_UNSUPPORTED: return "unsupported feature";
    case MSIZ_E_LIMIT: return "limit exceeded";
    case MSIZ_E_ARG: return "invalid argument";
    case MSIZ_E_STATE: return "invalid call order";
    case MSIZ_E_CODEC: return "compression error";
    case MSIZ_E_EXISTS: return "output already exists";
    case MSIZ_E_INTERRUPTED: return "interrupted";
    case MSIZ_E_NOTFOUND: return "not found";
    }
    return "unknown status";
}

const char *msiz_last_error(void) { return g_errmsg; }

void msiz_clear_error(void) { g_errmsg[0] = '\0'; }

void msiz_set_error_text(const char *text)
{
    snprintf(g_errmsg, sizeof g_errmsg, "%s", text ? text : "");
}

msiz_status msiz_vfail(msiz_status code, const char *fmt, va_list ap)
{
    vsnprintf(g_errmsg, sizeof g_errmsg, fmt, ap);
    return code;
}

void msiz_set_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_errmsg, sizeof g_errmsg, fmt, ap);
    va_end(ap);
}

msiz_status msiz_fail_context(msiz_status code, const char *fmt, ...)
{
    char prefix[MSIZ_ERRMSG_MAX];
    char old[MSIZ_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, g_errmsg, sizeof old);
    /* prefix, then ": ", then the old message, cut to fit */
    size_t len = strlen(prefix);
    memcpy(g_errmsg, prefix, len + 1);
    if (old[0] && len + 2 < sizeof g_errmsg) {
        memcpy(g_errmsg + len, ": ", 3);
        len += 2;
        size_t room = sizeof g_errmsg - 1 - len;
        size_t olen = strnlen(old, room);
        memcpy(g_errmsg + len, old, olen);
        g_errmsg[len + olen] = '\0';
    }
    return code;
}
