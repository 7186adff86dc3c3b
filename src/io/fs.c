#include "io/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "io/owner.h"

msiz_status msiz_pread_full(int fd, const char *path, void *buf, size_t n, uint64_t offset)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(fd, p + done, n - done, (off_t)(offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return msiz_fail(MSIZ_E_IO, "%s: read of %zu bytes at offset %llu failed: %s", path, n,
                             (unsigned long long)offset, strerror(errno));
        if (got == 0)
            return msiz_fail(MSIZ_E_FORMAT,
                             "%s: file ends at byte %llu, %zu bytes needed at offset %llu", path,
                             (unsigned long long)(offset + done), n, (unsigned long long)offset);
        done += (size_t)got;
    }
    return MSIZ_OK;
}

msiz_status msiz_write_full(int fd, const char *path, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t put = write(fd, p, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return msiz_fail(MSIZ_E_IO, "%s: write failed: %s", path, strerror(errno));
        p += put;
        n -= (size_t)put;
    }
    return MSIZ_OK;
}

msiz_status msiz_write_file(const char *path, const void *buf, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot create file: %s", path, strerror(errno));
    msiz_status status = msiz_write_full(fd, path, buf, n);
    if (close(fd) != 0 && status == MSIZ_OK)
        status = msiz_fail(MSIZ_E_IO, "%s: close failed: %s", path, strerror(errno));
    return status;
}

msiz_status msiz_mkdir_p(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return msiz_fail(MSIZ_E_ARG, "invalid directory path '%s'", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return msiz_fail(MSIZ_E_IO, "%s: cannot create directory: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    return MSIZ_OK;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

msiz_status msiz_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? MSIZ_OK
                               : msiz_fail(MSIZ_E_IO, "%s: cannot stat: %s", path, strerror(errno));
    if (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS) != 0)
        return msiz_fail(MSIZ_E_IO, "%s: cannot remove: %s", path, strerror(errno));
    return MSIZ_OK;
}

int msiz_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

msiz_status msiz_file_size(const char *path, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return msiz_fail(errno == ENOENT ? MSIZ_E_NOTFOUND : MSIZ_E_IO, "%s: cannot stat: %s", path,
                         strerror(errno));
    *size = (uint64_t)st.st_size;
    return MSIZ_OK;
}

msiz_status msiz_path_join(char *out, size_t out_size, const char *a, const char *b)
{
    size_t la = strlen(a);
    int sep = la > 0 && a[la - 1] != '/';
    int n = snprintf(out, out_size, "%s%s%s", a, sep ? "/" : "", b);
    if (n < 0 || (size_t)n >= out_size)
        return msiz_fail(MSIZ_E_LIMIT, "path too long: '%s/%s'", a, b);
    return MSIZ_OK;
}

int msiz_same_node(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int msiz_path_at_or_below(const char *path, const struct stat *dir)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0;
    for (;;) {
        struct stat st;
        if (stat(real, &st) == 0 && msiz_same_node(&st, dir))
            return 1;
        char *slash = strrchr(real, '/');
        if (!slash || (slash == real && real[1] == '\0'))
            return 0;
        slash[slash == real ? 1 : 0] = '\0';
    }
}

/* Splits `path` (trailing slashes dropped) into its folder and last component. */
static msiz_status split_parent(const char *path, char *dir, size_t size, const char **parent,
                                const char **base)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0 || len >= size)
        return msiz_fail(MSIZ_E_ARG, "invalid output path '%s'", path);
    memcpy(dir, path, len);
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    *base = slash ? slash + 1 : dir;
    *parent = slash ? (slash == dir ? "/" : dir) : ".";
    if (slash && slash != dir)
        *slash = '\0';
    return MSIZ_OK;
}

msiz_status msiz_temp_sibling(const char *final_path, char *out, size_t out_size)
{
    static atomic_uint counter;
    char dir[4096];
    const char *parent, *base;
    msiz_status status = split_parent(final_path, dir, sizeof dir, &parent, &base);
    if (status < 0)
        return status;
    int n = snprintf(out, out_size, "%s/.%s.tmp-%ld-%u", parent, base, (long)getpid(),
                     atomic_fetch_add(&counter, 1u));
    if (n < 0 || (size_t)n >= out_size)
        return msiz_fail(MSIZ_E_LIMIT, "output path too long: '%s'", final_path);
    return MSIZ_OK;
}

/* ".<name>.tmp-<digits>-<digits>" */
static int is_temp_sibling(const char *name)
{
    const char *tag = strstr(name, ".tmp-");
    if (name[0] != '.' || !tag)
        return 0;
    while (strstr(tag + 1, ".tmp-")) /* the name itself may contain ".tmp-" */
        tag = strstr(tag + 1, ".tmp-");
    const char *p = tag + 5;
    size_t pid = strspn(p, "0123456789");
    if (pid == 0 || p[pid] != '-')
        return 0;
    size_t seq = strspn(p + pid + 1, "0123456789");
    return seq > 0 && p[pid + 1 + seq] == '\0';
}

size_t msiz_sweep_temp_siblings(const char *final_path)
{
    char dir[4096];
    const char *parent, *base;
    if (split_parent(final_path, dir, sizeof dir, &parent, &base) < 0)
        return 0;
    return msiz_owner_sweep(parent, is_temp_sibling);
}

msiz_status msiz_commit_path(const char *temp_path, const char *final_path, int replace)
{
    char aside[4200];
    msiz_owner *aside_owner = NULL;
    int moved_aside = 0;
    if (msiz_path_exists(final_path)) {
        if (!replace)
            return msiz_fail(MSIZ_E_EXISTS,
                             "%s: output appeared while the store was written; the new store "
                             "was not put in its place",
                             final_path);
        msiz_status status = msiz_temp_sibling(final_path, aside, sizeof aside);
        if (status < 0)
            return status;
        if (rename(final_path, aside) != 0)
            return msiz_fail(MSIZ_E_IO, "%s: cannot move old output aside: %s", final_path,
                             strerror(errno));
        moved_aside = 1;
        if (msiz_owner_mark(aside, &aside_owner) < 0) /* best effort: removed below anyway */
            aside_owner = NULL;
    }
    if (rename(temp_path, final_path) != 0) {
        int err = errno;
        if (moved_aside) { /* the old output goes back as it was */
            if (aside_owner)
                (void)msiz_owner_unmark(aside_owner);
            msiz_owner_release(aside_owner);
            (void)rename(aside, final_path);
        }
        return msiz_fail(MSIZ_E_IO, "%s: cannot rename finished output into place: %s", final_path,
                         strerror(err));
    }
    if (!moved_aside)
        return MSIZ_OK;
    return aside_owner ? msiz_owner_remove(aside_owner) : msiz_remove_tree(aside);
}
