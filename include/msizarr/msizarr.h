/*
 * msizarr — convert mass spectrometry imaging data into SpatialData Zarr stores.
 *
 * This header holds what every module shares: the status codes, error messages, logging and
 * the library version. The other headers include it.
 *
 * Stable API: msizarr.h, source.h, convert.h, compression.h, report.h. The building blocks
 * under the converter (axis.h, store.h) are experimental, behind msizarr/experimental.h and
 * MSIZ_EXPERIMENTAL. docs/api.md states the ABI policy.
 *
 * Error model: every fallible function returns an msiz_status. MSIZ_OK (0) is success,
 * MSIZ_END (1) ends an iteration, negative values are errors. After an error the calling
 * thread's message (msiz_last_error) names the file and the problem. The library never prints
 * and never exits: diagnostics go through the optional log callback.
 */
#ifndef MSIZARR_MSIZARR_H
#define MSIZARR_MSIZARR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MSIZ_API                      __attribute__((visibility("default")))
#define MSIZ_NODISCARD                __attribute__((warn_unused_result))
#define MSIZ_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define MSIZ_API
#define MSIZ_NODISCARD
#define MSIZ_PRINTF(fmt_idx, arg_idx)
#endif

typedef enum msiz_status {
    MSIZ_OK = 0,
    MSIZ_END = 1,             /* iteration finished (not an error) */
    MSIZ_E_NOMEM = -1,        /* allocation failed */
    MSIZ_E_IO = -2,           /* a read, write, rename or remove failed */
    MSIZ_E_FORMAT = -3,       /* input does not follow its format */
    MSIZ_E_UNSUPPORTED = -4,  /* valid input using a feature msizarr does not handle */
    MSIZ_E_LIMIT = -5,        /* a size or memory cap was reached */
    MSIZ_E_ARG = -6,          /* invalid argument or option */
    MSIZ_E_STATE = -7,        /* call out of order (e.g. write after finish) */
    MSIZ_E_CODEC = -8,        /* compression or decompression failed */
    MSIZ_E_EXISTS = -9,       /* output exists and overwriting was not requested */
    MSIZ_E_INTERRUPTED = -10, /* cancelled by the caller (e.g. Ctrl-C) */
    MSIZ_E_NOTFOUND = -11     /* a required file, table or element is missing */
} msiz_status;

/* Static text for a status code; never NULL. */
MSIZ_API const char *msiz_strerror(msiz_status status);

/* The message of the last error raised on the calling thread, with context (file, index, byte
 * offset...). Empty string when none. Valid until the next failing call on this thread. */
MSIZ_API const char *msiz_last_error(void);

/* Clears the calling thread's last error message. */
MSIZ_API void msiz_clear_error(void);

typedef enum msiz_log_level {
    MSIZ_LOG_ERROR = 0,
    MSIZ_LOG_WARNING = 1,
    MSIZ_LOG_INFO = 2,
    MSIZ_LOG_DEBUG = 3
} msiz_log_level;

typedef void (*msiz_log_fn)(void *user, msiz_log_level level, const char *message);

/* Installs a process-wide log callback (NULL: messages are dropped) and the most verbose level
 * passed to it. Set it before starting work; not synchronised with running conversions. */
MSIZ_API void msiz_set_log_callback(msiz_log_fn fn, void *user, msiz_log_level max_level);

/* Process-wide, for programs that own their process (the msizarr CLI calls it first): makes
 * the C library hand freed large buffers back to the system at once (glibc: a fixed mmap
 * threshold), so memory freed by one conversion pass does not stay resident while the next
 * allocates. Without it peak RSS can exceed --memory-limit by what glibc keeps (docs/memory.md).
 * No effect on other C libraries. Not thread-safe against concurrent allocation setup. */
MSIZ_API void msiz_tune_allocator(void);

/* The version of the headers a program is compiled with; msiz_version() and
 * msiz_version_number() give the library it runs with. A test keeps these in step with CMake's
 * project(VERSION). */
#define MSIZ_VERSION_MAJOR 0
#define MSIZ_VERSION_MINOR 1
#define MSIZ_VERSION_PATCH 0
#define MSIZ_VERSION_NUMBER                                                                        \
    (MSIZ_VERSION_MAJOR * 10000 + MSIZ_VERSION_MINOR * 100 + MSIZ_VERSION_PATCH)

/* Library version, e.g. "0.1.0". */
MSIZ_API const char *msiz_version(void);

/* Library version as MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 100 for 0.1.0: compare it with
 * MSIZ_VERSION_NUMBER to detect a program running with another library than it was built with. */
MSIZ_API unsigned msiz_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
