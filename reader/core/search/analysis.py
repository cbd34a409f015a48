"""Analysis: how text becomes index terms, for indexing, queries and snippets alike.

Latin/other words are lowercased and stemmed (Snowball English: ``therapies`` and ``therapy`` both index as
``therapi``); runs of Hangul/CJK are indexed as overlapping bigrams (``대통령은`` → ``대통 통령 령은``), a
one-syllable run as itself. No stop words are removed (phrases stay exact).

:func:`analyze` gives terms with offsets (queries, snippets); :func:`index_terms` the terms alone, fast
(indexing). :class:`MixedTokenizer` is the Whoosh tokenizer over :func:`analyze`; :class:`_MixedPositions`
is the posting format that indexes through :func:`index_terms` and stores positions as 4-byte little-endian
integers (the position codec: :func:`_positions_bytes`, :func:`_positions`).

Both classes are pickled by name into every index's table of contents: moving or renaming one needs an alias
at the old place (indexes written before the package split name them in :mod:`reader.core.search.index`).
"""

from __future__ import annotations

import functools
import re
import sys
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.formats import Positions
from whoosh.lang.snowball.english import EnglishStemmer
from whoosh.system import pack_uint

from reader.core.search.whoosh_private import INT_SIZE

__all__ = ["FIELD_GAP", "MixedTokenizer", "analyze", "index_terms", "positions_value", "term_positions"]

#: Positions between the parts of a multi-part field (``all``), so that no phrase spans two of them.
FIELD_GAP = 100

_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W{_CJK}]+)")
_CJK_RE = re.compile(f"[{_CJK}]")


_ENGLISH = EnglishStemmer()


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """Snowball English (Porter2): unlike Porter, ``walrus`` and ``walruses`` share a stem."""
    result: str = _ENGLISH.stem(word)
    return result


def analyze(text: str, pos: int = 0) -> Iterator[tuple[str, int, int]]:
    """The index terms of ``text`` in order, as ``(term, start, end)`` with code-point offsets.

    Consecutive terms have consecutive positions (the i-th yielded term has position i). With ``pos``, the
    terms from that offset on (which must be a token start, or inside a run of CJK characters).
    """
    for match in _TOKEN_RE.finditer(text, pos):
        start = match.start()
        run = match.group()
        if match.lastgroup == "cjk":
            if len(run) == 1:
                yield run, start, start + 1
            else:
                for i in range(len(run) - 1):
                    yield run[i : i + 2], start + i, start + i + 2
        else:
            yield _stem(run.lower()), start, match.end()


_TERM_CACHE: dict[str, str] = {}
_TERM_CACHE_MAX = 500_000


def _cached_term(word: str) -> str:
    """The term of a word, remembered in ``_TERM_CACHE`` (cleared when it is full)."""
    cache = _TERM_CACHE
    term = _stem(word.lower())
    if len(cache) >= _TERM_CACHE_MAX:
        cache.clear()
    cache[word] = term
    return term


#: The words of a text without Hangul or CJK characters: where there are none, the same as ``_TOKEN_RE``'s
#: word group, about twice as fast.
_WORD_RE = re.compile(r"\w+")


def index_terms(text: str) -> list[str]:
    """The terms of :func:`analyze` without their offsets (what indexing needs), several times faster."""
    cache = _TERM_CACHE
    if _CJK_RE.search(text) is None:
        words = _WORD_RE.findall(text)
        terms = list(map(cache.get, words))
        if None in terms:
            for i, term in enumerate(terms):
                if term is None:
                    terms[i] = _cached_term(words[i])
        return terms  # type: ignore[return-value]
    out: list[str] = []
    append = out.append
    for cjk, word in _TOKEN_RE.findall(text):
        if word:
            term = cache.get(word)
            if term is None:
                term = _cached_term(word)
            append(term)
        elif len(cjk) == 1:
            append(cjk)
        else:
            out.extend([cjk[i : i + 2] for i in range(len(cjk) - 1)])
    return out


def term_positions(parts: Iterable[str]) -> tuple[dict[str, list[int]], list[list[str]]]:
    """The positions of each term of a field's ``parts`` (one text, or the parts of ``all``, each
    :data:`FIELD_GAP` positions after the previous one), and each part's terms in order."""
    poses: dict[str, list[int]] = {}
    part_terms: list[list[str]] = []
    base = 0
    for part in parts:
        terms = index_terms(part)
        part_terms.append(terms)
        for pos, term in enumerate(terms, base):
            found = poses.get(term)
            if found is None:
                poses[term] = [pos]
            else:
                found.append(pos)
        base += len(terms) + FIELD_GAP
    return poses, part_terms


#: Positions are stored as 4-byte unsigned little-endian integers (see :class:`_MixedPositions`).
_POSITION_CODE = next(code for code in "IL" if array(code).itemsize == 4)
_NATIVE_LE = sys.byteorder == "little"


def positions_value(poslist: list[int]) -> bytes:
    """The posting value of a list of positions (:class:`_MixedPositions`): the count, then the positions."""
    count: bytes = pack_uint(len(poslist))
    if _NATIVE_LE:
        return count + array(_POSITION_CODE, poslist).tobytes()
    return count + _positions_bytes(poslist)


def _positions_bytes(poslist: Iterable[int]) -> bytes:
    values = array(_POSITION_CODE, poslist)
    if not _NATIVE_LE:
        values.byteswap()
    return values.tobytes()


def _positions(value: bytes) -> Any:
    """The positions of a posting value (after its 4-byte count): a read-only sequence of ints, without a
    copy where the machine is little-endian (a memoryview)."""
    if _NATIVE_LE:
        return memoryview(value)[INT_SIZE:].cast(_POSITION_CODE)  # type: ignore[call-overload]
    values = array(_POSITION_CODE)
    values.frombytes(value[INT_SIZE:])
    values.byteswap()
    return values


class _MixedPositions(Positions):  # type: ignore[misc]
    """Whoosh's Positions format, indexing :class:`MixedTokenizer` text through :func:`index_terms`
    (no Token objects: the same terms, positions and weights as ``Positions`` would write).

    A value is the count (as Whoosh's) followed by the absolute positions as 4-byte little-endian integers,
    not a pickled list of deltas: a phrase check reads them as a memoryview (about a third faster)."""

    def encode(self, poslist: list[int]) -> bytes:
        return positions_value(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(_positions(valuestring))

    def positions_view(self, valuestring: bytes) -> Any:
        """The positions of a value without a copy (see :func:`_positions`)."""
        return _positions(valuestring)

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        parts = value if isinstance(value, (list, tuple)) else [value]
        if not all(isinstance(p, str) for p in parts) or not isinstance(analyzer, MixedTokenizer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        poses, _terms = term_positions(parts)
        fb = self.field_boost
        encode = self.encode
        for term, poslist in poses.items():
            yield (term, len(poslist), float(len(poslist)) * fb, encode(poslist))


class MixedTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer for :func:`analyze` (stemmed words, CJK bigrams)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MixedTokenizer)

    def __hash__(self) -> int:
        return hash(MixedTokenizer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Any]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Prefix, wildcard and fuzzy texts: lowercased, not stemmed, not split.
            token.original = token.text = value.lower()
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, (term, start, end) in enumerate(analyze(value), start_pos):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token
