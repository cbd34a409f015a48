"""Anchoring annotations to an article's canonical text, robustly across edits of the source.

An annotation remembers its passage twice, as in the W3C Web Annotation model: a TextQuoteSelector (the exact
words, with about :data:`CONTEXT_LEN` code points of ``prefix`` and ``suffix`` context) and a
TextPositionSelector (``start``/``end`` code points). :func:`anchor` finds the passage again in a text that
may have changed, in four stages:

1. **Position** (status ``anchored``): ``text[start:end]`` still equals the quote. For a short quote
   (under :data:`SELF_ANCHORING_LEN` code points) the context must also agree, since a short word can slide
   into the old position by accident.
2. **Exact quote** (status ``moved``): every occurrence of the quote is scored by how well its surroundings
   match ``prefix``/``suffix`` (similarity in 0-1) and, as a tie-breaker, by its distance to the old position.
   A short quote is only accepted with supporting context (:data:`MIN_CONTEXT_FOR_SHORT`). An occurrence
   with a context similarity of at least :data:`CONFIDENT_CONTEXT` is taken at once; otherwise it competes
   with the approximate match (the passage may have been edited in place while the same words occur
   elsewhere): the higher ``0.5 * quote similarity + 0.5 * context similarity`` wins, the exact one on ties.
3. **Approximate** (status ``fuzzy``): rapidfuzz's ``partial_ratio_alignment`` (an Indel/LCS alignment
   with no 32-character limit) locates the best window for ``prefix + quote + suffix`` over the whole text
   and near the old position. Each window is then aligned character by character with the old
   ``prefix + quote + suffix`` (``Indel.opcodes``), and the quote's two boundaries are mapped through that
   alignment: the context pins the boundaries even when the quote's own first or last words changed.
   The candidate's ``score`` = ``0.8 * quote similarity + 0.2 * context similarity``.
4. Otherwise **orphaned**: the annotation keeps its quote and last position and is listed for the user to
   reattach. Nothing is ever attached to a passage silently when confidence is low.

Acceptance of a fuzzy match (documented thresholds; see the tests that calibrate them):

- quote similarity (normalized Indel similarity of the old quote and the new span) at least
  :data:`MIN_QUOTE_SIMILARITY` (0.8), and
- ``score`` at least :data:`FUZZY_THRESHOLD` (0.8), unless the quote is long and its similarity at least
  :data:`STRONG_QUOTE_SIMILARITY` (0.9: the quote alone is then evidence enough), and
- for a short quote, context similarity at least :data:`MIN_CONTEXT_FOR_SHORT` (0.6) and quote similarity at
  least :data:`SHORT_MIN_QUOTE_SIMILARITY` (0.85), and
- **look-alikes**: for a quote shorter than :data:`LOOKALIKE_LEN` (64) whose words changed, *each* side of
  the context at least :data:`MIN_SIDE_CONTEXT` (0.6). In a list of dated entries a short quote matches its
  neighbours almost as well as itself; with one side of its context gone, the change at that place is larger
  than the quote (it was replaced or moved away), and the words there are someone else's;
- **no close rival**: unless the match holds the quote's very words (whitespace aside), the best match of the
  quote elsewhere (found with the chosen span blanked out) must score at least :data:`AMBIGUITY_MARGIN`
  (0.05) lower, or hold the same words. Two different passages that fit about equally well mean the note's
  own passage may be gone: it is orphaned rather than given to a look-alike that was already there.

A deleted passage thus becomes an orphan rather than jumping to a passage that merely shares some words.
Measured on edits of the PEP corpus (``tests/unit/test_reanchor_edits.py``, 300 PEPs, 5242 edits): 39
wrong attachments (94 before the look-alike rules), every passage found after insertions, moves and reflows.

Making an annotation from a range (trimming it, taking its context) is :mod:`.selection`'s; its names are
re-exported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from reader.core.errors import AnchorError
from reader.core.models import AnchorStatus, Annotation, PreviousTarget
from reader.core.notes.selection import (
    CONTEXT_LEN,
    context_at,
    find_quote,
    make_annotation,
    normalize_tags,
    retarget,
    timestamp,
    trim_range,
)

#: A quote at least this long identifies its passage by itself; shorter ones need their context to agree.
SELF_ANCHORING_LEN = 20
#: Minimum context similarity (0-1) that a short quote needs, at its old position or elsewhere. Calibrated on
#: the PEP and Korean news corpora: 32 random characters match a given prefix with a similarity of 0.31
#: (median), 0.47 (99th percentile), 0.56 (99.9th); both sides together are lower still.
MIN_CONTEXT_FOR_SHORT = 0.6
#: An exact occurrence whose context matches at least this well is taken without looking further.
CONFIDENT_CONTEXT = 0.9
#: Minimum normalized Indel similarity between the old quote and the new span for a fuzzy match.
MIN_QUOTE_SIMILARITY = 0.8
#: A quote of at least :data:`SELF_ANCHORING_LEN` code points this similar is accepted whatever its context
#: (a paragraph both moved and edited, or a quote now at the very end of the text).
STRONG_QUOTE_SIMILARITY = 0.9
#: A short quote needs a closer fuzzy match (one changed character in eight scores 0.875).
SHORT_MIN_QUOTE_SIMILARITY = 0.85
#: Minimum combined score (0.8 quote + 0.2 context) for a fuzzy match.
FUZZY_THRESHOLD = 0.8
_QUOTE_WEIGHT = 0.8
#: A quote shorter than this (about its own context) whose words changed is accepted as a fuzzy match only if
#: the context on each side still agrees (:data:`MIN_SIDE_CONTEXT`): in a list of look-alike entries (dates,
#: versions) a short quote matches its neighbours nearly as well as itself, and with one side of its context
#: gone the change around it is larger than the quote: it was replaced or moved, not edited.
LOOKALIKE_LEN = 2 * CONTEXT_LEN
#: Minimum similarity of each side of the context for such a quote.
MIN_SIDE_CONTEXT = 0.6
#: A fuzzy match is refused when a passage elsewhere with different words scores within this of it.
AMBIGUITY_MARGIN = 0.05
#: More exact occurrences than this are scored only near the old position (speed on pathological quotes).
_MAX_EXACT_CANDIDATES = 2000


@dataclass(frozen=True, slots=True)
class AnchorResult:
    """Where an annotation lies in a text: ``text[start:end]``, how it was found, and how sure we are (0-1).

    For an ``orphaned`` result, ``start``/``end`` are the annotation's last known position (unchanged).
    """

    start: int
    end: int
    status: AnchorStatus
    score: float

    @property
    def found(self) -> bool:
        return self.status != "orphaned"


# ----------------------------------------------------------------------------------------------- scoring


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return float(Indel.normalized_similarity(a, b))


def context_similarity(annotation: Annotation, text: str, start: int, end: int) -> float:
    """How well the text around ``start``/``end`` matches the annotation's prefix and suffix (0-1).

    Each side is weighted by its length; an annotation without context scores 1.
    """
    prefix, suffix = annotation.prefix, annotation.suffix
    total = len(prefix) + len(suffix)
    if total == 0:
        return 1.0
    score = 0.0
    if prefix:
        score += len(prefix) * _similarity(prefix, text[max(0, start - len(prefix)) : start])
    if suffix:
        score += len(suffix) * _similarity(suffix, text[end : end + len(suffix)])
    return score / total


def _proximity(position: int, hint: int, length: int) -> float:
    return 1.0 - min(1.0, abs(position - hint) / max(1, length))


# ----------------------------------------------------------------------------------------------- anchoring


def anchor(annotation: Annotation, text: str) -> AnchorResult:
    """Find ``annotation``'s passage in ``text`` (see the module documentation for the stages)."""
    quote = annotation.exact
    start, end = annotation.start, annotation.end
    orphan = AnchorResult(start, end, "orphaned", 0.0)
    if not quote or not text:
        return orphan
    short = len(quote) < SELF_ANCHORING_LEN

    # 1. The stored position.
    if 0 <= start <= end <= len(text) and text[start:end] == quote:
        context = context_similarity(annotation, text, start, end)
        if not short or context >= MIN_CONTEXT_FOR_SHORT:
            return AnchorResult(start, end, "anchored", 1.0)

    # 2. The exact quote elsewhere. With a well-matching context it is taken at once.
    exact = _anchor_exact(annotation, text, short)
    if exact is not None and exact[1] >= CONFIDENT_CONTEXT:
        return exact[0]

    # 3. Approximate. When an exact copy exists but with a poor context (the passage was edited where it
    # was and the same words also occur elsewhere), the two are ranked by 0.5 quote + 0.5 context
    # similarity, the exact copy winning ties.
    approximate = _anchor_fuzzy(annotation, text, short)
    if exact is not None:
        if approximate is None:
            return exact[0]
        fuzzy_result, quote_similarity, context = approximate
        if 0.5 * quote_similarity + 0.5 * context > 0.5 + 0.5 * exact[1]:
            return fuzzy_result
        return exact[0]
    if approximate is not None:
        return approximate[0]
    return orphan


def _occurrences(text: str, quote: str) -> list[int]:
    found: list[int] = []
    position = text.find(quote)
    while position >= 0:
        found.append(position)
        position = text.find(quote, position + 1)
    return found


def _anchor_exact(annotation: Annotation, text: str, short: bool) -> tuple[AnchorResult, float] | None:
    """The best exact occurrence of the quote and its context similarity."""
    quote = annotation.exact
    positions = _occurrences(text, quote)
    if not positions:
        return None
    hint = annotation.start
    if len(positions) > _MAX_EXACT_CANDIDATES:
        positions.sort(key=lambda p: abs(p - hint))
        positions = positions[:_MAX_EXACT_CANDIDATES]
    best: tuple[float, float, int] | None = None
    best_context = 0.0
    for position in positions:
        context = context_similarity(annotation, text, position, position + len(quote))
        if short and context < MIN_CONTEXT_FOR_SHORT:
            continue
        # Context decides (rounded, so that a one-character difference does not beat proximity);
        # among equally good contexts the occurrence nearest the old position wins.
        key = (round(context, 2), _proximity(position, hint, len(text)), -position)
        if best is None or key > best:
            best = key
            best_context = context
    if best is None:
        return None
    position = -best[2]
    status: AnchorStatus = "anchored" if position == annotation.start else "moved"
    return AnchorResult(position, position + len(quote), status, 1.0), best_context


def _map_offset(opcodes: Sequence[tuple[str, int, int, int, int]], offset: int, *, is_start: bool) -> int:
    """Map ``offset`` in the old string to the new one through an Indel alignment.

    Consecutive insertions and deletions form one changed block (old ``[i1, i2)`` -> new ``[j1, j2)``). A
    boundary inside a changed block is placed proportionally, so a replaced first or last word belongs to
    the quote; text only inserted exactly at a boundary is left outside it.
    """
    blocks: list[tuple[bool, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in opcodes:
        equal = tag == "equal"
        if blocks and not equal and not blocks[-1][0]:
            _, bi1, _, bj1, _ = blocks[-1]
            blocks[-1] = (False, bi1, i2, bj1, j2)
        else:
            blocks.append((equal, i1, i2, j1, j2))
    for equal, i1, i2, j1, j2 in blocks:
        if i1 == i2:
            continue  # a pure insertion never contains an old offset
        if not (i1 <= offset < i2 if is_start else i1 < offset <= i2):
            continue
        if equal:
            return j1 + (offset - i1)
        fraction = (offset - i1) * (j2 - j1)
        span = i2 - i1
        return j1 + (fraction // span if is_start else -(-fraction // span))
    if not blocks:
        return 0
    return blocks[-1][4] if is_start else blocks[0][3]


@dataclass(frozen=True, slots=True)
class _Candidate:
    result: AnchorResult
    quote_similarity: float
    context: float
    #: The span holds the quote's words (only the whitespace between them differs).
    same_words: bool


def _side_similarities(annotation: Annotation, text: str, start: int, end: int) -> list[float]:
    """The similarity of each side of context the annotation has (prefix, suffix) at ``start``/``end``."""
    sides = []
    if annotation.prefix:
        prefix = annotation.prefix
        sides.append(_similarity(prefix, text[max(0, start - len(prefix)) : start]))
    if annotation.suffix:
        sides.append(_similarity(annotation.suffix, text[end : end + len(annotation.suffix)]))
    return sides


def _evaluate(
    annotation: Annotation, text: str, window: tuple[int, int], needle: str, short: bool
) -> _Candidate | None:
    """The quote's span in ``window`` (widened by some slack), if it is an acceptable approximate match."""
    quote, prefix = annotation.exact, annotation.prefix
    slack = len(needle) // 4 + 8
    lo = max(0, window[0] - slack)
    hi = min(len(text), window[1] + slack)
    opcodes = [
        (op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end)
        for op in Indel.opcodes(needle, text[lo:hi])
    ]
    start = lo + _map_offset(opcodes, len(prefix), is_start=True)
    end = lo + _map_offset(opcodes, len(prefix) + len(quote), is_start=False)
    if end <= start:
        return None
    span = text[start:end]
    # Whitespace reflowed (line breaks, double spaces) does not make a match less certain.
    reflowed = _similarity(" ".join(quote.split()), " ".join(span.split()))
    quote_similarity = max(_similarity(quote, span), reflowed)
    context = context_similarity(annotation, text, start, end)
    score = _QUOTE_WEIGHT * quote_similarity + (1 - _QUOTE_WEIGHT) * context
    strong = not short and quote_similarity >= STRONG_QUOTE_SIMILARITY
    if quote_similarity < MIN_QUOTE_SIMILARITY or (score < FUZZY_THRESHOLD and not strong):
        return None
    if short and (context < MIN_CONTEXT_FOR_SHORT or quote_similarity < SHORT_MIN_QUOTE_SIMILARITY):
        return None
    if (
        len(quote) < LOOKALIKE_LEN
        and reflowed < 1.0
        and min(_side_similarities(annotation, text, start, end), default=1.0) < MIN_SIDE_CONTEXT
    ):
        return None  # changed words with one side of context gone: a look-alike, not an edit
    result = AnchorResult(start, end, "fuzzy", round(score, 3))
    return _Candidate(result, quote_similarity, context, quote.split() == span.split())


def _masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with ``spans`` blanked out (so that a search finds the best match elsewhere)."""
    pieces, position = [], 0
    for start, end in sorted(spans):
        start = max(start, position)
        if end > start:
            pieces.append(text[position:start])
            pieces.append("\x00" * (end - start))
            position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _anchor_fuzzy(annotation: Annotation, text: str, short: bool) -> tuple[AnchorResult, float, float] | None:
    """The best acceptable approximate match, its quote similarity and its context similarity.

    ``None`` when there is none, or when another passage (different words, elsewhere) matches almost as
    well (:data:`AMBIGUITY_MARGIN`): a look-alike may be someone else's passage, and an orphan is better than
    a wrong attachment.
    """
    quote, prefix, suffix = annotation.exact, annotation.prefix, annotation.suffix
    needle = prefix + quote + suffix
    windows: set[tuple[int, int]] = set()
    quote_alone = len(needle) < len(text) and len(quote) < len(text)
    if len(needle) >= len(text):
        windows.add((0, len(text)))
    else:
        windows.add(_best_window(needle, text, 0))
        # Also near the old position, so that a repeated, slightly edited passage prefers the nearest copy.
        near_from = max(0, annotation.start - len(prefix) - 2 * len(needle))
        near_to = min(len(text), annotation.end + len(suffix) + 2 * len(needle))
        if near_to - near_from > len(needle):
            windows.add(_best_window(needle, text[near_from:near_to], near_from))
        # The quote alone, for when the context changed more than the quote.
        if quote_alone:
            windows.add(_best_window(quote, text, 0, pad=len(prefix), pad_after=len(suffix)))
    candidates = [c for c in (_evaluate(annotation, text, w, needle, short) for w in windows) if c]
    if not candidates:
        return None
    best = max(candidates, key=lambda c: _rank(c, annotation, text))
    if best.same_words:
        return (
            best.result,
            best.quote_similarity,
            best.context,
        )  # the words are there: no look-alike is better
    # A rival: the best match of the quote alone elsewhere, with the chosen span blanked out.
    if quote_alone:
        blanked = _masked(text, [(best.result.start, best.result.end)])
        window = _best_window(quote, blanked, 0, pad=len(prefix), pad_after=len(suffix))
        rival = _evaluate(annotation, text, window, needle, short)
        if rival is not None:
            candidates.append(rival)
    chosen = text[best.result.start : best.result.end].split()
    for rival in candidates:
        r = rival.result
        overlaps = r.start < best.result.end and best.result.start < r.end
        if overlaps or text[r.start : r.end].split() == chosen:
            continue  # the same place, or a copy of the same words (then the nearest is as good as any)
        if rival.result.score >= best.result.score - AMBIGUITY_MARGIN:
            return None
    return best.result, best.quote_similarity, best.context


def _rank(candidate: _Candidate, annotation: Annotation, text: str) -> tuple[float, float]:
    return candidate.result.score, _proximity(candidate.result.start, annotation.start, len(text))


def _best_window(
    needle: str, haystack: str, offset: int, *, pad: int = 0, pad_after: int = 0
) -> tuple[int, int]:
    alignment = fuzz.partial_ratio_alignment(needle, haystack)
    if alignment is None:  # pragma: no cover - only with a score_cutoff
        return offset, offset + len(haystack)
    start = alignment.dest_start
    end = alignment.dest_end
    return offset + max(0, start - pad), offset + min(len(haystack), end + pad_after)


def reanchor(annotation: Annotation, text: str, *, text_hash: str = "") -> tuple[Annotation, AnchorResult]:
    """``annotation`` updated after :func:`anchor` against ``text``, and the result.

    ``text_hash`` is the hash of the text the annotation's positions referred to until now (recorded in
    ``previous``). The quote, context and position always describe ``text`` afterwards, except for an orphan:

    - anchored/moved: new position, and the context (prefix/suffix) refreshed from ``text``;
    - fuzzy: the quote becomes the words now at the new position (trimmed of whitespace at its ends), the
      context is refreshed, and what the passage said before is kept in ``previous`` (a
      :class:`~reader.core.models.PreviousTarget`; an existing one is kept: it holds the words the user
      highlighted or last confirmed);
    - orphaned: the passage is not in ``text``; the quote and position are kept as the last known ones.

    An annotation with a ``previous`` record stays ``fuzzy`` when later found exactly (it has not been
    confirmed by the user; :func:`retarget` confirms it). ``modified`` is not changed: re-anchoring is not a
    user edit.
    """
    result = anchor(annotation, text)
    if result.status == "orphaned":
        return dataclasses.replace(annotation, status="orphaned", tags=list(annotation.tags)), result
    return _described(annotation, text, result.start, result.end, result.status, text_hash), result


def requote(annotation: Annotation, text: str, *, text_hash: str = "") -> Annotation:
    """A ``fuzzy`` annotation written before issue 15, whose quote still holds the words it had before it was
    re-anchored (its position is in ``text``): the quote and context taken from ``text`` at its position, the
    old ones kept in ``previous``. Any other annotation is returned unchanged (a copy)."""
    start, end = annotation.start, annotation.end
    if (
        annotation.status != "fuzzy"
        or annotation.previous is not None
        or not 0 <= start < end <= len(text)
        or text[start:end] == annotation.exact
        or not text[start:end].strip()
    ):
        return dataclasses.replace(annotation, tags=list(annotation.tags))
    return _described(annotation, text, start, end, "fuzzy", text_hash)


def _described(
    annotation: Annotation, text: str, start: int, end: int, status: AnchorStatus, text_hash: str
) -> Annotation:
    """``annotation`` at ``text[start:end]``: quote and context from ``text``, the earlier words in
    ``previous``."""
    previous = annotation.previous
    if status == "fuzzy":
        with contextlib.suppress(AnchorError):
            start, end = trim_range(text, start, end)
        if previous is None and text[start:end] != annotation.exact:
            previous = PreviousTarget(
                exact=annotation.exact,
                prefix=annotation.prefix,
                suffix=annotation.suffix,
                start=annotation.start,
                end=annotation.end,
                text_hash=text_hash,
                reanchored=timestamp(),
            )
    if previous is not None:
        status = "fuzzy"
    prefix, suffix = context_at(text, start, end)
    return dataclasses.replace(
        annotation,
        exact=text[start:end],
        start=start,
        end=end,
        prefix=prefix,
        suffix=suffix,
        status=status,
        tags=list(annotation.tags),
        previous=previous,
    )


__all__ = [
    "AMBIGUITY_MARGIN",
    "CONFIDENT_CONTEXT",
    "CONTEXT_LEN",
    "FUZZY_THRESHOLD",
    "LOOKALIKE_LEN",
    "MIN_CONTEXT_FOR_SHORT",
    "MIN_QUOTE_SIMILARITY",
    "MIN_SIDE_CONTEXT",
    "SELF_ANCHORING_LEN",
    "SHORT_MIN_QUOTE_SIMILARITY",
    "STRONG_QUOTE_SIMILARITY",
    "AnchorResult",
    "anchor",
    "context_at",
    "context_similarity",
    "find_quote",
    "make_annotation",
    "normalize_tags",
    "reanchor",
    "requote",
    "retarget",
    "timestamp",
    "trim_range",
]
