/* Which path the QC page may take (report_handle.h): never inside the store; an existing entry
 * only when it is a regular file that is recognisably an earlier msizarr QC report, is none of
 * the paths the run reads and lies inside none of them -- and only with the overwrite option.
 * Checked before any work and again just before the page is renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "io/fs.h"
#include "report/report_handle.h"

#define NEVER      "it is never replaced: choose another report path"
#define HEAD_BYTES 4096

/* The absolute form of `path`: its longest existing ancestor resolved (symbolic links, "..")
 * followed by the components that do not exist yet. */
static msiz_status absolute(const char *path, char *out, size_t size)
{
    char head[PATH_MAX], resolved[PATH_MAX], rest[PATH_MAX] = "";
    int n = snprintf(head, sizeof head, "%s", path);
    if (n < 0 || (size_t)n >= sizeof head)
        return msiz_fail(MSIZ_E_LIMIT, "%s: path too long", path);
    while (!realpath(*head ? head : ".", resolved)) {
        char *slash = strrchr(head, '/');
        if (!*head || errno != ENOENT)
            return msiz_fail(MSIZ_E_IO, "%s: cannot be resolved: %s", path, strerror(errno));
        const char *leaf = slash ? slash + 1 : head;
        char joined[PATH_MAX];
        n = snprintf(joined, sizeof joined, "%s%s%s", leaf, *rest && *leaf ? "/" : "", rest);
        if (n < 0 || (size_t)n >= sizeof joined)
            return msiz_fail(MSIZ_E_LIMIT, "%s: path too long", path);
        memcpy(rest, joined, (size_t)n + 1);
        if (slash)
            *(slash == head ? slash + 1 : slash) = '\0';
        else
            head[0] = '\0';
    }
    n = snprintf(out, size, "%s%s%s", resolved, *rest && strcmp(resolved, "/") != 0 ? "/" : "",
                 rest);
    if (n < 0 || (size_t)n >= size)
        return msiz_fail(MSIZ_E_LIMIT, "%s: path too long", path);
    return MSIZ_OK;
}

/* 1 when the regular file `path` is a page msizarr wrote: it starts with the doctype and holds
 * the generator mark in its first HEAD_BYTES bytes (the page writes it on its fourth line). */
static int is_our_page(const char *path)
{
    char head[HEAD_BYTES + 1];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, head, HEAD_BYTES) : -1;
    close(fd);
    if (n <= 0)
        return 0;
    head[n] = '\0'; /* a NUL byte earlier ends the search: not a page of ours either */
    return strncmp(head, MSIZ_REPORT_DOCTYPE, strlen(MSIZ_REPORT_DOCTYPE)) == 0 &&
           strstr(head, MSIZ_REPORT_GENERATOR) != NULL;
}

/* The existing entry `html` (lstat in *st) against the paths the run reads and the store. */
static msiz_status check_related(const char *html, const struct stat *st, const char *store,
                                 const char *const *inputs, size_t n_inputs)
{
    struct stat in;
    for (size_t i = 0; i < n_inputs; i++) {
        if (stat(inputs[i], &in) != 0)
            continue;
        if (msiz_same_node(&in, st))
            return i == 0 ? msiz_fail(MSIZ_E_EXISTS,
                                      "%s: report exists and is the input itself; " NEVER, html)
                          : msiz_fail(
                                MSIZ_E_EXISTS,
                                "%s: report exists and is %s, which the conversion reads; " NEVER,
                                html, inputs[i]);
        if (S_ISDIR(in.st_mode) && msiz_path_at_or_below(html, &in))
            return msiz_fail(MSIZ_E_EXISTS, "%s: report exists inside the input %s; " NEVER, html,
                             inputs[i]);
    }
    if (stat(store, &in) == 0 && S_ISDIR(in.st_mode) && msiz_path_at_or_below(html, &in))
        return msiz_fail(MSIZ_E_ARG, "%s: the report cannot be written inside the store %s", html,
                         store);
    return MSIZ_OK;
}

/* An existing entry at the page's path: replaced only when it is one of our pages, unrelated to
 * what the run reads, and with overwrite. */
static msiz_status check_existing(const char *html, const struct stat *st, const char *store,
                                  const char *const *inputs, size_t n_inputs, int overwrite)
{
    if (S_ISLNK(st->st_mode))
        return msiz_fail(MSIZ_E_EXISTS, "%s: report exists and is a symbolic link; " NEVER, html);
    if (S_ISDIR(st->st_mode))
        return msiz_fail(MSIZ_E_ARG, "%s: report exists and is a folder; " NEVER, html);
    msiz_status status = check_related(html, st, store, inputs, n_inputs);
    if (status < 0)
        return status;
    if (!S_ISREG(st->st_mode))
        return msiz_fail(MSIZ_E_EXISTS, "%s: report exists and is not a regular file; " NEVER,
                         html);
    if (!is_our_page(html))
        return msiz_fail(MSIZ_E_EXISTS,
                         "%s: report exists and is not an msizarr QC report (no generator mark "
                         "in its first %d bytes); " NEVER,
                         html, HEAD_BYTES);
    if (!overwrite)
        return msiz_fail(MSIZ_E_EXISTS,
                         "%s: report exists (an msizarr QC report); to replace it, pass the "
                         "overwrite option (--overwrite)",
                         html);
    return MSIZ_OK;
}

msiz_status msiz_report_check_path(const char *html, const char *store, const char *const *inputs,
                                   size_t n_inputs, int overwrite)
{
    char a[PATH_MAX + 8], b[PATH_MAX + 8];
    struct stat st;
    msiz_status status = absolute(html, a, sizeof a);
    if (status == MSIZ_OK)
        status = absolute(store, b, sizeof b);
    if (status < 0)
        return status;
    size_t n = strlen(b);
    if (strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/'))
        return msiz_fail(MSIZ_E_ARG, "%s: the report cannot be written inside the store %s", html,
                         store);
    char *slash = strrchr(a, '/'); /* a is absolute: the folder is what precedes its leaf */
    *slash = '\0';
    if (stat(*a ? a : "/", &st) != 0 || !S_ISDIR(st.st_mode))
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: the folder %s does not exist", html, *a ? a : "/");
    if (lstat(html, &st) != 0)
        return MSIZ_OK;
    return check_existing(html, &st, store, inputs, n_inputs, overwrite);
}
