/* Opening a vendor SQLite database as untrusted input, and the helpers of the table loaders.
 * - read-only and immutable: no -wal/-shm files appear in the vendor folder (edge case #64);
 * - views and triggers disabled, schema functions untrusted, values capped at 16 MiB: a view,
 *   trigger or generated column in a hostile file cannot run an unbounded query;
 * - a progress handler polls the caller's cancel flag every few VM steps, so Ctrl-C stops any
 *   query within a fraction of a second (issue 13 item 4).
 * Table names are looked up case-insensitively, as SQL resolves them (edge case #83). */
#include <string.h>
#include <strings.h>

#include "bruker/bruker_sql.h"
#include "common/alloc.h"
#include "common/error.h"

/* VM instructions between cancel checks: few, because one instruction can be expensive (a
 * generated column's function over 16 MiB takes ~0.1 s per row, ~10 instructions); the check is
 * one call and one load. */
#define PROGRESS_STEPS 16

/* "file:<path with % ? # escaped>?mode=ro&immutable=1" */
static char *sqlite_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *tail = "?mode=ro&immutable=1";
    size_t n = strlen(path);
    char *uri = msiz_malloc(3 * n + strlen(tail) + 8);
    if (!uri)
        return NULL;
    char *p = uri;
    memcpy(p, "file:", 5);
    p += 5;
    for (const char *c = path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#') {
            *p++ = '%';
            *p++ = hex[(unsigned char)*c >> 4];
            *p++ = hex[(unsigned char)*c & 15];
        } else {
            *p++ = *c;
        }
    }
    memcpy(p, tail, strlen(tail) + 1);
    return uri;
}

static int on_progress(void *user)
{
    const msiz_bruker_sql *s = user;
    return s->cancel && *s->cancel; /* non-zero interrupts the running statement */
}

/* Everything a hostile schema could use to run work we did not ask for is switched off. */
static void harden(msiz_bruker_sql *s)
{
#ifdef SQLITE_DBCONFIG_ENABLE_VIEW
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)NULL);
#endif
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
#endif
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, MSIZ_BRUKER_SQL_MAX_VALUE);
    sqlite3_progress_handler(s->db, PROGRESS_STEPS, on_progress, s);
}

msiz_status msiz_bruker_sql_open(msiz_bruker_sql *s, const char *path, volatile int *cancel)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->cancel = cancel;
    char *uri = sqlite_uri(path);
    if (!uri)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory", path);
    int rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    msiz_free(uri);
    if (rc == SQLITE_OK) {
        harden(s);
        /* a non-SQLite file fails here, at the first read */
        rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        return MSIZ_OK;
    msiz_status st = rc == SQLITE_INTERRUPT
                         ? msiz_bruker_sql_step_error(s, "sqlite_master", rc)
                         : msiz_fail(rc == SQLITE_NOMEM ? MSIZ_E_NOMEM : MSIZ_E_FORMAT,
                                     "%s: cannot open as SQLite: %s", path,
                                     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    msiz_bruker_sql_close(s);
    return st;
}

void msiz_bruker_sql_close(msiz_bruker_sql *s)
{
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
}

int msiz_bruker_sql_object(msiz_bruker_sql *s, const char *name)
{
    sqlite3_stmt *st = NULL;
    int kind = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT type FROM sqlite_master WHERE type IN ('table', 'view') AND "
                           "name = ?1 COLLATE NOCASE ORDER BY type LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *type = sqlite3_column_text(st, 0);
            kind = type && type[0] == 'v' ? 'v' : 't';
        }
    }
    sqlite3_finalize(st);
    return kind;
}

msiz_status msiz_bruker_sql_prepare(msiz_bruker_sql *s, const char *table, const char *query,
                                    sqlite3_stmt **st)
{
    *st = NULL;
    int kind = msiz_bruker_sql_object(s, table);
    if (kind == 0)
        return msiz_fail(MSIZ_E_NOTFOUND, "%s: table %s missing", s->path, table);
    if (kind == 'v')
        return msiz_fail(MSIZ_E_FORMAT,
                         "%s: %s is a view, not a table: refused (a view in a data file can run "
                         "any query)",
                         s->path, table);
    int rc = sqlite3_prepare_v2(s->db, query, -1, st, NULL);
    if (rc != SQLITE_OK) {
        msiz_status status = msiz_bruker_sql_step_error(s, table, rc);
        sqlite3_finalize(*st);
        *st = NULL;
        return status;
    }
    return MSIZ_OK;
}

msiz_status msiz_bruker_sql_step_error(msiz_bruker_sql *s, const char *table, int rc)
{
    if (rc == SQLITE_INTERRUPT && s->cancel && *s->cancel)
        return msiz_fail(MSIZ_E_INTERRUPTED, "%s: interrupted while reading table %s", s->path,
                         table);
    if (rc == SQLITE_NOMEM)
        return msiz_fail(MSIZ_E_NOMEM, "%s: out of memory in SQLite reading table %s", s->path,
                         table);
    if (rc == SQLITE_TOOBIG)
        return msiz_fail(MSIZ_E_LIMIT, "%s: table %s holds a value longer than %d bytes", s->path,
                         table, MSIZ_BRUKER_SQL_MAX_VALUE);
    return msiz_fail(MSIZ_E_FORMAT, "%s: reading table %s: %s", s->path, table,
                     sqlite3_errmsg(s->db));
}

int msiz_bruker_sql_col(sqlite3_stmt *st, const char *name)
{
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *c = sqlite3_column_name(st, i);
        if (c && strcasecmp(c, name) == 0)
            return i;
    }
    return -1;
}
