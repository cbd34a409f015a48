"""Citation keys and the names they are made of.

A key is ``<first author's family name><year><first significant title word>`` in lower-case ASCII
(``lee2025fetal``): accents are folded away, Korean (Hangul) names and words are romanised (the usual
spelling of common family names, the Revised Romanization otherwise). Without a usable author the key is
``<first title word><year><second title word>``. Keys are made unique in the library by ``a``, ``b`` …
suffixes (:func:`assign_keys`); a key stored in an article's sidecar is kept as it is.

Names (:func:`parse_name`): ``"Family, Given"``; ``"Lee Soon-chul"`` (a Korean family name first, a hyphenated
given name) and ``"이순철"`` (Hangul: the first syllable, or a two-syllable family name) are family-first;
``"Jane Q. Roe"`` is family-last; a single word (``"K-MedLinker"``) is a literal name, like an organisation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------- Hangul

_INITIALS = (
    "g",
    "kk",
    "n",
    "d",
    "tt",
    "r",
    "m",
    "b",
    "pp",
    "s",
    "ss",
    "",
    "j",
    "jj",
    "ch",
    "k",
    "t",
    "p",
    "h",
)
_MEDIALS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
            "wi", "yu", "eu", "ui", "i")  # fmt: skip
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t",
           "t", "ng", "t", "t", "k", "t", "p", "t")  # fmt: skip
#: A final consonant before a syllable starting with a vowel is carried over: 한국어 -> hangugeo.
_FINALS_LINKED = ("", "g", "kk", "gs", "n", "nj", "n", "d", "r", "lg", "lm", "lb", "ls", "lt", "lp", "r", "m",
                  "b", "bs", "s", "ss", "ng", "j", "ch", "k", "t", "p", "")  # fmt: skip
#: How common family names are usually written (the Revised Romanization spells 이 "i", 박 "bak").
_SURNAME_TABLE = (
    "김 kim 이 lee 박 park 최 choi 정 jung 강 kang 조 cho 윤 yoon 장 jang 임 lim 한 han 오 oh 서 seo 신 shin "
    "권 kwon 황 hwang 안 ahn 송 song 류 ryu 유 yoo 전 jeon 홍 hong 고 ko 문 moon 양 yang 손 son 배 bae "
    "백 baek 허 heo 남 nam 심 shim 노 noh 하 ha 곽 kwak 성 sung 차 cha 주 joo 우 woo 구 koo 민 min 진 jin "
    "지 ji 엄 eom 채 chae 원 won 천 cheon 방 bang 공 kong 현 hyun 함 ham 변 byun 염 yeom 여 yeo 추 choo "
    "석 seok 선 sun 설 seol 길 gil 연 yeon 표 pyo 명 myung 기 ki 반 ban 왕 wang 금 keum 육 yook 인 in "
    "맹 maeng 제 je 탁 tak 국 kook 은 eun 남궁 namgoong 황보 hwangbo 제갈 jegal 선우 sunwoo 독고 dokgo "
    "사공 sagong "
)
_PAIRS = _SURNAME_TABLE.split()
_SURNAMES = dict(zip(_PAIRS[::2], _PAIRS[1::2], strict=True))
_COMPOUND_SURNAMES = frozenset(k for k in _SURNAMES if len(k) == 2)
#: Romanised Korean family names, to recognise ``"Lee Soon-chul"`` as family-first.
_ROMAN_SURNAMES = frozenset(_SURNAMES.values()) | frozenset(
    ("yi", "rhee", "pak", "gim", "jeong", "chung", "yu", "you", "rim", "im", "chang", "cheong", "choe", "koh")
)


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def romanize_hangul(text: str) -> str:
    """Hangul syllables in ``text`` written in the Revised Romanization (simplified: of the sound changes
    between syllables only the carrying over of a final before a vowel); other characters are kept."""
    out: list[str] = []
    for position, char in enumerate(text):
        if not _is_hangul(char):
            out.append(char)
            continue
        index = ord(char) - 0xAC00
        initial, medial, final = index // 588, (index % 588) // 28, index % 28
        following = text[position + 1 : position + 2]
        linked = bool(following) and _is_hangul(following) and (ord(following) - 0xAC00) // 588 == 11
        out.append(_INITIALS[initial] + _MEDIALS[medial] + (_FINALS_LINKED if linked else _FINALS)[final])
    return "".join(out)


def romanize_family(family: str) -> str:
    """A Hangul family name as usually spelled (``이`` -> ``lee``)."""
    return _SURNAMES.get(family) or romanize_hangul(family)


# --------------------------------------------------------------------------------------------- names


@dataclass(frozen=True, slots=True)
class Name:
    """A person's name (``family`` and ``given``) or a literal one (an organisation: ``literal``)."""

    family: str = ""
    given: str = ""
    literal: str = ""


#: Words that make a byline an organisation (a literal name), not a person.
_ORGANISATION_WORDS = frozenset(
    [
        "the",
        "daily",
        "news",
        "times",
        "press",
        "journal",
        "review",
        "herald",
        "post",
        "tribune",
        "gazette",
        "agency",
        "institute",
        "university",
        "foundation",
        "association",
        "society",
        "council",
        "ministry",
        "department",
        "inc",
        "ltd",
        "llc",
        "co",
        "corp",
        "corporation",
        "company",
        "group",
        "staff",
        "team",
        "editors",
        "editorial",
        "newsroom",
        "reporters",
        "center",
        "centre",
        "hospital",
        "office",
        "bureau",
    ]
)
_HYPHENATED_GIVEN = re.compile(r"^[A-Z][a-z]+-[A-Za-z][a-z]+$")


def parse_name(text: str) -> Name:
    """One name as written by a byline or the user (see the module documentation)."""
    text = " ".join(text.split())
    if not text:
        return Name()
    if "," in text:
        family, _, given = text.partition(",")
        return Name(family=family.strip(), given=given.strip()) if family.strip() else Name(literal=text)
    words = text.split(" ")
    if all(_is_hangul(c) for c in text.replace(" ", "")):
        joined = text.replace(" ", "")
        size = 2 if joined[:2] in _COMPOUND_SURNAMES and len(joined) > 3 else 1
        if len(joined) < 2:
            return Name(literal=text)
        return Name(family=joined[:size], given=joined[size:])
    if (
        len(words) == 1
        or len(words) > 4
        or any(w.strip(".").casefold() in _ORGANISATION_WORDS for w in words)
    ):
        return Name(literal=text)
    if len(words) == 2 and words[0].lower() in _ROMAN_SURNAMES and _HYPHENATED_GIVEN.match(words[1]):
        return Name(family=words[0], given=words[1])
    return Name(family=words[-1], given=" ".join(words[:-1]))


def split_names(author: str | None) -> list[str]:
    """The names in an ``author`` string: ``"A; B"`` (the user's), or ``"A, B"`` (the extractor joins
    several names with commas) unless it is one ``"Family, Given"`` name."""
    if not author:
        return []
    if ";" in author:
        return [p.strip() for p in author.split(";") if p.strip()]
    parts = [p.strip() for p in author.split(",") if p.strip()]
    if len(parts) == 2 and " " not in parts[0] and len(parts[1].split()) == 1:
        return [author.strip()]
    return parts


# --------------------------------------------------------------------------------------------- keys

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "and",
        "or",
        "for",
        "to",
        "with",
        "at",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "how",
        "why",
        "what",
        "when",
        "where",
        "who",
        "which",
        "this",
        "that",
        "these",
        "those",
        "its",
        "it",
        "into",
        "over",
        "under",
        "about",
        "after",
        "before",
        "new",
    ]
)
_KEY_CHARS = re.compile(r"[^a-z0-9]")


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: Hangul romanised, accents dropped, the rest removed."""
    decomposed = unicodedata.normalize("NFKD", romanize_hangul(unicodedata.normalize("NFC", text)))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _KEY_CHARS.sub("", plain.lower())


def _family_part(name: Name) -> str:
    if name.literal:
        words = name.literal.split()
        significant = title_words(name.literal) if len(words) > 1 else []
        return significant[0] if significant else ascii_fold(name.literal)
    if name.family and all(_is_hangul(c) for c in name.family):
        return romanize_family(name.family)
    return ascii_fold(name.family)


def title_words(title: str) -> list[str]:
    """The significant words of a title, folded (stop words and one-letter words left out)."""
    words = [ascii_fold(w) for w in re.split(r"[\s\-–—/:;,.!?\"'“”‘’()\[\]]+", title)]
    return [w for w in words if len(w) > 1 and w not in _STOPWORDS and not w.isdigit()]


def base_key(authors: Iterable[str], year: str, title: str) -> str:
    """The key before it is made unique: ``lee2025fetal``."""
    family = ""
    for text in authors:
        family = _family_part(parse_name(text))
        break
    words = title_words(title)
    year = year if re.fullmatch(r"\d{4}", year or "") else ""
    if family:
        key = family + year + (words[0] if words else "")
    else:
        key = (words[0] if words else "") + year + (words[1] if len(words) > 1 else "")
    return key[:40] or "article"


def _suffixes() -> Iterable[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second


def assign_keys(items: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Unique keys for ``(id, stored key, base key)`` items: a stored key is kept (the first holder, in id
    order, when two articles store the same one); the others get their base key, with a suffix when taken."""
    ordered = sorted(items)
    used: set[str] = set()
    keys: dict[str, str] = {}
    for item_id, stored, _base in ordered:
        if stored and stored.casefold() not in used:
            keys[item_id] = stored
            used.add(stored.casefold())
    for item_id, _stored, base in ordered:
        if item_id in keys:
            continue
        key = base
        if key.casefold() in used:
            key = next(base + s for s in _suffixes() if (base + s).casefold() not in used)
        keys[item_id] = key
        used.add(key.casefold())
    return keys
