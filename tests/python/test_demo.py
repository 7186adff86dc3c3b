"""The README's first command, `./scripts/demo.sh`, run as a new user runs it: its install step in
check-only mode (MSIZ_DEPS=check, so a test never touches the Python environment), its build
step (a no-op once built), both conversions, and spatialdata reading the stores back. A broken
command in the script, an option it uses that the CLI no longer takes, or a store spatialdata
cannot read fails here."""
import os
import pathlib
import re
import subprocess

import anndata as ad
import numpy as np
import zarr

REPO = pathlib.Path(__file__).resolve().parents[2]

# (store name, table rows, grid) of the two bundled examples the demo converts
EXPECTED = [("Example_Processed", 9, "3x3x1"), ("example_tsf", 297, "20x20x1")]
REPORT = re.compile(r"^table (\S+): (\d+) pixels x (\d+) m/z bins, (\d+) non-zeros, "
                    r"sum\(TIC\) = (\S+), sum\(X\) = (\S+)$", re.M)


def test_demo_script(tmp_path):
    env = dict(os.environ, MSIZ_DEPS="check", MSIZ_DEMO_OUTPUT=str(tmp_path))
    proc = subprocess.run([str(REPO / "scripts" / "demo.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "msizarr: error" not in proc.stderr, proc.stderr

    reports = REPORT.findall(proc.stdout)
    assert len(reports) == len(EXPECTED), proc.stdout
    for (name, rows, grid), report in zip(EXPECTED, reports):
        store = tmp_path / f"{name}.zarr"
        # the conversion happened, with -v: its summary on stderr
        assert f"msizarr: wrote {store}" in proc.stderr, proc.stderr
        assert f"{rows} pixels (grid {grid}, 1 table)" in proc.stderr, proc.stderr
        assert zarr.open_group(str(store), mode="r").attrs["spatialdata_attrs"]
        # what spatialdata printed agrees with an independent read of the table
        table, n_obs, n_vars, nnz, tic_sum, x_sum = report
        adata = ad.read_zarr(store / "tables" / table)
        assert (int(n_obs), int(n_vars), int(nnz)) == (rows, adata.n_vars, adata.X.nnz)
        assert adata.n_obs == rows and adata.n_vars > 1000 and adata.X.nnz > 0
        x_total = float(adata.X.sum())
        assert np.isclose(float(x_sum), x_total, rtol=1e-5)
        assert np.isclose(float(tic_sum), x_total, rtol=1e-5)
