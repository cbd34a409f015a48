"""``python -m reader search LIBRARY QUERY``: update the index if needed, then print ranked hits."""

from __future__ import annotations

import argparse
import json
import sys

from reader.commands._common import add_index_dir, fail, index_dir, library_arg
from reader.core.errors import QueryError, ReaderError
from reader.core.search import SearchHit

NAME = "search"
HELP = 'search a library (words, "phrases", prefix*, fuzzy~, -exclude, OR, title:, tag:, note:, date:...)'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", type=library_arg, help="the library folder")
    parser.add_argument("query", help="the query (quote it for the shell)")
    parser.add_argument("--json", action="store_true", help="print a JSON array of hits")
    parser.add_argument("--limit", type=_positive_int, default=20, metavar="N", help="at most N hits (20)")
    add_index_dir(parser)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {value}")
    return number


def mark(text: str, marks: tuple[tuple[int, int], ...], *, color: bool) -> str:
    """``text`` with the marked spans wrapped in ``[...]`` (or bold on a colour terminal)."""
    opening, closing = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    out: list[str] = []
    pos = 0
    for start, end in marks:
        out.append(text[pos:start])
        out.append(opening + text[start:end] + closing)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def hit_json(hit: SearchHit) -> dict[str, object]:
    return {
        "path": hit.relpath,
        "title": hit.title,
        "date": hit.date,
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
        "marks": [list(m) for m in hit.snippet_marks],
        "note_snippet": hit.note_snippet or None,
        "note_marks": [list(m) for m in hit.note_marks],
        "note_id": hit.note_id,
    }


def run(args: argparse.Namespace) -> int:
    from reader.core.search import SearchIndex  # Whoosh is imported only when a command needs it

    library = args.library
    try:
        with SearchIndex(index_dir(args, library), library) as index:
            report = index.update()
            results = index.search(args.query, limit=args.limit)
    except QueryError as exc:
        return fail(f"bad query: {exc}", 2)
    except ReaderError as exc:
        return fail(str(exc), 1)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    for message in (report.recovered, results.recovered):
        if message:
            print(f"warning: {message}", file=sys.stderr)
    if args.json:
        json.dump([hit_json(h) for h in results.hits], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    color = sys.stdout.isatty()
    if not results.hits:
        print(f"no matches for {args.query!r}")
        return 0
    shown = len(results.hits)
    print(
        f"{results.total} match{'es' if results.total != 1 else ''}"
        + (f", top {shown}" if shown < results.total else "")
    )
    for rank, hit in enumerate(results.hits, 1):
        date = f"  {hit.date}" if hit.date else ""
        print(f"{rank:>3}. {hit.title}  ({hit.score:.2f})")
        print(f"     {hit.relpath}{date}")
        if hit.snippet:
            print(f"     {mark(hit.snippet, hit.snippet_marks, color=color)}")
        if hit.note_snippet:
            print(f"     note: {mark(hit.note_snippet, hit.note_marks, color=color)}")
    return 0
