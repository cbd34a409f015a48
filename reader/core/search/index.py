"""The search index of one library: ranked, highlighted, Korean-aware, incremental, unbreakable.

API::

    index = SearchIndex(index_dir: Path, library: Path, *, lock_timeout: float = 5.0)
    index.update(*, progress=None, cancelled=None) -> UpdateReport     # new / changed / removed articles
    index.update_paths(relpaths: Iterable[str]) -> UpdateReport         # a watcher's few files, quickly
    index.search(query, *, limit=20, offset=0, snippets=True) -> SearchResults
    index.term_spans(query, text) -> list[tuple[int, int]]              # marks for the reading pane
    index.merge_when_idle() -> bool                                     # merge small segments, later
    index.doc_count() -> int
    index.segment_count() -> int
    index.close()

Whoosh's exceptions never leave the package: they become :class:`~reader.core.errors.QueryError`,
:class:`~reader.core.errors.SearchIndexError` or :class:`~reader.core.errors.IndexBusyError`.

Threading: writes (``update``, ``update_paths``, ``merge_when_idle``, recovery) are serialized by an internal
lock and by Whoosh's file lock; searches may run on any thread at the same time, each on the generation it
started with (:mod:`reader.core.search.lifecycle`). Updates: :mod:`reader.core.search.maintenance`.

Searching: the query is parsed and rewritten (:mod:`reader.core.search.query`), scored in bulk
(:mod:`reader.core.search.scoring`; Whoosh's collector for the shapes it leaves), and snippets are built for
the hits of the returned page only (:mod:`reader.core.search.snippets`), from the kept canonical text copy or
the article re-read. A search that finds the index damaged retries on the newest searcher, then checks the
index and, if it is damaged, sets it aside, rebuilds it and reports it in ``SearchResults.recovered``.
"""

from __future__ import annotations

import logging
from itertools import islice
from typing import Any

from whoosh import index as w_index
from whoosh import query as wq
from whoosh.collectors import TopCollector

from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError, QueryError, SearchIndexError, SidecarError
from reader.core.notes.sidecar import load_annotations
from reader.core.search.analysis import MixedTokenizer, _MixedPositions
from reader.core.search.damage import _DamagedError, _describe, _release
from reader.core.search.maintenance import IndexMaintenance
from reader.core.search.query import parse_query
from reader.core.search.results import SearchHit, SearchResults, UpdateReport
from reader.core.search.schema import INDEX_NAME
from reader.core.search.scoring import _bulk_search
from reader.core.search.snippets import (
    NOTE_FIELDS,
    SNIPPET_PARAGRAPHS,
    TEXT_FIELDS,
    _Matchers,
    _note_hit,
    _snippet,
    _title_end,
)
from reader.core.search.storage import _closing_on_failure, _read_text, _TrackingStorage
from reader.core.search.whoosh_private import read_toc

__all__ = ["INDEX_NAME", "SearchHit", "SearchIndex", "SearchResults", "UpdateReport"]

#: The table of contents of an index pickles its schema, whose analyzer and posting format were defined in
#: this module before the package was split: indexes written then name them here (keep these two names, or
#: every such index would be taken for damaged and rebuilt).
PICKLED_BEFORE_THE_SPLIT = (MixedTokenizer, _MixedPositions)

log = logging.getLogger(__name__)


class SearchIndex(IndexMaintenance):
    """The search index of one library folder. See the module docstring."""

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def doc_count(self) -> int:
        with self._using() as searcher:
            count: int = searcher.doc_count()
            return count

    def segment_count(self) -> int:
        """Segments in the newest commit (each costs every query a little; see ``merge_when_idle``)."""
        with self._using():
            return len(read_toc(self._ix).segments)

    # ----------------------------------------------------------------------------------------- queries

    def _parse(self, text: str, searcher: Any) -> Any:
        """Parse, check and rewrite ``text`` into a Whoosh query. Raises :class:`QueryError` only."""
        return parse_query(text, searcher)

    def search(self, query: str, *, limit: int = 20, offset: int = 0, snippets: bool = True) -> SearchResults:
        """Hits ``offset`` .. ``offset + limit - 1`` of ``query``, best first.

        Raises :class:`QueryError` (a one-line message) for a query that cannot run, and
        :class:`SearchIndexError` when the index cannot be read even after rebuilding it.
        """
        limit = max(0, int(limit))
        offset = max(0, int(offset))
        recovered: str | None = None
        for attempt in range(3):
            damage: str | None = None
            try:
                results = self._search(query, limit, offset, snippets, recovered)
            except (QueryError, SearchIndexError):
                raise
            except RecursionError as exc:
                raise QueryError("the query is nested too deeply") from exc
            except _DamagedError as exc:
                damage = str(exc)
                _release(exc)
            except Exception as exc:
                # The one boundary: nothing but QueryError / SearchIndexError leaves a search.
                log.exception("search for %r failed", query)
                raise QueryError(f"this query could not be run ({_describe(exc)})") from exc
            if damage is None:
                return results
            if attempt == 0:
                # Perhaps our generation was retired under us: try again with the newest searcher first.
                with self._write_lock:
                    self._reopen_searcher_or_damage()
                continue
            if attempt == 2:
                raise SearchIndexError(f"the search index cannot be read: {damage}")
            with self._write_lock:
                if self._health_ok():
                    raise QueryError(f"this query could not be run ({damage})")
                self._set_aside(damage)
                self._create()
                self._update(None, None, None)
                recovered = self._pending_recovered
        raise SearchIndexError("the search index cannot be read")  # pragma: no cover

    def _reopen_searcher_or_damage(self) -> None:
        try:
            if self._ix is None:
                self._ensure_open()
            else:
                self._reopen_searcher()
        except _DamagedError as exc:
            _release(exc)

    def _health_ok(self) -> bool:
        """Open the index afresh and read every stored document and a bit of every field's postings."""
        try:
            with _closing_on_failure():
                ix = w_index.FileIndex(_TrackingStorage(str(self.index_dir)), indexname=INDEX_NAME)
                searcher = ix.searcher()
            with searcher:
                reader = searcher.reader()
                for _ in reader.all_stored_fields():
                    pass
                for fieldname in reader.indexed_field_names():
                    for btext in islice(reader.lexicon(fieldname), 0, 1000000, 997):
                        list(islice(reader.postings(fieldname, btext).all_ids(), 10))
        except Exception as exc:  # noqa: BLE001 - any failure means damage
            log.warning("search index health check failed: %s", _describe(exc))
            _release(exc)
            return False
        return True

    def _search(
        self, text: str, limit: int, offset: int, snippets: bool, recovered: str | None
    ) -> SearchResults:
        with self._using() as searcher:
            recovered = recovered or self._pending_recovered
            q = self._parse(text, searcher)
            try:
                # No block-quality skipping (it made ``len(results)`` run the query again) and no matcher
                # replacement: once the page is full, Whoosh "replaces" an AndMaybe (the title boost) whose
                # required part cannot beat the page by an intersection, dropping matches from the count.
                ranked = _bulk_search(searcher, q, offset + limit if limit else 1)
                if ranked is not None:
                    total, top = ranked
                    ranked_hits = [(searcher.stored_fields(docnum), score) for score, docnum in top[offset:]]
                else:
                    collector = TopCollector(
                        limit=offset + limit if limit else 1, usequality=False, replace=0
                    )
                    searcher.search_with_collector(q, collector)
                    results = collector.results()
                    total = len(results)
                    ranked_hits = [(hit.fields(), hit.score) for hit in results[offset : offset + limit]]
                page = []
                for fields, score in ranked_hits if limit else []:
                    state = fields.get("state") or (-1, -1, "")
                    page.append(
                        (fields["relpath"], fields.get("title", ""), fields.get("date"), score, state[2])
                    )
            except wq.QueryError as exc:
                raise QueryError(f"this query cannot run: {_describe(exc)}") from exc
            except RecursionError as exc:
                raise QueryError("the query is nested too deeply") from exc
            except Exception as exc:
                raise _DamagedError(_describe(exc)) from exc
            matchers = _Matchers.from_query(q, searcher.reader()) if snippets and page else None
        hits = [
            self._make_hit(rp, title, date, float(score), matchers, content_hash)
            for rp, title, date, score, content_hash in page
        ]
        return SearchResults(
            query=text, total=total, hits=tuple(hits), offset=offset, limit=limit, recovered=recovered
        )

    def _make_hit(
        self,
        relpath: str,
        title: str,
        date: str | None,
        score: float,
        matchers: _Matchers | None,
        content_hash: str = "",
    ) -> SearchHit:
        if matchers is None:
            return SearchHit(relpath=relpath, title=title, date=date or None, score=score)
        path = self.library / relpath
        snippet: str = ""
        marks: tuple[tuple[int, int], ...] = ()
        text = _read_text(self.index_dir, content_hash)
        if text is None:
            try:
                text = load_article(path, self.library).text
            except ArticleReadError:
                text = None
        if text is not None:
            spans = matchers.spans(text, TEXT_FIELDS, max_chunks=SNIPPET_PARAGRAPHS)
            snippet, marks = _snippet(text, spans, skip=_title_end(text, title))
        note_snippet = ""
        note_marks: tuple[tuple[int, int], ...] = ()
        note_id: str | None = None
        if matchers.has_fields(NOTE_FIELDS):
            try:
                annotations = load_annotations(path)
            except SidecarError:
                annotations = []
            found = _note_hit(annotations, matchers)
            if found is not None:
                note_snippet, note_marks, note_id = found
        return SearchHit(
            relpath=relpath,
            title=title,
            date=date or None,
            score=score,
            snippet=snippet,
            snippet_marks=marks,
            note_snippet=note_snippet,
            note_marks=note_marks,
            note_id=note_id,
        )

    def term_spans(self, query: str, text: str) -> list[tuple[int, int]]:
        """Code-point spans of ``text`` (an article's canonical text) matching the query's positive terms.

        Uses the same analysis as the index (stems, Korean substrings, expanded prefixes). Raises
        :class:`QueryError` for a query that cannot run.
        """
        try:
            with self._using() as searcher:
                q = self._parse(query, searcher)
                matchers = _Matchers.from_query(q, searcher.reader())
        except (QueryError, SearchIndexError):
            raise
        except Exception as exc:
            raise QueryError(f"this query could not be run ({_describe(exc)})") from exc
        return matchers.spans(text, TEXT_FIELDS)
