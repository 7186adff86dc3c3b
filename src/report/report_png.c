/* QC report: PNG encoding with libpng (8-bit RGB) into a memory buffer. libpng reports errors
 * by longjmp: this file is the only one that sets a jump point, and it holds no resources of
 * its own across png_ calls other than the write struct. */
#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "common/error.h"
#include "report/report_internal.h"

/* Largest side written (libpng's own user limit is 1,000,000). */
#define PNG_MAX_SIDE 65536u

typedef struct sink {
    msiz_text *out;
    char message[256];
} sink;

static void on_write(png_structp png, png_bytep data, size_t n)
{
    sink *s = png_get_io_ptr(png);
    msiz_text_putn(s->out, (const char *)data, n);
}

static void on_flush(png_structp png)
{
    (void)png;
}

static void on_error(png_structp png, png_const_charp message)
{
    sink *s = png_get_error_ptr(png);
    snprintf(s->message, sizeof s->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message)
{
    (void)png, (void)message; /* nothing the caller could act on */
}

/* The rows of the image; a volatile copy of the state keeps setjmp's rules (C11 7.13.2.1). */
static int encode(png_structp png, png_infop info, const unsigned char *rgb, uint32_t width,
                  uint32_t height, size_t stride)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, rgb + (size_t)y * stride);
    png_write_end(png, info);
    return 0;
}

msiz_status msiz_png_rgb(const unsigned char *rgb, uint32_t width, uint32_t height, size_t stride,
                         msiz_text *out)
{
    if (width == 0 || height == 0 || width > PNG_MAX_SIDE || height > PNG_MAX_SIDE ||
        stride < (size_t)width * 3)
        return msiz_fail(MSIZ_E_ARG, "report: cannot write a %u x %u PNG", width, height);
    sink s = {out, ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        return msiz_fail(MSIZ_E_NOMEM, "report: libpng: out of memory");
    }
    png_set_write_fn(png, &s, on_write, on_flush);
    int rc = encode(png, info, rgb, width, height, stride);
    png_destroy_write_struct(&png, &info);
    if (rc != 0)
        return msiz_fail(MSIZ_E_CODEC, "report: libpng: %s", s.message);
    return msiz_text_status(out);
}
