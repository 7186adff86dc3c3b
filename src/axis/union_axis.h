/* The raw union axis inside the library: the converter hands it the run's spill storage so that
 * every spill file of a run lives in one folder (io/spill.h). */
#ifndef MSIZ_AXIS_UNION_AXIS_H
#define MSIZ_AXIS_UNION_AXIS_H

#include "io/spill.h"
#include "msizarr/axis.h"

/* msiz_union_axis_new, with runs spilled into `spill` (borrowed: it must outlive the axis);
 * spill NULL: a spill of its own in opts->temp_dir, freed with the axis. opts->temp_dir is
 * ignored when spill is given. */
MSIZ_NODISCARD msiz_status msiz_union_axis_new_in(const msiz_union_opts *opts, msiz_spill *spill,
                                                  msiz_union_axis **out);

#endif
