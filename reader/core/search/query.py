"""Queries: parsing the query language, checking and rewriting the parsed query, and fast phrase matching.

Query language (Whoosh's parser, trimmed): words are ANDed; ``"exact phrase"``; ``prefix*`` (at least two
letters, at most :data:`MAX_EXPANSION` expanded words); ``fuzzy~`` / ``fuzzy~2`` (edit distance at most 2);
``-word`` and ``NOT``; ``OR``; parentheses; fields ``title: author: source: tag: note: quote: color: lang:
path: date:``; dates ``date:2025``, ``date:2025-11``, ``date:[2025-01 to 2025-12]`` (open ends allowed).
:func:`parse_query` either returns a query or raises :class:`~reader.core.errors.QueryError` with a one-line
message.

Rewriting: a Korean query word becomes the phrase of its bigrams (adjacent positions), so ``대통령`` finds
every article containing the substring ``대통령``; fuzzy terms are expanded with rapidfuzz; each positive
``all`` leaf becomes ``AndMaybe(all:x, title:x^TITLE_BOOST)`` (a title match ranks higher); phrases are
matched by intersecting position sets (:class:`_AdjacentMatcher`) instead of Whoosh's Span pairing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from itertools import islice, repeat
from operator import sub
from typing import Any

from rapidfuzz.distance import Levenshtein
from whoosh import qparser
from whoosh import query as wq
from whoosh.matching import NullMatcher, WrappingMatcher
from whoosh.query.spans import Span

from reader.core.errors import QueryError
from reader.core.search.analysis import _CJK_RE, analyze
from reader.core.search.damage import _DamagedError, _describe
from reader.core.search.pairs import PAIR_FIELD
from reader.core.search.query_checks import check_query_text
from reader.core.search.whoosh_private import PhraseSpanMatcher, StarOnlyWildcardPlugin, expanded_terms

__all__ = ["MAX_EXPANSION", "_iter_leaves", "parse_query"]

#: A prefix, wildcard, fuzzy term or range may expand to at most this many indexed words.
MAX_EXPANSION = 2000
MAX_QUERY_CHARS = 1000
MAX_FUZZY_DIST = 2
#: An unfielded word also found in the title scores this much more (the title's own BM25 score, boosted).
TITLE_BOOST = 3.0
FIELD_ALIASES = {
    "all": ["body"],
    "lang": ["language"],
    "tag": ["tags"],
    "note": ["notes"],
    "color": ["colour", "colors", "colours"],
    "quote": ["quotes", "highlight"],
}
_DATE_RE = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|--\d{2}(-\d{2})?)$")


def _parser(schema: Any) -> Any:
    parser = qparser.QueryParser("all", schema)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.remove_plugin_class(qparser.OperatorsPlugin)
    # NOT and a leading minus (``-word``, ``-"a phrase"``, ``-(a OR b)``, ``-title:x``) both exclude.
    parser.add_plugin(qparser.OperatorsPlugin(Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|-(?=[^\s\-]))"))
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(StarOnlyWildcardPlugin())
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def parse_query(text: str, searcher: Any) -> Any:
    """Parse, check and rewrite ``text`` into a Whoosh query. Raises :class:`QueryError` only."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long (over {MAX_QUERY_CHARS} characters)")
    if not text.strip():
        raise QueryError("type something to search for")
    schema = searcher.schema
    check_query_text(text, [name for name in schema.names() if name != PAIR_FIELD], FIELD_ALIASES)
    try:
        q = _parser(schema).parse(text)
    except QueryError:
        raise
    except RecursionError as exc:
        raise QueryError("the query is nested too deeply") from exc
    except Exception as exc:
        raise QueryError(f"the query could not be understood ({_describe(exc)})") from exc
    _raise_parse_errors(q)
    q = _rewrite(q, schema)
    try:
        q = q.normalize()
    except Exception as exc:
        raise QueryError(f"the query could not be understood ({_describe(exc)})") from exc
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        raise QueryError(f"nothing to search for in {text.strip()!r}")
    q = _with_title_boost(q)
    if not _has_positive(q):
        q = wq.And([wq.Every(), q])
    q = _fast_phrases(_expand_fuzzy(q, searcher.reader()))
    _check_expansion(q, searcher.reader())
    return q


def _raise_parse_errors(q: Any) -> None:
    error = getattr(q, "error", None)
    if error:
        raise QueryError(f"the query could not be understood ({str(error).splitlines()[0][:150]})")
    if not q.is_leaf():
        for child in q.children():
            _raise_parse_errors(child)


def _field_kind(schema: Any, fieldname: str | None) -> str:
    if fieldname is None or fieldname not in schema:
        return "none"
    if fieldname == "date":
        return "date"
    field = schema[fieldname]
    return "text" if field.format is not None and field.format.supports("positions") else "keyword"


def _check_date(value: str) -> str:
    if not _DATE_RE.match(value):
        raise QueryError(f"{value!r} is not a date: use 2025, 2025-11 or 2025-11-20")
    return value


def _hangul_query(fieldname: str, text: str, boost: float) -> Any:
    """A CJK word (possibly mixed) as the phrase of its terms; one syllable as itself or a bigram prefix."""
    terms = [t for t, _s, _e in analyze(text)]
    if not terms:
        return wq.NullQuery
    if len(terms) == 1:
        term = terms[0]
        if len(term) == 1 and _CJK_RE.match(term):
            return wq.Or([wq.Term(fieldname, term, boost=boost), wq.Prefix(fieldname, term, boost=boost)])
        return wq.Term(fieldname, term, boost=boost)
    return wq.Phrase(fieldname, terms, boost=boost)


def _rewrite(q: Any, schema: Any) -> Any:
    if not q.is_leaf():
        return q.apply(lambda child: _rewrite(child, schema))
    fieldname: str = getattr(q, "fieldname", None) or ""
    kind = _field_kind(schema, fieldname or None)
    boost = getattr(q, "boost", 1.0)
    if kind == "none":
        return q
    if kind == "date":
        if isinstance(q, wq.TermRange):
            start = _check_date(q.start) if q.start else None
            end = _check_date(q.end) if q.end else None
            if start is not None and q.startexcl:
                start += "\uffff"
            if end is not None and not q.endexcl:
                end += "\uffff"
            return wq.TermRange("date", start, end, boost=boost)
        if isinstance(q, wq.Phrase):
            return wq.Prefix("date", _check_date(" ".join(q.words)), boost=boost)
        if isinstance(q, (wq.Term, wq.Prefix, wq.FuzzyTerm)) and isinstance(q.text, str):
            return wq.Prefix("date", _check_date(q.text), boost=boost)
        if isinstance(q, wq.Wildcard):
            return wq.Prefix("date", _check_date(q.text.rstrip("*")), boost=boost)
        raise QueryError("dates look like date:2025, date:2025-11 or date:[2025-01 to 2025-12]")
    if kind == "keyword":
        if isinstance(q, wq.Phrase):
            return wq.Term(fieldname, " ".join(q.words), boost=boost)
        return _check_multiterm(q)
    # Text fields.
    if isinstance(q, wq.Term) and isinstance(q.text, str) and _CJK_RE.search(q.text):
        return _hangul_query(fieldname, q.text, boost) if len(q.text) == 1 else q
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and _CJK_RE.search(q.text):
        if isinstance(q, wq.Wildcard) and "*" in q.text.rstrip("*"):
            raise QueryError("a * inside a Korean or CJK word is not supported; put it at the end")
        word = q.text.rstrip("*")
        if len(word) == 1:
            return wq.Prefix(fieldname, word, boost=boost)
        return _hangul_query(fieldname, word, boost)
    if isinstance(q, wq.FuzzyTerm):
        words = [t for t, _s, _e in analyze(q.text)]
        if not words:
            return wq.NullQuery
        if len(words) > 1:
            return wq.Phrase(fieldname, words, boost=boost)
        word = words[0]
        if len(word) < 3:
            return wq.Term(fieldname, word, boost=boost)  # too short to be fuzzy: the word itself
        return wq.FuzzyTerm(
            fieldname,
            word,
            boost=boost,
            maxdist=max(1, min(int(q.maxdist), MAX_FUZZY_DIST)),
            prefixlength=min(max(1, int(q.prefixlength)), len(word) - 1),
        )
    return _check_multiterm(q)


class _AdjacentMatcher(PhraseSpanMatcher):
    """Whoosh's phrase matcher (slop 1) finding the phrase's positions by set intersection: the same spans
    without building and pairing a Span object per position (most of a common phrase's search)."""

    def find_spans(self, word_matchers: list[Any]) -> list[Any]:
        starts: set[int] | None = None
        for k, m in enumerate(word_matchers):
            shifted = set(map(sub, m.value_as("positions"), repeat(k)))
            starts = shifted if starts is None else starts & shifted
            if not starts:
                return []
        last = len(word_matchers) - 1
        return [Span(p, p + last) for p in sorted(starts or ())]


class _Phrase(wq.Phrase):  # type: ignore[misc]
    """A Phrase (slop 1) matched by :class:`_AdjacentMatcher`; otherwise Whoosh's ``Phrase.matcher``."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        fieldname = self.fieldname
        schema = searcher.schema
        if self.slop != 1 or fieldname not in schema or not schema[fieldname].format.supports("positions"):
            return super().matcher(searcher, context)
        field = schema[fieldname]
        reader = searcher.reader()
        ms = []
        for word in self.words:
            try:
                btext = field.to_bytes(word)
            except ValueError:
                return NullMatcher()
            if (fieldname, btext) not in reader:
                return NullMatcher()
            ms.append(wq.Term(fieldname, btext).matcher(searcher, context))
        m = _AdjacentMatcher(ms)
        return WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


def _fast_phrases(q: Any) -> Any:
    if isinstance(q, wq.Phrase) and type(q) is wq.Phrase and q.slop == 1 and len(q.words) > 1:
        return _Phrase(q.fieldname, q.words, slop=1, boost=q.boost, char_ranges=q.char_ranges)
    if q.is_leaf():
        return q
    return q.apply(_fast_phrases)


def _with_title_boost(q: Any) -> Any:
    """Each positive ``all`` leaf ``x`` becomes ``AndMaybe(x, title:x^TITLE_BOOST)``: matching on one field
    (the matchers of four fields per word took much of a search), a title match still ranking higher."""
    if isinstance(q, wq.Not):
        return q
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_with_title_boost(q.a), q.b)
    if not q.is_leaf():
        return q.apply(_with_title_boost)
    if getattr(q, "fieldname", None) != "all":
        return q
    title = copy.copy(q)
    title.fieldname = "title"
    title.boost = q.boost * TITLE_BOOST
    return wq.AndMaybe(q, title)


def _expand_fuzzy(q: Any, reader: Any) -> Any:
    """Replace each fuzzy term by the indexed words within its edit distance (Whoosh's own Levenshtein
    automaton takes ~0.3 s to build for a distance of 2; rapidfuzz over the prefix's words takes ms)."""
    if not q.is_leaf():
        return q.apply(lambda child: _expand_fuzzy(child, reader))
    if not isinstance(q, wq.FuzzyTerm) or q.fieldname not in reader.schema:
        return q
    word: str = q.text
    prefix = word[: q.prefixlength]
    maxdist = int(q.maxdist)
    field = reader.schema[q.fieldname]
    scored: list[tuple[int, str]] = []
    try:
        for btext in reader.expand_prefix(q.fieldname, prefix):
            term = field.from_bytes(btext) if isinstance(btext, bytes) else btext
            if abs(len(term) - len(word)) > maxdist:
                continue
            dist = Levenshtein.distance(word, term, score_cutoff=maxdist)
            if dist <= maxdist:
                scored.append((dist, term))
    except Exception as exc:
        raise _DamagedError(_describe(exc)) from exc
    if not scored:
        return wq.Term(q.fieldname, word, boost=q.boost)  # matches nothing, keeps an AND an AND
    scored.sort()
    terms = [
        wq.Term(q.fieldname, t, boost=q.boost * (1.0 if d == 0 else 0.8)) for d, t in scored[:MAX_EXPANSION]
    ]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def _check_multiterm(q: Any) -> Any:
    if isinstance(q, wq.Wildcard):
        literal = re.split(r"[*?]", q.text, maxsplit=1)[0]
        if len(literal) < 2:
            raise QueryError(f"{q.text}: put at least 2 letters before a *")
    elif isinstance(q, wq.Prefix) and len(q.text) < 2:
        raise QueryError(f"{q.text}*: a prefix needs at least 2 letters")
    return q


def _has_positive(q: Any) -> bool:
    if isinstance(q, wq.Not):
        return False
    if isinstance(q, wq.AndNot):
        return _has_positive(q.a)
    if isinstance(q, (wq.And, wq.AndMaybe)):
        return any(_has_positive(c) for c in q.children())
    if isinstance(q, (wq.Or, wq.DisjunctionMax)):
        return all(_has_positive(c) for c in q.children())
    if q.is_leaf():
        return True
    return all(_has_positive(c) for c in q.children())


def _iter_leaves(q: Any, positive_only: bool = False) -> Iterator[Any]:
    if positive_only and isinstance(q, wq.Not):
        return
    if positive_only and isinstance(q, wq.AndNot):
        yield from _iter_leaves(q.a, positive_only)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _iter_leaves(child, positive_only)


def _check_expansion(q: Any, reader: Any) -> None:
    for leaf in _iter_leaves(q):
        if isinstance(leaf, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.TermRange)) and leaf.field() != "date":
            if leaf.field() not in reader.schema:
                continue
            try:
                count = sum(1 for _ in islice(expanded_terms(leaf, reader), MAX_EXPANSION + 1))
            except Exception as exc:
                raise _DamagedError(_describe(exc)) from exc
            if count > MAX_EXPANSION:
                raise QueryError(
                    f"{_leaf_text(leaf)} matches too many words (over {MAX_EXPANSION}); make it more specific"
                )


def _leaf_text(leaf: Any) -> str:
    if isinstance(leaf, wq.TermRange):
        return f"{leaf.fieldname}:[{leaf.start or ''} to {leaf.end or ''}]"
    if isinstance(leaf, wq.Prefix):
        return f"{leaf.text}*"
    if isinstance(leaf, wq.FuzzyTerm):
        return f"{leaf.text}~"
    return str(getattr(leaf, "text", leaf))
