/* Resident memory of the calling process. */
#ifndef MSIZ_COMMON_RSS_H
#define MSIZ_COMMON_RSS_H

#include <stdint.h>

/* Resident set size now, in bytes (0 if unknown). */
uint64_t msiz_rss_now(void);

/* Peak resident set size of this process image, in bytes: VmHWM, which (unlike getrusage's
 * ru_maxrss) does not carry a large parent's RSS across fork + exec. */
uint64_t msiz_rss_peak(void);

#endif
