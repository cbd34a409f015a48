"""A read-only stream over a memoryview, for Whoosh's stream reads of memory-mapped segment files.

Whoosh reads a compound segment's parts through ``BufferFile``, which wraps the whole part in a ``BytesIO``:
a copy of the segment's postings file, made under the GIL each time a searcher opens the segment (after
every commit of a first build: the window's memory grew to ~700 MB, and the copies stalled its thread).
:class:`ViewStream` serves the same reads from the memory map, copying only what each read returns
(:class:`~reader.core.search.whoosh_private.LazyBufferFile` uses it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ViewStream"]


class ViewStream:
    """A read-only stream over a memoryview: reads copy only what they return (a BytesIO of the view would
    copy all of it first: a segment's whole postings file, under the GIL, each time a searcher opens it)."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0
        self.closed = False

    def seek(self, pos: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._pos = max(start, end)
        return bytes(self._view[start:end])

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            chunk = self.read(256 if size is None or size < 0 else min(256, size - len(line)))
            if not chunk:
                break
            cut = chunk.find(b"\n")
            if cut >= 0:
                line += chunk[: cut + 1]
                self._pos -= len(chunk) - cut - 1
                break
            line += chunk
        return bytes(line)

    def close(self) -> None:
        self.closed = True
