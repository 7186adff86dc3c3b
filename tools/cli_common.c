/* Diagnostics and exit codes shared by the msizarr subcommands. */
#include "cli_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void log_to_stderr(void *user, msiz_log_level level, const char *message)
{
    (void)user;
    const char *tag = level == MSIZ_LOG_ERROR     ? "error"
                      : level == MSIZ_LOG_WARNING ? "warning"
                      : level == MSIZ_LOG_INFO    ? "info"
                                                  : "debug";
    fprintf(stderr, "msizarr: %s: %s\n", tag, message);
}

void cli_install_log(int verbose)
{
    msiz_set_log_callback(log_to_stderr, NULL, verbose ? MSIZ_LOG_INFO : MSIZ_LOG_WARNING);
}

void cli_set_log_level(msiz_log_level level)
{
    msiz_set_log_callback(log_to_stderr, NULL, level);
}

int cli_error(msiz_status status)
{
    const char *msg = msiz_last_error();
    fprintf(stderr, "msizarr: error: %s\n", msg && *msg ? msg : msiz_strerror(status));
    return CLI_FAILED;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "msizarr: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'msizarr %s --help'.\n", command);
    return CLI_USAGE;
}

int cli_finish_stdout(int code)
{
    if (fclose(stdout) != 0 && code == CLI_OK) {
        fprintf(stderr, "msizarr: error: writing the output failed: %s\n", strerror(errno));
        return CLI_FAILED;
    }
    return code;
}

int cli_parse_u64(const char *text, unsigned long long *out)
{
    char *end;
    if (!text || !*text || *text == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}
