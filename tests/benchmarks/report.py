"""Write the results of ``run.py``: ``latest.json``, ``latest.md`` (Markdown tables) and ``chart.png``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3f}"


def _ratio(ours: float | None, ref: float | None) -> str:
    if ours is None or not ref:
        return "–"
    return f"{ours / ref:.1f}x"


def target_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(measure, ours, FTS5, ratio, target, met) at the size closest to 10k articles."""
    sizes = results.get("sizes", [])
    at = min(sizes, key=lambda s: abs(s["articles"] - 10_000)) if sizes else {}
    rows: list[tuple[str, str, str, str, str, str]] = []

    def row(
        name: str, ours: float | None, ref: float | None, unit: str, target: str, ok: bool | None
    ) -> None:
        met = "–" if ok is None else ("yes" if ok else "**no**")
        rows.append((name, _fmt(ours, unit), _fmt(ref, unit), _ratio(ours, ref), target, met))

    build = _get(at, "whoosh_build", "seconds")
    raw = _get(at, "fts5_build_raw", "seconds")
    canon = _get(at, "fts5_build_canonical", "seconds")
    if build is not None:
        row(
            "full build (FTS5: file text as read)",
            build,
            raw,
            "s",
            "<= 10x FTS5",
            raw is not None and build <= 10 * raw,
        )
        row("full build (FTS5: same canonical text)", build, canon, "s", "", None)
        row("build peak memory (process tree)", _get(at, "whoosh_build", "peak_rss_mb"),
            _get(at, "fts5_build_raw", "peak_rss_mb"), "MB", "", None)  # fmt: skip
    q = _get(at, "queries")
    if q:
        sn, sn_ref = _get(q, "whoosh_snippets", "p95_ms"), _get(q, "fts5_snippets", "p95_ms")
        row(f"first page ({50}) with snippets, p95", sn, sn_ref, "ms", "<= 1.2x FTS5", sn <= 1.2 * sn_ref)
        p50, p50_ref = _get(q, "whoosh_snippets", "p50_ms"), _get(q, "fts5_snippets", "p50_ms")
        row("first page with snippets, p50", p50, p50_ref, "ms", "", None)
        lst = _get(q, "whoosh_list", "p95_ms")
        row(
            "result list without snippets, p95",
            lst,
            _get(q, "fts5_list", "p95_ms"),
            "ms",
            "<= 10 ms",
            lst <= 10,
        )
        p50, p50_ref = _get(q, "whoosh_list", "p50_ms"), _get(q, "fts5_list", "p50_ms")
        row("result list without snippets, p50", p50, p50_ref, "ms", "", None)
    u = _get(at, "update")
    if u:
        ref = _get(u, "edit_fts5", "p95_ms")
        for key, label in (
            ("edit_update_paths", "article edited → searchable (update_paths), p95"),
            ("note_update_paths", "annotation added → searchable (update_paths), p95"),
            ("edit_update", "article edited → searchable (full update()), p95"),
            ("note_update", "annotation added → searchable (full update()), p95"),
        ):
            value = _get(u, key, "p95_ms")
            target = "<= 100 ms" if "update_paths" in key else ""
            row(label, value, ref, "ms", target, (value <= 100) if target and value is not None else None)
    g = results.get("gui")
    if g:
        starts = g.get("cold_start") or []
        if starts:
            painted = sorted(s["painted_s"] for s in starts)[len(starts) // 2]
            searched = sorted(s["searched_s"] for s in starts)[len(starts) // 2]
            row(
                "cold start → window painted with the list (median)",
                painted,
                None,
                "s",
                "<= 1.0 s",
                painted <= 1.0,
            )
            row(
                "cold start → first search answered (median)",
                searched,
                None,
                "s",
                "<= 1.5 s",
                searched <= 1.5,
            )
        fo = g.get("first_open") or {}
        if fo:
            stall = fo.get("max_stall_ms")
            row("longest GUI stall while reading + indexing", stall, None, "ms", "<= 50 ms", stall <= 50)
            rss = fo.get("rss_mb")
            row("GUI memory (RSS), library open, after a search", rss, None, "MB", "<= 400 MB", rss <= 400)
    k = results.get("korean")
    if k:
        rec, prec = _get(k, "whoosh", "recall"), _get(k, "whoosh", "precision")
        ref_rec, ref_prec = _get(k, "fts5_prefix", "recall"), _get(k, "fts5_prefix", "precision")
        met = "yes" if rec >= 0.95 else "**no**"
        rows.append(("Korean nouns (40): recall", f"{rec:.3f}", f"{ref_rec:.3f}", "–", ">= 0.95", met))
        met = "yes" if prec >= 0.95 else "**no**"
        rows.append(("Korean nouns (40): precision", f"{prec:.3f}", f"{ref_prec:.3f}", "–", ">= 0.95", met))
    return rows


def size_rows(results: dict[str, Any]) -> list[list[str]]:
    out = []
    for s in results.get("sizes", []):
        build = _get(s, "whoosh_build", "seconds")
        raw = _get(s, "fts5_build_raw", "seconds")
        q = s.get("queries") or {}
        out.append([
            f"{s['articles']:,}",
            f"{s['mb']:.0f}",
            f"{_fmt(build, 's')} ({_ratio(build, raw)})" if build else "–",
            f"{s['articles'] / build:.0f}/s, {s['mb'] / build:.1f} MB/s" if build else "–",
            _fmt(_get(s, "whoosh_build", "peak_rss_mb"), "MB"),
            _with_ratio(q, "list"),
            _with_ratio(q, "snippets"),
            _fmt(_get(s, "update", "edit_update_paths", "p95_ms"), "ms"),
            _fmt(_get(s, "update", "note_update_paths", "p95_ms"), "ms"),
        ])  # fmt: skip
    return out


def _with_ratio(q: dict[str, Any], kind: str) -> str:
    ours, ref = _get(q, f"whoosh_{kind}", "p95_ms"), _get(q, f"fts5_{kind}", "p95_ms")
    return f"{_fmt(ours, 'ms')} ({_ratio(ours, ref)})"


def markdown(results: dict[str, Any]) -> str:
    n_queries = max((_get(s, "queries", "n_queries") or 0 for s in results.get("sizes", [])), default=0)
    lines = [
        f"Measured {results.get('date', '')} at commit `{results.get('commit', '')}` on "
        f"{results.get('machine', '')}.",
        "",
        "At the size closest to 10,000 articles (ratios: ours / SQLite FTS5 `porter unicode61`, same run):",
        "",
        "| measure | reader (Whoosh) | FTS5 | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in target_rows(results)]
    lines += [
        "",
        "By library size (copies of the corpus; ratios to FTS5 in brackets; queries: "
        f"{n_queries} queries, page of 50):",
        "",
        "| articles | MB | full build | build rate | build peak RSS | list p95 | snippets p95 "
        "| edit → found p95 | note → found p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in size_rows(results)]
    build_runs = [
        f"{s['articles']:,} articles: Whoosh {s['whoosh_build']['runs_s']} s, "
        f"FTS5 {s['fts5_build_raw']['runs_s']} s"
        for s in results.get("sizes", [])
        if len(_get(s, "whoosh_build", "runs_s") or []) > 1 and _get(s, "fts5_build_raw", "runs_s")
    ]
    if build_runs:
        lines += ["", "Full builds run alternately, the median reported: " + "; ".join(build_runs) + "."]
    fo = _get(results, "gui", "first_open")
    if fo:
        lines += [
            "",
            f"Window on a fresh {_get(results, 'gui', 'articles'):,}-article library: list shown after "
            f"{fo['listed_s']:.1f} s, index ready after {fo['index_ready_s']:.1f} s; ten longest stalls "
            f"{fo['top_stalls_ms']} ms; {fo['stalls_over_50ms']} stalls over 50 ms.",
        ]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s for s in results.get("sizes", []) if s.get("whoosh_build")]
    if not sizes:
        return
    n = [s["articles"] for s in sizes]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=80)
    ax1.plot(n, [s["whoosh_build"]["seconds"] for s in sizes], "o-", label="reader (Whoosh)")
    ax1.plot(n, [s["fts5_build_raw"]["seconds"] for s in sizes], "s--", label="FTS5 (file text)")
    if all(s.get("fts5_build_canonical") for s in sizes):
        ax1.plot(
            n, [s["fts5_build_canonical"]["seconds"] for s in sizes], "^:", label="FTS5 (canonical text)"
        )
    ax1.set(title="Full index build", xlabel="articles", ylabel="seconds")
    ax1.legend()
    for key, style, label in (
        ("whoosh_list", "o-", "reader: list"),
        ("whoosh_snippets", "o--", "reader: page + snippets"),
        ("fts5_list", "s-", "FTS5: list"),
        ("fts5_snippets", "s--", "FTS5: page + snippets"),
    ):
        values = [_get(s, "queries", key, "p95_ms") for s in sizes]
        if all(v is not None for v in values):
            ax2.plot(n, values, style, label=label)
    ax2.set(title="Query latency, p95", xlabel="articles", ylabel="ms")
    ax2.legend()
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

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"
    data = json.loads((folder / "latest.json").read_text(encoding="utf-8"))
    write_report(data, folder)
