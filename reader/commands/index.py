"""``python -m reader index LIBRARY``: build or update the full-text search index of a library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from reader.commands._common import add_index_dir, fail, index_dir, library_arg, warn_unavailable_formats
from reader.core.errors import ReaderError
from reader.core.search import UpdateReport

NAME = "index"
HELP = "build or update the search index of a library (prints what changed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", type=library_arg, help="the library folder")
    add_index_dir(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")


def terminal_progress() -> Callable[[int, int], None] | None:
    """A progress callback drawing ``indexing 120/1347`` on stderr, or ``None`` when stderr is no terminal."""
    if not sys.stderr.isatty():
        return None
    state = {"last": -1}

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != state["last"] or done == total:
            state["last"] = percent
            end = "\n" if done == total else ""
            print(f"\rindexing {done}/{total} ({percent}%)", end=end, file=sys.stderr, flush=True)

    return progress


def print_report(report: UpdateReport, *, quiet: bool = False) -> None:
    if report.recovered:
        print(f"warning: {report.recovered}", file=sys.stderr)
    if report.rebuilt:
        print(report.rebuilt, file=sys.stderr)
    if not quiet:
        for relpath in report.added:
            print(f"added    {relpath}")
        for relpath in report.updated:
            print(f"updated  {relpath}")
        for relpath in report.removed:
            print(f"removed  {relpath}")
    for item in report.skipped:
        print(f"skipped  {item.relpath}: {item.reason}")
    summary = (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.skipped)} skipped, {report.unchanged} unchanged"
    )
    if report.cancelled:
        summary += " (cancelled)"
    print(summary)


def run(args: argparse.Namespace) -> int:
    from reader.core.search import SearchIndex  # Whoosh is imported only when a command needs it

    library = args.library
    try:
        with SearchIndex(index_dir(args, library), library) as index:
            report = index.update(progress=terminal_progress())
    except ReaderError as exc:
        return fail(str(exc), 1)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    print_report(report, quiet=args.quiet)
    warn_unavailable_formats()
    return 0
