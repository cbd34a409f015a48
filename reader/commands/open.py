"""``python -m reader open [URI] [--dry-run]``: open the window at the article and highlight of a link.

The link is ``research-reader://open?library=…&path=…&annotation=…`` (see
:mod:`reader.core.library.links`, which also says what is refused). A running window receives it; without
one, a window starts on that library. ``--dry-run`` prints what would be opened and exits, opening nothing.
A link that must not be opened prints one line saying why and exits with status 2. Without a URI (a desktop
entry started from the menu) the window opens as ``python -m reader gui`` does.
"""

from __future__ import annotations

import argparse

from reader.commands._common import fail
from reader.core.library.links import LinkError, parse_uri

NAME = "open"
HELP = "open the window at the article and highlight of a research-reader:// link"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("uri", nargs="?", metavar="URI", help="a research-reader://open?… link")
    parser.add_argument("--dry-run", action="store_true", help="print what would be opened, open nothing")


def run(args: argparse.Namespace) -> int:
    if not args.uri:
        if args.dry_run:
            return fail("--dry-run needs a link")
        from reader.app import run_gui

        return run_gui()
    try:
        target = parse_uri(args.uri)
    except LinkError as exc:
        return fail(f"link not opened: {exc}")
    if args.dry_run:
        where = f" at annotation {target.annotation}" if target.annotation else ""
        print(f"would open {target.relpath}{where} in the library {target.library}")
        return 0
    from reader.app import open_link

    return open_link(args.uri)
