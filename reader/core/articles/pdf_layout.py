"""PDF page layout: PDFium's text lines -> paragraphs, with every character's source kept.

Pure geometry and text rules, no PDFium calls (:mod:`.pdf` reads the lines, :mod:`.pdf_order` drops running
heads and puts the lines in reading order). Coordinates are PDF points, ``y`` grows upwards. Measured on the
shared papers (``../shared/documents/pdf``, see ``tests/benchmarks/bench_documents.py``):

- **Paragraphs**: consecutive lines in reading order stay in one block unless the gap between them is wider
  than :data:`PARA_GAP` of the line height, they do not overlap horizontally (a new column), the text size
  changes by more than :data:`SIZE_CHANGE`, or the line is indented and the previous one ended a sentence,
  stopped short of the column's right edge or was a lone numbered heading such as ``(3) ...`` (a new
  paragraph). The rest of a row (after a superscript) stays in its block. A paragraph that a column or page
  break cut in two is joined again (:func:`merge_continuations`).
- **Joining lines**: a line ending in PDFium's soft-hyphen marker (U+0002 or U+FFFE: a word hyphenated at the
  line end) is joined to the next without the hyphen, unless the word is a compound
  (:func:`resolve_hyphens`); a line that ends in a Hangul, kana or Han character *without* a trailing space,
  followed by one that starts with such a character, is joined without a space (the Korean report breaks
  lines inside words: ``확`` / ``진자는``; where its lines break between words, PDFium ends the line with a
  space, so the space stays) *and* the line runs to within :data:`CJK_FULL` of the text size of its column's
  right edge (a short line ends for another reason: a masthead's ``발행일 2020년 4월 2일`` / ``발행처 ...``
  keep their space); any other line break becomes one space. Measured on the Korean report: 114 breaks
  glued, 52 kept by PDFium's trailing space, 5 by a short line; by eye, the glued ones are breaks inside a
  word or a compound written solid (``금융|당국``), one debatable (``보건|문제를``); ``bench_documents.py``
  lists them.
- **Characters**: ligatures U+FB00-FB06 are expanded (NFKC of that range only), control characters and
  unmapped glyphs are dropped, runs of spaces collapse to one, each block is NFC.

Every character of a block's text keeps the PDFium character index it came from (``-1`` for a space made
from a line break), so that canonical offsets map back to boxes on the page (:func:`.pdf.pdf_char_boxes`).
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass

PARA_GAP = 0.75
SIZE_CHANGE = 0.18
CJK_FULL = 1.5
SOFT_HYPHENS = ("\x02", "\ufffe")
_HEADING_MARK_RE = re.compile(r"^(?:\(\d+\)|\d+(?:\.\d+)*\.?\s|[IVX]+\.\s|[□■◆◇▶▷●○◦]\s?)")
_SENTENCE_END = tuple(".?!:。．」』”\"')")


@dataclass(slots=True)
class Line:
    """One text line of a page: its characters and the PDFium character index of each (``-1``: made up)."""

    text: str
    index: list[int]
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  #: the text height (font size), from PDFium's loose character box
    right: float = 0.0  #: the right edge of its column (set by :func:`reading_order`)

    @property
    def key(self) -> str:
        """The text with digits masked and spaces collapsed (running heads differ in their numbers)."""
        return " ".join(re.sub(r"\d+", "#", self.text).split()).lower()


@dataclass(slots=True)
class TextBlock:
    """A paragraph (or heading) of one page, with the PDFium character index of each character."""

    text: str
    index: list[int]
    page: int  #: 0-based
    size: float
    lines: int
    top: float
    kind: str = "paragraph"
    level: int = 0
    bottom: float = 0.0
    right: float = 0.0
    soft_end: bool = False  #: ends with a word hyphenated across the line end (continues in the next block)
    #: ``(position in text, 0-based page)`` where a paragraph continued from another page goes on
    page_breaks: list[tuple[int, int]] | None = None

    def page_at(self, position: int) -> int:
        """The 0-based page of the character at ``position`` of :attr:`text`."""
        page = self.page
        for start, number in self.page_breaks or ():
            if position >= start:
                page = number
        return page


# ------------------------------------------------------------------------------------------ characters


#: Characters :func:`clean_chars` changes: controls, other whitespace, ligatures, private use, non-characters.
_SPECIAL_RE = re.compile(
    "[^\\S ]|[\x00-\x1f\x7f-\x9f\ufb00-\ufb06\ue000-\uf8ff\ud800-\udfff\ufff0-\uffff\U000f0000-\U0010ffff]"
)


def clean_chars(chars: str, first: int) -> tuple[str, list[int]]:
    """Characters ``chars`` (PDFium char indices from ``first`` on) as text + the char index of each."""
    special = _SPECIAL_RE.search(chars)
    if special is None:
        return chars, list(range(first, first + len(chars)))
    if special.start() == len(chars) - 1 and chars[-1] in "\x02\ufffe":  # a hyphenated line end
        return chars[:-1] + "\x02", list(range(first, first + len(chars)))
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(chars):
        code = ord(ch)
        if code in (0xFFFE, 2):
            out.append("\x02")  # kept as a marker for the line join, dropped otherwise
        elif code < 32 or 0x7F <= code <= 0x9F or 0xFFF0 <= code <= 0xFFFF or 0xD800 <= code <= 0xDFFF:
            if code in (9, 10, 13):
                out.append(" ")
            else:
                continue
        elif 0xFB00 <= code <= 0xFB06:
            expanded = unicodedata.normalize("NFKC", ch)
            out.extend(expanded)
            index.extend([first + i] * (len(expanded) - 1))
        elif 0xE000 <= code <= 0xF8FF or code >= 0xF0000:
            continue  # private use: unmapped glyphs
        else:
            out.append(" " if ch.isspace() else ch)
        index.append(first + i)
    return "".join(out), index


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0xAC00 <= o <= 0xD7A3
        or 0x1100 <= o <= 0x11FF
        or 0x3130 <= o <= 0x318F
        or 0x3040 <= o <= 0x30FF
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
    )


# ------------------------------------------------------------------------------------------ paragraphs


def _new_block(prev: Line, line: Line, right: float, alone: bool = False) -> bool:
    """Whether ``line`` starts a new block after ``prev`` (``alone``: ``prev`` is its block's only line)."""
    size = max(min(prev.size, line.size), 1.0)
    overlap = min(prev.y1, line.y1) - max(prev.y0, line.y0)
    if overlap > 0.5 * min(prev.y1 - prev.y0, line.y1 - line.y0) and line.x0 >= prev.x1 - 1:
        return False  # the rest of the same row (after a superscript, a change of font)
    if prev.y0 - line.y1 > PARA_GAP * size or line.y1 > prev.y1 + 0.5 * size:
        return True  # a wide gap, or the next line is higher up: a new column or region
    if line.x1 < prev.x0 or line.x0 > prev.x1:
        return True
    if abs(prev.size - line.size) > SIZE_CHANGE * size:
        return True
    indented = line.x0 > prev.x0 + 0.5 * size
    ended = prev.text.rstrip().endswith(_SENTENCE_END)
    short = prev.x1 < right - 2.5 * size
    numbered = alone and bool(_HEADING_MARK_RE.match(prev.text.lstrip()))  # "(3) ..." then an indented line
    return indented and (ended or short or numbered)


def _join(text: list[str], index: list[int], line: Line, prev: Line | None) -> None:
    """Append ``line`` to a block's characters with the line-join rules of the module docstring."""
    while text and text[-1] == " " and len(text) > 1 and text[-2] == " ":
        text.pop(), index.pop()
    body = line.text.lstrip(" ")
    lead = len(line.text) - len(body)
    if text:
        trailing_space = text[-1] == " "
        while text and text[-1] == " ":
            text.pop(), index.pop()
        if text and text[-1] == "\x02":
            pass  # hyphenated: joined directly, the marker stays for resolve_hyphens
        elif text and body and not trailing_space and _is_cjk(text[-1]) and _is_cjk(body[0]) and _full(prev):
            pass
        elif text and body:
            text.append(" ")
            index.append(-1)
    if "  " not in body and not (body[:1] == " " and text and text[-1] == " "):
        text.extend(body)
        index.extend(line.index[lead:])
        return
    for ch, i in zip(body, line.index[lead:], strict=True):
        if ch == " " and text and text[-1] == " ":
            continue
        text.append(ch)
        index.append(i)


def _full(line: Line | None) -> bool:
    """Whether ``line`` runs to its column's right edge (a line break there may fall inside a word)."""
    return line is not None and line.x1 >= (line.right or line.x1) - CJK_FULL * line.size


def _finish(text: list[str], index: list[int]) -> tuple[str, list[int]]:
    chars = "".join(text)
    body = chars.lstrip(" ")
    lead = len(chars) - len(body)
    chars = body.rstrip(" ")
    idx = index[lead : lead + len(chars)]
    if chars.isascii() or unicodedata.is_normalized("NFC", chars):
        return chars, idx
    return _nfc(chars, idx)


def _nfc(chars: str, idx: list[int]) -> tuple[str, list[int]]:
    """NFC of ``chars``, each output segment mapped to the char index of its first source character."""
    out: list[str] = []
    out_idx: list[int] = []
    start = 0
    for pos in range(1, len(chars) + 1):
        if pos == len(chars) or (
            unicodedata.combining(chars[pos]) == 0 and not 0x1160 <= ord(chars[pos]) <= 0x11FF
        ):
            seg = unicodedata.normalize("NFC", chars[start:pos])
            out.append(seg)
            out_idx.extend([idx[start]] * len(seg))
            start = pos
    return "".join(out), out_idx


def page_blocks(lines: list[Line], page: int) -> list[TextBlock]:
    """The paragraphs of one page from its lines in reading order."""
    blocks: list[TextBlock] = []
    text: list[str] = []
    index: list[int] = []
    prev: Line | None = None
    first: Line | None = None
    count = 0
    right = 0.0
    bottom = 0.0
    sizes: list[float] = []

    def close() -> None:
        if first is not None and text:
            chars, idx = _finish(text, index)
            soft = chars.endswith("\x02")
            if chars:
                size = statistics.median(sizes)
                blocks.append(
                    TextBlock(
                        chars, idx, page, size, count, first.y1, bottom=bottom, right=right, soft_end=soft
                    )
                )

    for line in lines:
        if prev is not None and _new_block(prev, line, max(right, line.x1), count == 1):
            close()
            text, index, first, count, right, sizes = [], [], None, 0, 0.0, []
        if first is None:
            first = line
        _join(text, index, line, prev)
        sizes.append(line.size)
        count += 1
        right = max(right, line.x1)
        bottom = line.y0
        prev = line
    close()
    return blocks


def merge_continuations(blocks: list[TextBlock]) -> list[TextBlock]:
    """Join a paragraph that a column or page break cut in two: the first part does not end a sentence
    (or ends in a hyphenated word), the second starts with a lowercase letter, and both are body text."""
    out: list[TextBlock] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == block.kind == "paragraph"
            and block.text[:1].islower()
            and (prev.soft_end or not prev.text.endswith(_SENTENCE_END))
            and abs(prev.size - block.size) <= SIZE_CHANGE * max(prev.size, 1.0)
        ):
            gap = [] if prev.soft_end else [" "]
            if block.page != prev.page_at(len(prev.text) - 1):
                prev.page_breaks = [*(prev.page_breaks or []), (len(prev.text) + len(gap), block.page)]
            prev.text = prev.text + "".join(gap) + block.text
            prev.index = prev.index + [-1] * len(gap) + block.index
            prev.lines += block.lines
            prev.soft_end = block.soft_end
            continue
        out.append(block)
    return out


_EDGE_PUNCT = ".,;:()[]{}\"'“”‘’!?*"


def resolve_hyphens(blocks: list[TextBlock]) -> None:
    """Replace each soft-hyphen marker (a word hyphenated at a line end) by nothing, joining the halves, or by
    a hyphen where the word is a compound: the next half starts with a capital or a digit (``Citation-Based``,
    ``COVID-19``), or the document writes the hyphenated form more often than the joined one
    (``document-level``). A marker ending the text keeps its hyphen."""
    vocab: Counter[str] = Counter()
    for block in blocks:
        for word in block.text.split():
            if "\x02" in word:
                continue
            word = word.strip(_EDGE_PUNCT).lower()
            vocab[word] += 1
            if "-" in word:  # state-of-the-art also counts state-of, of-the, the-art
                vocab.update(f"{a}-{b}" for a, b in itertools.pairwise(word.split("-")))
    for block in blocks:
        if "\x02" not in block.text:
            continue
        text, out, idx, removed = block.text, [], [], []
        for pos, ch in enumerate(text):
            if ch != "\x02":
                out.append(ch)
                idx.append(block.index[pos])
                continue
            left = re.search(r"(\w+)$", text[:pos])
            right = re.match(r"(\w+)", text[pos + 1 :])
            if left and right:
                a, b = left.group(1), right.group(1)
                keep = b[0].isupper() or b[0].isdigit() or a[-1].isdigit()
                keep = keep or vocab[f"{a}-{b}".lower()] > vocab[(a + b).lower()]
            else:
                keep = True
            if keep:
                out.append("-")
                idx.append(block.index[pos])
            else:
                removed.append(pos)
        block.text, block.index = "".join(out), idx
        if block.page_breaks and removed:
            block.page_breaks = [(p - sum(1 for r in removed if r < p), n) for p, n in block.page_breaks]
