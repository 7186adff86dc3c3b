"""Synthetic processed imzML pairs for the converter tests, written directly with numpy.

`write_processed(stem, ...)` writes <stem>.imzML and <stem>.ibd: one spectrum per acquired pixel
of an n_x x n_y x n_z grid (1-based coordinates), with optional missing pixels, shuffled spectrum
order, float32/float64 m/z and intensity arrays, a few zero intensities, and a variable number
of peaks per spectrum. The .ibd is written in batches so that files of 10^8 peaks need only a few
tens of MB of memory. m/z values come from a fixed pool (strictly increasing within a spectrum),
so that --no-resample gives a bounded number of distinct values.
"""
import pathlib
import uuid as uuidlib

import numpy as np

_UUID = uuidlib.UUID("0badcafe-1234-4567-89ab-cdef01234567")
_DTYPES = {"f4": ("MS:1000521", "32-bit float"), "f8": ("MS:1000523", "64-bit float")}


def _cv(acc, name, value=None):
    v = f' value="{value}"' if value is not None else ""
    return f'<cvParam cvRef="{acc.split(":")[0]}" accession="{acc}" name="{name}"{v}/>'


class Synth:
    """What was written: the grid, each spectrum's (x, y, z) (1-based) and its peak count."""

    def __init__(self, imzml, ibd, n_x, n_y, n_z, coords, counts):
        self.imzml, self.ibd = imzml, ibd
        self.n_x, self.n_y, self.n_z = n_x, n_y, n_z
        self.coords, self.counts = coords, counts

    @property
    def n_spectra(self):
        return len(self.counts)

    @property
    def n_peaks(self):
        return int(self.counts.sum())


def write_processed(stem, *, n_x, n_y, n_z=1, peaks=50, vary_peaks=True, missing=0.0,
                    shuffled=False, mz_dtype="f8", int_dtype="f4", mz_range=(100.0, 1000.0),
                    pool_size=None, zero_fraction=0.01, pixel_size=10.0, seed=0, batch=4096):
    """Writes the pair; returns a Synth. `missing`: fraction of grid cells without a spectrum
    (the corner cells (1,1) and (n_x,n_y) of every plane always have one, so the grid size is
    as given)."""
    rng = np.random.default_rng(seed)
    stem = pathlib.Path(stem)
    imzml, ibd = stem.with_suffix(".imzML"), stem.with_suffix(".ibd")

    zz, yy, xx = np.meshgrid(np.arange(1, n_z + 1), np.arange(1, n_y + 1), np.arange(1, n_x + 1),
                             indexing="ij")
    coords = np.stack([xx.ravel(), yy.ravel(), zz.ravel()], axis=1).astype(np.int64)
    if missing > 0:
        keep = rng.random(len(coords)) >= missing
        corner = ((coords[:, 0] == 1) & (coords[:, 1] == 1)) | (
            (coords[:, 0] == n_x) & (coords[:, 1] == n_y))
        coords = coords[keep | corner]
    if shuffled:
        coords = coords[rng.permutation(len(coords))]
    n = len(coords)
    if vary_peaks:
        counts = rng.integers(max(1, peaks // 2), peaks + 1, n).astype(np.int64)
    else:
        counts = np.full(n, peaks, dtype=np.int64)

    pool_size = pool_size or max(4 * peaks, 1000)
    pool = np.linspace(mz_range[0], mz_range[1], pool_size)
    step_max = max(1, pool_size // peaks)  # strictly increasing indices that stay in the pool
    mz_t, int_t = np.dtype("<" + mz_dtype), np.dtype("<" + int_dtype)

    mz_off = np.empty(n, dtype=np.int64)
    int_off = np.empty(n, dtype=np.int64)
    with open(ibd, "wb") as f:
        f.write(_UUID.bytes)
        pos = 16
        for b0 in range(0, n, batch):
            b1 = min(n, b0 + batch)
            bn, cnt = b1 - b0, counts[b0:b1]
            width = int(cnt.max())
            steps = rng.integers(1, step_max + 1, (bn, width))
            idx = np.cumsum(steps, axis=1) - 1
            idx = np.minimum(idx, pool_size - 1)  # never reached: width * step_max <= pool_size
            mz = pool[idx].astype(mz_t)
            inten = (rng.random((bn, width)) * 1000.0).astype(int_t)
            if zero_fraction > 0:
                inten[rng.random((bn, width)) < zero_fraction] = 0
            mz_b = mz.itemsize * cnt
            int_b = inten.itemsize * cnt
            starts = pos + np.concatenate(([0], np.cumsum(mz_b + int_b)[:-1]))
            mz_off[b0:b1] = starts
            int_off[b0:b1] = starts + mz_b
            if mz_t == int_t and not vary_peaks:
                f.write(np.concatenate([mz, inten], axis=1).tobytes())
            else:
                parts = []
                for k in range(bn):
                    parts.append(mz[k, :cnt[k]].tobytes())
                    parts.append(inten[k, :cnt[k]].tobytes())
                f.write(b"".join(parts))
            pos += int((mz_b + int_b).sum())

    mz_acc, mz_name = _DTYPES[mz_dtype]
    int_acc, int_name = _DTYPES[int_dtype]
    comp = _cv("MS:1000576", "no compression")
    groups = (
        '<referenceableParamGroupList count="2">'
        f'<referenceableParamGroup id="mzArray">{_cv("MS:1000514", "m/z array")}'
        f'{_cv(mz_acc, mz_name)}{comp}</referenceableParamGroup>'
        f'<referenceableParamGroup id="intensityArray">{_cv("MS:1000515", "intensity array")}'
        f'{_cv(int_acc, int_name)}{comp}</referenceableParamGroup>'
        '</referenceableParamGroupList>')
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1">\n'
        f'<fileDescription><fileContent>{_cv("MS:1000579", "MS1 spectrum")}'
        f'{_cv("MS:1000127", "centroid spectrum")}{_cv("IMS:1000031", "processed")}'
        f'{_cv("IMS:1000080", "universally unique identifier", _UUID.hex)}'
        '</fileContent></fileDescription>\n'
        f'{groups}\n'
        '<scanSettingsList count="1"><scanSettings id="ss1">'
        f'{_cv("IMS:1000042", "max count of pixels x", n_x)}'
        f'{_cv("IMS:1000043", "max count of pixels y", n_y)}'
        f'<cvParam cvRef="IMS" accession="IMS:1000046" name="pixel size x" value="{pixel_size}" '
        'unitCvRef="UO" unitAccession="UO:0000017" unitName="micrometer"/>'
        f'<cvParam cvRef="IMS" accession="IMS:1000047" name="pixel size y" value="{pixel_size}" '
        'unitCvRef="UO" unitAccession="UO:0000017" unitName="micrometer"/>'
        '</scanSettings></scanSettingsList>\n'
        f'<run id="r"><spectrumList count="{n}" defaultDataProcessingRef="dp">\n')
    enc = 'accession="IMS:1000104" name="external encoded length"'
    tpl = ('<spectrum id="s{k}" defaultArrayLength="0" index="{k}"><scanList count="1"><scan>'
           '<cvParam cvRef="IMS" accession="IMS:1000050" name="position x" value="{x}"/>'
           '<cvParam cvRef="IMS" accession="IMS:1000051" name="position y" value="{y}"/>'
           '{zp}</scan></scanList><binaryDataArrayList count="2">'
           '<binaryDataArray encodedLength="0"><referenceableParamGroupRef ref="mzArray"/>'
           '<cvParam cvRef="IMS" accession="IMS:1000103" name="external array length" value="{c}"/>'
           '<cvParam cvRef="IMS" accession="IMS:1000102" name="external offset" value="{mo}"/>'
           '<cvParam cvRef="IMS" ' + enc + ' value="{mb}"/>'
           '<binary/></binaryDataArray>'
           '<binaryDataArray encodedLength="0"><referenceableParamGroupRef ref="intensityArray"/>'
           '<cvParam cvRef="IMS" accession="IMS:1000103" name="external array length" value="{c}"/>'
           '<cvParam cvRef="IMS" accession="IMS:1000102" name="external offset" value="{io}"/>'
           '<cvParam cvRef="IMS" ' + enc + ' value="{ib}"/>'
           '<binary/></binaryDataArray></binaryDataArrayList></spectrum>\n')
    zfmt = '<cvParam cvRef="IMS" accession="IMS:1000052" name="position z" value="{}"/>'
    with open(imzml, "w") as f:
        f.write(head)
        out = []
        for k in range(n):
            x, y, z = coords[k]
            c = int(counts[k])
            out.append(tpl.format(k=k, x=x, y=y, zp=zfmt.format(z) if n_z > 1 else "", c=c,
                                  mo=mz_off[k], mb=c * mz_t.itemsize, io=int_off[k],
                                  ib=c * int_t.itemsize))
            if len(out) >= 10000:
                f.write("".join(out))
                out = []
        f.write("".join(out))
        f.write('</spectrumList></run></mzML>\n')
    return Synth(imzml, ibd, n_x, n_y, n_z, coords, counts)
