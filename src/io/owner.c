/* Ownership markers of the folders a run creates, and the sweep that removes dead runs' folders
 * (owner.h). The marker is a few lines of text:
 *
 *     msizarr-owner 1
 *     host <hostname>
 *     boot <kernel boot id>
 *     pid <process id>
 *     start <process start time, clock ticks after boot (/proc/PID/stat field 22)>
 */
#include "io/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "io/fs.h"

#define MAGIC        "msizarr-owner 1"
#define MARKER_BYTES 1024

struct msiz_owner {
    int fd; /* the marker, locked */
    char *dir;
};

typedef struct identity {
    char host[256];
    char boot[64];
    long pid;
    unsigned long long start; /* 0: unknown */
} identity;

/* Reads a small text file into buf (NUL-terminated); 0 on success. */
static int read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

static void host_name(char *out, size_t size)
{
    if (gethostname(out, size - 1) != 0)
        out[0] = '\0';
    out[size - 1] = '\0';
    out[strcspn(out, " \n")] = '\0';
}

static void boot_id(char *out, size_t size)
{
    char buf[128];
    out[0] = '\0';
    if (read_small("/proc/sys/kernel/random/boot_id", buf, sizeof buf) == 0)
        snprintf(out, size, "%.*s", (int)strcspn(buf, " \n"), buf);
}

/* State and start time of a process from /proc/PID/stat: 0 found, -1 no such process, -2
 * cannot tell (no /proc). */
static int proc_stat(long pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small(path, buf, sizeof buf) != 0)
        return errno == ENOENT && access("/proc/self/stat", R_OK) == 0 ? -1 : -2;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
    if (!p || p[1] != ' ')
        return -2;
    p += 2;
    *state = *p;
    for (int field = 3; field < 22 && p; field++) { /* field 3 is the state */
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (!p)
        return -2;
    *start = strtoull(p, NULL, 10);
    return 0;
}

static void self_identity(identity *id)
{
    memset(id, 0, sizeof *id);
    host_name(id->host, sizeof id->host);
    boot_id(id->boot, sizeof id->boot);
    id->pid = (long)getpid();
    char state;
    if (proc_stat(id->pid, &state, &id->start) != 0)
        id->start = 0;
}

/* Parses a marker; 0 when it is a complete marker of ours. */
static int parse_marker(const char *text, identity *id)
{
    memset(id, 0, sizeof *id);
    size_t magic = strlen(MAGIC);
    if (strncmp(text, MAGIC, magic) != 0 || text[magic] != '\n')
        return -1;
    int have = 0;
    for (const char *line = text + magic + 1; *line; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        if (!end)
            return -1; /* a marker ends with a newline: a shorter one is being written */
        int len = (int)(end - line);
        if (sscanf(line, "host %255[^\n]", id->host) == 1 && (int)strlen(id->host) + 5 == len)
            have |= 1;
        else if (sscanf(line, "boot %63[^\n]", id->boot) == 1)
            have |= 2;
        else if (sscanf(line, "pid %ld", &id->pid) == 1 && id->pid > 0)
            have |= 4;
        else if (sscanf(line, "start %llu", &id->start) == 1)
            have |= 8;
    }
    return have == 15 ? 0 : -1;
}

msiz_status msiz_owner_mark(const char *dir, msiz_owner **out)
{
    msiz_status status = MSIZ_OK;
    char path[4200], text[MARKER_BYTES];
    identity me;
    *out = NULL;
    msiz_owner *o = msiz_calloc(1, sizeof *o);
    MSIZ_FAIL_IF(!o, MSIZ_E_NOMEM, "%s: out of memory", dir);
    o->fd = -1;
    o->dir = msiz_strdup(dir);
    MSIZ_FAIL_IF(!o->dir, MSIZ_E_NOMEM, "%s: out of memory", dir);
    MSIZ_TRY(msiz_path_join(path, sizeof path, dir, MSIZ_OWNER_FILE));
    o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    MSIZ_FAIL_IF(o->fd < 0, MSIZ_E_IO, "%s: cannot create the ownership marker: %s", path,
                 strerror(errno));
    /* locked before it is written: a reader never sees a complete marker without the lock (a
     * file system without locks still has the process check) */
    (void)flock(o->fd, LOCK_EX | LOCK_NB);
    self_identity(&me);
    int n = snprintf(text, sizeof text, MAGIC "\nhost %s\nboot %s\npid %ld\nstart %llu\n", me.host,
                     me.boot[0] ? me.boot : "-", me.pid, me.start);
    MSIZ_TRY(msiz_write_full(o->fd, path, text, (size_t)n));
    *out = o;
    o = NULL;
cleanup:
    if (o && o->fd >= 0)
        (void)unlink(path);
    msiz_owner_release(o);
    return status;
}

msiz_status msiz_owner_unmark(msiz_owner *o)
{
    char path[4200];
    msiz_status status = msiz_path_join(path, sizeof path, o->dir, MSIZ_OWNER_FILE);
    if (status == MSIZ_OK && unlink(path) != 0 && errno != ENOENT)
        status = msiz_fail(MSIZ_E_IO, "%s: cannot remove: %s", path, strerror(errno));
    return status;
}

void msiz_owner_release(msiz_owner *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    msiz_free(o->dir);
    msiz_free(o);
}

msiz_status msiz_owner_remove(msiz_owner *o)
{
    if (!o)
        return MSIZ_OK;
    /* the lock outlives the marker's name: a sweeper either finds no marker or a locked one */
    msiz_status status = msiz_remove_tree(o->dir);
    msiz_owner_release(o);
    return status;
}

/* ---- the sweep ---- */

/* 1 when the process that wrote `id` is certainly gone. */
static int owner_gone(const identity *id)
{
    char boot[64], state = 0;
    boot_id(boot, sizeof boot);
    if (boot[0] && strcmp(id->boot, "-") != 0 && strcmp(boot, id->boot) != 0)
        return 1; /* written before the last reboot */
    unsigned long long start = 0;
    int found = proc_stat(id->pid, &state, &start);
    if (found == -1)
        return 1;
    if (found == 0)
        return (id->start != 0 && start != id->start) || state == 'Z' || state == 'X';
    return kill((pid_t)id->pid, 0) != 0 && errno == ESRCH; /* no /proc */
}

/* A dead run's folder: returns its marker's fd, locked, and the owner in *id; else -1. */
static int dead_leftover(const char *entry, identity *id)
{
    struct stat st;
    char path[4200], text[MARKER_BYTES], host[256];
    if (lstat(entry, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return -1;
    if (msiz_path_join(path, sizeof path, entry, MSIZ_OWNER_FILE) != MSIZ_OK)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    text[n > 0 ? n : 0] = '\0';
    host_name(host, sizeof host);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || parse_marker(text, id) != 0 ||
        strcmp(host, id->host) != 0 || !owner_gone(id)) {
        close(fd);
        return -1;
    }
    /* the lock settles it: a live owner (or another sweeper) holds it */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && (errno == EWOULDBLOCK || errno == EINTR)) {
        close(fd);
        return -1;
    }
    return fd;
}

size_t msiz_owner_sweep(const char *parent, int (*match)(const char *name))
{
    size_t removed = 0;
    DIR *d = opendir(parent);
    struct dirent *ent;
    while (d && (ent = readdir(d)) != NULL) {
        char entry[4200];
        identity id;
        if (!match(ent->d_name) ||
            msiz_path_join(entry, sizeof entry, parent, ent->d_name) != MSIZ_OK)
            continue;
        int fd = dead_leftover(entry, &id);
        if (fd < 0)
            continue;
        if (msiz_remove_tree(entry) == MSIZ_OK) {
            removed++;
            msiz_warn("%s: removed the leftovers of an earlier run (process %ld) that ended "
                      "without cleaning up",
                      entry, id.pid);
        } else {
            msiz_warn("%s: leftovers of an earlier run (process %ld) could not be removed: %s",
                      entry, id.pid, msiz_last_error());
        }
        close(fd);
    }
    if (d)
        closedir(d);
    return removed;
}
