/* What every reader backend implements behind msiz_source (htslib-style ops table). */
#ifndef MSIZ_SOURCE_INTERNAL_H
#define MSIZ_SOURCE_INTERNAL_H

#include "msizarr/source.h"

typedef struct msiz_source_ops {
    msiz_status (*next)(msiz_source *src, msiz_spectrum *sp);
    msiz_status (*read)(msiz_source *src, uint64_t index, msiz_spectrum *sp);
    msiz_status (*rewind)(msiz_source *src);
    void (*close)(msiz_source *src); /* frees the backend state (not the msiz_source) */
    /* Optional: position fields and n of spectrum `index` without its data (NULL: read). */
    msiz_status (*locate)(msiz_source *src, uint64_t index, msiz_spectrum *sp);
    /* Optional: as locate, plus the m/z values; intensities are left as they were (NULL: read).
     * The scan pass needs only the m/z range: skipping the intensities skips their I/O. */
    msiz_status (*read_mz)(msiz_source *src, uint64_t index, msiz_spectrum *sp);
} msiz_source_ops;

struct msiz_source {
    const msiz_source_ops *ops;
    msiz_source_info info; /* filled by the backend's open */
    void *impl;            /* backend state */
    char *info_json;       /* msiz_source_info_json's text, built on first use (jansson) */
};

/* Makes sure `sp` can hold `n` peaks (cap from the options); MSIZ_E_LIMIT past the cap. */
msiz_status msiz_spectrum_reserve(msiz_spectrum *sp, size_t n, size_t cap);

/* Backend constructors: fill src->ops, src->info, src->impl. */
msiz_status msiz_imzml_open(msiz_source *src, const char *path, const msiz_source_opts *opts);
msiz_status msiz_bruker_open(msiz_source *src, const char *path, const msiz_source_opts *opts);

#endif
