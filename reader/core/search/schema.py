"""The Whoosh schema of the index: its fields, what the ``all`` field holds, and the schema version.

Stored per article: relpath (unique key), title, date and the update state (size, mtime_ns, content hash,
sidecar size and mtime). The body is not stored: snippets come from the canonical text (see
:mod:`reader.core.search.storage`). Unfielded words are matched in one combined field, ``all`` (title, body,
notes and tags, :data:`~reader.core.search.analysis.FIELD_GAP` positions apart so that no phrase spans two of
them; ``body:`` means ``all:``). Every text field uses :class:`~reader.core.search.analysis.MixedTokenizer`.
``all_pairs`` holds the frequent adjacent word pairs of ``all``, which segment writers add on their own
(:mod:`reader.core.search.pairs`; not a field of the query language).

A change of :data:`SCHEMA_VERSION` or of the article pipeline's ``PIPELINE_VERSION`` (both part of
:data:`INDEX_NAME`) makes the next open rebuild the index.
"""

from __future__ import annotations

from typing import Any

from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from reader.core.articles.loader import PIPELINE_VERSION
from reader.core.search.analysis import MixedTokenizer, _MixedPositions

__all__ = ["ALL_FIELDS", "INDEX_NAME", "SCHEMA_VERSION", "State", "_schema"]

#: Bump when the schema or the analysis changes: an index with another version is rebuilt. The canonical
#: text's :data:`~reader.core.articles.loader.PIPELINE_VERSION` is part of the name too.
SCHEMA_VERSION = 5  # 5: frequent word pairs (all_pairs), posting blocks pickled at protocol 5
INDEX_NAME = f"reader_v{SCHEMA_VERSION}p{PIPELINE_VERSION}"
#: The texts the ``all`` field indexes (in this order, FIELD_GAP positions apart): what an unfielded
#: word is looked for in. There is no separate body field: ``body:`` means ``all:``.
ALL_FIELDS = ("title", "body", "note", "tag")

#: The stored update state of an article: size, mtime_ns, content hash, sidecar size, sidecar mtime_ns.
State = tuple[int, int, str, int, int]


def _schema() -> Schema:
    """The schema of a new index (every text field analysed by MixedTokenizer, stored as _MixedPositions)."""
    mixed = MixedTokenizer()
    path_analyzer = RegexTokenizer(r"[^/\\._\-\s]+") | LowercaseFilter()

    def text() -> Any:
        field = TEXT(analyzer=mixed, multitoken_query="phrase")
        field.format = _MixedPositions(field_boost=field.format.field_boost)
        return field

    title = text()
    title.stored = True
    return Schema(
        relpath=ID(unique=True, stored=True),
        path=TEXT(analyzer=path_analyzer, multitoken_query="phrase"),
        title=title,
        all=text(),
        all_pairs=ID(),  # the frequent word pairs of ``all``, added by segment writers (search.pairs)
        author=text(),
        source=text(),
        date=ID(stored=True),
        lang=KEYWORD(lowercase=True),
        quote=text(),
        note=text(),
        tag=text(),
        color=KEYWORD(lowercase=True),
        status=KEYWORD(lowercase=True),  # reading status: unread, reading, read
        starred=KEYWORD(lowercase=True),  # yes / no
        state=STORED(),
    )
