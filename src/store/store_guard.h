/* What an output path may be (edge-cases.md #80): the store is written to a new path, or
 * replaces -- with the overwrite option only -- a folder that is recognisably a Zarr store (a
 * Zarr group at its root: zarr.json with node_type "group", or .zgroup) and that neither is,
 * contains nor lies inside any of the paths the run reads. Nothing else is ever replaced. */
#ifndef MSIZ_STORE_STORE_GUARD_H
#define MSIZ_STORE_STORE_GUARD_H

#include <stddef.h>

#include "msizarr/msizarr.h"

/* MSIZ_OK when `output` does not exist, or may be replaced and `overwrite` is set. Otherwise
 * MSIZ_E_EXISTS with a message that says why; it suggests the overwrite option only for a store
 * that it would replace. `inputs` (n_inputs paths, NULL when none) are compared by device and
 * inode along their real paths, so symbolic links, "..", trailing slashes and bind mounts do
 * not hide them; a symbolic link among the inputs protects both the link and its target.
 * Looks only at metadata; reads no input. */
MSIZ_NODISCARD msiz_status msiz_store_check_output(const char *output, const char *const *inputs,
                                                   size_t n_inputs, int overwrite);

#endif
