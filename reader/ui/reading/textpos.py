"""Conversion between code-point offsets (the core's) and UTF-16 positions (Qt's).

The core stores every offset as a Python ``str`` index (a Unicode code point). Qt's ``QTextDocument``
counts UTF-16 code units, so a character outside the Basic Multilingual Plane (most emoji) counts twice.
This is the only place that converts; it is pure Python so that it can be tested without Qt.
"""

from __future__ import annotations

from bisect import bisect_left


class OffsetMap:
    """Maps offsets of one text between code points and UTF-16 code units in O(log n)."""

    def __init__(self, text: str) -> None:
        # Code-point indices of astral characters (each takes two UTF-16 units).
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        # UTF-16 positions of those characters' first unit.
        self._astral16 = [cp + n for n, cp in enumerate(self._astral)]
        self._length = len(text)

    def to_utf16(self, cp: int) -> int:
        """UTF-16 position of code-point offset ``cp``."""
        return cp + bisect_left(self._astral, cp)

    def to_cp(self, u16: int) -> int:
        """Code-point offset of UTF-16 position ``u16`` (a position inside a surrogate pair rounds down)."""
        n = bisect_left(self._astral16, u16)
        # astral characters strictly before u16; a position pointing at the low surrogate rounds down
        if n and self._astral16[n - 1] + 1 == u16:
            return self._astral16[n - 1] - (n - 1)
        return u16 - n

    @property
    def length_cp(self) -> int:
        return self._length

    @property
    def length_utf16(self) -> int:
        return self._length + len(self._astral)
