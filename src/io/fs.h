/* File-system helpers with error messages that name the path: positioned reads, full writes,
 * recursive mkdir/remove, and the temporary-sibling + rename protocol for atomic outputs. */
#ifndef MSIZ_IO_FS_H
#define MSIZ_IO_FS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "msizarr/msizarr.h"

/* Reads exactly `n` bytes at `offset` (64-bit). A short read is MSIZ_E_FORMAT ("file ends at"). */
msiz_status msiz_pread_full(int fd, const char *path, void *buf, size_t n, uint64_t offset);

/* Writes all of `buf` to `fd`. */
msiz_status msiz_write_full(int fd, const char *path, const void *buf, size_t n);

/* Creates (truncates) `path` and writes `n` bytes to it. */
msiz_status msiz_write_file(const char *path, const void *buf, size_t n);

/* mkdir -p. */
msiz_status msiz_mkdir_p(const char *path);

/* rm -rf; a missing path is not an error. */
msiz_status msiz_remove_tree(const char *path);

/* 1 if `path` exists (any type), 0 if not. */
int msiz_path_exists(const char *path);

/* Size of a regular file. */
msiz_status msiz_file_size(const char *path, uint64_t *size);

/* Builds "<dir>/.<base>.tmp-<pid>-<n>" for `final_path` into `out` (a sibling, so that the final
 * rename stays on one file system). */
msiz_status msiz_temp_sibling(const char *final_path, char *out, size_t out_size);

/* Removes the temporary siblings ("<dir>/.<name>.tmp-<pid>-<n>", any name) that killed runs
 * left in the folder of `final_path`: only those carrying the marker of a dead run
 * (io/owner.h). Returns their number. */
size_t msiz_sweep_temp_siblings(const char *final_path);

/* Moves a finished temporary tree to `final_path`. With `replace`, an existing final path --
 * which the caller has checked may be replaced -- is moved aside first (marked as this run's,
 * so that a kill cannot leave it behind for good) and removed after the rename; without it,
 * MSIZ_E_EXISTS. */
msiz_status msiz_commit_path(const char *temp_path, const char *final_path, int replace);

/* 1 when two stat results name the same file (device and inode). */
int msiz_same_node(const struct stat *a, const struct stat *b);

/* 1 when `path`, made real, is the folder `dir` or lies below it: each ancestor is compared by
 * device and inode, so that symbolic links, "..", bind mounts and hard-to-spell paths do not
 * hide the relation. 0 when `path` cannot be resolved. */
int msiz_path_at_or_below(const char *path, const struct stat *dir);

/* Joins a and b with one '/'. Returns MSIZ_E_LIMIT if it does not fit. */
msiz_status msiz_path_join(char *out, size_t out_size, const char *a, const char *b);

#endif
