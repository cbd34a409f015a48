"""Language, word count and reading time of a canonical text (see :mod:`reader.core.articles.metadata`).

- language: the script that dominates the first 20,000 characters (Hangul -> ``ko``, kana -> ``ja``, Han ->
  ``zh``), or ``en`` for Latin text with English function words;
- word count: whitespace-separated tokens; Korean is counted in eojeol (the space-separated units), so a
  Korean count is comparable to what Korean word processors show. Reading time: 230 English words or 500
  Hangul syllables per minute, rounded, at least 1 for non-empty text.

Every count is exactly what the regex or ``str.split`` rule gives, but taken the cheap way where the text
allows it: an ASCII text (:meth:`str.isascii` is free) has no Hangul, kana, Han or non-ASCII whitespace; a
mostly English text has those searched among its few non-ASCII characters only; letters and words are
counted with ``bytes.translate`` and ``bytes.count`` on the UTF-8 encoding, in which every non-ASCII
character is bytes >= 0x80 (so no ASCII letter or space is ever part of one).
"""

from __future__ import annotations

import re

_EN_WORDS = frozenset("the of and to in a is that for it with as was on are by this be from at".split())  # noqa: SIM905
_HANGUL_LANG_RE = re.compile("[\uac00-\ud7a3\u1100-\u11ff]+")
_KANA_RE = re.compile("[\u3040-\u30ff]+")
_HAN_RE = re.compile("[\u4e00-\u9fff]+")
_ASCII_RUN_RE = re.compile("[\x00-\x7f]+")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Every byte but ``a-z`` to a space: ``split()`` then gives the ``[a-z]+`` words.
_LOWER_WORDS_ONLY = bytes(b if 97 <= b <= 122 else 32 for b in range(256))
_EN_WORD_BYTES = frozenset(w.encode("ascii") for w in _EN_WORDS)
_SYLLABLES_RE = re.compile("[\uac00-\ud7a3]+")
#: A word with a Hangul syllable, matched from its first syllable to its end (one match per such word).
_HANGUL_WORD_RE = re.compile("[\uac00-\ud7a3]\\S*")
_SPACE_RE = re.compile(r"\s")
#: Long texts are counted in pieces cut at whitespace, so that no single C call (``str.split`` of a
#: 5 MB line) holds the GIL for long: the window stays responsive while an article loads in a thread.
CHUNK_CHARS = 1 << 16


def _count(pattern: re.Pattern[str], text: str) -> int:
    """Characters of ``text`` in the runs ``pattern`` matches."""
    return sum(map(len, pattern.findall(text)))


def _pieces(text: str) -> list[str]:
    """``text`` cut into pieces of about :data:`CHUNK_CHARS`, each cut at a whitespace character."""
    if len(text) <= CHUNK_CHARS:
        return [text]
    pieces = []
    start = 0
    while start < len(text):
        m = _SPACE_RE.search(text, min(len(text), start + CHUNK_CHARS))
        end = m.start() if m else len(text)
        pieces.append(text[start:end])
        start = end
    return pieces


def _ascii_letters(text: str) -> int:
    """How many ``[A-Za-z]`` characters ``text`` has (no regex, no match objects): UTF-8 encodes every other
    character with bytes >= 0x80 only, so the letters are the bytes counted."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data) - len(data.translate(None, _ASCII_LETTERS))


def script_counts(sample: str) -> tuple[int, int, int, int]:
    """Characters of ``sample`` in Hangul, kana, Han and Latin (``[A-Za-z]``).

    The first three are counted on the non-ASCII characters only (an ASCII text, which
    :meth:`str.isascii` tells for free, has none), the letters with one ``bytes.translate``.
    """
    if sample.isascii():
        return 0, 0, 0, _ascii_letters(sample)
    other = _ASCII_RUN_RE.sub("", sample)
    latin = _ascii_letters(sample)
    return _count(_HANGUL_LANG_RE, other), _count(_KANA_RE, other), _count(_HAN_RE, other), latin


def language_of(text: str) -> str | None:
    """``ko``, ``ja``, ``zh``, ``en`` or ``None`` from the dominant script of (the start of) ``text``."""
    sample = text[:20000]
    hangul, kana, han, latin = script_counts(sample)
    # A CJK character carries about as much as 2.5 Latin letters.
    scores = {"ko": hangul * 2.5, "ja": kana * 2.5, "zh": han * 2.5 if kana == 0 else 0.0, "latin": latin}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        return None
    if best != "latin":
        return best
    # The [a-z]+ words of the lower-cased sample, as bytes: in UTF-8 every other character is bytes >= 0x80,
    # which the table turns into spaces like the ASCII non-letters.
    words = sample.lower().encode("utf-8", "surrogatepass").translate(_LOWER_WORDS_ONLY).split()
    return "en" if words and sum(map(_EN_WORD_BYTES.__contains__, words)) / len(words) > 0.08 else None


#: Whitespace that is not ASCII (``\xa0``, ``\u3000``, ...): a text without it has its words counted in bytes.
_NON_ASCII_SPACE_RE = re.compile("[^\\S\x00-\x7f]")
#: ``str.split``'s ASCII whitespace (with the separators ``\x1c``-``\x1f``) to a space, every other byte to
#: ``x``: the words of a text are then its ``x`` runs.
_SPACE_OR_WORD = bytes(32 if b in b" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f" else 120 for b in range(256))


def _word_count(text: str, non_ascii: str | None = None) -> int:
    """``len(text.split())`` without making the list: UTF-8 encodes every non-ASCII character with bytes
    >= 0x80, so when none of them is whitespace the words are the runs of non-space bytes.

    ``non_ascii`` is ``text`` without its ASCII characters, when the caller has it (searched instead of
    ``text`` for non-ASCII whitespace).
    """
    if not text.isascii() and _NON_ASCII_SPACE_RE.search(text if non_ascii is None else non_ascii):
        return len(text.split())
    data = text.encode("utf-8", "surrogatepass").translate(_SPACE_OR_WORD)
    return data.count(b" x") + data.startswith(b"x")


def text_counts(text: str) -> tuple[int, int]:
    """``(word_count(text), reading_minutes(text))`` in one pass over ``text``."""
    hangul = words = hangul_words = 0
    for piece in _pieces(text):
        if piece.isascii():  # no Hangul, no non-ASCII whitespace
            words += _word_count(piece)
            continue
        # The non-ASCII characters alone (few in a mostly English text) are searched for whitespace and
        # syllables; the Hangul words are looked for only where there is a syllable.
        non_ascii = _ASCII_RUN_RE.sub("", piece)
        words += _word_count(piece, non_ascii)
        syllables = _count(_SYLLABLES_RE, non_ascii)
        if syllables:
            hangul += syllables
            hangul_words += len(_HANGUL_WORD_RE.findall(piece))
    if not text or text.isspace():  # i.e. ``not text.strip()``, without copying the text
        return words, 0
    return words, max(1, round(hangul / 500 + (words - hangul_words) / 230))


def word_count(text: str) -> int:
    return text_counts(text)[0]


def reading_minutes(text: str) -> int:
    return text_counts(text)[1]
