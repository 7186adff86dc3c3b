/* Pieces of the msizarr._core extension shared between its files. */
#ifndef MSIZ_PY_CORE_H
#define MSIZ_PY_CORE_H

#include "msizarr/msizarr.h"

typedef struct core_log_entry {
    int level; /* msiz_log_level */
    char message[2048];
} core_log_entry;

/* Installs the library's log callback (once, at import). */
void core_log_install(void);

/* Most verbose level queued from now on (MSIZ_LOG_WARNING, _INFO or _DEBUG). */
void core_log_set_level(int max_level);

/* Takes the oldest queued message: 1, or 0 when the queue is empty. Thread-safe. */
int core_log_pop(core_log_entry *out);

#endif
