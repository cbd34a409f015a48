"""Per-format cost of the article pipeline: :func:`reader.core.articles.loader.load_article` in one process.

Run: ``.venv/bin/python tests/benchmarks/bench_articles.py --corpus ../shared/corpus [--json out.json]``.

Formats measured (each file is read once before timing, so the OS cache is warm and the numbers are the
pipeline's, not the disk's):

- **text**: every file of the corpus (PEPs and Korean Wikinews, ``.txt``);
- **markdown** and **html**: variants of corpus articles written deterministically into a temporary
  folder (:func:`markdown_variant`, :func:`html_variant`): Markdown with front matter, headings and lists;
  HTML with a head (title, meta tags), navigation, a header, the article in paragraphs and lists, an aside
  and a © footer;
- **pdf** and **epub**: the readable documents of ``../shared/documents`` (broken, encrypted and scanned
  ones left out).

Prints a Markdown table (ms per article p50 and mean, MB/s of source bytes, articles/s) and, with ``--json``,
writes the same numbers. :func:`measure` returns them as a dict for ``tests/benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reader.core.articles.loader import load_article  # noqa: E402
from reader.core.errors import ArticleReadError  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_DOCUMENTS = ROOT.parent / "shared" / "documents"
#: How many corpus articles get a Markdown and an HTML variant (every n-th file, so both languages are in).
VARIANTS = 300
#: Documents that are not meant to be read (broken, encrypted, scans without text) stay out of the timing.
_UNREADABLE_DOCUMENT = re.compile(r"^(?:broken-|encrypted-|scan-|w3c-)")

_NAV = ["Home", "News", "World", "Technology", "Opinion", "About us"]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _title_and_body(text: str, fallback: str) -> tuple[str, list[str]]:
    paras = _paragraphs(text)
    if not paras:
        return fallback, []
    first = paras[0].split("\n")[0].strip()
    return (first[:120] or fallback), paras[1:]


def markdown_variant(text: str, name: str, index: int) -> str:
    """A Markdown document made from a plain-text article: front matter on every third, a ``#`` title,
    a ``##`` heading now and then, and some paragraphs as bullet lists (one item a line)."""
    title, body = _title_and_body(text, name)
    out: list[str] = []
    if index % 3 == 0:
        out += ["---", f'title: "{title.replace(chr(34), "")}"', f"author: Writer {index % 17}",
                f"date: 2024-{index % 12 + 1:02d}-{index % 28 + 1:02d}", "---", ""]  # fmt: skip
    out += [f"# {title}", ""]
    for i, para in enumerate(body):
        lines = para.split("\n")
        if i % 7 == 3:
            out += ["## " + " ".join(" ".join(lines).split()[:8]), ""]
        if i % 5 == 2 and len(lines) > 1:
            out += [f"- {line.strip()}" for line in lines if line.strip()]
        else:
            out += lines
        out.append("")
    return "\n".join(out)


def html_variant(text: str, name: str, index: int) -> str:
    """An HTML page made from a plain-text article: a head with title and meta tags, navigation, a header,
    the article (``<h1>``, paragraphs, now and then an ``<h2>`` and a list), an aside and a © footer."""
    title, body = _title_and_body(text, name)
    esc = html.escape
    lang = "ko" if re.search("[가-힣]", text[:2000]) else "en"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{esc(title)} | Corpus Times</title>",
        f'<meta name="author" content="Writer {index % 17}">' if index % 2 else "",
        f'<meta property="article:published_time" content="2024-{index % 12 + 1:02d}-{index % 28 + 1:02d}">',
        '<meta property="og:site_name" content="Corpus Times">',
        "<style>body { font-family: serif; }</style><script>var tracking = 1;</script>",
        "</head><body>",
        "<nav><ul>" + "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in _NAV) + "</ul></nav>",
        '<header><a href="/">Corpus Times</a> <form><input name="q"></form></header>',
        f"<main><article><h1>{esc(title)}</h1>",
    ]
    for i, para in enumerate(body):
        lines = [line.strip() for line in para.split("\n") if line.strip()]
        if i % 7 == 3:
            parts.append(f"<h2>{esc(' '.join(' '.join(lines).split()[:8]))}</h2>")
        if i % 5 == 2 and len(lines) > 1:
            parts.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")
        elif i % 11 == 4:
            link = f'<a href="https://example.org/{index}/{i}">{esc(" ".join(lines[1:2]) or "link")}</a>'
            parts.append(f"<p>{esc(' '.join(lines[:1]))} {link} {esc(' '.join(lines[2:]))}</p>")
        else:
            parts.append(f"<p>{esc(' '.join(lines))}</p>")
    parts += [
        "</article></main>",
        '<aside><h3>Related</h3><ul><li><a href="/a">Another story</a></li><li><a href="/b">More</a></li>'
        "</ul></aside>",
        f"<footer><p>© 2024 Corpus Times. All rights reserved.</p><p>{index}</p></footer>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() == ".txt")


def write_variants(corpus: Path, folder: Path, count: int = VARIANTS) -> tuple[list[Path], list[Path]]:
    """Markdown and HTML variants of ``count`` corpus articles (every n-th) written into ``folder``."""
    files = corpus_files(corpus)
    step = max(1, len(files) // count)
    md_files: list[Path] = []
    html_files: list[Path] = []
    for index, path in enumerate(files[::step][:count]):
        text = path.read_text(encoding="utf-8", errors="replace")
        stem = f"{index:04d}-{path.parent.name}-{path.stem}"
        md = folder / f"{stem}.md"
        md.write_text(markdown_variant(text, path.stem, index), encoding="utf-8")
        page = folder / f"{stem}.html"
        page.write_text(html_variant(text, path.stem, index), encoding="utf-8")
        md_files.append(md)
        html_files.append(page)
    return md_files, html_files


def document_files(documents: Path) -> tuple[list[Path], list[Path]]:
    def readable(kind: str) -> list[Path]:
        folder = documents / kind
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob(f"*.{kind}") if not _UNREADABLE_DOCUMENT.match(p.name))

    return readable("pdf"), readable("epub")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_format(paths: Iterable[Path], root: Path | None = None) -> dict[str, Any]:
    """Load each file once (warm cache first) and return the per-article cost."""
    paths = list(paths)
    size = 0
    for path in paths:
        size += len(path.read_bytes())
    times: list[float] = []
    failed = 0
    for path in paths:
        start = time.perf_counter()
        try:
            load_article(path, root)
        except ArticleReadError:
            failed += 1
        times.append(time.perf_counter() - start)
    total = sum(times)
    if not times:
        return {"articles": 0}
    return {
        "articles": len(times),
        "failed": failed,
        "bytes": size,
        "total_s": round(total, 3),
        "ms_p50": round(statistics.median(times) * 1000, 3),
        "ms_mean": round(total / len(times) * 1000, 3),
        "ms_p95": round(_percentile(times, 0.95) * 1000, 3),
        "mb_per_s": round(size / 1e6 / total, 2) if total else 0.0,
        "articles_per_s": round(len(times) / total, 1) if total else 0.0,
    }


def measure(corpus: Path, documents: Path | None = None, *, documents_too: bool = True) -> dict[str, Any]:
    """Per-format cost of ``load_article``: ``{"text": {...}, "markdown": ..., "html": ..., "pdf": ...,
    "epub": ...}`` with ``ms_p50``, ``ms_mean``, ``ms_p95``, ``mb_per_s``, ``articles_per_s`` each."""
    corpus = Path(corpus)
    documents = Path(documents) if documents is not None else corpus.parent / "documents"
    load_article(corpus_files(corpus)[0], corpus)  # imports and first-use caches out of the timing
    results: dict[str, Any] = {"text": time_format(corpus_files(corpus), corpus)}
    with tempfile.TemporaryDirectory(prefix="bench-articles-") as tmp:
        md_files, html_files = write_variants(corpus, Path(tmp))
        load_article(md_files[0], Path(tmp))
        load_article(html_files[0], Path(tmp))
        results["markdown"] = time_format(md_files, Path(tmp))
        results["html"] = time_format(html_files, Path(tmp))
    if documents_too:
        pdfs, epubs = document_files(documents)
        results["pdf"] = time_format(pdfs, documents)
        results["epub"] = time_format(epubs, documents)
    return results


def markdown_table(results: dict[str, Any]) -> str:
    rows = [
        "| format | articles | ms/article p50 | mean | p95 | MB/s | articles/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for fmt, r in results.items():
        if not r.get("articles"):
            rows.append(f"| {fmt} | 0 | | | | | |")
            continue
        rows.append(
            f"| {fmt} | {r['articles']} | {r['ms_p50']:.2f} | {r['ms_mean']:.2f} | {r['ms_p95']:.2f} "
            f"| {r['mb_per_s']:.2f} | {r['articles_per_s']:.0f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--documents", type=Path, default=None, help="default: CORPUS/../documents")
    parser.add_argument("--no-documents", action="store_true", help="skip PDF and EPUB")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    results = measure(args.corpus, args.documents, documents_too=not args.no_documents)
    print(markdown_table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
