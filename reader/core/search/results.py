"""Result types of the full-text search, free of Whoosh so that the UI can import them cheaply.

See :mod:`reader.core.search.index` for the index itself. All offsets are code-point offsets (Python ``str``
indices): ``snippet_marks`` point into ``snippet``, ``note_marks`` into ``note_snippet``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reader.core.models import Skipped


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked hit of a search."""

    relpath: str  #: the article's identity in the library (POSIX path relative to the root)
    title: str
    date: str | None
    score: float
    #: A plain-text excerpt (no markup, whitespace collapsed, ``…`` where cut) around the best match.
    snippet: str = ""
    #: ``(start, end)`` spans of the matched terms inside ``snippet``.
    snippet_marks: tuple[tuple[int, int], ...] = ()
    #: When the query matched a note, tag or highlighted quote: an excerpt of that annotation.
    note_snippet: str = ""
    note_marks: tuple[tuple[int, int], ...] = ()
    #: The id of the annotation ``note_snippet`` comes from (``None`` when the hit is not in a note).
    note_id: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of hits: ``hits`` are ranks ``offset`` .. ``offset + len(hits) - 1`` of ``total``."""

    query: str
    total: int
    hits: tuple[SearchHit, ...] = ()
    offset: int = 0
    limit: int = 20
    #: Set when the index was found damaged during this search and rebuilt: a message for the user.
    recovered: str | None = None


@dataclass(slots=True)
class UpdateReport:
    """What an index update did. ``added``/``updated``/``removed`` are relpaths."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Files left out (unreadable articles), and sidecars whose notes could not be indexed.
    skipped: list[Skipped] = field(default_factory=list)
    unchanged: int = 0
    #: Set when the index was damaged (or could not be opened) and was set aside and rebuilt.
    recovered: str | None = None
    #: Set when the schema version changed and the index was rebuilt from scratch.
    rebuilt: str | None = None
    cancelled: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)
