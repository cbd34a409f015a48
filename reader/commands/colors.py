"""``python -m reader colors LIBRARY [--set COLOR=LABEL]... [--unset COLOR]...``: what each colour means.

Without options it prints the palette with the library's labels (read-only). Labels live in the library
(``.research-notes-reader/colors.json``), so they sync with it; exports and the notes panel show them.
"""

from __future__ import annotations

import argparse

from reader.commands._common import fail, library_arg
from reader.core.library.color_labels import ColorLabelsError, load_color_labels, set_color_labels
from reader.core.models import COLORS

NAME = "colors"
HELP = "show or set what each highlight colour means in a library (e.g. red = disagree)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", type=library_arg, help="the library folder")
    parser.add_argument(
        "--set", action="append", default=[], metavar="COLOR=LABEL", help="name a colour (repeatable)"
    )
    parser.add_argument(
        "--unset", action="append", default=[], metavar="COLOR", help="remove a colour's label"
    )


def run(args: argparse.Namespace) -> int:
    changes: dict[str, str] = {}
    for item in args.set:
        color, sep, label = item.partition("=")
        if not sep or not label.strip():
            return fail(f"--set takes COLOR=LABEL, e.g. red=disagree (got {item!r})")
        changes[color] = label
    for color in args.unset:
        changes[color] = ""
    try:
        labels = set_color_labels(args.library, changes) if changes else load_color_labels(args.library)
    except ColorLabelsError as exc:
        return fail(str(exc), 1)
    for color in COLORS:
        print(f"{color:8} {labels.get(color, '')}".rstrip())
    return 0
