"""Turning a file's bytes into text: binary detection, encoding detection, line-ending normalization.

Order of decisions (first match wins):

1. A byte-order mark (UTF-32, UTF-8, UTF-16; UTF-32 is checked first because its LE mark starts with
   UTF-16's).
2. UTF-16 without a BOM, only when it is clear: almost every other byte is NUL and the text decodes.
3. Strict UTF-8 (ASCII is UTF-8).
4. A charset declared by the document (an HTML ``<meta charset>``), when it is one of the plausible
   code pages and decodes strictly.
5. charset-normalizer, limited to :data:`PLAUSIBLE_CODECS` (Korean, Western European, Japanese,
   Chinese code pages).
6. A lenient fallback: UTF-8 with replacement characters.

Files that look binary (known magic numbers, or NUL bytes in text that is not UTF-16/32) raise
:class:`BinaryFileError` with a reason meant for the user. After decoding, CRLF and CR become ``\\n``,
other C0 control characters (except tab) are removed and the text is NFC-normalized, so that the canonical
text is the same whatever the source's encoding or platform.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from typing import NamedTuple

from charset_normalizer import from_bytes

log = logging.getLogger(__name__)

#: Code pages the detector may choose from (Python codec names).
PLAUSIBLE_CODECS: tuple[str, ...] = ("cp949", "euc_kr", "cp1252", "latin_1", "shift_jis", "gb18030", "big5")

#: How many bytes the binary sniffing and the detector look at.
SNIFF_BYTES = 64 * 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or Office document)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
    (b"BM", "BMP image"),
    (b"RIFF", "RIFF media file"),
    (b"\x00\x00\x01\x00", "icon image"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document"),
    (b"OggS", "Ogg media file"),
    (b"ID3", "MP3 audio"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!", "RAR archive"),
    (b"wOFF", "web font"),
)
# "BM" and "MZ" are also plausible starts of text ("MZ" rarely, "BM" e.g. "BMW"): require binary evidence.
_WEAK_MAGIC = frozenset({b"MZ", b"BM", b"RIFF", b"ID3"})

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",  # CP949 is a superset of EUC-KR and what Korean "EUC-KR" pages really use
    "windows-949": "cp949",
    "iso-8859-1": "cp1252",  # browsers treat Latin-1 as Windows-1252 (WHATWG)
    "windows-1252": "cp1252",
    "x-sjis": "shift_jis",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


class BinaryFileError(ValueError):
    """The bytes are not text; ``str(error)`` says what they look like."""


class Decoded(NamedTuple):
    text: str
    encoding: str


def _nul_parity(sample: bytes) -> tuple[float, float]:
    """Share of NUL bytes at even and at odd positions of ``sample``."""
    half = max(1, len(sample) // 2)
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    return even, odd


def sniff_binary(data: bytes) -> str | None:
    """A user-facing reason when ``data`` is clearly not text, else ``None``."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    head = data[:SNIFF_BYTES]
    has_nul = b"\x00" in head
    for magic, what in _MAGIC:
        if head.startswith(magic) and (magic not in _WEAK_MAGIC or has_nul):
            return f"binary file ({what})"
    if not has_nul:
        return None
    if head.count(0) == len(head):
        return "binary file (only NUL bytes)"
    if _utf16_without_bom(head) is not None:
        return None
    return "binary file (contains NUL bytes)"


def _utf16_without_bom(data: bytes) -> str | None:
    """The codec when ``data`` is clearly UTF-16 without a BOM (mostly ASCII-range text), else ``None``."""
    if len(data) < 4:
        return None
    even, odd = _nul_parity(data[:SNIFF_BYTES])
    if odd > 0.6 and even < 0.05:
        codec = "utf-16-le"
    elif even > 0.6 and odd < 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data[: len(data) // 2 * 2].decode(codec)
    except UnicodeDecodeError:
        return None
    return codec if "\x00" not in text else None


def normalize_text(text: str, *, controls: bool = True) -> str:
    """CRLF/CR to ``\\n``, drop a leading BOM and stray control characters, NFC-normalize.

    ``controls=False``: the caller knows that ``text`` has no control character but tab, LF and CR (see
    :func:`has_control_bytes`), and the search for them is skipped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if controls:  # first, so that a BOM behind a stray control character is still dropped
        text = _CONTROL.sub("", text)
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text)


#: The bytes of the control characters :func:`normalize_text` drops (CR is not one: it becomes LF first).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def has_control_bytes(data: bytes) -> bool:
    """Whether UTF-8 ``data`` has a control character that :func:`normalize_text` drops (UTF-8 encodes them
    as themselves and every other character with bytes >= 0x80): one ``bytes.translate``, no regex."""
    return len(data.translate(None, _CONTROL_BYTES)) != len(data)


def _canonical_codec(name: str) -> str | None:
    name = name.strip().lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    plausible = {codecs.lookup(c).name for c in PLAUSIBLE_CODECS} | {"utf-8"}
    return codec if codec in plausible else None


def _detect(data: bytes) -> str | None:
    results = from_bytes(data[: SNIFF_BYTES * 4], cp_isolation=list(PLAUSIBLE_CODECS))
    best = results.best()
    if best is None:
        return None
    codec = best.encoding
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return codec


def decode_bytes(data: bytes, *, declared: str | None = None) -> Decoded:
    """Decode ``data`` (see the module docstring for the order). Raises :class:`BinaryFileError`."""
    reason = sniff_binary(data)
    if reason is not None:
        raise BinaryFileError(reason)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            return Decoded(normalize_text(text), codec.replace("-sig", ""))
    utf16 = _utf16_without_bom(data) if b"\x00" in data[:SNIFF_BYTES] else None
    if utf16 is not None:  # checked first: UTF-16 of ASCII text is also valid UTF-8 (with NULs)
        # errors="replace": an odd trailing byte (a truncated file) must not fail the whole decode.
        return Decoded(normalize_text(data.decode(utf16, errors="replace")), utf16)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return Decoded(normalize_text(text, controls=has_control_bytes(data)), "utf-8")
    declared_codec = _canonical_codec(declared) if declared else None
    if declared_codec is not None and declared_codec != "utf-8":
        try:
            return Decoded(normalize_text(data.decode(declared_codec)), declared_codec)
        except UnicodeDecodeError:
            log.debug("declared charset %s does not decode; detecting", declared)
    detected = _detect(data)
    if detected is not None:
        return Decoded(normalize_text(data.decode(detected)), codecs.lookup(detected).name)
    log.debug("no plausible encoding found; decoding as UTF-8 with replacements")
    return Decoded(normalize_text(data.decode("utf-8", errors="replace")), "utf-8 (lenient)")
