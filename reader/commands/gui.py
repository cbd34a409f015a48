"""``python -m reader gui [LIBRARY]``: open the window."""

from __future__ import annotations

import argparse
from pathlib import Path

from reader.commands._common import add_index_dir, library_arg

NAME = "gui"
HELP = "open the reader window (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "library",
        nargs="?",
        type=library_arg,
        help="library folder to open (default: the last one opened, at first the bundled sample library)",
    )
    add_index_dir(parser)


def run(args: argparse.Namespace) -> int:
    from reader.app import run_gui  # Qt is imported only when the window is wanted

    library: Path | None = args.library
    return run_gui(library=library, index_dir=args.index_dir)
