"""Benchmark children for the engine comparison: canonical text, tantivy, and all four engines' queries.

Started by ``run.py`` through ``bench_core.py`` (one child process per measure, JSON on stdout):

    python tests/benchmarks/bench_core.py canonical LIBRARY OUT_JSONL
    python tests/benchmarks/bench_core.py build-tantivy LIBRARY INDEX_DIR [TEXT_JSONL]
    python tests/benchmarks/bench_core.py queries-all LIBRARY INDEX_DIR FTS5_RAW FTS5_CANONICAL TANTIVY_DIR

``canonical`` times ``load_article`` over every article in one process (the text every engine is given)
and writes it to a JSON-lines file. ``build-tantivy`` builds a tantivy index (the Rust engine, through its
Python binding: the ceiling) from the articles, reading them with ``load_article`` ("including reading the
articles"), or from that file ("engine alone"). ``queries-all`` asks the benchmark queries of
``bench_core.QUERIES`` of ours, FTS5 over the file text as read, FTS5 over our canonical text, and tantivy,
interleaved, a page of 50 without and with snippets.

The queries are written for FTS5; :func:`tantivy_query` translates them to tantivy's query language (its
parser ORs words by default, so an implicit or explicit AND becomes ``+``, NOT becomes ``-``). A prefix
``w*`` has no form in tantivy's parser: it is asked as a regular expression over the indexed (stemmed)
terms, and its snippets get no highlights. Queries it cannot express are skipped and counted.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

#: tantivy's writer: memory budget (split among its threads) and threads (the machine's two cores).
TANTIVY_HEAP = 128_000_000
TANTIVY_THREADS = 2
#: Characters of a tantivy snippet: about FTS5's 40 tokens.
TANTIVY_SNIPPET_CHARS = 240

_TOKEN = re.compile(r'\s*("[^"]*"\*?|\(|\)|[^\s()"]+)')
_WORD = re.compile(r"\w+", re.UNICODE)


# ------------------------------------------------------------------------------------ query translation


def _tokens(query: str) -> list[str]:
    out = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:
            raise ValueError(f"cannot read {query[pos:]!r}")
        out.append(match.group(1))
        pos = match.end()
    return out


def _group(tokens: list[str]) -> list[str | list[Any]]:
    """Parenthesised runs of ``tokens`` as nested lists."""
    stack: list[list[Any]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise ValueError("unbalanced )")
            inner = stack.pop()
            stack[-1].append(inner)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise ValueError("unbalanced (")
    return stack[0]


def _operand(item: str | list[Any]) -> str | None:
    if isinstance(item, list):
        inner = _expression(item)
        return None if inner is None else f"({inner})"
    if item.endswith("*"):  # a prefix inside an expression: tantivy's parser has no form for it
        return None
    if item.startswith('"') or _WORD.fullmatch(item):
        return item
    return None


def _expression(items: list[str | list[Any]]) -> str | None:
    """tantivy syntax for one FTS5 expression (no prefixes): ORs kept, ANDs and juxtaposition as ``+``,
    NOT as ``-``. A mix of OR with AND/NOT at one level (FTS5's precedence) is not translated."""
    if not items:
        return None
    operators = {item for item in items if isinstance(item, str) and item in ("AND", "OR", "NOT")}
    if "OR" in operators:
        if operators != {"OR"} or len(items) % 2 == 0:
            return None
        operands = [_operand(item) for item in items[0::2]]
        if any(o is None for o in operands) or any(op != "OR" for op in items[1::2]):
            return None
        return " OR ".join(o for o in operands if o is not None)
    parts = []
    sign = "+"
    for item in items:
        if item == "AND":
            sign = "+"
            continue
        if item == "NOT":
            sign = "-"
            continue
        operand = _operand(item)
        if operand is None:
            return None
        parts.append(sign + operand)
        sign = "+"
    if len(parts) == 1 and parts[0].startswith("+"):
        return parts[0][1:]
    if not any(p.startswith("+") for p in parts):  # only exclusions: nothing to match
        return None
    return " ".join(parts)


def tantivy_query(fts5: str) -> tuple[str, str] | None:
    """The FTS5 query ``fts5`` for tantivy: ``("parse", text)`` for its query parser, ``("prefix", stem)``
    for a single prefix (asked as a regular expression over terms), or ``None`` when it cannot be said."""
    try:
        tokens = _tokens(fts5)
        if len(tokens) == 1 and tokens[0].endswith("*") and not tokens[0].startswith('"'):
            stem = tokens[0][:-1]
            return ("prefix", stem.lower()) if _WORD.fullmatch(stem) else None
        text = _expression(_group(tokens))
    except ValueError:
        return None
    return None if text is None else ("parse", text)


# ------------------------------------------------------------------------------------------- canonical


def canonical(library: Path, out: Path) -> dict[str, Any]:
    """``load_article`` over every article in one process; the text goes to ``out`` (JSON lines), written
    outside the timed part."""
    from reader.core.articles.loader import load_article
    from reader.core.library.scan import iter_article_files

    started = time.perf_counter()
    files = list(iter_article_files(library))
    walk_s = time.perf_counter() - started
    load_s = 0.0
    chars = 0
    tmp = out.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as sink:
        for path in files:
            t0 = time.perf_counter()
            article = load_article(path, library)
            load_s += time.perf_counter() - t0
            chars += len(article.text)
            rel = path.relative_to(library).as_posix()
            sink.write(json.dumps([rel, article.meta.title, article.text], ensure_ascii=False) + "\n")
    tmp.replace(out)
    return {
        "seconds": walk_s + load_s,
        "walk_seconds": walk_s,
        "load_seconds": load_s,
        "docs": len(files),
        "ms_per_article": 1000 * load_s / max(len(files), 1),
        "chars": chars,
    }


def read_canonical(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    with path.open(encoding="utf-8") as source:
        for line in source:
            rel, title, text = json.loads(line)
            rows.append((rel, title, text))
    return rows


# --------------------------------------------------------------------------------------------- tantivy


def tantivy_schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("relpath", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem", index_option="position")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem", index_option="position")
    return builder.build()


def build_tantivy(library: Path, index_dir: Path, text_file: Path | None) -> dict[str, Any]:
    """A tantivy index of the canonical text: read with ``load_article`` here, or given (``text_file``)."""
    import shutil

    import tantivy

    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    index = tantivy.Index(tantivy_schema(), path=str(index_dir))
    writer = index.writer(heap_size=TANTIVY_HEAP, num_threads=TANTIVY_THREADS)
    engine_s = 0.0
    read_s = 0.0
    count = 0
    if text_file is not None:
        t0 = time.perf_counter()
        rows = read_canonical(text_file)
        read_s = time.perf_counter() - t0
        source: Any = iter(rows)
    else:
        from reader.core.articles.loader import load_article
        from reader.core.library.scan import iter_article_files

        def loaded() -> Any:
            for path in iter_article_files(library):
                article = load_article(path, library)
                yield path.relative_to(library).as_posix(), article.meta.title, article.text

        source = loaded()
    while True:
        t0 = time.perf_counter()
        row = next(source, None)
        t1 = time.perf_counter()
        if text_file is None:
            read_s += t1 - t0
        if row is None:
            break
        rel, title, text = row
        writer.add_document(tantivy.Document(relpath=rel, title=title, body=text))
        engine_s += time.perf_counter() - t1
        count += 1
    t0 = time.perf_counter()
    writer.commit()
    writer.wait_merging_threads()
    engine_s += time.perf_counter() - t0
    index.reload()
    docs = index.searcher().num_docs
    return {
        "seconds": time.perf_counter() - started,
        "read_seconds": read_s,
        "engine_seconds": engine_s,
        "docs": docs,
        "added": count,
        "from": "text file" if text_file is not None else "articles",
        "threads": TANTIVY_THREADS,
    }


class TantivySearch:
    """The benchmark's page of results from a tantivy index: count, top 50, and optionally snippets."""

    def __init__(self, index_dir: Path, page: int) -> None:
        import tantivy

        self._tantivy = tantivy
        self.schema = tantivy_schema()
        self.index = tantivy.Index.open(str(index_dir))
        self.index.reload()
        self.searcher = self.index.searcher()
        self.page = page

    def query(self, plan: tuple[str, str]) -> Any:
        kind, text = plan
        if kind == "prefix":
            q = self._tantivy.Query
            occur = self._tantivy.Occur.Should
            return q.boolean_query(
                [(occur, q.regex_query(self.schema, field, f"{text}.*")) for field in ("title", "body")]
            )
        return self.index.parse_query(text, ["title", "body"])

    def search(self, plan: tuple[str, str], snippets: bool) -> int:
        query = self.query(plan)
        result = self.searcher.search(query, self.page, count=True)
        generator = None
        if snippets:
            generator = self._tantivy.SnippetGenerator.create(self.searcher, query, self.schema, "body")
            generator.set_max_num_chars(TANTIVY_SNIPPET_CHARS)
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            doc.get_first("relpath")
            doc.get_first("title")
            if generator is not None:
                generator.snippet_from_doc(doc).to_html()
        return int(result.count or 0)


# ------------------------------------------------------------------------------------------- queries


def queries_all(library: Path, index_dir: Path, raw_db: Path, canonical_db: Path, tantivy_dir: Path) -> dict:
    """Every benchmark query on every engine, each timed the first time it is asked (issue 18: a cache may
    help the window, but not what is measured): a pass of result lists, then a pass with snippets on freshly
    opened engines; within a pass the engines take turns query by query, so the machine's noise hits all.
    Then p50/p95 over the queries, per engine."""
    from bench_core import PAGE, QUERIES, _fts5_search, _stats

    from reader.core.search import SearchIndex

    times: dict[str, list[float]] = {}
    totals: list[tuple[str, str, int]] = []
    skipped = [theirs for _kind, _ours, theirs in QUERIES if tantivy_query(theirs) is None]
    names: list[str] = []
    for label, snippets in (("list", False), ("snippets", True)):
        index = SearchIndex(index_dir, library)
        raw = sqlite3.connect(raw_db)
        canon = sqlite3.connect(canonical_db)
        tv = TantivySearch(tantivy_dir, PAGE) if tantivy_dir.is_dir() else None
        engines: dict[str, Any] = {
            "whoosh": lambda ours, _theirs, _plan, snippets, index=index: (
                index.search(ours, limit=PAGE, snippets=snippets).total
            ),
            "fts5": lambda _ours, theirs, _plan, snippets, db=raw: _fts5_search(db, theirs, snippets),
            "fts5c": lambda _ours, theirs, _plan, snippets, db=canon: _fts5_search(db, theirs, snippets),
        }
        if tv is not None:
            engines["tantivy"] = lambda _ours, _theirs, plan, snippets, tv=tv: tv.search(plan, snippets)
        names = list(engines)
        # Open files and the engines' start-up work with one query no benchmark query repeats.
        for run in engines.values():
            run("zeitgeist", "zeitgeist", ("parse", "zeitgeist"), snippets)
        for kind, ours, theirs in QUERIES:
            plan = tantivy_query(theirs)
            for engine, run in engines.items():
                if engine == "tantivy" and plan is None:
                    continue
                t0 = time.perf_counter()
                total = run(ours, theirs, plan, snippets)
                spent = time.perf_counter() - t0
                for key in (f"{engine}_{label}", f"{engine}_{label}_{kind}"):
                    times.setdefault(key, []).append(spent)
                if label == "list":
                    totals.append((ours, engine, int(total)))
        index.close()
        raw.close()
        canon.close()
    out: dict[str, Any] = {key: _stats(values) for key, values in times.items()}
    out["totals"] = totals
    out["n_queries"] = len(QUERIES)
    out["tantivy_skipped"] = skipped
    out["tantivy_prefix_queries"] = sum(
        1 for _k, _o, t in QUERIES if (tantivy_query(t) or ("",))[0] == "prefix"
    )
    out["engines"] = names
    out["timing"] = "first ask"
    return out


def articles_by_format(corpus: Path) -> dict[str, Any]:
    """The per-format cost of ``load_article`` from ``bench_articles.measure`` when that module exists."""
    import importlib

    # Imported by name: the module is another helper's, and may not be there yet.
    try:
        module = importlib.import_module("bench_articles")
    except ImportError as exc:
        return {"missing": f"tests/benchmarks/bench_articles.py is not importable ({exc})"}
    result: dict[str, Any] = module.measure(corpus)
    return result
