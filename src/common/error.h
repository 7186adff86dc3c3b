/* Internal error helpers: set the thread's message and return the status in one step. */
#ifndef MSIZ_COMMON_ERROR_H
#define MSIZ_COMMON_ERROR_H

#include <stdarg.h>

#include "msizarr/msizarr.h"

#define MSIZ_ERRMSG_MAX 1024

/* Formats the calling thread's error message. */
void msiz_set_errorf(const char *fmt, ...) MSIZ_PRINTF(1, 2);

/* Formats the calling thread's error message and returns `code` (evaluated after the message).
 * A macro, not a function, so that the compiler sees the code returned: after inlining, an error
 * path stays an error path. With an out-of-line msiz_fail gcc assumed the callee might return
 * MSIZ_OK without setting its outputs (-Wmaybe-uninitialized in Release builds). */
#define msiz_fail(code, ...) (msiz_set_errorf(__VA_ARGS__), (msiz_status)(code))
msiz_status msiz_vfail(msiz_status code, const char *fmt, va_list ap);

/* Prepends "prefix: " to the current message (adds context on the way up) and returns code. */
msiz_status msiz_fail_context(msiz_status code, const char *fmt, ...) MSIZ_PRINTF(2, 3);

/* Sets the message verbatim (used to move a worker thread's message to the caller). */
void msiz_set_error_text(const char *text);

/* `status = (expr); if (status < 0) goto cleanup;` — needs `msiz_status status` and `cleanup:`. */
#define MSIZ_TRY(expr)                                                                             \
    do {                                                                                           \
        status = (expr);                                                                           \
        if (status < 0)                                                                            \
            goto cleanup;                                                                          \
    } while (0)

/* `if (cond) { status = msiz_fail(code, ...); goto cleanup; }` */
#define MSIZ_FAIL_IF(cond, code, ...)                                                              \
    do {                                                                                           \
        if (cond) {                                                                                \
            status = msiz_fail((code), __VA_ARGS__);                                               \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

#endif
