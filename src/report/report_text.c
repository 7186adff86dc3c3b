/* QC report: growable text, HTML escaping, number formatting and base64. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "report/report.h"
#include "report/report_internal.h"

/* One report page stays far below this. */
#define TEXT_CAP ((size_t)1 << 31)

void msiz_text_free(msiz_text *t)
{
    msiz_free(t->data);
    memset(t, 0, sizeof *t);
}

static int reserve(msiz_text *t, size_t extra)
{
    if (t->failed)
        return 0;
    msiz_status status = MSIZ_E_LIMIT;
    if (extra < TEXT_CAP - t->len) {
        void *p = t->data;
        status = msiz_grow(&p, &t->cap, t->len + extra + 1, 1, TEXT_CAP);
        if (status == MSIZ_OK) {
            t->data = p;
            return 1;
        }
    }
    t->failed = status == MSIZ_E_LIMIT ? MSIZ_E_LIMIT : 1;
    return 0;
}

void msiz_text_putn(msiz_text *t, const char *s, size_t n)
{
    if (!reserve(t, n))
        return;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void msiz_text_put(msiz_text *t, const char *s)
{
    msiz_text_putn(t, s, strlen(s));
}

void msiz_text_printf(msiz_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (0 when invalid). */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xe0) == 0xc0 ? 2
               : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (n == 2 && s[0] < 0xc2)
        return 0; /* overlong */
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

void msiz_text_escape(msiz_text *t, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t run = 0;
        while (p[run] && !strchr("&<>\"'", p[run]) && p[run] < 0x80 &&
               (p[run] >= 0x20 || p[run] == '\n' || p[run] == '\t'))
            run++;
        msiz_text_putn(t, (const char *)p, run);
        p += run;
        if (!*p)
            break;
        switch (*p) {
        case '&':
            msiz_text_put(t, "&amp;");
            p++;
            continue;
        case '<':
            msiz_text_put(t, "&lt;");
            p++;
            continue;
        case '>':
            msiz_text_put(t, "&gt;");
            p++;
            continue;
        case '"':
            msiz_text_put(t, "&quot;");
            p++;
            continue;
        case '\'':
            msiz_text_put(t, "&#39;");
            p++;
            continue;
        default: break;
        }
        size_t n = *p >= 0x80 ? utf8_len(p) : 0;
        if (n) {
            msiz_text_putn(t, (const char *)p, n);
            p += n;
        } else {
            msiz_text_put(t, *p < 0x20 ? " " : "\xef\xbf\xbd"); /* control byte / invalid */
            p++;
        }
    }
}

void msiz_text_base64(msiz_text *t, const unsigned char *data, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (n > TEXT_CAP / 4 * 3 || !reserve(t, (n + 2) / 3 * 4))
        return;
    char *o = t->data + t->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *o++ = abc[v >> 18], *o++ = abc[v >> 12 & 63], *o++ = abc[v >> 6 & 63], *o++ = abc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0);
        *o++ = abc[v >> 18], *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    t->len = (size_t)(o - t->data);
    t->data[t->len] = '\0';
}

msiz_status msiz_text_status(const msiz_text *t)
{
    if (t->failed == MSIZ_E_LIMIT)
        return msiz_fail(MSIZ_E_LIMIT, "report: the page text exceeds the cap of %zu bytes",
                         TEXT_CAP);
    return t->failed ? msiz_fail(MSIZ_E_NOMEM, "report: out of memory for the page text") : MSIZ_OK;
}

void msiz_fmt_num(char *out, size_t size, double v, int digits)
{
    if (isnan(v))
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.*g", digits, v);
}

void msiz_fmt_bytes(char *out, size_t size, uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    if (u == 0)
        snprintf(out, size, "%llu B", (unsigned long long)bytes);
    else
        snprintf(out, size, "%.1f %s", v, units[u]);
}

void msiz_fmt_length_um(char *out, size_t size, double um)
{
    if (um >= 1000)
        snprintf(out, size, "%g mm", um / 1000);
    else if (um >= 1)
        snprintf(out, size, "%g \xc2\xb5m", um);
    else
        snprintf(out, size, "%g nm", um * 1000);
}

double msiz_nice_floor(double v)
{
    double p = pow(10, floor(log10(v)));
    double m = v / p;
    return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}
