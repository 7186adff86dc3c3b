/* Batches of spectra: read on the calling thread (the source is not shared), mapped onto the
 * axis on `threads` threads, then handed back in order. Each spectrum's mapping depends only on
 * the spectrum, so the output is the same for every batch size and thread count. */
#include <pthread.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "convert/convert_internal.h"

size_t msiz_batch_slot_bytes(const msiz_conv *c)
{
    return 16 * (c->max_peaks ? c->max_peaks : 1) + 12 * c->out_cap + sizeof(msiz_batch_slot);
}

msiz_status msiz_batch_init(msiz_conv *c, msiz_batch *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap ? cap : 1;
    b->threads = c->threads > 0 ? c->threads : 1;
    if ((size_t)b->threads > b->cap)
        b->threads = (int)b->cap;
    b->slots = msiz_calloc(b->cap, sizeof *b->slots);
    b->mappers = msiz_calloc((size_t)b->threads, sizeof *b->mappers);
    if (!b->slots || !b->mappers)
        return msiz_fail(MSIZ_E_NOMEM, "out of memory for a batch of %zu spectra", b->cap);
    for (size_t i = 0; i < b->cap; i++) {
        msiz_spectrum_init(&b->slots[i].sp);
        b->slots[i].idx = msiz_malloc(c->out_cap * sizeof *b->slots[i].idx);
        b->slots[i].val = msiz_malloc(c->out_cap * sizeof *b->slots[i].val);
        if (!b->slots[i].idx || !b->slots[i].val)
            return msiz_fail(MSIZ_E_NOMEM, "out of memory for a batch of %zu spectra", b->cap);
    }
    for (int t = 0; t < b->threads; t++) {
        msiz_status status = msiz_mapper_init(c, &b->mappers[t]);
        if (status < 0)
            return status;
    }
    return MSIZ_OK;
}

void msiz_batch_release(msiz_conv *c, msiz_batch *b)
{
    for (size_t i = 0; b->slots && i < b->cap; i++) {
        msiz_spectrum_destroy(&b->slots[i].sp);
        msiz_free(b->slots[i].idx);
        msiz_free(b->slots[i].val);
    }
    for (int t = 0; b->mappers && t < b->threads; t++)
        msiz_mapper_release(c, &b->mappers[t]);
    msiz_free(b->slots);
    msiz_free(b->mappers);
    memset(b, 0, sizeof *b);
}

typedef struct worker {
    msiz_conv *c;
    msiz_batch *b;
    int t;
    size_t n;
    msiz_status status;
    char message[MSIZ_ERRMSG_MAX];
} worker;

/* Thread t maps slots t, t + threads, ... (interleaved: neighbours have similar sizes). */
static void *map_slots(void *arg)
{
    worker *w = arg;
    for (size_t i = (size_t)w->t; i < w->n && w->status == MSIZ_OK; i += (size_t)w->b->threads) {
        msiz_batch_slot *s = &w->b->slots[i];
        w->status = msiz_mapper_map(w->c, &w->b->mappers[w->t], &s->sp, s->idx, s->val, &s->n);
    }
    if (w->status < 0) /* the message is thread-local: carry it to the caller */
        memcpy(w->message, msiz_last_error(), sizeof w->message);
    return NULL;
}

/* One worker per batch thread (as many as --threads asks, up to the batch size): thread t
 * steps by b->threads, so every slot belongs to exactly one worker. */
static msiz_status map_parallel(msiz_conv *c, msiz_batch *b, size_t n)
{
    int threads = b->threads, started = 1;
    worker *w = msiz_calloc((size_t)threads, sizeof *w);
    pthread_t *tid = msiz_calloc((size_t)threads, sizeof *tid);
    msiz_status status = MSIZ_OK;
    if (!w || !tid) {
        status = msiz_fail(MSIZ_E_NOMEM, "out of memory for %d mapping threads", threads);
        goto cleanup;
    }
    for (int t = 0; t < threads; t++)
        w[t] = (worker){c, b, t, n, MSIZ_OK, ""};
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, map_slots, &w[t]) != 0)
            break;
        started++;
    }
    map_slots(&w[0]);
    for (int t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
    for (int t = started; t < threads; t++) /* threads that could not start: do their share */
        map_slots(&w[t]);
    for (int t = 0; t < threads; t++)
        if (w[t].status < 0) {
            msiz_set_error_text(w[t].message);
            status = w[t].status;
            break;
        }
cleanup:
    msiz_free(w);
    msiz_free(tid);
    return status;
}

msiz_status msiz_batch_run(msiz_conv *c, msiz_batch *b, const uint64_t *spectra, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        msiz_status status = msiz_source_read(c->src, spectra[i], &b->slots[i].sp);
        if (status < 0)
            return status;
    }
    if (b->threads == 1 || n == 1) {
        for (size_t i = 0; i < n; i++) {
            msiz_batch_slot *s = &b->slots[i];
            msiz_status status = msiz_mapper_map(c, &b->mappers[0], &s->sp, s->idx, s->val, &s->n);
            if (status < 0)
                return status;
        }
        return MSIZ_OK;
    }
    return map_parallel(c, b, n);
}
