/* Unit tests for src/io/spill.c and src/io/owner.c: the run's spill folder and its files, the
 * ownership marker, and the sweep that removes what killed runs left -- and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "io/fs.h"
#include "io/owner.h"
#include "io/spill.h"

typedef struct fixture {
    char dir[32];
    char log[4096]; /* warnings logged during the test */
} fixture;

static void capture(void *user, msiz_log_level level, const char *message)
{
    fixture *f = user;
    size_t used = strlen(f->log);
    if (level == MSIZ_LOG_WARNING)
        snprintf(f->log + used, sizeof f->log - used, "%s\n", message);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/msiz_spill_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    msiz_set_log_callback(capture, f, MSIZ_LOG_WARNING);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    msiz_set_log_callback(NULL, NULL, MSIZ_LOG_WARNING);
    assert_int_equal(msiz_remove_tree(f->dir), MSIZ_OK);
    free(f);
    return 0;
}

static int exists(const char *dir, const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return msiz_path_exists(path);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void read_text(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, size - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

/* Writes dir/name/.msizarr-owner with `text` (a look-alike or a forged marker). */
static void make_folder(const char *dir, const char *name, const char *marker)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/%s/data.bin", dir, name);
    assert_int_equal(msiz_write_file(path, "x", 1), MSIZ_OK);
    if (!marker)
        return;
    snprintf(path, sizeof path, "%s/%s/" MSIZ_OWNER_FILE, dir, name);
    assert_int_equal(msiz_write_file(path, marker, strlen(marker)), MSIZ_OK);
}

/* A valid marker of this host and boot for `pid` (start time 1, or 0: unknown). */
static void forge_marker_start(char *out, size_t size, long pid, int start)
{
    char host[256] = "", boot[64] = "-";
    gethostname(host, sizeof host - 1);
    FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (fp) {
        if (fscanf(fp, "%63s", boot) != 1)
            snprintf(boot, sizeof boot, "-");
        fclose(fp);
    }
    snprintf(out, size, "msizarr-owner 1\nhost %s\nboot %s\npid %ld\nstart %d\n", host, boot, pid,
             start);
}

static void forge_marker(char *out, size_t size, long pid)
{
    forge_marker_start(out, size, pid, 1);
}

/* The id of a process that has ended and been reaped. */
static long dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return (long)pid;
}

static void test_files(void **state)
{
    fixture *f = *state;
    msiz_spill *s = NULL;
    msiz_spill_file *a = NULL, *b = NULL;
    assert_int_equal(msiz_spill_new(f->dir, &s), MSIZ_OK);
    assert_null(msiz_spill_dir(s)); /* nothing on disk until a file is needed */
    assert_int_equal(count_entries(f->dir), 0);
    assert_int_equal(msiz_spill_file_open(s, "runs", 16, &a), MSIZ_OK);
    assert_int_equal(msiz_spill_file_open(s, "runs", 0, &b), MSIZ_OK);
    const char *folder = msiz_spill_dir(s);
    assert_non_null(folder);
    assert_non_null(strstr(folder, "/" MSIZ_SPILL_PREFIX));
    assert_int_equal(count_entries(f->dir), 1);
    assert_int_equal(count_entries(folder), 3); /* two files and the marker */
    char marker[1024], path[512], expect[64];
    snprintf(path, sizeof path, "%s/" MSIZ_OWNER_FILE, folder);
    read_text(path, marker, sizeof marker);
    snprintf(expect, sizeof expect, "\npid %ld\n", (long)getpid());
    assert_true(strncmp(marker, "msizarr-owner 1\nhost ", 21) == 0);
    assert_non_null(strstr(marker, expect));
    /* small puts, a write larger than the buffer, reads by offset */
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(msiz_spill_file_put(a, &i, sizeof i), MSIZ_OK);
    uint32_t big[100];
    for (uint32_t i = 0; i < 100; i++)
        big[i] = 10 + i;
    assert_int_equal(msiz_spill_file_write(a, big, sizeof big), MSIZ_OK);
    assert_int_equal(msiz_spill_file_size(a), 110 * sizeof(uint32_t));
    uint32_t back[110];
    assert_int_equal(msiz_spill_file_read(a, back, sizeof back, 0), MSIZ_OK);
    for (uint32_t i = 0; i < 110; i++)
        assert_int_equal(back[i], i);
    assert_int_equal(msiz_spill_file_seal(a), MSIZ_OK);
    assert_int_equal(msiz_spill_file_read(a, back, 8, 8 * sizeof(uint32_t)), MSIZ_OK);
    assert_int_equal(back[0], 8);
    assert_int_equal(msiz_spill_file_read(a, back, 8, 109 * sizeof(uint32_t)), MSIZ_E_FORMAT);
    msiz_spill_file_close(a); /* deleted at once */
    assert_int_equal(count_entries(folder), 2);
    msiz_spill_free(s); /* the folder goes, with b still open */
    assert_int_equal(count_entries(f->dir), 0);
    msiz_spill_file_close(b);
    assert_string_equal(f->log, "");
}

static void test_bad_temp_dir(void **state)
{
    fixture *f = *state;
    char path[512];
    msiz_spill *s = (msiz_spill *)1;
    snprintf(path, sizeof path, "%s/missing", f->dir);
    assert_int_equal(msiz_spill_new(path, &s), MSIZ_E_IO);
    assert_null(s);
    assert_non_null(strstr(msiz_last_error(), "cannot create a temporary folder"));
    snprintf(path, sizeof path, "%s/file", f->dir);
    assert_int_equal(msiz_write_file(path, "x", 1), MSIZ_OK);
    assert_int_equal(msiz_spill_new(path, &s), MSIZ_E_IO);
    assert_non_null(strstr(msiz_last_error(), "Not a directory"));
}

/* A child opens a spill file and is killed (SIGKILL: no cleanup). */
static void killed_run(const char *dir, int reap, pid_t *out)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        msiz_spill *s;
        msiz_spill_file *file;
        if (msiz_spill_new(dir, &s) != MSIZ_OK || msiz_spill_file_open(s, "runs", 0, &file) < 0 ||
            msiz_spill_file_write(file, "data", 4) < 0)
            _exit(1);
        if (write(ready[1], "k", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char c;
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    if (reap) {
        assert_int_equal(waitpid(pid, NULL, 0), pid);
    } else { /* a zombie: dead, not yet reaped */
        char path[64], text[512] = "";
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        for (int i = 0; i < 2000 && !strstr(text, ") Z "); i++) {
            read_text(path, text, sizeof text);
            usleep(1000);
        }
        assert_non_null(strstr(text, ") Z "));
    }
    *out = pid;
}

static char *spill_folder_of(const char *dir, char *out, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    out[0] = '\0';
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, MSIZ_SPILL_PREFIX, strlen(MSIZ_SPILL_PREFIX)) == 0)
            snprintf(out, size, "%s", e->d_name);
    if (d)
        closedir(d);
    return out;
}

static void test_sweep_removes_killed_runs_only(void **state)
{
    fixture *f = *state;
    char killed[256], marker[512], name[256];
    pid_t pid;
    for (int reap = 1; reap >= 0; reap--) {
        killed_run(f->dir, reap, &pid);
        spill_folder_of(f->dir, killed, sizeof killed);
        assert_true(killed[0] != '\0');
        /* look-alikes and live runs around it */
        make_folder(f->dir, MSIZ_SPILL_PREFIX "nomarker", NULL);
        make_folder(f->dir, MSIZ_SPILL_PREFIX "garbage", "msizarr-owner 1\npid 1\n");
        forge_marker(marker, sizeof marker, dead_pid());
        memcpy(strstr(marker, "host ") + 5, "zz", 2); /* another machine's */
        make_folder(f->dir, MSIZ_SPILL_PREFIX "otherhost", marker);
        forge_marker(marker, sizeof marker, dead_pid());
        make_folder(f->dir, "unrelated-name", marker); /* not a spill folder's name */
        make_folder(f->dir, MSIZ_SPILL_PREFIX "locked", marker);
        /* a live process without the lock (a file system without locks): alive all the same */
        char alive[512];
        forge_marker_start(alive, sizeof alive, (long)getppid(), 0);
        make_folder(f->dir, MSIZ_SPILL_PREFIX "alive", alive);
        char lock_path[512];
        snprintf(lock_path, sizeof lock_path, "%s/%slocked/" MSIZ_OWNER_FILE, f->dir,
                 MSIZ_SPILL_PREFIX);
        int lock = open(lock_path, O_RDONLY);
        assert_true(lock >= 0 && flock(lock, LOCK_EX) == 0); /* a live holder of the lock */
        msiz_spill *live = NULL, *next = NULL;
        msiz_spill_file *file = NULL;
        assert_int_equal(msiz_spill_new(f->dir, &live), MSIZ_OK);
        assert_int_equal(msiz_spill_file_open(live, "runs", 0, &file), MSIZ_OK);
        assert_false(exists(f->dir, killed)); /* swept by the live run's msiz_spill_new */
        assert_non_null(strstr(f->log, killed));
        assert_non_null(strstr(f->log, "removed the leftovers of an earlier run"));
        f->log[0] = '\0';
        assert_int_equal(msiz_spill_new(f->dir, &next), MSIZ_OK); /* sees the others */
        snprintf(name, sizeof name, "%s", msiz_spill_dir(live) + strlen(f->dir) + 1);
        assert_true(exists(f->dir, name));
        assert_true(exists(f->dir, MSIZ_SPILL_PREFIX "nomarker"));
        assert_true(exists(f->dir, MSIZ_SPILL_PREFIX "garbage"));
        assert_true(exists(f->dir, MSIZ_SPILL_PREFIX "otherhost"));
        assert_true(exists(f->dir, MSIZ_SPILL_PREFIX "locked"));
        assert_true(exists(f->dir, MSIZ_SPILL_PREFIX "alive"));
        assert_true(exists(f->dir, "unrelated-name"));
        assert_string_equal(f->log, "");
        close(lock); /* the holder is gone now: the next sweep takes it */
        msiz_spill_free(next);
        assert_int_equal(msiz_spill_new(f->dir, &next), MSIZ_OK);
        assert_false(exists(f->dir, MSIZ_SPILL_PREFIX "locked"));
        msiz_spill_free(next);
        msiz_spill_file_close(file);
        msiz_spill_free(live);
        if (!reap)
            assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(msiz_remove_tree(f->dir), MSIZ_OK);
        assert_int_equal(mkdir(f->dir, 0700), 0);
        f->log[0] = '\0';
    }
}

static void test_temp_siblings_swept(void **state)
{
    fixture *f = *state;
    char marker[512], final_path[512];
    snprintf(final_path, sizeof final_path, "%s/out.zarr", f->dir);
    forge_marker(marker, sizeof marker, dead_pid());
    make_folder(f->dir, ".out.zarr.tmp-99-0", marker);
    make_folder(f->dir, ".other.zarr.tmp-98-3", marker);
    make_folder(f->dir, ".out.zarr.tmp-97-1", NULL);   /* no marker */
    make_folder(f->dir, ".out.zarr.tmp-96-x", marker); /* not a temporary sibling's name */
    make_folder(f->dir, "out.zarr", marker);           /* the output itself: never */
    assert_int_equal(msiz_sweep_temp_siblings(final_path), 2);
    assert_false(exists(f->dir, ".out.zarr.tmp-99-0"));
    assert_false(exists(f->dir, ".other.zarr.tmp-98-3"));
    assert_true(exists(f->dir, ".out.zarr.tmp-97-1"));
    assert_true(exists(f->dir, ".out.zarr.tmp-96-x"));
    assert_true(exists(f->dir, "out.zarr"));
    /* a folder this process marks is alive */
    char path[512];
    msiz_owner *o = NULL;
    snprintf(path, sizeof path, "%s/.out.zarr.tmp-1-1", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(msiz_owner_mark(path, &o), MSIZ_OK);
    assert_int_equal(msiz_sweep_temp_siblings(final_path), 0);
    assert_int_equal(msiz_owner_unmark(o), MSIZ_OK); /* marker gone, lock kept */
    assert_true(exists(f->dir, ".out.zarr.tmp-1-1"));
    assert_false(exists(path, MSIZ_OWNER_FILE));
    assert_int_equal(msiz_owner_remove(o), MSIZ_OK);
    assert_false(exists(f->dir, ".out.zarr.tmp-1-1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_temp_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_removes_killed_runs_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temp_siblings_swept, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
