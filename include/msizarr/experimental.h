/*
 * msizarr's experimental API: the building blocks under the converter (mass axes, binner,
 * TIC-preserving resampler, raw union axis, the SpatialData store writer). They are exported
 * from the library but carry no ABI or API promise: any release may change them (docs/api.md).
 * Programs that want them say so, as with zstd's ZSTD_STATIC_LINKING_ONLY, and should link the
 * static library or pin the exact library version:
 *
 *   #define MSIZ_EXPERIMENTAL
 *   #include <msizarr/experimental.h>
 *
 * The stable API is msizarr.h, source.h, convert.h and compression.h (all included here).
 */
#ifndef MSIZARR_EXPERIMENTAL_H
#define MSIZARR_EXPERIMENTAL_H

#ifndef MSIZ_EXPERIMENTAL
#error "msizarr/experimental.h: #define MSIZ_EXPERIMENTAL before including it (docs/api.md)"
#endif

#include "msizarr/axis.h"
#include "msizarr/compression.h"
#include "msizarr/convert.h"
#include "msizarr/msizarr.h"
#include "msizarr/source.h"
#include "msizarr/store.h"

#endif
