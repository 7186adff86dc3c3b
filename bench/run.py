#!/usr/bin/env python3
"""Conversion benchmark: msizarr vs Thyra 1.27.3 vs the floor, on the synthetic presets of
docs/benchmarks.md. Not a test: it prints, records and plots numbers, and never asserts them.

    .venv/bin/python bench/run.py [--preset pea-like,poc,headline,profile-like] [--runs 3]
        [--no-thyra | --keep-thyra] [--thyra-timeout 1800] [--build build] [--out bench/out]
        [--keep-inputs] [--no-doc] [--doc-only]

For each preset: writes the input with build/imzml_synth into --out (git-ignored), then runs
`--runs` rounds of
  - msizarr convert at the default memory limit (512 MiB) and thread count;
  - the floor: build/bench/bench_floor reads the input once and compresses the bytes of the
    output's X/data and X/indices with the output's codec, level and chunk length on every core;
  - thyra 1.27.3, default and --streaming true, unless its memory estimate (bytes per peak
    measured on pea-like, times the preset's peaks) exceeds 70% of the available memory: then the
    run is skipped with that reason. Thyra runs under an address-space limit, so a Thyra that
    outgrows the machine fails instead of taking it down.
Each run is timed by /usr/bin/time (wall, user + system CPU, peak RSS). The medians go to
bench/results.json (merged with earlier presets), the table and the targets of issue 12 into
docs/benchmarks.md between the bench/run.py markers, with the machine, the load and the commit,
and a plot to docs/benchmarks.png. --doc-only redraws both from bench/results.json;
--keep-thyra reruns msizarr and the floor but keeps each preset's Thyra figures from there.
Big inputs are deleted after use unless --keep-inputs (free disk is checked first).
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
DOC = REPO / "docs" / "benchmarks.md"
PLOT = REPO / "docs" / "benchmarks.png"
BEGIN, END = "<!-- bench/run.py:begin -->", "<!-- bench/run.py:end -->"
GiB, MiB = 1 << 30, 1 << 20

# Input peaks (or points), bytes of input and of entries X will hold, for the disk check.
PRESETS = {
    "pea-like": dict(desc="132x132 pixels x 2,130 centroid peaks (m/z float64, intensity "
                          "float32), every m/z distinct, 300-1500 Da",
                     peaks=132 * 132 * 2130, input_bytes=465e6, nnz=132 * 132 * 2130,
                     args=[]),
    "poc": dict(desc="500x500 pixels x 500 peaks from 50,000 distinct masses, 300-1500 Da",
                peaks=500 * 500 * 500, input_bytes=1.8e9, nnz=500 * 500 * 500, args=[]),
    "headline": dict(desc="1000x1000 pixels x 500 peaks from 100,000 distinct masses, "
                          "300-1500 Da",
                     peaks=1000 * 1000 * 500, input_bytes=7.1e9, nnz=1000 * 1000 * 500, args=[]),
    "profile-like": dict(desc="continuous profile, 50x40 pixels x 100,000 points (300-800 Da), "
                              "TIC-preserving onto the default constant axis (100,000 bins)",
                         peaks=50 * 40 * 100000, input_bytes=0.81e9, nnz=50 * 40 * 100000,
                         args=["--resample-method", "tic_preserving"]),
    # not a benchmark: a few seconds of every step, so the suite can run this script
    # (tests/python/test_bench_script.py); never recorded (--no-doc)
    "smoke": dict(desc="12x10 pixels x 200 centroid peaks from 2,000 masses (checks the script)",
                  peaks=12 * 10 * 200, input_bytes=1e6, nnz=12 * 10 * 200, args=[],
                  synth=["--grid", "12x10", "--peaks", "200", "--masses", "2000",
                         "--mz-range", "300:1500", "--shuffle"]),
}
MEASURED = [n for n in PRESETS if n != "smoke"]
# Thyra's peak RSS per input peak when nothing was measured yet in this run or in results.json:
# pea-like on the development machine (1,585 MiB for 37M peaks, issue 12).
THYRA_BYTES_PER_PEAK = {"default": 45.0, "streaming": 45.0}


def sh(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


def timed(cmd, limit_bytes=None, timeout=None):
    """Runs cmd under /usr/bin/time (in a session of its own, killed whole after `timeout`
    seconds). Returns dict(wall, cpu, rss_mib, rc, out, err[, timed_out])."""
    def set_limit():
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    proc = subprocess.Popen(["/usr/bin/time", "-f", "TIME %e %U %S %M", *map(str, cmd)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=set_limit, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return dict(rc=-9, out=out, err=err, timed_out=True)
    m = re.search(r"TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", err)
    r = dict(rc=proc.returncode, out=out, err=err)
    if m:
        r.update(wall=float(m.group(1)), cpu=float(m.group(2)) + float(m.group(3)),
                 rss_mib=int(m.group(4)) / 1024)
    return r


def mem_available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    total = next(int(l.split()[1]) * 1024 for l in open("/proc/meminfo")
                 if l.startswith("MemTotal:"))
    return f"{os.cpu_count()} x {cpu}, {total / GiB:.0f} GiB, Linux {platform.release()}"


def commit():
    head = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).stdout.strip()
    dirty = sh(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no", "--", ".",
                ":!docs/benchmarks.md", ":!docs/benchmarks.png", ":!bench/results.json"]).stdout
    return head + ("-dirty" if dirty.strip() else "")


def remove(*paths):
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def x_dir(store):
    return next((store / "tables").glob("*/X"))


def array_meta(array_dir):
    """(chunk length, element size, zstd level) of a 1-D v3 array written by msizarr."""
    meta = json.loads((array_dir / "zarr.json").read_text())
    chunk = meta["chunk_grid"]["configuration"]["chunk_shape"][0]
    size = {"float64": 8, "int64": 8, "int32": 4, "float32": 4}[meta["data_type"]]
    level = next(c["configuration"]["level"] for c in meta["codecs"] if c["name"] == "zstd")
    return chunk, size, level


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = pathlib.Path(args.build).resolve()
        self.out = pathlib.Path(args.out).resolve()
        self.msizarr = self.build / "msizarr"
        self.floor = self.build / "bench" / "bench_floor"
        self.synth = self.build / "imzml_synth"
        self.thyra = REPO / ".venv" / "bin" / "thyra"
        self.loads = []

    def note_load(self):
        self.loads.append(os.getloadavg()[0])

    # ---- one preset ----
    def generate(self, name):
        stem = self.out / name
        imzml, ibd = stem.with_suffix(".imzML"), stem.with_suffix(".ibd")
        if imzml.exists() and ibd.exists() and (self.out / f"{name}.done").exists():
            return imzml, ibd, 0.0
        t0 = time.perf_counter()
        proc = sh([self.synth, *PRESETS[name].get("synth", ["--preset", name]), "--quiet", stem])
        if proc.returncode != 0:
            raise RuntimeError(f"imzml_synth --preset {name} failed: {proc.stderr}")
        (self.out / f"{name}.done").write_text("")
        return imzml, ibd, time.perf_counter() - t0

    def disk_check(self, name):
        p = PRESETS[name]
        need = p["input_bytes"] + 3 * 12 * p["nnz"]  # input, output, spill, floor's raw X
        free = shutil.disk_usage(self.out).free
        return None if free > need * 1.1 else (
            f"needs about {need / GiB:.1f} GiB of disk, {free / GiB:.1f} GiB free")

    def run_msizarr(self, name, imzml, store):
        remove(store)
        r = timed([self.msizarr, "convert", imzml, store, "--log-level", "info",
                   *PRESETS[name]["args"]])
        m = re.search(r"spilled ([\d.]+) (\w+)", r["err"])
        if m:
            unit = {"B": 1, "KiB": 1 << 10, "MiB": MiB, "GiB": GiB, "TiB": 1 << 40}[m.group(2)]
            r["spilled_mib"] = float(m.group(1)) * unit / MiB
        m = re.search(r"(\d+) non-zeros", r["err"])
        r["nnz"] = int(m.group(1)) if m else None
        return r

    def prepare_floor(self, name, store):
        """Decodes the output's X/data and X/indices into raw files; returns run arguments."""
        xd = x_dir(store)
        args = []
        for arr in ("data", "indices"):
            chunk, size, level = array_meta(xd / arr)
            raw = self.out / f"{name}.floor-{arr}.raw"
            proc = sh([self.floor, "prepare", xd / arr, raw])
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr)
            args.append(f"{raw}:{chunk * size}:{level}")
        return args

    def run_floor(self, inputs, floor_args):
        cmd = [self.floor, "run", "-t", str(os.cpu_count())]
        for p in inputs:
            cmd += ["-r", p]
        r = timed(cmd + floor_args)
        m = re.search(r"read_s=([\d.]+) compress_s=([\d.]+)", r["out"])
        if m:
            r["read_s"], r["compress_s"] = float(m.group(1)), float(m.group(2))
        return r

    def thyra_skip(self, name, mode, measured):
        if self.args.no_thyra:
            return "--no-thyra"
        per_peak = measured.get(mode) or THYRA_BYTES_PER_PEAK[mode]
        est = per_peak * PRESETS[name]["peaks"] + 300 * MiB
        avail = mem_available()
        if est > 0.7 * avail:
            return (f"estimated {est / GiB:.1f} GiB ({per_peak:.0f} B/peak as on pea-like) > "
                    f"70% of the {avail / GiB:.1f} GiB available")
        return None

    def run_thyra(self, name, mode, imzml, store):
        remove(store)
        extra = ["--streaming", "true"] if mode == "streaming" else []
        limit = int(min(0.8 * mem_available(), 20 * GiB))
        r = timed([self.thyra, imzml, store, "--log-level", "WARNING", *extra,
                   *PRESETS[name]["args"]], limit_bytes=limit, timeout=self.args.thyra_timeout)
        if r.get("timed_out"):
            r["failure"] = f"stopped: not done after {self.args.thyra_timeout:.0f} s"
        elif r["rc"] != 0:
            tail = [l for l in r["err"].strip().splitlines() if not l.startswith("TIME")]
            r["failure"] = (tail[-1][:160] if tail else f"exit {r['rc']}") + \
                f" (address-space limit {limit / GiB:.1f} GiB)"
        remove(store)
        return r

    def preset(self, name, measured, before=None):
        res = dict(preset=name, desc=PRESETS[name]["desc"], peaks=PRESETS[name]["peaks"],
                   date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   commit=commit(), machine=machine(), runs={}, skipped={})
        kept = {}
        if self.args.keep_thyra and before:  # Thyra's figures of the earlier run, marked so
            for key in ("thyra", "thyra-streaming"):
                if key in before.get("runs", {}):
                    kept[key] = dict(before["runs"][key], kept_from=before["date"])
                if key in before.get("skipped", {}):
                    res["skipped"][key] = before["skipped"][key] + f" (run of {before['date']})"
        self.out.mkdir(parents=True, exist_ok=True)  # the disk check looks at its file system
        why = self.disk_check(name)
        if why:
            res["skipped"]["all"] = why
            print(f"{name}: skipped: {why}")
            return res
        imzml, ibd, gen_s = self.generate(name)
        res["input_mib"] = (imzml.stat().st_size + ibd.stat().st_size) / MiB
        res["generate_s"] = round(gen_s, 1)
        print(f"{name}: {res['input_mib']:.0f} MiB input ({gen_s:.0f} s to write)", flush=True)
        for p in (imzml, ibd):  # warm the page cache (every run then reads it warm)
            with open(p, "rb") as f:
                while f.read(16 * MiB):
                    pass
        store = self.out / f"{name}.zarr"
        floor_args = None
        modes = ["msizarr", "floor", "thyra", "thyra-streaming"]
        runs = {m: [] for m in modes}
        load_start = os.getloadavg()[0]
        try:
            for k in range(self.args.runs):
                self.note_load()
                r = self.run_msizarr(name, imzml, store)
                runs["msizarr"].append(r)
                self.show(name, "msizarr", k, r)
                if r["rc"] != 0:
                    res["skipped"]["msizarr"] = r["err"].strip().splitlines()[-1][:200]
                    break
                if floor_args is None:
                    res["nnz"] = r["nnz"]
                    res["store_mib"] = sum(f.stat().st_size for f in store.rglob("*")
                                           if f.is_file()) / MiB
                    floor_args = self.prepare_floor(name, store)
                remove(store)
                r = self.run_floor([imzml, ibd], floor_args)
                runs["floor"].append(r)
                self.show(name, "floor", k, r)
                for mode in ("default", "streaming"):
                    key = "thyra" if mode == "default" else "thyra-streaming"
                    if key in res["skipped"] or key in kept:
                        continue
                    why = self.thyra_skip(name, mode, measured)
                    if why:
                        res["skipped"][key] = why
                        continue
                    r = self.run_thyra(name, mode, imzml, store)
                    runs[key].append(r)
                    self.show(name, key, k, r)
                    if r["rc"] != 0:
                        res["skipped"][key] = ("" if r.get("timed_out") else "failed: ") + \
                            r["failure"]
                    elif name == "pea-like":
                        measured[mode] = r["rss_mib"] * MiB / PRESETS[name]["peaks"]
        finally:
            remove(store, *self.out.glob(f"{name}.floor-*.raw"))
            if not self.args.keep_inputs and PRESETS[name]["input_bytes"] > 1e9:
                remove(imzml, ibd, self.out / f"{name}.done")
        res["load"] = [round(load_start, 1), round(max(self.loads or [load_start]), 1),
                       round(os.getloadavg()[0], 1)]
        for m in modes:
            ok = [r for r in runs[m] if r["rc"] == 0 and "wall" in r]
            if not ok:
                continue
            res["runs"][m] = dict(
                n=len(ok), wall=statistics.median(r["wall"] for r in ok),
                cpu=statistics.median(r["cpu"] for r in ok),
                rss_mib=statistics.median(r["rss_mib"] for r in ok),
                walls=[r["wall"] for r in ok])
            for extra in ("spilled_mib", "read_s", "compress_s"):
                vals = [r[extra] for r in ok if extra in r]
                if vals:
                    res["runs"][m][extra] = statistics.median(vals)
        res["runs"].update(kept)
        return res

    @staticmethod
    def show(name, mode, k, r):
        if r["rc"] != 0:
            print(f"  {name} {mode} #{k + 1}: FAILED (exit {r['rc']})", flush=True)
            return
        print(f"  {name} {mode} #{k + 1}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, "
              f"{r['rss_mib']:.0f} MiB", flush=True)


# ---- reporting ----

def ratios(res, all_results):
    """Derived figures of one preset: speed-up over Thyra's faster mode, ratio to the floor,
    time per peak relative to pea-like."""
    runs, out = res["runs"], {}
    ours = runs.get("msizarr")
    if not ours:
        return out
    thyras = [runs[m] for m in ("thyra", "thyra-streaming") if m in runs]
    if thyras:  # the faster mode by wall time; its CPU time beside
        fast = min(thyras, key=lambda r: r["wall"])
        out["vs_thyra"] = fast["wall"] / ours["wall"]
        out["cpu_vs_thyra"] = fast["cpu"] / ours["cpu"]
    if "floor" in runs:
        out["vs_floor"] = ours["wall"] / runs["floor"]["wall"]
        out["cpu_vs_floor"] = ours["cpu"] / runs["floor"]["cpu"]
    out["ns_per_peak"] = ours["wall"] / res["peaks"] * 1e9
    out["cpu_ns_per_peak"] = ours["cpu"] / res["peaks"] * 1e9
    pea = all_results.get("pea-like", {}).get("runs", {}).get("msizarr")
    if pea and res["preset"] != "pea-like":
        out["per_peak_vs_pea"] = out["ns_per_peak"] / (pea["wall"] / PRESETS["pea-like"]["peaks"] * 1e9)
        out["cpu_per_peak_vs_pea"] = out["cpu_ns_per_peak"] / (
            pea["cpu"] / PRESETS["pea-like"]["peaks"] * 1e9)
    return out


def fmt(v, spec=".2f", none=""):
    return none if v is None else format(v, spec)


def table(all_results):
    names = [n for n in PRESETS if n in all_results]
    lines = ["| preset | run | wall s (median) | CPU s | peak RSS MiB | runs | notes |",
             "|---|---|---|---|---|---|---|"]
    labels = {"msizarr": "msizarr convert (default limit 512MiB)",
              "floor": "floor: read input + compress X (zstd, all cores)",
              "thyra": "thyra 1.27.3 (default)", "thyra-streaming": "thyra 1.27.3 --streaming true"}
    for n in names:
        res = all_results[n]
        first = True
        head = f"**{n}** ({res['peaks'] / 1e6:.0f}M {'points' if n == 'profile-like' else 'peaks'}"
        if "input_mib" in res:
            head += f", {res['input_mib']:,.0f} MiB in"
        if res.get("nnz"):
            head += f", {res['nnz'] / 1e6:.0f}M entries, {res.get('store_mib', 0):,.0f} MiB out"
        head += ")"
        for m, label in labels.items():
            r = res["runs"].get(m)
            skip = res["skipped"].get(m) or res["skipped"].get("all")
            if not r and not skip:
                continue
            notes = ""
            if r and m == "msizarr" and r.get("spilled_mib") is not None:
                notes = f"spilled {r['spilled_mib']:,.0f} MiB"
            if r and m == "floor" and "read_s" in r:
                notes = f"read {r['read_s']:.2f} s + compress {r['compress_s']:.2f} s"
            if r and r.get("kept_from"):
                notes = f"kept from the run of {r['kept_from']} (--keep-thyra)"
            if skip:
                notes = ("" if skip.startswith(("failed", "stopped")) else "skipped: ") + skip
            cells = [head if first else "", label,
                     fmt(r and r["wall"], ".2f", "—"), fmt(r and r["cpu"], ".2f", "—"),
                     fmt(r and r["rss_mib"], ",.0f", "—"), str(r["n"]) if r else "0", notes]
            lines.append("| " + " | ".join(cells) + " |")
            first = False
    return "\n".join(lines)


def targets(all_results):
    get = lambda n: all_results.get(n, {})
    rat = {n: ratios(get(n), all_results) for n in PRESETS if get(n).get("runs")}
    rows = ["| target (issue 12) | measured | met |", "|---|---|---|"]

    def row(what, value, ok):
        rows.append(f"| {what} | {value} | {'yes' if ok else 'no' if ok is not None else '—'} |")

    pea = rat.get("pea-like", {})
    pr = get("pea-like").get("runs", {}).get("msizarr")
    row("pea-like: >= 10x faster than Thyra's faster mode (wall; CPU in brackets)",
        fmt(pea.get("vs_thyra"), ".1f") + f"x ({fmt(pea.get('cpu_vs_thyra'), '.1f')}x)",
        pea["vs_thyra"] >= 10 if "vs_thyra" in pea else None)
    row("pea-like: <= 1.5x the floor (wall; CPU in brackets)",
        fmt(pea.get("vs_floor"), ".2f") + f"x ({fmt(pea.get('cpu_vs_floor'), '.2f')}x)",
        pea["vs_floor"] <= 1.5 if "vs_floor" in pea else None)
    row("pea-like: peak RSS <= 512 MiB", fmt(pr and pr["rss_mib"], ",.0f") + " MiB",
        pr["rss_mib"] <= 512 if pr else None)
    a = get("poc").get("runs", {}).get("msizarr")
    b = get("headline").get("runs", {}).get("msizarr")
    if a and b:
        flat = b["rss_mib"] / a["rss_mib"]
        row("poc vs headline peak RSS within 10% (flat)",
            f"{a['rss_mib']:,.0f} vs {b['rss_mib']:,.0f} MiB ({(flat - 1) * 100:+.0f}%)",
            abs(flat - 1) <= 0.10)
    for n in ("poc", "headline"):
        r = rat.get(n, {})
        if "per_peak_vs_pea" in r:
            row(f"{n}: time per peak within 15% of pea-like's (wall; CPU in brackets)",
                f"{r['ns_per_peak']:.0f} ns ({(r['per_peak_vs_pea'] - 1) * 100:+.0f}%; CPU "
                f"{(r['cpu_per_peak_vs_pea'] - 1) * 100:+.0f}%)", r["per_peak_vs_pea"] <= 1.15)
    p = get("profile-like").get("runs", {}).get("msizarr")
    if p:
        t = get("profile-like")
        thy = t["runs"].get("thyra") or t["runs"].get("thyra-streaming")
        beside = (f"Thyra {thy['wall']:.1f} s, {thy['rss_mib']:,.0f} MiB" if thy else
                  "Thyra: " + (t["skipped"].get("thyra") or t["skipped"].get("thyra-streaming")
                               or "not run"))
        row("profile-like: converts within the default limit",
            f"{p['rss_mib']:,.0f} MiB peak; {beside}", p["rss_mib"] <= 512)
    return "\n".join(rows)


def ratio_table(all_results):
    rows = ["| preset | Thyra's faster mode / msizarr (wall) | (CPU) | msizarr / floor (wall) | "
            "(CPU) | ns per peak (wall) | (CPU) |", "|---|---|---|---|---|---|---|"]
    for n in PRESETS:
        if not all_results.get(n, {}).get("runs", {}).get("msizarr"):
            continue
        r = ratios(all_results[n], all_results)
        x = lambda v, spec=".2f": fmt(v, spec) + "x" if v is not None else "—"
        rows.append(f"| {n} | {x(r.get('vs_thyra'), '.1f')} | "
                    f"{x(r.get('cpu_vs_thyra'), '.1f')} | {x(r.get('vs_floor'))} | "
                    f"{x(r.get('cpu_vs_floor'))} | {r['ns_per_peak']:.0f} | "
                    f"{r['cpu_ns_per_peak']:.0f} |")
    return "\n".join(rows)


def provenance(all_results):
    lines = []
    for n in PRESETS:
        res = all_results.get(n)
        if not res:
            continue
        load = res.get("load")
        lines.append(f"- {n}: {res['date']}, commit {res['commit']}, load average (1 min) "
                     + (f"{load[0]} at the start, {load[1]} at most, {load[2]} at the end"
                        if load else "not recorded") + f"; {res['machine']}.")
    return "\n".join(lines)


def write_doc(all_results):
    body = "\n\n".join([
        "Generated by `.venv/bin/python bench/run.py` from `bench/results.json`; do not edit "
        "by hand (rerun, or `--doc-only` to redraw). Wall and CPU seconds are medians over the "
        "runs; peak RSS is `/usr/bin/time`'s maximum resident set size.",
        table(all_results), ratio_table(all_results), targets(all_results),
        "![time and peak RSS per preset](benchmarks.png)",
        "Measured:\n\n" + provenance(all_results)])
    text = DOC.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = f"{head}{BEGIN}\n{body}\n{END}{tail}"
    else:
        text += f"\n{BEGIN}\n{body}\n{END}\n"
    DOC.write_text(text)


def plot(all_results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot (pip install the pin of requirements-test.lock)")
        return
    names = [n for n in PRESETS if all_results.get(n, {}).get("runs")]
    series = [("msizarr", "msizarr", "#1f77b4"), ("floor", "floor (read + compress)", "#7f7f7f"),
              ("thyra", "thyra 1.27.3", "#d62728"),
              ("thyra-streaming", "thyra --streaming true", "#ff9896")]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    width = 0.2
    for ax, key, label in ((axes[0], "wall", "wall time, s (log)"),
                           (axes[1], "cpu", "CPU time (user + system), s (log)"),
                           (axes[2], "rss_mib", "peak RSS, MiB (log)")):
        for i, (m, name, color) in enumerate(series):
            xs, ys = [], []
            for j, n in enumerate(names):
                r = all_results[n]["runs"].get(m)
                if r:
                    xs.append(j + (i - 1.5) * width)
                    ys.append(r[key])
                elif m.startswith("thyra"):
                    why = all_results[n]["skipped"].get(m, "skipped")
                    tag = next((w for w in ("failed", "stopped") if why.startswith(w)),
                               "skipped")
                    ax.text(j + (i - 1.5) * width, 0.02, tag, rotation=90, ha="center",
                            va="bottom", fontsize=7, color=color,
                            transform=ax.get_xaxis_transform())
            if key == "rss_mib" and m == "floor":
                continue  # the floor's memory is not a converter's
            ax.bar(xs, ys, width, label=name, color=color)
        ax.set_yscale("log")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names)
        ax.set_ylabel(label)
        if key == "rss_mib":
            ax.axhline(512, color="black", lw=0.8, ls="--")
            ax.text(len(names) - 0.5, 512, "512 MiB default limit", ha="right", va="bottom",
                    fontsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle("msizarr vs Thyra 1.27.3 vs the floor (synthetic presets, docs/benchmarks.md)")
    fig.savefig(PLOT, dpi=100, bbox_inches="tight")
    print(f"wrote {PLOT.relative_to(REPO)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default=",".join(MEASURED),
                    help="comma-separated presets (default: all)")
    ap.add_argument("--runs", type=int, default=3, help="rounds per preset (default 3)")
    ap.add_argument("--no-thyra", action="store_true")
    ap.add_argument("--keep-thyra", action="store_true",
                    help="reuse each preset's Thyra figures from bench/results.json")
    ap.add_argument("--thyra-timeout", type=float, default=1800,
                    help="seconds after which a Thyra run is stopped and recorded as such")
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--out", default=str(REPO / "bench" / "out"))
    ap.add_argument("--keep-inputs", action="store_true", help="keep inputs over 1 GB")
    ap.add_argument("--no-doc", action="store_true", help="do not touch results.json or docs")
    ap.add_argument("--doc-only", action="store_true", help="redraw docs from results.json")
    args = ap.parse_args()
    all_results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not args.doc_only:
        bench = Bench(args)
        for tool in (bench.msizarr, bench.floor, bench.synth):
            if not tool.exists():
                sys.exit(f"{tool} missing: build first (./scripts/build.sh)")
        measured = {}
        pea = all_results.get("pea-like", {}).get("runs", {})
        for mode, key in (("default", "thyra"), ("streaming", "thyra-streaming")):
            if key in pea:
                measured[mode] = pea[key]["rss_mib"] * MiB / PRESETS["pea-like"]["peaks"]
        names = args.preset.split(",")
        for name in names:
            if name not in PRESETS:
                sys.exit(f"unknown preset {name}; known: {', '.join(PRESETS)}")
            if name not in MEASURED and not args.no_doc:
                sys.exit(f"preset {name} checks the script and is never recorded: add --no-doc")
        this_run = {}
        for name in names:
            this_run[name] = bench.preset(name, measured, all_results.get(name))
            if not args.no_doc:
                all_results[name] = this_run[name]
                RESULTS.write_text(json.dumps(all_results, indent=1) + "\n")
        print()
        print(table(this_run))
    if not args.no_doc:
        print(ratio_table(all_results))
        print(targets(all_results))
        write_doc(all_results)
        plot(all_results)


if __name__ == "__main__":
    main()
