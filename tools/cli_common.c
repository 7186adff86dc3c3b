/* Diagnostics and exit codes shared by the msizarr subcommands. */
#include "cli_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void log_to_stderr(void *user, msiz_log_level level, const char *message)
{
    (void)user;
    const char *tag = level == MSIZ_LOG_ERROR     ? "error"
                      : level == MSIZ_LOG_WARNING ? "warning"
                      : level == MSIZ_LOG_INFO    ? "info"
                                                  : "debug";
    fprintf(stderr, "msizarr: %s: %s\n", tag, message);
}

void cli_log_init(cli_log *log)
{
    log->level = MSIZ_LOG_WARNING;
    log->verbose = 0;
}

int cli_log_option(cli_log *log, const char *command, int opt, const char *arg)
{
    static const char *const levels[] = {"error", "warning", "info", "debug"};
    if (opt == 'v') {
        log->verbose++;
        return 1;
    }
    if (opt != CLI_OPT_LOG_LEVEL)
        return 0;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(arg, levels[i]) == 0) {
            log->level = i;
            return 1;
        }
    cli_usage_error(command, "--log-level: unknown value '%s' (error, warning, info, debug)", arg);
    return -1;
}

const char *cli_log_hint(int argc, char **argv, int first)
{
    static const char *const levels[] = {"error", "warning", "info", "debug", "critical"};
    for (int i = first; i < argc; i++)
        for (int k = 0; k < 5; k++)
            if (strcasecmp(argv[i], levels[k]) == 0)
                return " (-v takes no value: use --log-level LEVEL)";
    return "";
}

msiz_log_level cli_log_level(const cli_log *log)
{
    int level = log->level + log->verbose;
    return (msiz_log_level)(level > MSIZ_LOG_DEBUG ? MSIZ_LOG_DEBUG : level);
}

void cli_log_install(const cli_log *log)
{
    msiz_set_log_callback(log_to_stderr, NULL, cli_log_level(log));
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
