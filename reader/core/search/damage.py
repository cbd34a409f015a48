"""Damage: the internal error for an index that cannot be read, and the helpers its handling needs.

A :class:`_DamagedError` never leaves the package: :class:`~reader.core.search.index.SearchIndex` sets the
index aside and rebuilds it (or turns it into a :class:`~reader.core.errors.SearchIndexError`).
"""

from __future__ import annotations

import gc
import traceback
import warnings

__all__ = ["_DamagedError", "_describe", "_release"]


class _DamagedError(Exception):
    """Internal: the index could not be read; the message says what failed."""


def _release(exc: BaseException) -> None:
    """Drop the frames of a failure on a damaged index, closing the files Whoosh left open, quietly.

    Whoosh leaks open files when it fails on a damaged index; they would be closed whenever the exception
    is collected, with a ResourceWarning. Used only on the damage path (``catch_warnings`` is process-wide).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        seen: set[int] = set()
        todo: list[BaseException | None] = [exc]
        while todo:
            item = todo.pop()
            if item is None or id(item) in seen:
                continue
            seen.add(id(item))
            if item.__traceback__ is not None:
                traceback.clear_frames(item.__traceback__)
            todo.extend((item.__cause__, item.__context__))
        gc.collect()


def _describe(exc: BaseException) -> str:
    """An exception in one short line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {first}"[:200] if first else name
