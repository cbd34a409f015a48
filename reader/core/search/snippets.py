"""Snippets and term spans: where a query's terms occur in an article's text or notes, and the excerpt shown.

:class:`_Matchers` holds the positive terms and phrases of a parsed query per field; :meth:`_Matchers.spans`
finds them in a text as :func:`~reader.core.search.analysis.analyze` would (:class:`_TermFinder` avoids
analysing all of it). :func:`_snippet` cuts a window of ~:data:`SNIPPET_CHARS` around the densest group of
matches; :func:`_note_hit` picks the first matching annotation of a hit.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, ClassVar

from whoosh import query as wq

from reader.core.models import Annotation
from reader.core.search.analysis import _CJK_RE, _TOKEN_RE, _stem, analyze
from reader.core.search.damage import _DamagedError, _describe
from reader.core.search.query import MAX_EXPANSION, _iter_leaves
from reader.core.search.whoosh_private import expanded_terms

__all__ = [
    "NOTE_FIELDS",
    "SNIPPET_PARAGRAPHS",
    "TEXT_FIELDS",
    "_Matchers",
    "_note_hit",
    "_snippet",
    "_title_end",
]

SNIPPET_CHARS = 220
SNIPPET_LEAD = 50
#: Snippets look for the best window among the first few paragraphs with matches (fast on long articles).
SNIPPET_PARAGRAPHS = 6
#: Texts at least this long are searched for snippets only up to :data:`SNIPPET_PARAGRAPHS` paragraphs.
SNIPPET_LONG_TEXT = 4000
#: Fields whose terms are looked for in the article's canonical text (snippets, term_spans).
TEXT_FIELDS = ("all", "title")
#: Fields whose terms are looked for in annotations (note snippets).
NOTE_FIELDS = ("note", "quote", "tag", "all")
_PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")


class _Matchers:
    """The positive terms of a query, ready to find spans in a text: per field, single terms and phrases."""

    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}
        self.phrases: dict[str, list[tuple[str, ...]]] = {}

    @classmethod
    def from_query(cls, q: Any, reader: Any) -> _Matchers:
        m = cls()
        for leaf in _iter_leaves(q, positive_only=True):
            fieldname = getattr(leaf, "fieldname", None)
            if fieldname is None or fieldname == "date":
                continue
            if isinstance(leaf, wq.Phrase):
                words = tuple(w for w in leaf.words if isinstance(w, str))
                if words:
                    m.phrases.setdefault(fieldname, []).append(words)
            elif isinstance(leaf, wq.Term):
                if isinstance(leaf.text, str):
                    m.terms.setdefault(fieldname, set()).add(leaf.text)
            elif isinstance(leaf, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.TermRange)):
                if fieldname not in reader.schema:
                    continue
                field = reader.schema[fieldname]
                try:
                    for btext in islice(expanded_terms(leaf, reader), MAX_EXPANSION):
                        term = field.from_bytes(btext) if isinstance(btext, bytes) else btext
                        m.terms.setdefault(fieldname, set()).add(term)
                except Exception as exc:
                    raise _DamagedError(_describe(exc)) from exc
        return m

    def has_fields(self, fields: Iterable[str]) -> bool:
        return any(f in self.terms or f in self.phrases for f in fields)

    def spans(self, text: str, fields: Iterable[str], *, max_chunks: int = 0) -> list[tuple[int, int]]:
        """Spans of the terms and phrases of ``fields`` in ``text`` (what :func:`analyze` would find); with
        ``max_chunks`` and a long text, only those in the first that many paragraphs with matches (enough
        for a snippet)."""
        terms: set[str] = set()
        phrases: set[tuple[str, ...]] = set()
        for f in fields:
            terms |= self.terms.get(f, set())
            phrases.update(self.phrases.get(f, []))
        if not terms and not phrases:
            return []
        streams: list[Iterator[tuple[int, int]]] = []
        if terms:
            streams.append(_TermFinder.get(frozenset(terms)).find(text))
        for words in sorted(phrases):
            streams.append(_phrase_spans(text, words))
        found: Iterable[tuple[int, int]] = streams[0] if len(streams) == 1 else heapq.merge(*streams)
        if max_chunks and len(text) >= SNIPPET_LONG_TEXT:
            found = _first_paragraphs(text, found, max_chunks)
        return _merge(list(found))


class _TermFinder:
    """Finds where terms occur in a text, as :func:`analyze` would, without analysing all of it.

    A regular expression finds the candidate words: those starting with the first letters of a term (a
    Snowball stem of four or more letters keeps all but its last letter from the word; shorter stems keep the
    first letter, as ``die`` from ``dying``), which are then stemmed and compared. CJK terms (characters and
    bigrams) are found as substrings. Text whose lower case is not that of its words (rare) is analysed in
    full.
    """

    _cache: ClassVar[dict[frozenset[str], _TermFinder]] = {}

    @classmethod
    def get(cls, terms: frozenset[str]) -> _TermFinder:
        finder = cls._cache.get(terms)
        if finder is None:
            if len(cls._cache) > 256:
                cls._cache.clear()
            finder = cls._cache[terms] = cls(terms)
        return finder

    def __init__(self, terms: frozenset[str]) -> None:
        self.terms = terms
        self.words: set[str] = set()
        self.cjk: set[str] = set()
        for t in terms:  # a term that is not one token of the text can never match
            m = _TOKEN_RE.fullmatch(t)
            if m is not None and m.lastgroup == "word":
                self.words.add(t)
            elif m is not None and len(t) <= 2:
                self.cjk.add(t)
        probes = sorted({w[:-1] if len(w) >= 4 else w[:1] for w in self.words})
        kept: list[str] = []
        for probe in probes:  # sorted: a probe that extends a kept one adds nothing
            if not kept or not probe.startswith(kept[-1]):
                kept.append(probe)
        # Plain literals, searched in the lower-cased text: the regex engine skips ahead to them quickly.
        self.regex = re.compile("|".join(map(re.escape, kept))) if kept else None

    def find(self, text: str) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of every occurrence, in order of start."""
        lower = text.lower()
        # Lower-casing the whole text must equal lower-casing each word: not so when a character lowers to
        # two (İ) or for Greek capital sigma, which lowers by its context.
        if len(lower) != len(text) or "\u03a3" in text:
            return iter([(s, e) for t, s, e in analyze(text) if t in self.terms])
        streams: list[Iterator[tuple[int, int]]] = []
        if self.regex is not None:
            streams.append(self._words(lower))
        for term in sorted(self.cjk):
            streams.append(self._cjk(text, term))
        if len(streams) == 1:
            return streams[0]
        return heapq.merge(*streams)

    def _words(self, lower: str) -> Iterator[tuple[int, int]]:
        assert self.regex is not None
        words = self.words
        token = _TOKEN_RE.match
        for m in self.regex.finditer(lower):
            start = m.start()
            if start:
                before = lower[start - 1]
                if (before.isalnum() or before == "_") and not _CJK_RE.match(before):
                    continue  # inside a word, not at its start
            word = token(lower, start)
            if word is not None and _stem(word.group()) in words:
                yield start, word.end()

    @staticmethod
    def _cjk(text: str, term: str) -> Iterator[tuple[int, int]]:
        # A bigram anywhere in a run is a term; a single character only when it is a run by itself.
        find = text.find
        i = find(term)
        while i >= 0:
            if len(term) == 2:
                yield i, i + 2
            elif not (i > 0 and _CJK_RE.match(text, i - 1)) and not _CJK_RE.match(text, i + 1):
                yield i, i + 1
            i = find(term, i + 1)


def _phrase_spans(text: str, words: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Spans of a phrase: an occurrence of its first term followed by the other terms, as analysed."""
    n = len(words)
    for start, _end in _TermFinder.get(frozenset(words[:1])).find(text):
        tokens = list(islice(analyze(text, start), n))
        if len(tokens) == n and all(tokens[k][0] == words[k] for k in range(n)):
            yield start, tokens[-1][2]


def _first_paragraphs(
    text: str, spans: Iterable[tuple[int, int]], paragraphs: int
) -> Iterator[tuple[int, int]]:
    """The spans (in order of start) that lie in the first ``paragraphs`` paragraphs having any."""
    seen = 0
    last_end = -1
    for s, e in spans:
        if last_end < 0 or (s > last_end and _PARAGRAPH_BREAK_RE.search(text, last_end, s)):
            seen += 1
            if seen > paragraphs:
                return
        yield s, e
        last_end = max(last_end, e)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _title_end(text: str, title: str) -> int:
    """Where the body starts when the text begins with its title line (so snippets do not repeat it)."""
    stripped = text.lstrip()
    if title and stripped.startswith(title):
        return len(text) - len(stripped) + len(title)
    return 0


def _snippet(
    text: str, spans: list[tuple[int, int]], *, skip: int = 0
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of ~:data:`SNIPPET_CHARS` around the densest group of spans, whitespace collapsed."""
    body_spans = [sp for sp in spans if sp[0] >= skip] or spans
    if body_spans:
        best_start, best_score = body_spans[0][0], -1
        for i, (s, _e) in enumerate(body_spans):
            window_end = s + SNIPPET_CHARS - SNIPPET_LEAD
            score = 0
            for _s2, e2 in body_spans[i:]:
                if e2 > window_end:
                    break
                score += 1
            if score > best_score:
                best_start, best_score = s, score
        start = max(skip if best_start >= skip else 0, best_start - SNIPPET_LEAD)
        if start > 0:
            # Begin at a line start or a word start between ``start`` and the first match.
            newline = text.rfind("\n", start, best_start)
            space = text.find(" ", start, best_start)
            if newline >= 0:
                start = newline + 1
            elif space >= 0:
                start = space + 1
        while start < best_start and text[start].isspace():
            start += 1
    else:
        start = skip
        while start < len(text) and text[start].isspace():
            start += 1
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        if space > start:
            end = space
    out: list[str] = []
    mapping: list[int] = []  # text offset -> snippet offset, for start..end
    prefix = "…" if start > 0 else ""
    pos = len(prefix)
    last_space = True
    for i in range(start, end):
        ch = text[i]
        mapping.append(pos)
        if ch.isspace():
            if last_space:
                continue
            out.append(" ")
            pos += 1
            last_space = True
        else:
            out.append(ch)
            pos += 1
            last_space = False
    mapping.append(pos)
    body = "".join(out).rstrip()
    snippet = prefix + body + ("…" if end < len(text) else "")
    marks: list[tuple[int, int]] = []
    for s, e in spans:
        if e <= start or s >= end:
            continue
        ms = mapping[max(s, start) - start]
        me = mapping[min(e, end) - start]
        me = min(me, len(prefix) + len(body))
        if me > ms:
            marks.append((ms, me))
    return snippet, tuple(marks)


def _note_hit(
    annotations: list[Annotation], matchers: _Matchers
) -> tuple[str, tuple[tuple[int, int], ...], str] | None:
    for ann in annotations:
        for text, fields in ((ann.note, ("note", "all")), (ann.exact, ("quote",))):
            if not text:
                continue
            spans = matchers.spans(text, fields)
            if spans:
                snippet, marks = _snippet(text, spans)
                return snippet, marks, ann.id
        if ann.tags and matchers.spans("\n".join(ann.tags), ("tag", "all")):
            text = ann.note or ann.exact
            snippet, _marks = _snippet(text, [])
            return snippet, (), ann.id
    return None
