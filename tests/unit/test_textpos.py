"""Code point <-> UTF-16 conversion used at the Qt boundary."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reader.ui.reading.textpos import OffsetMap


def test_bmp_text_is_identity() -> None:
    m = OffsetMap("대통령은 말했다")
    assert [m.to_utf16(i) for i in range(5)] == [0, 1, 2, 3, 4]
    assert m.to_cp(4) == 4


def test_emoji_counts_twice_in_utf16() -> None:
    text = "a😀b😀c"
    m = OffsetMap(text)
    assert m.to_utf16(2) == 3  # 'b'
    assert m.to_utf16(4) == 6  # 'c'
    assert m.to_cp(6) == 4
    assert m.to_cp(2) == 1  # inside the surrogate pair rounds down
    assert m.length_utf16 == len(text.encode("utf-16-le")) // 2


@given(st.text())
def test_round_trip_matches_utf16_encoding(text: str) -> None:
    m = OffsetMap(text)
    for cp in range(len(text) + 1):
        u16 = m.to_utf16(cp)
        assert u16 == len(text[:cp].encode("utf-16-le", "surrogatepass")) // 2
        assert m.to_cp(u16) == cp
