"""Edge case #19: a generated 1,000,000-spectrum processed header parses in bounded memory.

The generator (bench/imzml_synth.c) writes a compact header (about 1.1 GB of XML, one 2-peak
spectrum per pixel of a 1000 x 1000 grid); imzml_parse_stats opens it, reads three spectra by index and reports its peak
RSS (getrusage). Budget: 256 MB. Set MSIZ_SKIP_SCALE=1 to skip on small machines."""
import os
import re
import subprocess

import pytest

N = 1_000_000


@pytest.mark.skipif(os.environ.get("MSIZ_SKIP_SCALE") == "1", reason="MSIZ_SKIP_SCALE=1")
def test_million_spectrum_header_peak_rss(build_dir, tmp_path):
    stem = tmp_path / "million"
    subprocess.run([str(build_dir / "imzml_synth"), "--grid", "1000x1000", "--peaks", "2",
                    "--quiet", str(stem)], check=True)
    try:
        proc = subprocess.run([str(build_dir / "imzml_parse_stats"), f"{stem}.imzML"],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        stats = dict(re.findall(r"(\w+)=([\d.,]+)", proc.stdout))
        assert int(stats["spectra"]) == N
        assert int(stats["peaks"]) == 2 * N
        assert stats["last"] == "1000,1000"
        assert int(stats["maxrss_kb"]) < 256 * 1024, proc.stdout
        print(proc.stdout)
    finally:
        for ext in (".imzML", ".ibd"):
            (tmp_path / f"million{ext}").unlink(missing_ok=True)
