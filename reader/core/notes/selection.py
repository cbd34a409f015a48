"""Making an annotation from a range of an article's text: the selection trimmed, its quote and context.

Used by the store for a new highlight (:func:`make_annotation`) and for one the user reattaches
(:func:`retarget`), so that the window and the command line make the same annotation from the same range.
Whitespace at either end of a selection is left out (:func:`trim_range`): a selection that starts a paragraph
often takes the line breaks before it, but the highlight is the words.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence

from reader.core.errors import AnchorError
from reader.core.models import COLORS, Annotation

#: Code points of context kept on each side of a quote.
CONTEXT_LEN = 32


def context_at(text: str, start: int, end: int) -> tuple[str, str]:
    """The ``prefix`` and ``suffix`` (up to :data:`CONTEXT_LEN` code points each) around the span."""
    return text[max(0, start - CONTEXT_LEN) : start], text[end : end + CONTEXT_LEN]


def _check_range(text: str, start: int, end: int) -> None:
    if not (0 <= start < end <= len(text)):
        raise AnchorError(f"invalid selection {start}-{end} in a text of {len(text)} characters")


def trim_range(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inwards past any whitespace at either end of ``text[start:end]``.

    A selection that starts a paragraph often takes the line breaks before it; the highlight is the words.
    Raises :class:`AnchorError` for an invalid range or one of whitespace only.
    """
    _check_range(text, start, end)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise AnchorError("the selection is only whitespace")
    return start, end


def make_annotation(
    text: str,
    start: int,
    end: int,
    *,
    color: str = "yellow",
    note: str = "",
    tags: Sequence[str] = (),
) -> Annotation:
    """A new annotation on ``text[start:end]`` with its quote and context taken from ``text``.

    Whitespace at either end of the selection is left out (:func:`trim_range`). Raises :class:`AnchorError`
    for an empty, whitespace-only or out-of-range selection and :class:`ValueError` for a colour not in
    :data:`~reader.core.models.COLORS`.
    """
    start, end = trim_range(text, start, end)
    if color not in COLORS:
        raise ValueError(f"unknown colour {color!r} (choose from {', '.join(COLORS)})")
    prefix, suffix = context_at(text, start, end)
    stamp = timestamp()
    return Annotation(
        exact=text[start:end],
        start=start,
        end=end,
        prefix=prefix,
        suffix=suffix,
        color=color,
        note=note,
        tags=normalize_tags(tags),
        created=stamp,
        modified=stamp,
        status="anchored",
    )


def retarget(annotation: Annotation, text: str, start: int, end: int) -> Annotation:
    """A copy of ``annotation`` attached by the user to ``text[start:end]`` (trimmed as in
    :func:`make_annotation`): new quote and context, status anchored, no ``previous`` (the user confirmed)."""
    start, end = trim_range(text, start, end)
    prefix, suffix = context_at(text, start, end)
    return dataclasses.replace(
        annotation,
        exact=text[start:end],
        start=start,
        end=end,
        prefix=prefix,
        suffix=suffix,
        status="anchored",
        tags=list(annotation.tags),
        modified=timestamp(),
        previous=None,
    )


def normalize_tags(tags: Sequence[str]) -> list[str]:
    """Tags stripped, empty ones dropped, duplicates removed (first spelling kept), order kept."""
    if isinstance(tags, str):
        raise TypeError("tags must be a sequence of strings, not a string")
    seen: set[str] = set()
    result: list[str] = []
    for tag in tags:
        cleaned = tag.strip()
        if cleaned and cleaned not in seen:
            seen.add(cleaned)
            result.append(cleaned)
    return result


def timestamp() -> str:
    """Now as RFC 3339 UTC with millisecond precision (``2025-01-02T03:04:05.678Z``).

    Milliseconds make "the newer edit wins" meaningful for edits made within the same second.
    """
    now = _dt.datetime.now(_dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def find_quote(text: str, quote: str, occurrence: int = 1) -> tuple[int, int]:
    """``(start, end)`` of the ``occurrence``-th (1-based) occurrence of ``quote`` in ``text``.

    Raises :class:`AnchorError` with a message fit for a user when it is not there.
    """
    if not quote:
        raise AnchorError("the quote is empty")
    if occurrence < 1:
        raise AnchorError(f"occurrence must be 1 or more, not {occurrence}")
    position = -1
    for count in range(occurrence):
        position = text.find(quote, position + 1)
        if position < 0:
            shown = " ".join((quote if len(quote) <= 60 else quote[:57] + "...").split())
            if count == 0:
                raise AnchorError(f"quote not found in the text: {shown!r}")
            raise AnchorError(f"quote found {count} time(s) in the text, not {occurrence}: {shown!r}")
    return position, position + len(quote)
