"""Benchmark what users feel, against SQLite FTS5 in the same run.

    python tests/benchmarks/run.py --corpus ../shared/corpus --sizes 1,8,30

Libraries of N copies of the corpus are made under ``tests/benchmarks/cache/`` (gitignored, reused between
runs). Every measure runs in a fresh child process (``bench_core.py``, ``bench_gui.py``); the parent times it
and samples the process tree's memory. Results: ``tests/benchmarks/results/latest.json``, ``latest.md`` (the
table the README carries) and ``chart.png``. Options: ``--measures build,queries,update,korean,gui`` to run
a subset, ``--gui-size 8`` for the library size of the window measures. Nothing here is collected by pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = HERE / "cache"
RESULTS = HERE / "results"
PY = sys.executable
SUBFOLDERS = ("en-peps", "ko-wikinews")


# --------------------------------------------------------------------------------------------- libraries


def library(corpus: Path, copies: int) -> Path:
    """``copies`` copies of the corpus in sub-folders ``00/``, ``01/``, ... (cached; never in the repo)."""
    dest = CACHE / f"lib-{copies}x"
    marker = dest / ".complete"
    if marker.exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    for i in range(copies):
        for sub in SUBFOLDERS:
            shutil.copytree(corpus / sub, dest / f"{i:02d}" / sub)
    marker.write_text(str(corpus.resolve()), encoding="utf-8")
    return dest


def library_stats(lib: Path) -> tuple[int, int]:
    files = [
        p for p in lib.rglob("*.txt") if not any(part.startswith(".") for part in p.relative_to(lib).parts)
    ]
    return len(files), sum(p.stat().st_size for p in files)


# ------------------------------------------------------------------------------------------ child processes


def child(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 3600) -> dict[str, Any]:
    """Run ``args`` (a Python script and its arguments); its JSON answer plus wall time and peak tree RSS."""
    full_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    proc = psutil.Popen([PY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=ROOT)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
                rss = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
                peak[0] = max(peak[0], rss)
            except psutil.Error:
                pass
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    data: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    data["wall_seconds"] = wall
    data["peak_rss_mb"] = peak[0] / 1e6
    data["stderr_tail"] = err.decode(errors="replace")[-2000:]
    return data


def core(*args: object) -> dict[str, Any]:
    return child([str(HERE / "bench_core.py"), *map(str, args)])


# ------------------------------------------------------------------------------------------------ measures


#: Full builds per engine (alternating) at up to 8 copies of the corpus; the median is reported.
BUILD_RUNS = 3


def measure_size(corpus: Path, copies: int, measures: set[str], work: Path) -> dict[str, Any]:
    lib = library(corpus, copies)
    n_files, n_bytes = library_stats(lib)
    print(f"== {copies}x: {n_files} articles, {n_bytes / 1e6:.0f} MB", flush=True)
    out: dict[str, Any] = {"copies": copies, "articles": n_files, "mb": n_bytes / 1e6}
    index_dir = work / f"index-{copies}x"
    db = work / f"fts5-{copies}x.sqlite"
    if measures & {"build", "queries", "update"}:
        if "build" in measures:
            r = core("build-fts5", lib, db, "canonical")
            out["fts5_build_canonical"] = r
            print(
                f"   fts5 build (canonical): {r['seconds']:.1f} s, insert {r['insert_seconds']:.1f} s",
                flush=True,
            )
        # The two builds the build target compares alternate, BUILD_RUNS times up to 8 copies (a machine's
        # noise then hits both), and the median run of each is reported. The raw FTS5 database (file text as
        # read) is the one queried afterwards; the last Whoosh build is the index queried.
        runs = BUILD_RUNS if copies <= 8 and "build" in measures else 1
        fts5_runs: list[dict[str, Any]] = []
        whoosh_runs: list[dict[str, Any]] = []
        for _ in range(runs):
            fts5_runs.append(core("build-fts5", lib, db, "raw"))
            shutil.rmtree(index_dir, ignore_errors=True)
            whoosh_runs.append(core("build-whoosh", lib, index_dir))
        for key, found in (("fts5_build_raw", fts5_runs), ("whoosh_build", whoosh_runs)):
            median = sorted(found, key=lambda run: run["seconds"])[len(found) // 2]
            out[key] = {**median, "runs_s": [round(run["seconds"], 2) for run in found]}
        r = out["fts5_build_raw"]
        print(f"   fts5 build (raw): {r['seconds']:.1f} s (runs {r['runs_s']})", flush=True)
        r = out["whoosh_build"]
        print(
            f"   whoosh build: {r['seconds']:.1f} s (runs {r['runs_s']}), {r['docs']} docs, "
            f"peak {r['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    if "queries" in measures:
        r = core("queries", lib, index_dir, db)
        out["queries"] = r
        print(
            "   queries p95: list {:.1f} ms (fts5 {:.1f}), snippets {:.1f} ms (fts5 {:.1f})".format(
                r["whoosh_list"]["p95_ms"], r["fts5_list"]["p95_ms"],
                r["whoosh_snippets"]["p95_ms"], r["fts5_snippets"]["p95_ms"],
            ),
            flush=True,
        )  # fmt: skip
    if "update" in measures:
        r = core("update", lib, index_dir, db)
        out["update"] = r
        print(
            "   update p95: "
            + ", ".join(f"{k} {v['p95_ms']:.0f} ms" for k, v in r.items() if isinstance(v, dict))
        )
    return out


def measure_gui(corpus: Path, copies: int, work: Path) -> dict[str, Any]:
    lib = library(corpus, copies)
    n_files, _ = library_stats(lib)
    out: dict[str, Any] = {"copies": copies, "articles": n_files}
    data = work / f"gui-data-{copies}x"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {"QT_QPA_PLATFORM": "offscreen", "READER_DATA_DIR": str(data)}
    # 1. a first open: catalog scan and index build in the background while a 5 ms timer measures stalls.
    r = child([str(HERE / "bench_gui.py"), "stall", str(lib)], env=env)
    out["first_open"] = r
    print(
        f"   gui first open: longest stall {r['max_stall_ms']:.0f} ms, "
        f"index ready {r['index_ready_s']:.1f} s, "
        f"RSS {r['rss_mb']:.0f} MB",
        flush=True,
    )
    # 2. cold starts of `python -m reader gui LIB` (catalog cache and index already built), timed by the
    #    READER_BENCH_TIMINGS hook in reader/app.py.
    starts = []
    for _ in range(5):
        starts.append(cold_start(lib, env))
    out["cold_start"] = starts
    best = sorted(starts, key=lambda s: s["painted_s"])[len(starts) // 2]
    print(
        f"   cold start (median): painted {best['painted_s']:.2f} s, first search {best['searched_s']:.2f} s"
    )
    return out


def cold_start(lib: Path, env: dict[str, str]) -> dict[str, float]:
    full_env = {
        **os.environ,
        **env,
        "READER_BENCH_TIMINGS": "1",
        "READER_BENCH_QUERY": "python",
        "READER_BENCH_EXIT": "1",
    }
    started = time.time()
    proc = subprocess.run(
        [PY, "-m", "reader", "gui", str(lib)],
        env=full_env,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    events: dict[str, float] = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        if line.startswith('{"bench"'):
            item = json.loads(line)
            events.setdefault(item["bench"], item["t"] - started)
    if "painted" not in events or "searched" not in events:
        raise RuntimeError(f"cold start gave no timings: {proc.stderr.decode(errors='replace')[-2000:]}")
    return {
        "painted_s": events["painted"],
        "searched_s": events["searched"],
        "rss_mb": events.get("rss_mb", 0.0),
    }


# ------------------------------------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    system = f"Linux {platform.release()}, Python {platform.python_version()}"
    return f"{psutil.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, {system}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--sizes", default="1,8,30", help="library sizes in copies of the corpus")
    parser.add_argument("--gui-size", type=int, default=8)
    parser.add_argument("--measures", default="build,queries,update,korean,gui")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if not all((corpus / sub).is_dir() for sub in SUBFOLDERS):
        raise SystemExit(f"{corpus} must hold {' and '.join(SUBFOLDERS)}")
    measures = set(args.measures.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    CACHE.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "sizes": [],
    }
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="run-") as tmp:
        work = Path(tmp)
        for copies in sizes:
            results["sizes"].append(measure_size(corpus, copies, measures, work))
        if "korean" in measures:
            r = core("korean", corpus / "ko-wikinews", work / "index-ko")
            results["korean"] = r
            print(f"== Korean: {r['whoosh']}, FTS5 {r['fts5']}, FTS5 prefix {r['fts5_prefix']}")
        if "gui" in measures:
            print(f"== GUI at {args.gui_size}x", flush=True)
            results["gui"] = measure_gui(corpus, args.gui_size, work)
    from report import write_report

    args.out.mkdir(parents=True, exist_ok=True)
    write_report(results, args.out)
    print(f"results in {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
