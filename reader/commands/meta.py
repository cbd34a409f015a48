"""``python -m reader meta PATH... [--json] [--tag T] [--untag T] [--status S] [--star|--unstar]
[--set FIELD=VALUE] [--reset FIELD]``: show or change an article's data.

Without a change option it only shows (effective metadata: the user's edit, else what was extracted; tags,
reading status, star, position, citation key) and writes nothing. With one it changes every PATH's sidecar
(``article`` section, see :mod:`reader.core.notes.article_data`), merged with what is on disk, and shows
the result. ``--set authors="Lee, Soon-chul; Rim, Jong-seop"`` takes several names separated by ``;``.
Exit status: 0, 1 when a sidecar could not be read or written, 2 for bad arguments or unreadable files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reader.commands._common import fail
from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError, SidecarError
from reader.core.models import Article
from reader.core.notes.article_data import (
    FIELDS,
    META_FIELDS,
    READING_STATUSES,
    ArticleData,
    ArticleDataError,
    check_value,
    effective_meta,
    read_article_data,
    update_article_data,
    with_tags,
    with_value,
)

NAME = "meta"
HELP = "show or change an article's tags, reading status, star and metadata (kept in its sidecar)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="article files")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--tag", action="append", default=[], metavar="T", help="add a tag (repeatable)")
    parser.add_argument("--untag", action="append", default=[], metavar="T", help="remove a tag (repeatable)")
    parser.add_argument("--status", choices=READING_STATUSES, help="set the reading status")
    star = parser.add_mutually_exclusive_group()
    star.add_argument("--star", action="store_true", help="star the articles")
    star.add_argument("--unstar", action="store_true", help="remove the star")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help=f"set a metadata field ({', '.join(META_FIELDS)}); repeatable",
    )
    parser.add_argument(
        "--reset",
        action="append",
        default=[],
        metavar="FIELD",
        help="back to the extracted value (repeatable)",
    )


def _parse_sets(items: list[str]) -> list[tuple[str, Any]]:
    result: list[tuple[str, Any]] = []
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in META_FIELDS:
            raise ArticleDataError(
                f"--set wants FIELD=VALUE with FIELD one of {', '.join(META_FIELDS)}: {item!r}"
            )
        parsed: Any = [v.strip() for v in value.split(";")] if name == "authors" else value
        result.append((name, check_value(name, parsed)))
    return result


def _changes(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """The edits asked for, as (field, value) pairs; tags are handled by ``--tag``/``--untag``."""
    changes = _parse_sets(args.set)
    for name in args.reset:
        if name not in FIELDS:
            raise ArticleDataError(f"--reset: unknown field {name!r} (choose from {', '.join(FIELDS)})")
        changes.append((name, None))
    if args.status:
        changes.append(("status", args.status))
    if args.star or args.unstar:
        changes.append(("starred", bool(args.star)))
    return changes


def describe(article: Article, data: ArticleData) -> dict[str, Any]:
    """What ``meta --json`` prints for one article (also used by ``list --json``)."""
    meta = effective_meta(article.meta, data)
    return {
        "path": str(article.path),
        "title": meta.title,
        "authors": data.authors if data.authors else ([meta.author] if meta.author else []),
        "date": meta.date,
        "source": meta.source,
        "url": data.url,
        "doi": data.doi,
        "citekey": data.citekey,
        "tags": data.tags,
        "status": data.reading_status,
        "starred": data.is_starred,
        "position": data.position,
        "edited": [name for name in META_FIELDS if data.value(name) is not None],
        "extracted": {
            "title": article.meta.title,
            "author": article.meta.author,
            "date": article.meta.date,
            "source": article.meta.source,
        },
    }


def _text(row: dict[str, Any]) -> str:
    lines = [row["path"]]
    for name in ("title", "authors", "date", "source", "url", "doi", "citekey", "tags", "status", "starred"):
        value = row[name]
        if isinstance(value, list):
            value = "; ".join(value) if name == "authors" else ", ".join(value)
        shown = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        mark = " (edited)" if name in row["edited"] else ""
        lines.append(f"  {name + ':':9} {shown}{mark}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        changes = _changes(args)
    except ArticleDataError as exc:
        return fail(str(exc))
    articles: list[Article] = []
    for path in args.paths:
        if not path.is_file():
            return fail(f"not a file: {path}")
        try:
            articles.append(load_article(path.resolve(), path.resolve().parent))
        except ArticleReadError as exc:
            return fail(str(exc))
    editing = bool(changes or args.tag or args.untag)

    def change(data: ArticleData) -> ArticleData:
        for name, value in changes:
            data = with_value(data, name, value)
        return with_tags(data, args.tag, args.untag) if args.tag or args.untag else data

    rows: list[dict[str, Any]] = []
    status = 0
    for article in articles:
        try:
            if editing:
                data = update_article_data(article.path, change, text_hash=article.content_hash)
            else:
                data = read_article_data(article.path)
        except SidecarError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        rows.append(describe(article, data))
    if args.json:
        out = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        out = "".join(_text(row) + "\n" for row in rows)
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    return status
