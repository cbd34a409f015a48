"""Helpers shared by the subcommands: library and index arguments, printing errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader.core import paths


def add_index_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the search index lives (default: the user cache folder, or $READER_INDEX_DIR)",
    )


def library_arg(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a folder: {value}")
    return path.resolve()


def index_dir(args: argparse.Namespace, library: Path) -> Path:
    return paths.index_dir_for(library, getattr(args, "index_dir", None))


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``"1 article"``, ``"2 articles"``."""
    return f"{count} {noun if count == 1 else (plural_noun or noun + 's')}"


def fail(message: str, status: int = 2) -> int:
    """Print ``message`` as a one-line error on stderr and return ``status``."""
    print(f"error: {message}", file=sys.stderr)
    return status


def warn_unavailable_formats() -> list[str]:
    """Print, once each, the formats this installation cannot read (their files are listed as skipped)."""
    from reader.core.articles.support import unavailable_formats

    problems = list(unavailable_formats().values())
    for problem in problems:
        print(f"warning: {problem} (python -m reader doctor checks the installation)", file=sys.stderr)
    return problems
