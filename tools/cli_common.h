/* Shared pieces of the msizarr subcommands: diagnostics on stderr and exit codes. */
#ifndef MSIZ_CLI_COMMON_H
#define MSIZ_CLI_COMMON_H

#include <stdio.h>

#include "msizarr/msizarr.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* Routes library warnings to stderr as "msizarr: warning: ..." (info too when verbose). */
void cli_install_log(int verbose);

/* Routes library messages up to `level` to stderr. */
void cli_set_log_level(msiz_log_level level);

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
