/* Spill storage for the external-memory algorithms (the CSC transpose in src/sparse, the raw
 * union m/z axis in src/axis): one private folder per run under the temporary directory
 * (--temp-dir, else $TMPDIR, else /tmp), named msizarr-spill-XXXXXX, created when the first file
 * is opened (a run that fits in memory creates nothing) and marked as the run's own
 * (io/owner.h). Files inside it are appended to through an optional write buffer and read back
 * by offset in large blocks.
 *
 * The folder and everything in it are removed by msiz_spill_free, which every exit path of its
 * owner calls (success, error, cancellation). A run killed before that leaves the folder with
 * its marker; the next msiz_spill_new in the same directory removes it (and logs it).
 *
 * Not thread-safe: one thread opens and uses the files of a spill. */
#ifndef MSIZ_IO_SPILL_H
#define MSIZ_IO_SPILL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "msizarr/msizarr.h"

#define MSIZ_SPILL_PREFIX "msizarr-spill-"

typedef struct msiz_spill msiz_spill;

/* A file in the spill folder. The fields are private (visible for the inline put below). */
typedef struct msiz_spill_file {
    int fd;
    char *path;
    unsigned char *buf; /* write buffer; NULL: writes go straight to the file */
    size_t len, cap;
    uint64_t size; /* bytes appended, buffered ones included */
} msiz_spill_file;

/* Checks that `temp_dir` (NULL or "": $TMPDIR, else /tmp) is a writable folder and removes the
 * folders that killed runs left in it. *out = NULL on failure ("cannot create a temporary
 * folder in DIR: ..."). */
MSIZ_NODISCARD msiz_status msiz_spill_new(const char *temp_dir, msiz_spill **out);

/* Removes the folder and everything in it (files still open included) and frees. NULL is
 * fine. */
void msiz_spill_free(msiz_spill *s);

/* The folder's path, or NULL while no file was opened. */
const char *msiz_spill_dir(const msiz_spill *s);

/* Opens a new empty file "<name>-<n>.bin" in the folder (creating the folder first if needed),
 * with a write buffer of `buffer_bytes` (0: none; the caller then writes large blocks). */
MSIZ_NODISCARD msiz_status msiz_spill_file_open(msiz_spill *s, const char *name,
                                                size_t buffer_bytes, msiz_spill_file **out);

/* Appends n bytes (through the buffer when there is one). */
MSIZ_NODISCARD msiz_status msiz_spill_file_write(msiz_spill_file *f, const void *data, size_t n);

/* Appends one small item: a copy into the buffer when it fits. */
static inline MSIZ_NODISCARD msiz_status msiz_spill_file_put(msiz_spill_file *f, const void *item,
                                                             size_t n)
{
    if (f->cap - f->len < n)
        return msiz_spill_file_write(f, item, n);
    memcpy(f->buf + f->len, item, n);
    f->len += n;
    f->size += n;
    return MSIZ_OK;
}

/* Writes out what is buffered. */
MSIZ_NODISCARD msiz_status msiz_spill_file_flush(msiz_spill_file *f);

/* Flushes and frees the write buffer; the file stays readable (and appendable, unbuffered). */
MSIZ_NODISCARD msiz_status msiz_spill_file_seal(msiz_spill_file *f);

/* Reads exactly n bytes at `offset` (what is still buffered is written out first). */
MSIZ_NODISCARD msiz_status msiz_spill_file_read(msiz_spill_file *f, void *buf, size_t n,
                                                uint64_t offset);

/* Bytes appended so far. */
static inline uint64_t msiz_spill_file_size(const msiz_spill_file *f)
{
    return f->size;
}

/* Closes and deletes the file. NULL is fine. */
void msiz_spill_file_close(msiz_spill_file *f);

#endif
