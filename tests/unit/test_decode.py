"""Decoding bytes into the canonical text: BOMs, UTF-8, legacy code pages, binary detection."""

from __future__ import annotations

import codecs

import pytest

from reader.core.articles.decode import BinaryFileError, decode_bytes, normalize_text, sniff_binary

KO = "줄기세포 치료제가 국내 첫 임상시험에 들어갔다. 연구팀은 안전성을 확인했다고 밝혔다."
LATIN = "Le café de la gare était fermé; naïve façade, crème brûlée à volonté. Señor Müller."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + KO.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + KO.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + KO.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + KO.encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + KO.encode("utf-32-be"), "utf-32-be"),
    ],
)
def test_byte_order_marks_decide_and_are_removed(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.text == KO
    assert decoded.encoding == encoding


def test_strict_utf8_is_preferred() -> None:
    assert decode_bytes(KO.encode("utf-8")) == (KO, "utf-8")


@pytest.mark.parametrize("codec", ["cp949", "euc-kr"])
def test_korean_legacy_code_pages(codec: str) -> None:
    text = (KO + "\n") * 3
    decoded = decode_bytes(text.encode(codec))
    assert decoded.text == text
    assert decoded.encoding in ("cp949", "euc_kr")


def test_latin1_file() -> None:
    decoded = decode_bytes((LATIN + "\n").encode("latin-1"))
    assert decoded.text == LATIN + "\n"
    assert decoded.encoding in ("cp1252", "iso8859-1")


def test_declared_charset_is_used_when_it_decodes() -> None:
    assert decode_bytes(KO.encode("cp949"), declared="EUC-KR").text == KO


def test_utf16_without_bom_when_clear() -> None:
    text = "Plain text saved as UTF-16 without a byte-order mark: café, naïve.\n" * 4
    decoded = decode_bytes(text.encode("utf-16-le"))
    assert decoded.text == text
    assert decoded.encoding == "utf-16-le"


def test_line_endings_are_normalized() -> None:
    assert decode_bytes(b"one\r\ntwo\rthree\n").text == "one\ntwo\nthree\n"
    assert normalize_text("\ufeffa\x0cb\x07c\td") == "ab" + "c\td"


def test_nfc_normalization() -> None:
    decomposed = "\u1100\u1161"  # conjoining jamo for 가
    assert decode_bytes(decomposed.encode("utf-8")).text == "가"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x00" * 4096, "NUL"),
        (b"text\x00with\x01\x00\x00binary\xff\x00 junk" * 50, "NUL"),
    ],
)
def test_binary_files_are_refused(data: bytes, fragment: str) -> None:
    assert fragment in (sniff_binary(data) or "")
    with pytest.raises(BinaryFileError, match=fragment):
        decode_bytes(data)


def test_text_that_starts_like_a_weak_magic_is_text() -> None:
    assert sniff_binary(b"BMW and MZ are just letters here.") is None


def test_lenient_fallback_never_raises() -> None:
    data = bytes([0x80, 0x81, 0xFE, 0xFF, 0x41]) * 3 + b"\n"
    decoded = decode_bytes(data)
    assert isinstance(decoded.text, str)
    assert decoded.text.endswith("\n")
