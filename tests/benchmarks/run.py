"""Benchmark what users feel, against SQLite FTS5 in the same run.

    python tests/benchmarks/run.py --corpus ../shared/corpus --sizes 1,8,30 --readme

Ours (Whoosh), SQLite FTS5 (over the file text as read, and over our canonical text) and tantivy (the Rust
engine, over our canonical text) build and query the same articles in the same run. Libraries of N copies of
the corpus are made under ``tests/benchmarks/cache/`` (gitignored, reused between runs); indexes and each
size's partial results stay in ``cache/work/`` (``--resume`` skips the measures a run at the same commit
already did). Every measure runs in a fresh child process (``bench_core.py``, ``bench_gui.py``); the parent
times it and samples the process tree's memory. Results: ``tests/benchmarks/results/latest.json``,
``latest.md`` (what the README carries; ``--readme`` rewrites its Performance section) and ``chart.png``.
Options: ``--measures canonical,build,queries,update,articles,korean,gui`` to run a subset, ``--gui-size 8``
for the library size of the window measures (the first-open timeline and cold starts). Nothing here is
collected by pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
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
    most = [1]
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
                most[0] = max(most[0], len(procs))
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
    data["max_procs"] = most[0]
    data["stderr_tail"] = err.decode(errors="replace")[-2000:]
    return data


def core(*args: object) -> dict[str, Any]:
    return child([str(HERE / "bench_core.py"), *map(str, args)])


# ------------------------------------------------------------------------------------------------ measures


#: Full builds of ours and of FTS5 (file text) per size, alternating, up to 8 copies; the median is reported.
BUILD_RUNS = 3
MEASURES = ("canonical", "build", "queries", "update", "articles", "korean", "gui")


class Partial:
    """The results of one size so far, kept in the work folder after every measure: ``--resume`` skips the
    measures a run at the same commit has already done (the indexes they built are kept there too)."""

    def __init__(self, work: Path, name: str, commit: str, resume: bool) -> None:
        self.path = work / f"result-{name}.json"
        self.commit = commit
        self.data: dict[str, Any] = {}
        if resume and self.path.exists():
            found = json.loads(self.path.read_text(encoding="utf-8"))
            if found.get("commit") == commit:
                self.data = found
        self.data["commit"] = commit
        self.data.setdefault("done", [])

    def done(self, measure: str) -> bool:
        return measure in self.data["done"]

    def save(self, measure: str, values: dict[str, Any]) -> None:
        self.data.update(values)
        if measure not in self.data["done"]:
            self.data["done"].append(measure)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)


def _median_run(found: list[dict[str, Any]]) -> dict[str, Any]:
    median = sorted(found, key=lambda run: run["seconds"])[len(found) // 2]
    return {**median, "runs_s": [round(run["seconds"], 2) for run in found]}


def measure_size(
    corpus: Path, copies: int, measures: set[str], work: Path, partial: Partial
) -> dict[str, Any]:
    lib = library(corpus, copies)
    n_files, n_bytes = library_stats(lib)
    print(f"== {copies}x: {n_files} articles, {n_bytes / 1e6:.0f} MB", flush=True)
    partial.save("library", {"copies": copies, "articles": n_files, "mb": n_bytes / 1e6})
    index_dir = work / f"index-{copies}x"
    raw_db = work / f"fts5-raw-{copies}x.sqlite"
    canonical_db = work / f"fts5-canonical-{copies}x.sqlite"
    tantivy_dir = work / f"tantivy-{copies}x"
    text_file = work / f"canonical-{copies}x.jsonl"

    def todo(measure: str) -> bool:
        if measure not in measures:
            return False
        if partial.done(measure):
            print(f"   {measure}: done in an earlier run at this commit (--resume)", flush=True)
            return False
        return True

    if todo("canonical"):
        r = core("canonical", lib, text_file)
        partial.save("canonical", {"canonical": r})
        print(f"   canonical text (load_article, one process): {r['seconds']:.1f} s, "
              f"{r['ms_per_article']:.2f} ms an article", flush=True)  # fmt: skip
    if todo("build"):
        # Ours and FTS5 over the file text alternate, BUILD_RUNS times up to 8 copies (a machine's noise then
        # hits both), and the median run of each is reported; the last of ours is the index queried.
        runs = BUILD_RUNS if copies <= 8 else 1
        fts5_runs: list[dict[str, Any]] = []
        whoosh_runs: list[dict[str, Any]] = []
        for _ in range(runs):
            fts5_runs.append(core("build-fts5", lib, raw_db, "raw"))
            shutil.rmtree(index_dir, ignore_errors=True)
            whoosh_runs.append(core("build-whoosh", lib, index_dir))
        values = {"fts5_build_raw": _median_run(fts5_runs), "whoosh_build": _median_run(whoosh_runs)}
        values["whoosh_merge"] = core("merge-whoosh", lib, index_dir)
        m = values["whoosh_merge"]
        print(f"   idle merge ours: {m['seconds']:.1f} s, segments {m['segments_before']} -> "
              f"{m['segments_after']}, peak {m['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
        values["fts5_build_canonical"] = core("build-fts5", lib, canonical_db, "canonical")
        values["tantivy_build"] = core("build-tantivy", lib, tantivy_dir)
        if text_file.exists():  # the engine alone, given the canonical text (written by `canonical`)
            values["tantivy_engine"] = core(
                "build-tantivy", lib, work / f"tantivy-engine-{copies}x", text_file
            )
            shutil.rmtree(work / f"tantivy-engine-{copies}x", ignore_errors=True)
        partial.save("build", values)
        for key, label in (
            ("whoosh_build", "ours"),
            ("fts5_build_raw", "FTS5, file text"),
            ("fts5_build_canonical", "FTS5, canonical text"),
            ("tantivy_build", "tantivy, canonical text"),
            ("tantivy_engine", "tantivy, engine alone"),
        ):
            r = values.get(key)
            if r:
                runs_s = f" (runs {r['runs_s']})" if len(r.get("runs_s", [])) > 1 else ""
                print(f"   build {label}: {r['seconds']:.1f} s{runs_s}, {r['docs']} docs, "
                      f"peak {r['peak_rss_mb']:.0f} MB, {r['max_procs']} processes", flush=True)  # fmt: skip
    if todo("queries"):
        missing = [p.name for p in (index_dir, raw_db, canonical_db, tantivy_dir) if not p.exists()]
        if missing:
            raise SystemExit(f"queries at {copies}x need the builds ({', '.join(missing)}): add build")
        r = core("queries-all", lib, index_dir, raw_db, canonical_db, tantivy_dir)
        partial.save("queries", {"queries": r})
        for kind in ("list", "snippets"):
            print(f"   {kind} p50/p95 ms: " + ", ".join(
                f"{e} {r[f'{e}_{kind}']['p50_ms']:.1f}/{r[f'{e}_{kind}']['p95_ms']:.1f}"
                for e in r["engines"] if f"{e}_{kind}" in r
            ), flush=True)  # fmt: skip
        if r.get("tantivy_skipped"):
            print(f"   tantivy cannot express: {r['tantivy_skipped']}", flush=True)
    if todo("update"):
        if not index_dir.exists() or not raw_db.exists():
            raise SystemExit(f"update at {copies}x needs the builds: add build")
        r = core("update", lib, index_dir, raw_db)
        partial.save("update", {"update": r})
        print(
            "   update p95: "
            + ", ".join(f"{k} {v['p95_ms']:.0f} ms" for k, v in r.items() if isinstance(v, dict))
        )
    return {k: v for k, v in partial.data.items() if k not in ("done", "commit")}


def measure_gui(corpus: Path, copies: int, work: Path) -> dict[str, Any]:
    lib = library(corpus, copies)
    n_files, _ = library_stats(lib)
    out: dict[str, Any] = {"copies": copies, "articles": n_files}
    data = work / f"gui-data-{copies}x"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {"QT_QPA_PLATFORM": "offscreen", "READER_DATA_DIR": str(data)}
    # 1. the first open of a fresh library (no index, no scan cache): when the list shows, when a search
    #    typed at once is first answered with hits, when the index is complete; stalls; memory.
    r = child([str(HERE / "bench_gui.py"), "timeline", str(lib), str(n_files)], env=env, timeout=7200)
    out["first_open"] = r
    print(
        f"   first open: list shown {r['list_shown_s']:.1f} s, first search answered "
        f"{r['first_hit_s']:.1f} s ({r['first_hit_coverage']}), complete {r['complete_s']:.1f} s, "
        f"longest stall {r['max_stall_ms']:.0f} ms, peak tree memory {r['peak_rss_mb']:.0f} MB",
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
    parser.add_argument("--measures", default=",".join(MEASURES), help="any of " + ",".join(MEASURES))
    parser.add_argument("--resume", action="store_true", help="skip what a run at this commit already did")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--readme", action="store_true", help="also rewrite README's Performance section")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if not all((corpus / sub).is_dir() for sub in SUBFOLDERS):
        raise SystemExit(f"{corpus} must hold {' and '.join(SUBFOLDERS)}")
    measures = set(args.measures.split(","))
    unknown = measures - set(MEASURES)
    if unknown:
        raise SystemExit(f"unknown measures {sorted(unknown)}; choose from {','.join(MEASURES)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    if measures & {"build", "queries"} and importlib.util.find_spec("tantivy") is None:
        raise SystemExit('tantivy is not installed: .venv/bin/pip install -e ".[bench]"')
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "reader"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    results: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": commit + ("+changes" if dirty else ""),
        "sizes": [],
    }
    # Kept between runs (libraries, indexes, partial results), so that --resume and a later
    # `--measures queries` find what an earlier run built.
    work = CACHE / "work"
    work.mkdir(parents=True, exist_ok=True)
    for copies in sizes:
        partial = Partial(work, f"{copies}x", results["commit"], args.resume)
        results["sizes"].append(measure_size(corpus, copies, measures, work, partial))
    extra = Partial(work, "corpus", results["commit"], args.resume)
    if "articles" in measures and not extra.done("articles"):
        r = core("articles", corpus)
        extra.save("articles", {"articles": r})
        print(f"== per format: {r.get('missing') or 'measured'}", flush=True)
    if "korean" in measures and not extra.done("korean"):
        r = core("korean", corpus / "ko-wikinews", work / "index-ko")
        extra.save("korean", {"korean": r})
        print(f"== Korean: {r['whoosh']}, FTS5 {r['fts5']}, FTS5 prefix {r['fts5_prefix']}")
    if "gui" in measures and not extra.done("gui"):
        print(f"== GUI at {args.gui_size}x", flush=True)
        extra.save("gui", {"gui": measure_gui(corpus, args.gui_size, work)})
    for key in ("articles", "korean", "gui"):
        if key in extra.data:
            results[key] = extra.data[key]
    from report import write_readme, write_report

    args.out.mkdir(parents=True, exist_ok=True)
    write_report(results, args.out)
    print(f"results in {args.out}")
    if args.readme:
        write_readme(results, ROOT / "README.md")
        print("README.md: Performance section rewritten")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
