"""Search: the full-text index of a library (Whoosh). The only package that imports Whoosh.

It owns the index folder (segments, the verified-stamp file and canonical text copies), the analysis of
text into terms, the query language, ranking and snippets. Public names: :class:`SearchIndex`, the result
types :class:`SearchResults`, :class:`SearchHit` and :class:`UpdateReport`, and the errors a caller handles
(:class:`QueryError`, :class:`SearchIndexError`, :class:`IndexBusyError`). ``SearchIndex`` is imported on
first use, so that importing the result types does not load Whoosh.

Modules, from the facade down:

- :mod:`.index` — :class:`SearchIndex`: search, term spans, the API;
- :mod:`.maintenance` — updates and idle merging (the middle layer of ``SearchIndex``);
- :mod:`.lifecycle` — opening, damage and set-aside, searcher generations (its base layer);
- :mod:`.building` — articles into documents, segments written in worker processes, commits;
- :mod:`.query` — query parsing, checks and rewriting, fast phrase matching;
- :mod:`.scoring` — the bulk BM25F evaluator over posting lists;
- :mod:`.pairs` — each segment's frequent word pairs (a phrase of common words without its positions);
- :mod:`.snippets` — term spans in a text, snippets of articles and notes;
- :mod:`.storage` — index files, segment files shared between searchers, canonical text copies;
- :mod:`.schema` — the Whoosh schema, field names, schema version and index name;
- :mod:`.analysis` — the tokenizer (English stemming, Hangul/CJK bigrams) and the position codec;
- :mod:`.damage` — the internal damaged-index error and its helpers;
- :mod:`.whoosh_private` — every private or undocumented Whoosh name relied on (pinned 2.7.5);
- :mod:`.results` — the result types (no Whoosh).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reader.core.errors import IndexBusyError, QueryError, SearchIndexError
from reader.core.search.results import SearchHit, SearchResults, UpdateReport

if TYPE_CHECKING:
    from reader.core.search.index import SearchIndex

__all__ = [
    "IndexBusyError",
    "QueryError",
    "SearchHit",
    "SearchIndex",
    "SearchIndexError",
    "SearchResults",
    "UpdateReport",
]


def __getattr__(name: str) -> Any:
    if name == "SearchIndex":
        from reader.core.search.index import SearchIndex  # Whoosh is loaded only when the index is used

        return SearchIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
