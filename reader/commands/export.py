"""``python -m reader export PATH --format FMT --out DEST``: export highlights and notes.

PATH is an article file (its folder is taken as the library) or a library folder. Markdown defaults to one
file per article (``--per-article``, a note-vault layout); the other formats default to one combined file
(``--combined``). Nothing is overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

from reader.commands._common import fail
from reader.core.errors import ExportError
from reader.core.exchange import FORMATS, ExistingFilesError, NoteFilter, export_notes, select_items
from reader.core.models import Skipped

NAME = "export"
HELP = "export highlights and notes as Markdown, W3C JSON-LD, HTML or CSV"


def _date(value: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, metavar="PATH", help="an article file or a library folder")
    parser.add_argument("--format", "-f", choices=FORMATS, required=True, help="the export format")
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        required=True,
        metavar="DEST",
        help="the output file (combined) or folder (per article)",
    )
    parser.add_argument("--tag", action="append", default=[], metavar="T", help="only notes with this tag")
    parser.add_argument(
        "--color", action="append", default=[], metavar="C", help="only highlights of this colour"
    )
    parser.add_argument("--since", type=_date, metavar="DATE", help="only notes created on or after DATE")
    parser.add_argument("--until", type=_date, metavar="DATE", help="only notes created on or before DATE")
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument(
        "--per-article",
        dest="per_article",
        action="store_true",
        default=None,
        help="one file per article in the DEST folder (default for markdown)",
    )
    layout.add_argument(
        "--combined",
        dest="per_article",
        action="store_false",
        help="one file with every article (default for jsonld, html, csv)",
    )
    parser.add_argument(
        "--bom", action="store_true", help="CSV: start with a UTF-8 byte-order mark (for Excel)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def run(args: argparse.Namespace) -> int:
    path: Path = args.path.expanduser()
    if path.is_file():
        library = path.resolve().parent
        paths: list[Path] | None = [path.resolve()]
    elif path.is_dir():
        library = path.resolve()
        paths = None
    else:
        return fail(f"not an article file or library folder: {path}")
    if args.since and args.until and args.since > args.until:
        return fail("--since is after --until")
    per_article = args.per_article if args.per_article is not None else args.format == "markdown"
    note_filter = NoteFilter(tags=args.tag, colors=args.color, since=args.since, until=args.until)
    skipped: list[Skipped] = []
    items = select_items(library, paths, note_filter=note_filter, skipped=skipped)
    for skip in skipped:
        print(f"warning: skipped {skip.relpath}: {skip.reason}")
    if not items:
        return fail("no annotations to export (none match)", status=1)
    try:
        report = export_notes(
            library, items, args.format, args.out, per_article=per_article, force=args.force, bom=args.bom
        )
    except ExistingFilesError as exc:
        more = f" (and {len(exc.paths) - 1} more)" if len(exc.paths) > 1 else ""
        return fail(f"{exc.paths[0]} already exists{more}; use --force to overwrite", status=1)
    except ExportError as exc:
        return fail(str(exc), status=1)
    print(
        f"exported {report.annotations} annotation{'s' if report.annotations != 1 else ''} from "
        f"{report.articles} article{'s' if report.articles != 1 else ''} to {len(report.written)} "
        f"file{'s' if len(report.written) != 1 else ''}:"
    )
    for written in report.written:
        print(f"  {written}")
    return 0
