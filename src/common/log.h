/* Internal logging through the user's callback (the library never prints). */
#ifndef MSIZ_COMMON_LOG_H
#define MSIZ_COMMON_LOG_H

#include "msizarr/msizarr.h"

void msiz_log(msiz_log_level level, const char *fmt, ...) MSIZ_PRINTF(2, 3);
int msiz_log_enabled(msiz_log_level level);

/* Also hands the calling thread's warnings and errors to fn (NULL stops), whatever the log
 * callback and its level. */
typedef void (*msiz_log_tap_fn)(void *user, msiz_log_level level, const char *message);
void msiz_log_tap(msiz_log_tap_fn fn, void *user);

#define msiz_warn(...)  msiz_log(MSIZ_LOG_WARNING, __VA_ARGS__)
#define msiz_info(...)  msiz_log(MSIZ_LOG_INFO, __VA_ARGS__)
#define msiz_debug(...) msiz_log(MSIZ_LOG_DEBUG, __VA_ARGS__)

#endif
