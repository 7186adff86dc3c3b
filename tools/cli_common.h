/* Shared pieces of the msizarr subcommands: diagnostics on stderr and exit codes. */
#ifndef MSIZ_CLI_COMMON_H
#define MSIZ_CLI_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "msizarr/msizarr.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* The logging options every subcommand takes, with one meaning everywhere:
 *   -v, --verbose       raises the level one step per use (warning -> info -> debug)
 *   --log-level LEVEL   sets it: error | warning | info | debug (default warning) */
enum { CLI_OPT_LOG_LEVEL = 1000 };
/* clang-format off */
#define CLI_LOG_LONGOPTS \
    {"verbose", no_argument, NULL, 'v'}, {"log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL}
/* clang-format on */
#define CLI_LOG_HELP                                                                               \
    "  -v, --verbose               more messages: info (-v), debug (-vv)\n"                        \
    "  --log-level LEVEL           error | warning | info | debug (default: warning)\n"

typedef struct cli_log {
    int level;   /* --log-level, as msiz_log_level (default MSIZ_LOG_WARNING) */
    int verbose; /* -v count */
} cli_log;

void cli_log_init(cli_log *log);

/* Handles -v and --log-level: 1 when `opt` was one of them, 0 when not, -1 (after the usage
 * message) for an unknown level. */
int cli_log_option(cli_log *log, const char *command, int opt, const char *arg);

/* A hint for a wrong argument count when an argument is a level name (Thyra's "-v DEBUG"),
 * else "". */
const char *cli_log_hint(int argc, char **argv, int first);

/* The level the options ask for. */
msiz_log_level cli_log_level(const cli_log *log);

/* Routes library messages up to the chosen level to stderr ("msizarr: warning: ..."). */
void cli_log_install(const cli_log *log);

/* Prints "msizarr: error: <msiz_last_error()>" (or the status text) and returns CLI_FAILED. */
int cli_error(msiz_status status);

/* Prints "msizarr: <message>" and a hint to stderr, returns CLI_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...) MSIZ_PRINTF(2, 3);

/* Closes stdout and reports a failed write (disk full, closed pipe): CLI_FAILED. */
int cli_finish_stdout(int code);

/* Strict unsigned parse of an option value; 0 on success. */
int cli_parse_u64(const char *text, unsigned long long *out);

int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
