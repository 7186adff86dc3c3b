/* Internal logging through the user's callback (the library never prints). */
#ifndef MSIZ_COMMON_LOG_H
#define MSIZ_COMMON_LOG_H

#include "msizarr/msizarr.h"

void msiz_log(msiz_log_level level, const char *fmt, ...) MSIZ_PRINTF(2, 3);
int msiz_log_enabled(msiz_log_level level);

#define msiz_warn(...) msiz_log(MSIZ_LOG_WARNING, __VA_ARGS__)
#define msiz_info(...) msiz_log(MSIZ_LOG_INFO, __VA_ARGS__)
#define msiz_debug(...) msiz_log(MSIZ_LOG_DEBUG, __VA_ARGS__)

#endif
