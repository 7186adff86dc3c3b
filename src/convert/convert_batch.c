/* The bin pass's pipeline: spectra are read on the calling thread (the source is not shared),
 * mapped onto the axis by a pool of mapping threads, and handed back in order. With two halves
 * of the batch in turn, the calling thread reads the next half and emits the previous one while
 * the pool maps the current one, so reading, mapping and emitting (the transpose and its
 * spills) overlap. Each spectrum's mapping depends only on the spectrum, and halves are emitted
 * in order, so the output is the same for every batch size and thread count. */
#include <pthread.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "convert/convert_internal.h"

size_t msiz_batch_slot_bytes(const msiz_conv *c)
{
    return 16 * (c->max_peaks ? c->max_peaks : 1) + 12 * c->out_cap + sizeof(msiz_batch_slot);
}

/* ---- the mapping pool ---- */

struct msiz_map_pool {
    const msiz_conv *c;
    msiz_mapper *mappers; /* one per thread */
    pthread_t *tids;
    int threads, started;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    msiz_batch_slot *job; /* the half being mapped, or NULL */
    size_t job_n, next, finished;
    int stop;
    msiz_status status; /* the failure of the first failing slot of the current job */
    size_t failed_slot;
    char message[MSIZ_ERRMSG_MAX];
};

/* Maps slot i of the current job. Of several failing slots the first in order is reported,
 * whichever thread failed first, so the message does not depend on thread timing. */
static void map_one(msiz_map_pool *p, int t, msiz_batch_slot *slots, size_t i)
{
    msiz_batch_slot *s = &slots[i];
    msiz_status status = msiz_mapper_map(p->c, &p->mappers[t], &s->sp, s->idx, s->val, &s->n);
    s->tic = status == MSIZ_OK ? msiz_pairwise_sum(s->val, s->n) : 0.0; /* numpy's np.sum */
    if (status < 0) {
        pthread_mutex_lock(&p->mu);
        if (p->status == MSIZ_OK || i < p->failed_slot) { /* the message is thread-local */
            p->status = status;
            p->failed_slot = i;
            memcpy(p->message, msiz_last_error(), sizeof p->message);
        }
        pthread_mutex_unlock(&p->mu);
    }
}

typedef struct worker_arg {
    msiz_map_pool *p;
    int t;
} worker_arg;

/* Takes slots one at a time (spectra differ in size) until the pool stops. */
static void *map_worker(void *arg)
{
    msiz_map_pool *p = ((worker_arg *)arg)->p;
    int t = ((worker_arg *)arg)->t;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && (!p->job || p->next == p->job_n))
            pthread_cond_wait(&p->go, &p->mu);
        if (p->stop)
            break;
        msiz_batch_slot *job = p->job;
        size_t i = p->next++;
        pthread_mutex_unlock(&p->mu);
        map_one(p, t, job, i);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->job_n)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Hands slots[0..n) to the pool (or maps them here without one). */
static void map_start(msiz_map_pool *p, msiz_batch_slot *slots, size_t n)
{
    if (p->started == 0) {
        for (size_t i = 0; i < n && p->status == MSIZ_OK; i++)
            map_one(p, 0, slots, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->job = slots;
    p->job_n = n;
    p->next = p->finished = 0;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
}

static msiz_status map_wait(msiz_map_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->job && p->finished < p->job_n)
        pthread_cond_wait(&p->done, &p->mu);
    p->job = NULL;
    msiz_status status = p->status;
    p->status = MSIZ_OK;
    pthread_mutex_unlock(&p->mu);
    if (status < 0)
        msiz_set_error_text(p->message);
    return status;
}

static void pool_stop(msiz_map_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int t = 0; t < p->started; t++)
        pthread_join(p->tids[t], NULL);
    p->started = 0;
}

static worker_arg *start_threads(msiz_map_pool *p)
{
    worker_arg *args = msiz_calloc((size_t)p->threads, sizeof *args);
    p->tids = msiz_calloc((size_t)p->threads, sizeof *p->tids);
    if (!args || !p->tids)
        return args; /* mapping then runs on the calling thread */
    for (int t = 0; t < p->threads; t++) {
        args[t] = (worker_arg){p, t};
        if (pthread_create(&p->tids[t], NULL, map_worker, &args[t]) != 0)
            break; /* fewer threads: the ones started take every slot */
        p->started++;
    }
    return args;
}

/* ---- batches ---- */

msiz_status msiz_batch_init(msiz_conv *c, msiz_batch *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    int threads = c->threads > 0 ? c->threads : 1;
    /* two halves in turn when there are threads to overlap with; the same memory as one batch */
    b->halves = threads > 1 && cap >= 2 ? 2 : 1;
    b->cap = b->halves == 2 ? cap / 2 : cap ? cap : 1;
    if ((size_t)threads > b->cap) /* more would only wait */
        threads = (int)b->cap;
    b->slots = msiz_calloc(b->cap * (size_t)b->halves, sizeof *b->slots);
    msiz_map_pool *p = b->pool = msiz_calloc(1, sizeof *b->pool);
    if (!b->slots || !p)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a batch of %zu spectra", cap);
    for (size_t i = 0; i < b->cap * (size_t)b->halves; i++) {
        msiz_spectrum_init(&b->slots[i].sp);
        b->slots[i].idx = msiz_malloc(c->out_cap * sizeof *b->slots[i].idx);
        b->slots[i].val = msiz_malloc(c->out_cap * sizeof *b->slots[i].val);
        if (!b->slots[i].idx || !b->slots[i].val)
            return msiz_fail(MSIZ_E_NOMEM, "out of memory for a batch of %zu spectra", cap);
    }
    p->c = c;
    p->threads = threads;
    p->mappers = msiz_calloc((size_t)threads, sizeof *p->mappers);
    if (!p->mappers)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for %d mapping threads", threads);
    for (int t = 0; t < threads; t++) {
        msiz_status status = msiz_mapper_init(c, &p->mappers[t]);
        if (status < 0)
            return status;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    b->pool_ready = 1;
    if (threads > 1) {
        b->args = start_threads(p);
        if (!b->args)
            return msiz_fail(MSIZ_E_NOMEM, "out of memory for %d mapping threads", threads);
    }
    return MSIZ_OK;
}

void msiz_batch_release(msiz_conv *c, msiz_batch *b)
{
    msiz_map_pool *p = b->pool;
    if (p && b->pool_ready) {
        pool_stop(p);
        pthread_cond_destroy(&p->done);
        pthread_cond_destroy(&p->go);
        pthread_mutex_destroy(&p->mu);
    }
    for (size_t i = 0; b->slots && i < b->cap * (size_t)b->halves; i++) {
        msiz_spectrum_destroy(&b->slots[i].sp);
        msiz_free(b->slots[i].idx);
        msiz_free(b->slots[i].val);
    }
    for (int t = 0; p && p->mappers && t < p->threads; t++)
        msiz_mapper_release(c, &p->mappers[t]);
    if (p) {
        msiz_free(p->mappers);
        msiz_free(p->tids);
    }
    msiz_free(p);
    msiz_free(b->args);
    msiz_free(b->slots);
    memset(b, 0, sizeof *b);
}

static msiz_status read_half(msiz_conv *c, msiz_batch_slot *slots, const uint64_t *spectra,
                             size_t n)
{
    for (size_t i = 0; i < n; i++) {
        msiz_status status = msiz_source_read(c->src, spectra[i], &slots[i].sp);
        if (status < 0)
            return status;
    }
    return MSIZ_OK;
}

msiz_status msiz_batch_pass(msiz_conv *c, msiz_batch *b, const uint64_t *spectra, uint64_t total,
                            msiz_batch_emit_fn emit, void *ctx)
{
    msiz_status status = MSIZ_OK;
    msiz_batch_slot *cur = b->slots, *other = b->slots + (b->halves - 1) * b->cap;
    uint64_t first = 0; /* of the spectra in cur */
    size_t n = (size_t)(total < b->cap ? total : b->cap);
    if (n == 0)
        return MSIZ_OK;
    MSIZ_TRY(read_half(c, cur, spectra, n));
    map_start(b->pool, cur, n);
    for (;;) {
        uint64_t next = first + n;
        size_t m = (size_t)(total - next < b->cap ? total - next : b->cap);
        if (b->halves == 2 && m > 0) /* read the next half while the pool maps this one */
            status = read_half(c, other, spectra + next, m);
        msiz_status mapped = map_wait(b->pool);
        MSIZ_TRY(mapped);
        MSIZ_TRY(status);
        msiz_batch_slot *done = cur;
        if (b->halves == 2 && m > 0) { /* and map it while this one is emitted */
            map_start(b->pool, other, m);
            cur = other;
            other = done;
        }
        MSIZ_TRY(emit(ctx, done, n, first));
        if (m == 0)
            break;
        if (b->halves == 1) {
            MSIZ_TRY(read_half(c, cur, spectra + next, m));
            map_start(b->pool, cur, m);
        }
        first = next;
        n = m;
    }
cleanup:
    if (status < 0)
        (void)map_wait(b->pool); /* nothing may be mapping when the slots go */
    return status;
}
