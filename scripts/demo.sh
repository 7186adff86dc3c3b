#!/usr/bin/env bash
# The main job on a bundled example: installs what is needed, builds msizarr, converts the
# bundled imzML example and the bundled Bruker timsTOF run to SpatialData stores, and prints what
# spatialdata reads back. The stores go to demo-output/ (or $MSIZ_DEMO_OUTPUT). The test suite
# runs this script (tests/python/test_demo.py), with MSIZ_DEPS=check so that it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
out=${MSIZ_DEMO_OUTPUT:-demo-output}
mkdir -p "$out"
for input in tests/data/imzml-org_examples/Example_Processed.imzML \
             tests/data/imzy_example_tsf/example_tsf.d; do
  name=$(basename "${input%.*}")
  echo "== msizarr convert $input $out/$name.zarr -v"
  build/msizarr convert "$input" "$out/$name.zarr" --overwrite -v
  echo "== what spatialdata reads back"
  .venv/bin/python - "$out/$name.zarr" <<'PY'
import sys
import warnings

import numpy as np
import spatialdata as sd
from spatialdata.models import TableModel

warnings.simplefilter("ignore")
sdata = sd.read_zarr(sys.argv[1])
print(sdata)
for name, table in sdata.tables.items():
    TableModel().validate(table)
    tic = np.asarray(sdata.images[f"{name}_tic"].data)
    print(f"table {name}: {table.n_obs} pixels x {table.n_vars} m/z bins, "
          f"{table.X.nnz} non-zeros, sum(TIC) = {tic.sum():.6g}, sum(X) = {table.X.sum():.6g}")
PY
done
