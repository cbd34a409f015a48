"""``python -m reader list LIBRARY [--json]``: the library catalog, then the skipped files and why.

Uses the library's default scan cache, so a second run does not re-read unchanged files. Exits 0 even
when some files were skipped (they are part of the report, not a failure).
"""

from __future__ import annotations

import argparse
import json
import sys

from reader.commands._common import library_arg, plural, warn_unavailable_formats
from reader.core import paths
from reader.core.library.scan import scan_library
from reader.core.models import CatalogEntry, ScanResult

NAME = "list"
HELP = "list the articles of a library with their metadata, and the files that were skipped"

_COLUMNS = ("path", "title", "author", "date", "source", "lang", "words", "notes")
_MAX_WIDTH = {"path": 40, "title": 60, "author": 24, "source": 32}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", type=library_arg, help="the library folder")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _row(entry: CatalogEntry) -> dict[str, object]:
    meta = entry.meta
    return {
        "path": entry.relpath,
        "title": meta.title,
        "author": meta.author,
        "date": meta.date,
        "source": meta.source,
        "language": meta.language,
        "word_count": meta.word_count,
        "reading_minutes": meta.reading_minutes,
        "notes_count": entry.notes_count,
        "format": entry.format,
        "encoding": entry.encoding,
        # article data from the sidecar (meta above shows the user's edits over the extracted values)
        "tags": list(entry.tags),
        "status": entry.status,
        "starred": entry.starred,
        "citekey": entry.citekey or None,
        "url": entry.url or None,
        "doi": entry.doi or None,
        "edited": entry.extracted is not None,
    }


def _cell(value: object, width: int | None) -> str:
    text = "" if value is None else " ".join(str(value).split())
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _table(result: ScanResult) -> str:
    rows = [
        [
            _cell(e.relpath, _MAX_WIDTH["path"]),
            _cell(e.meta.title, _MAX_WIDTH["title"]),
            _cell(e.meta.author, _MAX_WIDTH["author"]),
            _cell(e.meta.date, None),
            _cell(e.meta.source, _MAX_WIDTH["source"]),
            _cell(e.meta.language, None),
            str(e.meta.word_count),
            str(e.notes_count),
        ]
        for e in result.entries
    ]
    header = [c.upper() for c in _COLUMNS]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(_COLUMNS))]
    numeric = {6, 7}
    lines = []
    for r in [header, *rows]:
        cells = [c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
    lines.append(f"\n{plural(len(result.entries), 'article')}, {len(result.skipped)} skipped")
    if result.skipped:
        lines.append("\nSkipped:")
        lines.extend(f"  {s.relpath}: {s.reason}" for s in result.skipped)
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    library = args.library
    result = scan_library(library, cache_path=paths.catalog_cache_path(library))
    problems = warn_unavailable_formats()
    if args.json:
        payload = {
            "articles": [_row(e) for e in result.entries],
            "skipped": [{"path": s.relpath, "reason": s.reason} for s in result.skipped],
            "problems": problems,
        }
        out = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    else:
        out = _table(result)
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0
