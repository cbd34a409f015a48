"""``python -m reader import FILE.jsonld LIBRARY``: merge notes exported as W3C JSON-LD into a library."""

from __future__ import annotations

import argparse
from pathlib import Path

from reader.commands._common import fail, library_arg
from reader.core.errors import ExportError
from reader.core.exchange import import_notes

NAME = "import"
HELP = "import notes from a JSON-LD export into a library (merged by annotation id)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE.jsonld", help="a JSON-LD export made by `export`")
    parser.add_argument(
        "library", type=library_arg, metavar="LIBRARY", help="the library folder to import into"
    )
    parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")


def run(args: argparse.Namespace) -> int:
    path: Path = args.file.expanduser()
    if not path.is_file():
        return fail(f"not a file: {path}")
    try:
        report = import_notes(path, args.library, dry_run=args.dry_run)
    except ExportError as exc:
        return fail(str(exc), status=1)
    prefix = "would import" if args.dry_run else "import"
    print(f"{prefix}: {report.summary()}")
    for source in report.unmatched_sources[:10]:
        print(f"  unmatched: {source}")
    if len(report.unmatched_sources) > 10:
        print(f"  ... and {len(report.unmatched_sources) - 10} more")
    for message in report.errors:
        print(f"error: {message}")
    return 1 if report.errors else 0
