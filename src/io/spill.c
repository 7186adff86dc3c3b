/* A run's spill folder and its files (spill.h). */
#include "io/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "io/fs.h"
#include "io/owner.h"

struct msiz_spill {
    char *parent;      /* the temporary directory */
    char *dir;         /* the run's folder; NULL until the first file */
    msiz_owner *owner; /* its marker and lock */
    unsigned seq;      /* file names */
};

static int is_spill_folder(const char *name)
{
    return strncmp(name, MSIZ_SPILL_PREFIX, strlen(MSIZ_SPILL_PREFIX)) == 0;
}

static const char *default_temp_dir(const char *temp_dir)
{
    if (temp_dir && temp_dir[0])
        return temp_dir;
    const char *env = getenv("TMPDIR");
    return env && env[0] ? env : "/tmp";
}

msiz_status msiz_spill_new(const char *temp_dir, msiz_spill **out)
{
    struct stat st;
    const char *parent = default_temp_dir(temp_dir);
    *out = NULL;
    int err = stat(parent, &st) != 0             ? errno
              : !S_ISDIR(st.st_mode)             ? ENOTDIR
              : access(parent, W_OK | X_OK) != 0 ? errno
                                                 : 0;
    if (err)
        return msiz_fail(MSIZ_E_IO, "%s: cannot create a temporary folder there: %s", parent,
                         strerror(err));
    msiz_spill *s = msiz_calloc(1, sizeof *s);
    if (s)
        s->parent = msiz_strdup(parent);
    if (!s || !s->parent) {
        msiz_free(s);
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", parent);
    }
    (void)msiz_owner_sweep(parent, is_spill_folder);
    *out = s;
    return MSIZ_OK;
}

void msiz_spill_free(msiz_spill *s)
{
    if (!s)
        return;
    if (s->owner)
        (void)msiz_owner_remove(s->owner);
    else if (s->dir)
        (void)msiz_remove_tree(s->dir);
    msiz_free(s->dir);
    msiz_free(s->parent);
    msiz_free(s);
}

const char *msiz_spill_dir(const msiz_spill *s)
{
    return s->dir;
}

static msiz_status make_folder(msiz_spill *s)
{
    char path[4200];
    msiz_status status = msiz_path_join(path, sizeof path, s->parent, MSIZ_SPILL_PREFIX "XXXXXX");
    if (status < 0)
        return status;
    if (!mkdtemp(path))
        return msiz_fail(MSIZ_E_IO, "%s: cannot create a temporary folder there: %s", s->parent,
                         strerror(errno));
    s->dir = msiz_strdup(path);
    if (!s->dir) {
        (void)rmdir(path);
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    }
    status = msiz_owner_mark(s->dir, &s->owner);
    if (status < 0) { /* an unmarked folder would never be cleaned: take it away now */
        (void)msiz_remove_tree(s->dir);
        msiz_free(s->dir);
        s->dir = NULL;
    }
    return status;
}

msiz_status msiz_spill_file_open(msiz_spill *s, const char *name, size_t buffer_bytes,
                                 msiz_spill_file **out)
{
    msiz_status status = MSIZ_OK;
    char path[4200];
    msiz_spill_file *f = NULL;
    *out = NULL;
    if (!s->dir)
        MSIZ_TRY(make_folder(s));
    int n = snprintf(path, sizeof path, "%s/%s-%u.bin", s->dir, name, s->seq++);
    MSIZ_FAIL_IF(n < 0 || (size_t)n >= sizeof path, MSIZ_E_LIMIT, "%s: spill path too long",
                 s->dir);
    f = msiz_calloc(1, sizeof *f);
    MSIZ_FAIL_IF(!f, MSIZ_E_NOMEM, "out of memory for a spill file");
    f->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    MSIZ_FAIL_IF(f->fd < 0, MSIZ_E_IO, "%s: cannot create spill file: %s", path, strerror(errno));
    f->path = msiz_strdup(path);
    f->cap = buffer_bytes;
    f->buf = buffer_bytes ? msiz_malloc(buffer_bytes) : NULL;
    MSIZ_FAIL_IF(!f->path || (buffer_bytes && !f->buf), MSIZ_E_NOMEM,
                 "out of memory for the spill file %s", path);
    *out = f;
    f = NULL;
cleanup:
    if (f && f->fd >= 0 && !f->path)
        (void)unlink(path);
    msiz_spill_file_close(f);
    return status;
}

msiz_status msiz_spill_file_flush(msiz_spill_file *f)
{
    if (f->len == 0)
        return MSIZ_OK;
    size_t n = f->len;
    f->len = 0;
    return msiz_write_full(f->fd, f->path, f->buf, n);
}

msiz_status msiz_spill_file_write(msiz_spill_file *f, const void *data, size_t n)
{
    f->size += n;
    if (f->len + n <= f->cap) { /* fits the buffer */
        memcpy(f->buf + f->len, data, n);
        f->len += n;
        return MSIZ_OK;
    }
    msiz_status status = msiz_spill_file_flush(f);
    if (status < 0)
        return status;
    if (n < f->cap) {
        memcpy(f->buf, data, n);
        f->len = n;
        return MSIZ_OK;
    }
    return msiz_write_full(f->fd, f->path, data, n); /* a large block goes straight out */
}

msiz_status msiz_spill_file_seal(msiz_spill_file *f)
{
    msiz_status status = msiz_spill_file_flush(f);
    msiz_free(f->buf);
    f->buf = NULL;
    f->cap = 0;
    return status;
}

msiz_status msiz_spill_file_read(msiz_spill_file *f, void *buf, size_t n, uint64_t offset)
{
    msiz_status status = msiz_spill_file_flush(f);
    return status < 0 ? status : msiz_pread_full(f->fd, f->path, buf, n, offset);
}

void msiz_spill_file_close(msiz_spill_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0) {
        close(f->fd);
        if (f->path)
            (void)unlink(f->path);
    }
    msiz_free(f->buf);
    msiz_free(f->path);
    msiz_free(f);
}
