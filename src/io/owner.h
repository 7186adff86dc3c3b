/* Ownership of the folders a run creates outside its output (spill folders, the temporary sibling
 * of the output), so that a later run can remove what a killed run (SIGKILL, the OOM killer, a
 * power cut) left behind, and nothing else.
 *
 * A marked folder holds a file MSIZ_OWNER_FILE recording the host, the boot, the process id and
 * the process start time of its owner, and the owner holds an exclusive flock(2) on that file for
 * as long as it runs (the kernel drops the lock when the process dies, however it dies). A
 * folder is a dead run's leftover only when its marker parses, names this host, and its owner is
 * gone (no such process, another process under the same id, a zombie, or an earlier boot) and
 * the lock is free. A folder without a valid marker is never touched. */
#ifndef MSIZ_IO_OWNER_H
#define MSIZ_IO_OWNER_H

#include <stddef.h>

#include "msizarr/msizarr.h"

#define MSIZ_OWNER_FILE ".msizarr-owner"

typedef struct msiz_owner msiz_owner;

/* Marks `dir`, a folder this process has just created, as its own: writes the marker and takes
 * the lock. *out = NULL on failure. */
MSIZ_NODISCARD msiz_status msiz_owner_mark(const char *dir, msiz_owner **out);

/* Deletes the marker file but keeps the lock: the folder is about to become the user's output. */
msiz_status msiz_owner_unmark(msiz_owner *o);

/* Removes the folder and everything in it while still holding the lock, then releases the lock
 * and frees `o`. NULL is fine. */
msiz_status msiz_owner_remove(msiz_owner *o);

/* Releases the lock and frees `o`, leaving the folder. NULL is fine. */
void msiz_owner_release(msiz_owner *o);

/* Looks at the entries of `parent` whose name `match` accepts and removes those that are dead
 * runs' leftovers (see above), logging a warning naming each. Owned by another user, not a
 * folder, unmarked, alive or undecidable: left alone. Never fails (an unreadable parent is
 * skipped). Returns the number of folders removed. */
size_t msiz_owner_sweep(const char *parent, int (*match)(const char *name));

#endif
