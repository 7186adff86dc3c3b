/* One line per pass, redrawn in place: pass, bar, done/total, rate, ETA, resident memory. */
#include "progress.h"

#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 24

static int g_line_open;
static char g_last_pass[32];

void cli_format_bytes(unsigned long long bytes, char *buf, size_t size)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

static void format_eta(double seconds, char *buf, size_t size)
{
    if (seconds < 0 || seconds > 1e7) {
        snprintf(buf, size, "--:--");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

void cli_progress_end(void)
{
    if (g_line_open)
        fputc('\n', stderr);
    g_line_open = 0;
}

void cli_progress(void *user, const msiz_progress *p)
{
    (void)user;
    if (g_line_open && strcmp(g_last_pass, p->pass) != 0)
        cli_progress_end();
    snprintf(g_last_pass, sizeof g_last_pass, "%s", p->pass);
    double frac = p->total ? (double)p->done / (double)p->total : 1.0;
    char bar[BAR_WIDTH + 1], eta[32], mem[32];
    int fill = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    double rate = p->elapsed_s > 0 ? (double)p->done / p->elapsed_s : 0.0;
    format_eta(rate > 0 ? (double)(p->total - p->done) / rate : -1.0, eta, sizeof eta);
    cli_format_bytes(p->rss_bytes, mem, sizeof mem);
    const char *unit = strcmp(p->pass, "transpose") == 0 ? "columns" : "spectra";
    fprintf(stderr, "\r%-9s [%s] %llu/%llu %s  %.0f/s  ETA %s  mem %s\033[K", p->pass, bar,
            (unsigned long long)p->done, (unsigned long long)p->total, unit, rate, eta, mem);
    g_line_open = 1;
    if (p->done >= p->total)
        cli_progress_end();
    fflush(stderr);
}
