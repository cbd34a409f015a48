"""``python -m reader cite PATH... [--format bibtex|csl-json|text] [--style apa] [--library DIR]
[--no-assign]``: citations of articles.

PATH is an article file or a folder (every article below it). Keys are unique in the library: ``--library``,
else the folder given, else the folder of the first file. The first time an article is cited its key is
stored in its sidecar (``article.citekey``; a sidecar is created if needed), so that the key never changes
afterwards; ``--no-assign`` prints without storing anything. ``--format text`` formats references with a
CSL processor (citeproc-py) in ``--style`` (``apa``, a style citeproc-py ships, or a ``.csl`` file).
Exit status: 0, 1 when a key could not be stored, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader.commands._common import fail
from reader.core import paths
from reader.core.errors import ExportError, SidecarError
from reader.core.exchange.citations import format_references, pin_keys, records_for, to_bibtex, to_csl_json
from reader.core.library.scan import scan_library

NAME = "cite"
HELP = "print citations of articles as BibTeX, CSL-JSON or formatted references (APA by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="article files or folders")
    parser.add_argument("--format", choices=("bibtex", "csl-json", "text"), default="bibtex")
    parser.add_argument("--style", default="apa", help="CSL style for --format text (default: apa)")
    parser.add_argument("--library", type=Path, default=None, metavar="DIR", help="the library folder")
    parser.add_argument(
        "--no-assign", action="store_true", help="do not store the keys of newly cited articles"
    )


def _library(args: argparse.Namespace) -> Path:
    if args.library is not None:
        return Path(args.library).expanduser().resolve()
    first = Path(args.paths[0]).expanduser().resolve()
    return first if first.is_dir() else first.parent


def _wanted(paths: list[Path], library: Path) -> tuple[list[str], list[str]] | str:
    """Relpaths (files) and relpath prefixes (folders) of the PATHs, or a one-line error."""
    files: list[str] = []
    folders: list[str] = []
    for path in paths:
        resolved = Path(path).expanduser().resolve()
        if not resolved.exists():
            return f"no such file or folder: {path}"
        try:
            rel = resolved.relative_to(library).as_posix()
        except ValueError:
            return f"{path} is not inside the library {library}"
        (folders if resolved.is_dir() else files).append("" if rel == "." else rel)
    return files, folders


def run(args: argparse.Namespace) -> int:
    library = _library(args)
    if not library.is_dir():
        return fail(f"not a folder: {library}")
    wanted = _wanted(args.paths, library)
    if isinstance(wanted, str):
        return fail(wanted)
    files, folders = wanted
    result = scan_library(library, cache_path=paths.catalog_cache_path(library))
    records = records_for(result.entries)
    chosen = [
        r
        for r in records
        if r.relpath in files or any(not f or r.relpath.startswith(f + "/") for f in folders)
    ]
    missing = [f for f in files if f not in {r.relpath for r in records}]
    if missing:
        return fail(f"not an article of the library: {missing[0]}")
    try:
        out = (
            to_bibtex(chosen)
            if args.format == "bibtex"
            else to_csl_json(chosen)
            if args.format == "csl-json"
            else "".join(line + "\n" for line in format_references(chosen, args.style))
        )
    except ExportError as exc:
        return fail(str(exc))
    status = 0
    if not args.no_assign:
        try:
            pin_keys(library, chosen)
        except SidecarError as exc:
            print(f"error: citation key not stored: {exc}", file=sys.stderr)
            status = 1
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    return status
