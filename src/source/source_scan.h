/* What the converter's scan pass reads of a source beyond the public API. */
#ifndef MSIZ_SOURCE_SCAN_H
#define MSIZ_SOURCE_SCAN_H

#include "msizarr/source.h"

/* Fills position fields, n and the m/z values of spectrum `index`; the intensities are left
 * as they were when the backend can skip them (imzML: no I/O for them), read otherwise. */
msiz_status msiz_source_read_mz(msiz_source *src, uint64_t index, msiz_spectrum *sp);

#endif
