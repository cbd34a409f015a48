"""Write the results of ``run.py``: ``latest.json``, ``latest.md`` (Markdown tables), ``chart.png``, and on
request README's Performance section (between ``<!-- bench:start -->`` and ``<!-- bench:end -->``).

    python tests/benchmarks/report.py [RESULTS_FOLDER] [--readme]   # again from latest.json, no measuring

Per library size, the table of issue 18: ours (Whoosh), SQLite FTS5 and tantivy, rows for the canonical
text, the build, its peak memory, the result list and the page with snippets. Then the targets at the size
closest to 10,000 articles, the first-open timeline of the window, and the other measures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
#: Optional hand-written reading of the numbers, carried into the README under the tables.
NOTES = HERE / "results" / "notes.md"


def _get(d: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _num(value: float) -> str:
    if value < 1:
        return f"{value:.2f}".rstrip("0").rstrip(".") if value >= 0.1 else f"{value:.2f}"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else (f"{value:.1f} s" if value < 100 else f"{value:.0f} s")
    if unit == "ms":
        return f"{_num(value)} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3f}"


def p50_p95(stats: dict[str, Any] | None) -> str:
    """``"11 / 54 ms"`` from a ``{"p50_ms", "p95_ms"}`` entry; ``–`` without one."""
    if not stats or stats.get("p50_ms") is None or stats.get("p95_ms") is None:
        return "–"
    return f"{_num(stats['p50_ms'])} / {_num(stats['p95_ms'])} ms"


# ------------------------------------------------------------------------------------- the size table


def size_table(size: dict[str, Any]) -> list[list[str]]:
    """The issue's rows for one library size: ``[label, ours, FTS5, tantivy]``."""
    canon = size.get("canonical")
    whoosh = size.get("whoosh_build")
    raw = size.get("fts5_build_raw")
    fts5c = size.get("fts5_build_canonical")
    tv = size.get("tantivy_build")
    engine = size.get("tantivy_engine")
    q = size.get("queries") or {}
    rows = []
    ours = "–"
    if canon:
        ours = f"{_fmt(canon['seconds'], 's')} ({canon['ms_per_article']:.1f} ms an article)"
    rows.append(
        ["canonical text of every article (`load_article`, one process)", ours]
        + ["same text given to it"] * 2
    )
    ours = "–"
    if whoosh:
        procs = int(whoosh.get("max_procs", 1))  # the most processes its tree had at once
        ours = _fmt(whoosh["seconds"], "s") + (f" ({procs} processes)" if procs > 1 else " (one process)")
        merge = _get(size, "whoosh_merge")
        if isinstance(merge, dict) and merge.get("seconds") is not None:
            ours += (
                f"; then, idle, its {merge.get('segments_before')} segments merged into "
                f"{merge.get('segments_after')}: {_fmt(merge['seconds'], 's')}, "
                f"peak {_fmt(merge.get('peak_rss_mb'), 'MB')}"
            )
    parts = []
    if fts5c:
        insert = _fmt(fts5c["insert_seconds"], "s")
        parts.append(f"{_fmt(fts5c['seconds'], 's')} (one process; insert alone {insert})")
    if raw:
        parts.append(f"file text as read: {_fmt(raw['seconds'], 's')}")
    fts5 = "; ".join(parts) or "–"
    tantivy = "–"
    if tv:
        alone = engine["engine_seconds"] if engine else None
        tantivy = f"{_fmt(tv['seconds'], 's')}" + (f" (engine alone: {_fmt(alone, 's')})" if alone else "")
    rows.append(["build, including reading the articles", ours, fts5, tantivy])
    fts5 = _fmt(_get(fts5c, "peak_rss_mb"), "MB")
    if raw:
        fts5 += f" (file text: {_fmt(raw.get('peak_rss_mb'), 'MB')})"
    rows.append(
        [
            "build peak memory, whole process tree",
            _fmt(_get(whoosh, "peak_rss_mb"), "MB"),
            fts5,
            _fmt(_get(tv, "peak_rss_mb"), "MB"),
        ]
    )
    for label, kind in (
        ("result list, page of 50, p50 / p95", "list"),
        ("page of 50 with snippets, p50 / p95", "snippets"),
    ):
        fts5 = p50_p95(q.get(f"fts5c_{kind}"))
        if q.get(f"fts5_{kind}"):
            fts5 += f" (file text: {p50_p95(q.get(f'fts5_{kind}'))})"
        rows.append([label, p50_p95(q.get(f"whoosh_{kind}")), fts5, p50_p95(q.get(f"tantivy_{kind}"))])
    return rows


# ------------------------------------------------------------------------------------------- targets


def closest_to_10k(results: dict[str, Any]) -> dict[str, Any]:
    sizes = results.get("sizes", [])
    return min(sizes, key=lambda s: abs(s.get("articles", 0) - 10_000)) if sizes else {}


def target_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The issue's targets: ``(target, measured, met)``; ``met`` is ``–`` when not measured."""
    at = closest_to_10k(results)
    fo = _get(results, "gui", "first_open") or {}
    if "expected" not in fo:  # not the timeline of bench_gui.py (an older run's stall measure)
        fo = {}
    gui_copies = _get(results, "gui", "copies")
    gui_size = next((s for s in results.get("sizes", []) if s.get("copies") == gui_copies), {})
    rows: list[tuple[str, str, str]] = []

    def row(name: str, shown: str, ok: bool | None) -> None:
        rows.append((name, shown, "–" if ok is None else ("yes" if ok else "**no**")))

    def timed(key: str, limit: float) -> tuple[str, bool | None]:
        value = fo.get(key)
        if value is None:
            return ("not reached" if fo else "–"), (False if fo else None)
        return _fmt(value, "s"), value <= limit

    row("first open of a fresh library: list shown ≤ 5 s", *timed("list_shown_s", 5.0))
    shown, ok = timed("first_hit_s", 8.0)
    if fo.get("first_hit_coverage"):
        shown += f" ({fo['first_hit_coverage']})"
    row("first open: first search answered ≤ 8 s", shown, ok)
    complete, raw = fo.get("complete_s"), _get(gui_size, "fts5_build_raw", "seconds")
    if complete is not None and raw:
        row(
            "first open: index complete ≤ 3x FTS5's build from the files",
            f"{_fmt(complete, 's')} = {complete / raw:.1f}x FTS5 ({_fmt(raw, 's')})",
            complete <= 3 * raw,
        )
    else:
        row("first open: index complete ≤ 3x FTS5's build from the files", _fmt(complete, "s"), None)
    q = at.get("queries") or {}
    for name, kind, factor in (
        ("result list p95 ≤ 1.0x FTS5", "list", 1.0),
        ("page with snippets p95 ≤ FTS5", "snippets", 1.0),
    ):
        ours, ref = _get(q, f"whoosh_{kind}", "p95_ms"), _get(q, f"fts5c_{kind}", "p95_ms")
        if ours is None or not ref:
            row(name, "–", None)
        else:
            row(name, f"{_fmt(ours, 'ms')} = {ours / ref:.1f}x ({_fmt(ref, 'ms')})", ours <= factor * ref)
    stall = fo.get("max_stall_ms")
    row(
        "longest GUI stall during first open ≤ 50 ms",
        _fmt(stall, "ms"),
        None if stall is None else stall <= 50,
    )
    peak = _get(at, "whoosh_build", "peak_rss_mb")
    row("build peak memory (process tree) ≤ 400 MB", _fmt(peak, "MB"), None if peak is None else peak <= 400)
    return rows


def other_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Updates, cold start, Korean: ``(measure, ours, FTS5, target)``."""
    at = closest_to_10k(results)
    rows: list[tuple[str, str, str, str]] = []
    u = at.get("update") or {}
    ref = _fmt(_get(u, "edit_fts5", "p95_ms"), "ms")
    for key, label, target in (
        ("edit_update_paths", "article edited → searchable (update_paths), p95", "≤ 100 ms"),
        ("note_update_paths", "annotation added → searchable (update_paths), p95", "≤ 100 ms"),
        ("edit_update", "article edited → searchable (full update()), p95", ""),
    ):
        if key in u:
            rows.append((label, _fmt(u[key]["p95_ms"], "ms"), ref, target))
    starts = _get(results, "gui", "cold_start") or []
    if starts:
        painted = sorted(s["painted_s"] for s in starts)[len(starts) // 2]
        searched = sorted(s["searched_s"] for s in starts)[len(starts) // 2]
        rows.append(("cold start → list painted (median of 5)", _fmt(painted, "s"), "–", "≤ 1.0 s"))
        rows.append(("cold start → first search answered (median of 5)", _fmt(searched, "s"), "–", "≤ 1.5 s"))
    k = results.get("korean")
    if k:
        for what in ("recall", "precision"):
            rows.append(
                (
                    f"Korean nouns ({k['whoosh']['queries']}): {what} (FTS5: as prefixes)",
                    f"{k['whoosh'][what]:.3f}",
                    f"{k['fts5_prefix'][what]:.3f}",
                    "≥ 0.95",
                )
            )
    return rows


# ------------------------------------------------------------------------------------------ sections


def _table(header: list[str], rows: list[Any]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def timeline_lines(results: dict[str, Any]) -> list[str]:
    g = results.get("gui") or {}
    fo = g.get("first_open")
    if not fo:
        return []
    lines = [
        "",
        f"First open of a fresh {g['articles']:,}-article library in the window (no index, no scan cache; "
        "seconds since the process was launched; the query `python` typed as soon as the window is up):",
        "",
    ]
    rows = [
        ("window shown", _fmt(fo.get("window_shown_s"), "s")),
        ("list shown (rows painted)", _fmt(fo.get("list_painted_s") or fo.get("list_shown_s"), "s")),
        (
            "first answer (any hits)",
            _fmt(fo.get("first_answer_s"), "s") + _hits(fo, "first_answer"),
        ),
        (
            "first search answered with hits",
            _fmt(fo.get("first_hit_s"), "s") + _hits(fo, "first_hit"),
        ),
        ("hits listed in the window", _fmt(fo.get("first_shown_s"), "s")),
        (
            "search complete (index holds every article)",
            _fmt(fo.get("complete_s"), "s") + _hits(fo, "complete"),
        ),
        (
            "longest GUI stall (after the first second)",
            _fmt(fo.get("max_stall_ms"), "ms")
            + (
                f"; ten longest {fo['top_stalls_ms']} ms; {fo.get('stalls_over_50ms')} over 50 ms"
                if fo.get("top_stalls_ms")
                else ""
            ),
        ),
        ("peak memory, process tree", _fmt(fo.get("peak_rss_mb"), "MB")),
    ]
    lines += _table(["event", "at"], rows)
    if fo.get("timed_out"):
        lines += ["", "**The first open did not complete within the time limit.**"]
    return lines


def _hits(fo: dict[str, Any], event: str) -> str:
    total, coverage = fo.get(f"{event}_total"), fo.get(f"{event}_coverage")
    said = [f"{total} hits"] if total is not None else []
    said += [coverage] if coverage else []
    return f" ({', '.join(said)})" if said else ""


def format_lines(results: dict[str, Any]) -> list[str]:
    """The per-format cost of ``load_article`` (``bench_articles.py``), or why it is missing."""
    a = results.get("articles")
    if a is None:
        return []
    lines = ["", "Per-format cost of `load_article` (`bench_articles.py`):", ""]
    if "missing" in a:
        return [*lines, f"not measured: {a['missing']}."]
    formats = {k: v for k, v in a.items() if isinstance(v, dict)}
    if formats:
        keys = sorted({key for v in formats.values() for key in v})
        cells = [[name] + [_cell(v.get(key)) for key in keys] for name, v in formats.items()]
        return lines + _table(["format", *keys], cells)
    return [*lines, "```json", json.dumps(a, indent=1, ensure_ascii=False), "```"]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return _num(value)
    return "–" if value is None else str(value)


def markdown(results: dict[str, Any]) -> str:
    sizes = results.get("sizes", [])
    lines = [
        f"Measured {results.get('date', '')} at commit `{results.get('commit', '')}` on "
        f"{results.get('machine', '')}.",
    ]
    for size in sizes:
        if not any(key in size for key in ("canonical", "whoosh_build", "queries")):
            continue  # only the window was measured at this size
        lines += [
            "",
            f"**{size['articles']:,} articles** ({size['copies']} "
            f"cop{'y' if size['copies'] == 1 else 'ies'} of the corpus, {size['mb']:.0f} MB):",
            "",
        ]
        lines += _table(
            ["", "reader (Whoosh)", "SQLite FTS5 (Zotero, calibre)", "tantivy (Rust, the ceiling)"],
            size_table(size),
        )
    q = next((s["queries"] for s in reversed(sizes) if s.get("queries")), None)
    if q:
        skipped = q.get("tantivy_skipped") or []
        lines += [
            "",
            f"Queries: {q.get('n_queries', '–')} (words, phrases, boolean, prefix, Korean), "
            + (
                "each timed the first time it is asked (lists, then snippets on freshly opened engines)"
                if q.get("timing") == "first ask"
                else "each the median of 5 runs"
            )
            + "; p50/p95 over the queries. FTS5 (`porter unicode61`) is given our canonical "
            "text (the file text as read in brackets). tantivy (`en_stem`) gets the same queries in its "
            f"syntax: {q.get('tantivy_prefix_queries', 0)} prefix queries asked as regular expressions "
            f"over its terms (no snippet highlights), {len(skipped)} it cannot express"
            + (f" ({', '.join(f'`{s}`' for s in skipped)})" if skipped else "")
            + ".",
        ]
    runs = [
        f"{s['articles']:,} articles: ours {s['whoosh_build']['runs_s']} s, "
        f"FTS5 (file text) {s['fts5_build_raw']['runs_s']} s"
        for s in sizes
        if len(_get(s, "whoosh_build", "runs_s") or []) > 1 and _get(s, "fts5_build_raw", "runs_s")
    ]
    if runs:
        lines += ["", "Builds run alternately, the median reported: " + "; ".join(runs) + "."]
    at = closest_to_10k(results)
    if at:
        gui = _get(results, "gui", "articles")
        where = f"; the first open at {gui:,}" if gui and gui != at["articles"] else ""
        lines += ["", f"Targets (at {at['articles']:,} articles{where}):", ""]
        lines += _table(["target", "measured", "met"], target_rows(results))
    lines += timeline_lines(results)
    other = other_rows(results)
    if other:
        lines += ["", "Other measures (same size):", ""]
        lines += _table(["measure", "reader", "FTS5", "target"], other)
    lines += format_lines(results)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------- README

README_INTRO = """\
What a user feels, measured by `tests/benchmarks/` against SQLite FTS5 (`tokenize='porter unicode61'`, as
in Zotero and calibre) and tantivy (the Rust engine, through its Python binding: the ceiling), building and
querying the same articles in the same run. Libraries are 1, 8 and 30 copies of the shared corpus (PEPs and
Korean Wikinews); pages of 50 results as in the window. FTS5 and tantivy are given the canonical text our
`load_article` makes (its cost is the first row); FTS5 is also built from the files' text as read, the
reference of the first-open target.
"""

README_RUN = """\
```sh
.venv/bin/pip install -e ".[test,bench]"
.venv/bin/python tests/benchmarks/run.py --corpus ../shared/corpus --sizes 1,8,30 --readme
# about an hour on 2 cores; a subset: --measures canonical,build,queries,update,articles,korean,gui;
# --resume skips what a run at this commit already did
```
"""


def readme_section(results: dict[str, Any]) -> str:
    """The Performance section's text between the markers."""
    parts = [README_INTRO, markdown(results)]
    if (HERE / "results" / "chart.png").exists():
        parts.append(
            "![Build time and query latency against library size](tests/benchmarks/results/chart.png)\n"
        )
    if NOTES.exists():
        parts.append(NOTES.read_text(encoding="utf-8").strip() + "\n")
    parts.append(README_RUN)
    return "\n".join(parts)


def replace_section(text: str, section: str) -> str:
    """``text`` with what stands between the bench markers replaced by ``section`` (the rest untouched)."""
    pattern = re.compile(re.escape(README_START) + r"\n.*?" + re.escape(README_END), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"README must hold {README_START} … {README_END} exactly once")
    return pattern.sub(lambda _m: f"{README_START}\n{section.rstrip()}\n{README_END}", text)


def write_readme(results: dict[str, Any], readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    readme.write_text(replace_section(text, readme_section(results)), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- chart


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s for s in results.get("sizes", []) if s.get("whoosh_build")]
    if not sizes:
        return
    n = [s["articles"] for s in sizes]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=80)
    for key, style, label in (
        ("whoosh_build", "o-", "reader (Whoosh)"),
        ("fts5_build_canonical", "^:", "FTS5 (canonical text)"),
        ("fts5_build_raw", "s--", "FTS5 (file text)"),
        ("tantivy_build", "d-.", "tantivy (canonical text)"),
    ):
        values = [_get(s, key, "seconds") for s in sizes]
        if all(v is not None for v in values):
            ax1.plot(n, values, style, label=label)
    ax1.set(title="Full index build, including reading", xlabel="articles", ylabel="seconds")
    ax1.legend()
    for key, style, label in (
        ("whoosh_list", "o-", "reader: list"),
        ("whoosh_snippets", "o--", "reader: page + snippets"),
        ("fts5c_list", "s-", "FTS5: list"),
        ("fts5c_snippets", "s--", "FTS5: page + snippets"),
        ("tantivy_list", "d-", "tantivy: list"),
        ("tantivy_snippets", "d--", "tantivy: page + snippets"),
    ):
        values = [_get(s, "queries", key, "p95_ms") for s in sizes]
        if all(v is not None for v in values):
            ax2.plot(n, values, style, label=label)
    ax2.set(title="Query latency, p95", xlabel="articles", ylabel="ms")
    ax2.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(results: dict[str, Any], out: Path) -> None:
    (out / "latest.json").write_text(
        json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "latest.md").write_text(markdown(results), encoding="utf-8")
    chart(results, out / "chart.png")


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if a != "--readme"]
    folder = Path(args[0]) if args else HERE / "results"
    data = json.loads((folder / "latest.json").read_text(encoding="utf-8"))
    write_report(data, folder)
    if "--readme" in sys.argv[1:]:
        write_readme(data, HERE.parents[1] / "README.md")
