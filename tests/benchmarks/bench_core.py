"""Benchmark children for the core: index build, queries, update-to-searchable, Korean quality.

Each function runs in its own process (started by ``run.py``), prints one JSON object on stdout and exits;
the parent measures wall time and the process tree's peak memory. SQLite FTS5 (``tokenize='porter
unicode61'``) is the reference, built and queried the same way in the same run.

    python tests/benchmarks/bench_core.py build-whoosh LIBRARY INDEX_DIR
    python tests/benchmarks/bench_core.py build-fts5 LIBRARY DB {raw|canonical}
    python tests/benchmarks/bench_core.py queries LIBRARY INDEX_DIR DB
    python tests/benchmarks/bench_core.py queries-first LIBRARY INDEX_DIR DB   # each query asked once
    python tests/benchmarks/bench_core.py update LIBRARY INDEX_DIR DB
    python tests/benchmarks/bench_core.py korean KO_LIBRARY INDEX_DIR

and the engine comparison's children (``canonical``, ``build-tantivy``, ``queries-all``, ``articles``),
described in ``bench_engines.py``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reader.core.articles.loader import load_article  # noqa: E402
from reader.core.library.scan import iter_article_files  # noqa: E402
from reader.core.search import SearchIndex  # noqa: E402

PAGE = 50  # the window's page of results (reader.ui.library.library_session.SEARCH_PAGE)
REPEATS = 5

# (ours, FTS5's): the same question in both query languages. FTS5's unicode61 keeps a Hangul word with its
# particle as one token, so a Korean noun is asked as a prefix there (its best effort).
QUERIES: list[tuple[str, str, str]] = [
    *[
        ("word", w, w)
        for w in [
            "python",
            "generator",
            "decorator",
            "unicode",
            "exception",
            "module",
            "thread",
            "syntax",
            "iterator",
            "namespace",
            "packaging",
            "interpreter",
            "garbage",
            "bytecode",
            "dictionary",
            "keyword",
            "annotation",
            "coroutine",
            "deprecation",
            "grammar",
        ]
    ],
    *[
        ("phrase", f'"{p}"', f'"{p}"')
        for p in (
            "type hints",
            "standard library",
            "backwards compatibility",
            "global interpreter lock",
            "reference implementation",
            "keyword arguments",
            "abstract base class",
            "pattern matching",
        )
    ],
    ("boolean", "import -module", "import NOT module"),
    ("boolean", "async OR await", "async OR await"),
    ("boolean", "(generator OR iterator) protocol", "(generator OR iterator) AND protocol"),
    ("boolean", "unicode string -bytes", "unicode string NOT bytes"),
    ("boolean", "thread lock", "thread lock"),
    ("boolean", "class OR function decorator", "(class OR function) AND decorator"),
    ("prefix", "decor*", "decor*"),
    ("prefix", "generat*", "generat*"),
    ("prefix", "unic*", "unic*"),
    ("prefix", "interp*", "interp*"),
    ("prefix", "asyn*", "asyn*"),
    ("prefix", "deprec*", "deprec*"),
    *[
        ("korean", k, f"{k}*")
        for k in [
            "대통령",
            "한국",
            "정부",
            "서울",
            "미국",
            "일본",
            "중국",
            "경제",
            "선거",
            "북한",
            "대학교",
            "경찰",
            "위키뉴스",
            "국회",
            "시장",
            "회의",
        ]
    ],
]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(values) * 1000,
        "p95_ms": _percentile(values, 0.95) * 1000,
        "max_ms": max(values) * 1000,
        "n": len(values),
    }


def _emit(data: dict[str, object]) -> None:
    print(json.dumps(data), flush=True)


# ------------------------------------------------------------------------------------------------- build


def build_whoosh(library: Path, index_dir: Path) -> None:
    started = time.perf_counter()
    with SearchIndex(index_dir, library, lock_timeout=60) as index:
        report = index.update()
        seconds = time.perf_counter() - started
        count = index.doc_count()
    _emit({"seconds": seconds, "docs": count, "added": len(report.added), "skipped": len(report.skipped)})


def merge_whoosh(library: Path, index_dir: Path) -> None:
    """What the window does once it has been idle for 8 s after a build: its segments merged into a few (in a
    worker process). The queries are measured on the merged index."""
    with SearchIndex(index_dir, library, lock_timeout=60) as index:
        before = index.segment_count()
        started = time.perf_counter()
        index.merge_when_idle()
        seconds = time.perf_counter() - started
        _emit({"seconds": seconds, "segments_before": before, "segments_after": index.segment_count()})


FTS5_SCHEMA = (
    "CREATE VIRTUAL TABLE docs USING fts5(relpath UNINDEXED, title, body, tokenize='porter unicode61')"
)


def build_fts5(library: Path, db: Path, mode: str) -> None:
    """``raw``: the file's text as read (what a minimal FTS5 app does); ``canonical``: load_article's text."""
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute(FTS5_SCHEMA)
    count = 0
    insert_s = 0.0
    for path in iter_article_files(library):
        rel = path.relative_to(library).as_posix()
        if mode == "raw":
            text = path.read_bytes().decode("utf-8", "replace")
            title = text.lstrip().split("\n", 1)[0][:200]
        else:
            article = load_article(path, library)
            text, title = article.text, article.meta.title
        t0 = time.perf_counter()
        con.execute("INSERT INTO docs(relpath, title, body) VALUES (?, ?, ?)", (rel, title, text))
        insert_s += time.perf_counter() - t0
        count += 1
    t0 = time.perf_counter()
    con.commit()
    con.close()
    insert_s += time.perf_counter() - t0
    _emit({"seconds": time.perf_counter() - started, "docs": count, "insert_seconds": insert_s})


def parse_only(library: Path) -> None:
    """load_article over every file, serially: the parsing share of a build."""
    started = time.perf_counter()
    count = sum(1 for p in iter_article_files(library) if load_article(p, library))
    _emit({"seconds": time.perf_counter() - started, "docs": count})


# ------------------------------------------------------------------------------------------------ queries


def _fts5_search(con: sqlite3.Connection, query: str, snippets: bool) -> int:
    total = con.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (query,)).fetchone()[0]
    if snippets:
        sql = (
            "SELECT relpath, title, snippet(docs, 2, '\x01', '\x02', '…', 40) FROM docs "
            "WHERE docs MATCH ? ORDER BY rank LIMIT ?"
        )
    else:
        sql = "SELECT relpath, title FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?"
    con.execute(sql, (query, PAGE)).fetchall()
    return int(total)


def queries(library: Path, index_dir: Path, db: Path) -> None:
    out: dict[str, object] = {}
    index = SearchIndex(index_dir, library)
    con = sqlite3.connect(db)
    # Warm up both (open files, caches): a user's first query after start is measured in cold start.
    index.search("python", limit=PAGE)
    _fts5_search(con, "python", True)
    per_kind: dict[str, dict[str, list[float]]] = {}
    totals = []
    for kind, ours, theirs in QUERIES:
        for label, snippets in (("list", False), ("snippets", True)):
            for engine in ("whoosh", "fts5"):
                times = []
                for _ in range(REPEATS):
                    t0 = time.perf_counter()
                    if engine == "whoosh":
                        total = index.search(ours, limit=PAGE, snippets=snippets).total
                    else:
                        total = _fts5_search(con, theirs, snippets)
                    times.append(time.perf_counter() - t0)
                best = statistics.median(times)
                for key in (f"{engine}_{label}", f"{engine}_{label}_{kind}"):
                    per_kind.setdefault(key, {}).setdefault("t", []).append(best)
                if label == "list":
                    totals.append((ours, engine, total))
    for key, data in per_kind.items():
        out[key] = _stats(data["t"])
    out["totals"] = totals
    out["n_queries"] = len(QUERIES)
    index.close()
    con.close()
    _emit(out)


def queries_first(library: Path, index_dir: Path, db: Path) -> None:
    """Each query asked once, the first time (no repeat can profit from a cache): the result list (a page,
    no snippets) in one pass, the snippet page in a second pass on a fresh index object; ours and FTS5's
    alternately. Per query times too (``per_query``: kind, query, ours ms, FTS5 ms, for the list)."""
    out: dict[str, object] = {}
    con = sqlite3.connect(db)
    for label, snippets in (("list", False), ("snippets", True)):
        index = SearchIndex(index_dir, library)
        index.search("python", limit=PAGE, snippets=snippets)  # opening the index, not a query's work
        _fts5_search(con, "python", snippets)
        times: dict[str, list[float]] = {"whoosh": [], "fts5": []}
        rows = []
        for kind, ours, theirs in QUERIES:
            t0 = time.perf_counter()
            index.search(ours, limit=PAGE, snippets=snippets)
            t1 = time.perf_counter()
            _fts5_search(con, theirs, snippets)
            t2 = time.perf_counter()
            times["whoosh"].append(t1 - t0)
            times["fts5"].append(t2 - t1)
            rows.append((kind, ours, round((t1 - t0) * 1000, 2), round((t2 - t1) * 1000, 2)))
        index.close()
        for engine, values in times.items():
            out[f"{engine}_{label}_first"] = _stats(values)
        if label == "list":
            out["per_query"] = rows
    con.close()
    _emit(out)


# ------------------------------------------------------------------------------------------------ updates


def update(library: Path, index_dir: Path, db: Path, rounds: int = 12) -> None:
    from reader.core.notes.store import open_notes

    files = list(iter_article_files(library))
    # Articles of different sizes, spread over the library.
    targets = [files[(i * 7919) % len(files)] for i in range(rounds)]
    con = sqlite3.connect(db)
    results: dict[str, list[float]] = {}
    with SearchIndex(index_dir, library, lock_timeout=60) as index:
        index.search("python", snippets=False)

        def searchable(query: str) -> None:
            for _ in range(100):
                if index.search(query, snippets=False).total >= 1:
                    return
            raise RuntimeError(f"{query} never became searchable")

        for method in ("update_paths", "update"):
            for i, path in enumerate(targets):
                rel = path.relative_to(library).as_posix()
                original = path.read_bytes()
                token = f"zqxedit{method.replace('_', '')}{i}"
                try:
                    # 1. an article edited
                    t0 = time.perf_counter()
                    path.write_bytes(original + f"\n\nAn added paragraph with {token}.\n".encode())
                    index.update_paths([rel]) if method == "update_paths" else index.update()
                    searchable(token)
                    results.setdefault(f"edit_{method}", []).append(time.perf_counter() - t0)
                    # 2. an annotation added (the sidecar written by the notes store)
                    note = f"zqxnote{method.replace('_', '')}{i}"
                    article = load_article(path, library)
                    t0 = time.perf_counter()
                    store = open_notes(article)
                    end = min(len(article.text), 20)
                    store.add(0, end, note=f"bench {note}")
                    store.save()
                    index.update_paths([rel]) if method == "update_paths" else index.update()
                    searchable(f"note:{note}")
                    results.setdefault(f"note_{method}", []).append(time.perf_counter() - t0)
                finally:
                    path.write_bytes(original)
                    for side in (
                        path.with_name(path.name + ".notes.json"),
                        path.with_name(path.name + ".notes.json.bak"),
                    ):
                        side.unlink(missing_ok=True)
                    index.update_paths([rel])
        # FTS5: the same edit, as an UPDATE of the row and a commit, until a MATCH finds it.
        for i, path in enumerate(targets):
            rel = path.relative_to(library).as_posix()
            text = path.read_bytes().decode("utf-8", "replace")
            token = f"zqxfts{i}"
            t0 = time.perf_counter()
            con.execute("UPDATE docs SET body = ? WHERE relpath = ?", (text + f"\n\n{token}\n", rel))
            con.commit()
            assert _fts5_search(con, token, False) >= 1
            results.setdefault("edit_fts5", []).append(time.perf_counter() - t0)
            con.execute("UPDATE docs SET body = ? WHERE relpath = ?", (text, rel))
            con.commit()
    con.close()
    _emit({key: _stats(values) for key, values in results.items()})


# ------------------------------------------------------------------------------------------------- Korean


def korean(ko_library: Path, index_dir: Path, n_queries: int = 40) -> None:
    """Recall and precision of the 40 commonest title nouns (the approach of tests/unit/test_korean.py)."""
    hangul_run = re.compile(r"[\uac00-\ud7a3]+")
    corpus = {
        p.relative_to(ko_library).as_posix(): load_article(p, ko_library).text
        for p in iter_article_files(ko_library)
    }
    counts: Counter[str] = Counter()
    for text in corpus.values():
        title = text.strip().split("\n", 1)[0]
        counts.update({run[:n] for run in hangul_run.findall(title) for n in range(2, min(4, len(run)) + 1)})
    nouns = [noun for noun, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n_queries]]
    out: dict[str, object] = {}
    with SearchIndex(index_dir, ko_library) as index:
        index.update()
        con = sqlite3.connect(":memory:")
        con.execute(FTS5_SCHEMA)
        con.executemany("INSERT INTO docs(relpath, title, body) VALUES (?, '', ?)", corpus.items())
        for engine in ("whoosh", "fts5", "fts5_prefix"):
            rel_total = ret_total = hit_total = 0
            for noun in nouns:
                relevant = {rel for rel, text in corpus.items() if noun in text}
                if engine == "whoosh":
                    retrieved = {
                        h.relpath for h in index.search(noun, limit=len(corpus), snippets=False).hits
                    }
                else:
                    q = f'"{noun}"' + ("*" if engine == "fts5_prefix" else "")
                    retrieved = {
                        r for (r,) in con.execute("SELECT relpath FROM docs WHERE docs MATCH ?", (q,))
                    }
                rel_total += len(relevant)
                ret_total += len(retrieved)
                hit_total += len(relevant & retrieved)
            out[engine] = {
                "recall": hit_total / max(rel_total, 1),
                "precision": hit_total / max(ret_total, 1),
                "queries": len(nouns),
            }
    _emit(out)


# -------------------------------------------------------------------------- engines (bench_engines.py)

ENGINE_COMMANDS = ("canonical", "build-tantivy", "queries-all", "articles")


def engine_command(command: str, args: list[str]) -> None:
    """The engine comparison's children: canonical text, tantivy, the four engines' queries, formats."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_engines as engines

    if command == "canonical":
        _emit(engines.canonical(Path(args[0]), Path(args[1])))
    elif command == "build-tantivy":
        text = Path(args[2]) if len(args) > 2 else None
        _emit(engines.build_tantivy(Path(args[0]), Path(args[1]), text))
    elif command == "queries-all":
        _emit(engines.queries_all(*(Path(a) for a in args[:5])))
    elif command == "articles":
        _emit(engines.articles_by_format(Path(args[0])))


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "merge-whoosh":
        merge_whoosh(Path(argv[1]), Path(argv[2]))
        return
    if command == "build-whoosh":
        build_whoosh(Path(args[0]), Path(args[1]))
    elif command == "build-fts5":
        build_fts5(Path(args[0]), Path(args[1]), args[2])
    elif command == "parse-only":
        parse_only(Path(args[0]))
    elif command == "queries":
        queries(Path(args[0]), Path(args[1]), Path(args[2]))
    elif command == "queries-first":
        queries_first(Path(args[0]), Path(args[1]), Path(args[2]))
    elif command == "update":
        update(Path(args[0]), Path(args[1]), Path(args[2]))
    elif command == "korean":
        korean(Path(args[0]), Path(args[1]))
    elif command in ENGINE_COMMANDS:
        engine_command(command, args)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
