"""``python -m reader text FILE``: print an article's canonical text, exactly, as UTF-8."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reader.commands._common import fail
from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError

NAME = "text"
HELP = "print the canonical plain text of an article (what notes are anchored to)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the article file")


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        return fail(f"not a file: {path}")
    try:
        article = load_article(path.resolve(), path.resolve().parent)
    except ArticleReadError as exc:
        return fail(str(exc))
    sys.stdout.buffer.write(article.text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0
