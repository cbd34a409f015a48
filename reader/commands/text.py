"""``python -m reader text FILE``: print an article's canonical text, exactly, as UTF-8, and a final newline.

The canonical text itself never ends with a newline (its last block ends it); the newline that follows it is
the command's, so the shell prompt starts on its own line. Offsets count from the first character printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader.commands._common import add_index_dir, fail
from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError

NAME = "text"
HELP = "print the canonical plain text of an article (what notes are anchored to)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the article file")
    add_index_dir(parser)  # accepted like every command's; the text is read from the file, not the index


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        return fail(f"not a file: {path}")
    try:
        article = load_article(path.resolve(), path.resolve().parent)
    except ArticleReadError as exc:
        return fail(str(exc))
    sys.stdout.buffer.write(article.text.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()
    return 0
