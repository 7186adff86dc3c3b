/* SQLite access for the .d reader (bruker_sql.c): a vendor database opened so that a hostile
 * file cannot run unbounded queries or ignore cancellation, and the helpers the table loaders
 * (bruker_db.c) share. Only the files that talk to SQLite include this header. */
#ifndef MSIZ_BRUKER_SQL_H
#define MSIZ_BRUKER_SQL_H

#include <sqlite3.h>

#include "msizarr/msizarr.h"

/* Longest text or blob value a query may produce (real GlobalMetadata values are < 10 KiB). */
#define MSIZ_BRUKER_SQL_MAX_VALUE ((int)(16 << 20))

typedef struct msiz_bruker_sql {
    sqlite3 *db;
    const char *path;     /* analysis.tsf / analysis.tdf, for messages (not owned) */
    volatile int *cancel; /* polled by the progress handler; may be NULL */
} msiz_bruker_sql;

/* Opens `path` read-only and immutable, with views, triggers and untrusted schema functions
 * disabled, value lengths capped and a progress handler polling *cancel. `s` must stay at the
 * same address until msiz_bruker_sql_close (the handler points at it). A file that is not an
 * SQLite database is MSIZ_E_FORMAT. */
msiz_status msiz_bruker_sql_open(msiz_bruker_sql *s, const char *path, volatile int *cancel);
void msiz_bruker_sql_close(msiz_bruker_sql *s);

/* Kind of the schema object `name`, compared case-insensitively as SQL does (edge case #83):
 * 't' table, 'v' view, 0 absent. */
int msiz_bruker_sql_object(msiz_bruker_sql *s, const char *name);

/* Prepares `query`, which reads table `table`: MSIZ_E_NOTFOUND when the table is absent,
 * MSIZ_E_FORMAT when it is a view (refused: a view in a data file can run any query). */
msiz_status msiz_bruker_sql_prepare(msiz_bruker_sql *s, const char *table, const char *query,
                                    sqlite3_stmt **st);

/* Status for a step result that is neither SQLITE_ROW nor SQLITE_DONE: MSIZ_E_INTERRUPTED when
 * the cancel flag stopped it, MSIZ_E_NOMEM, MSIZ_E_LIMIT for an over-long value, else
 * MSIZ_E_FORMAT; the message names the table. */
msiz_status msiz_bruker_sql_step_error(msiz_bruker_sql *s, const char *table, int rc);

/* Column index of `name` in a prepared statement (case-insensitive), or -1. */
int msiz_bruker_sql_col(sqlite3_stmt *st, const char *name);

#endif
