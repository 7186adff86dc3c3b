/* Library log messages on their way to Python. The library's log callback is process-wide and
 * runs on whatever thread logs (a conversion thread, a worker, the caller), without the GIL: it
 * only copies the message into a bounded queue, which the thread waiting for the library drains
 * with the GIL held (core.c) and hands to Python's warnings and logging. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define QUEUE_LEN 256

static struct {
    pthread_mutex_t mu;
    core_log_entry entries[QUEUE_LEN];
    unsigned head, count, dropped;
    volatile int max_level; /* most verbose level queued (MSIZ_LOG_*) */
} g_log = {.mu = PTHREAD_MUTEX_INITIALIZER, .max_level = MSIZ_LOG_WARNING};

static void on_library_log(void *user, msiz_log_level level, const char *message)
{
    (void)user;
    if ((int)level > g_log.max_level)
        return;
    pthread_mutex_lock(&g_log.mu);
    if (g_log.count == QUEUE_LEN) {
        g_log.dropped++; /* a flood of messages nobody drains: keep the first ones */
    } else {
        core_log_entry *e = &g_log.entries[(g_log.head + g_log.count) % QUEUE_LEN];
        e->level = (int)level;
        snprintf(e->message, sizeof e->message, "%s", message);
        g_log.count++;
    }
    pthread_mutex_unlock(&g_log.mu);
}

void core_log_install(void)
{
    /* Installed once, for every level: the level is filtered here, so a conversion that sets it
     * never races with another one reconfiguring the library. */
    msiz_set_log_callback(on_library_log, NULL, MSIZ_LOG_DEBUG);
}

void core_log_set_level(int max_level)
{
    g_log.max_level = max_level;
}

int core_log_pop(core_log_entry *out)
{
    int got = 0;
    pthread_mutex_lock(&g_log.mu);
    if (g_log.count > 0) {
        *out = g_log.entries[g_log.head];
        g_log.head = (g_log.head + 1) % QUEUE_LEN;
        g_log.count--;
        got = 1;
    } else if (g_log.dropped > 0) {
        out->level = MSIZ_LOG_WARNING;
        snprintf(out->message, sizeof out->message, "%u more library messages were dropped",
                 g_log.dropped);
        g_log.dropped = 0;
        got = 1;
    }
    pthread_mutex_unlock(&g_log.mu);
    return got;
}
