"""``python -m reader import FILE [LIBRARY] [--from FORMAT] [--dry-run]``: bring notes into a library.

FILE is a W3C JSON-LD export made by ``export`` (merged by annotation id), or another tool's highlights:
Kindle ``My Clippings.txt``, a KOReader sidecar (``metadata.epub.lua``), a Hypothesis or Readwise JSON export,
a Readwise CSV, calibre or Kobo highlights. The format is detected unless ``--from`` names it. Each
highlight is matched to an article (URL, file name, title and author, or its text) and anchored by its quote;
importing the same file again changes nothing. LIBRARY defaults to the bundled sample library.

Exit status: 0 when every note found its article, 3 when some were left out because their article is not in
the library (how many is printed on stderr; nothing is written for them), 1 on errors, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader.commands._common import fail, library_arg, plural
from reader.core import paths
from reader.core.errors import ExportError
from reader.core.exchange.importers.reading import is_jsonld_export

NAME = "import"
HELP = (
    "import notes: a JSON-LD export, or highlights from Kindle, KOReader, Hypothesis, Readwise, calibre, Kobo"
)
#: Exit status when some notes were left out (their articles are not in the library).
EXIT_UNMATCHED = 3
FORMATS = ("jsonld", "kindle", "koreader", "hypothesis", "readwise", "calibre", "kobo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="the export file to import")
    parser.add_argument(
        "library", type=library_arg, metavar="LIBRARY", nargs="?", default=None,
        help="the library folder to import into (default: the bundled sample library)",
    )  # fmt: skip
    parser.add_argument("--from", dest="source_format", choices=FORMATS, help="the file's format (detected)")
    parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    parser.epilog = "Exit status 3 when some notes were left out because their article is not in the library."


def _left_out(count: int, library: Path, dry_run: bool) -> int:
    one = count == 1
    verb = "would be" if dry_run else ("was" if one else "were")
    whose = "its article is" if one else "their articles are"
    print(
        f"warning: {plural(count, 'note')} {verb} left out: {whose} not in {library} (add and import again)",
        file=sys.stderr,
    )
    return EXIT_UNMATCHED


def _run_jsonld(path: Path, library: Path, dry_run: bool) -> int:
    from reader.core.exchange import import_notes

    report = import_notes(path, library, dry_run=dry_run)
    print(f"{'would import' if dry_run else 'import'}: {report.summary()}")
    for source in report.unmatched_sources[:10]:
        print(f"  unmatched: {source}")
    if len(report.unmatched_sources) > 10:
        print(f"  ... and {len(report.unmatched_sources) - 10} more")
    return _exit_status(report.errors, report.unmatched, library, dry_run)


def _exit_status(errors: list[str], unmatched: int, library: Path, dry_run: bool) -> int:
    """Print the errors; 1 with errors, 3 (and how many on stderr) when notes were left out, else 0."""
    for message in errors:
        print(f"error: {message}")
    if errors:
        return 1
    return _left_out(unmatched, library, dry_run) if unmatched else 0


def _run_tool(path: Path, library: Path, tool: str | None, dry_run: bool) -> int:
    from reader.core.exchange.importers.apply import import_tool_file

    report = import_tool_file(path, library, tool=tool, dry_run=dry_run)
    read = ", ".join(f"{plural(n, kind)}" for kind, n in sorted(report.read.items())) or "nothing"
    print(f"{report.tool}: read {read}")
    for book, relpath, rule in report.matched:
        print(f"  {book} -> {relpath} (by {rule})")
    for missing in report.unmatched_books:
        hint = f"; closest: {', '.join(missing.candidates)}" if missing.candidates else ""
        print(f"  {missing.label}: no matching article ({plural(missing.records, 'highlight')}{hint})")
    print(f"{'would import' if dry_run else 'import'}: {report.summary()}")
    for line in report.notes():
        print(f"note: {line}")
    return _exit_status(report.errors, report.unmatched, library, dry_run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.file.expanduser()
    if not path.is_file():
        return fail(f"not a file: {path}")
    library = args.library or paths.bundled_library()
    if library is None:
        return fail("no library given and no sample library found")
    try:
        if args.source_format == "jsonld" or (args.source_format is None and is_jsonld_export(path)):
            return _run_jsonld(path, library, args.dry_run)
        return _run_tool(path, library, args.source_format, args.dry_run)
    except ExportError as exc:
        return fail(str(exc), status=1)
