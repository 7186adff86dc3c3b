/* Terminal progress bar for msizarr convert (stderr, only on a terminal). */
#ifndef MSIZ_CLI_PROGRESS_H
#define MSIZ_CLI_PROGRESS_H

#include "msizarr/convert.h"

/* The msiz_progress_fn the CLI installs when stderr is a terminal. user: NULL. */
void cli_progress(void *user, const msiz_progress *p);

/* Ends the current bar line (before printing anything else). */
void cli_progress_end(void);

/* "1.5 GiB"-style text. */
void cli_format_bytes(unsigned long long bytes, char *buf, size_t size);

#endif
