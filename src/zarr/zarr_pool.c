/* Worker threads compressing and writing chunks, fed through a bounded queue. One mutex guards
 * the queue and every array's job bookkeeping (busy slots, in-flight counts, sticky errors). */
#include <pthread.h>

#include "common/alloc.h"
#include "zarr/zarr_internal.h"

struct zarr_pool {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, done;
    zarr_slot **queue;
    size_t cap, head, count;
    pthread_t *threads;
    int nthreads, started, stop;
};

static zarr_slot *pop_locked(zarr_pool *p)
{
    zarr_slot *s = p->queue[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    pthread_cond_signal(&p->not_full);
    return s;
}

static void *worker_main(void *arg)
{
    zarr_pool *p = arg;
    zarr_codec_ctx ctx = {0};
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->stop)
            pthread_cond_wait(&p->not_empty, &p->mu);
        if (p->count == 0)
            break;
        zarr_slot *s = pop_locked(p);
        pthread_mutex_unlock(&p->mu);
        msiz_status st = msiz_zarr_slot_run(&ctx, s);
        pthread_mutex_lock(&p->mu);
        msiz_zarr_slot_done_locked(s, st);
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    msiz_zarr_codec_ctx_destroy(&ctx);
    return NULL;
}

static void stop_and_join(zarr_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    p->started = 0;
}

void msiz_zarr_pool_free(zarr_pool *p)
{
    if (!p)
        return;
    stop_and_join(p);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->not_empty);
    pthread_mutex_destroy(&p->mu);
    msiz_free(p->threads);
    msiz_free(p->queue);
    msiz_free(p);
}

msiz_status msiz_zarr_pool_new(int threads, zarr_pool **out)
{
    *out = NULL;
    zarr_pool *p = msiz_calloc(1, sizeof *p);
    if (!p)
        return msiz_fail(MSIZ_E_NOMEM, "zarr: cannot allocate the worker pool");
    p->cap = (size_t)threads * 2;
    p->queue = msiz_calloc(p->cap, sizeof *p->queue);
    p->threads = msiz_calloc((size_t)threads, sizeof *p->threads);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->not_empty, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->done, NULL);
    if (!p->queue || !p->threads) {
        msiz_zarr_pool_free(p);
        return msiz_fail(MSIZ_E_NOMEM, "zarr: cannot allocate the worker pool");
    }
    p->nthreads = threads;
    for (; p->started < threads; p->started++)
        if (pthread_create(&p->threads[p->started], NULL, worker_main, p) != 0) {
            msiz_zarr_pool_free(p);
            return msiz_fail(MSIZ_E_NOMEM, "zarr: cannot start %d worker threads", threads);
        }
    *out = p;
    return MSIZ_OK;
}

void msiz_zarr_pool_lock(zarr_pool *p)
{
    if (p)
        pthread_mutex_lock(&p->mu);
}

void msiz_zarr_pool_unlock(zarr_pool *p)
{
    if (p)
        pthread_mutex_unlock(&p->mu);
}

void msiz_zarr_pool_wait_locked(zarr_pool *p)
{
    pthread_cond_wait(&p->done, &p->mu);
}

void msiz_zarr_pool_submit(zarr_pool *p, zarr_slot *s)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == p->cap)
        pthread_cond_wait(&p->not_full, &p->mu);
    p->queue[(p->head + p->count) % p->cap] = s;
    p->count++;
    pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
}
