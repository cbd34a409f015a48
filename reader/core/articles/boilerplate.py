"""Page boilerplate in clipped articles: recognising it, and trimming it from the start and the end.

Clippings often carry the page around the article: skip links and menus (``본문 바로가기``,
``bar_progress``, ``Text Size``, ``Close``) before the headline, and social links, ``Top``, ``Special
Coverage`` and copyright footers after the last paragraph. The reader view drops them, conservatively:

- only whole blocks, only a run at the very start or the very end (never in the middle);
- a block goes only when *every* line of it is known boilerplate (a fixed list of short phrases, or a
  copyright line); anything unknown stops the trimming, so when in doubt the line stays;
- the article is never trimmed to nothing.

Captions such as ``(Credit: Getty Images)`` are content and stay. Metadata heuristics look at the
untrimmed text (the © footer names the source).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

_COMMON = {
    "close", "닫기", "share", "공유", "공유하기", "print", "인쇄", "menu", "메뉴", "search", "검색",
    "advertisement", "광고", "subscribe", "구독", "login", "log in", "sign in", "로그인", "facebook",
    "twitter", "x", "linkedin", "kakaotalk", "카카오톡", "페이스북", "트위터", "copy link", "링크 복사",
    "url 복사", "email", "이메일", "scrap", "스크랩", "bookmark", "listen", "listen to this article",
}  # fmt: skip
LEADING_PHRASES = frozenset(
    _COMMON
    | {
        "본문 바로가기",
        "메뉴 바로가기",
        "주메뉴 바로가기",
        "본문으로 바로가기",
        "skip to content",
        "skip to main content",
        "skip to navigation",
        "jump to content",
        "jump to navigation",
        "bar_progress",
        "text size",
        "font size",
        "글자크기",
        "글자 크기",
        "글씨크기",
        "home",
        "홈",
        "open menu",
        "toggle navigation",
        "navigation",
        "a a a",
        "a a",
        "가 가",
        "가 가 가",
        "+ -",
        "전체메뉴",
        "전체 메뉴",
        "sections",
        "main menu",
    }
)
TRAILING_PHRASES = frozenset(
    _COMMON
    | {
        "top",
        "back to top",
        "to top",
        "맨 위로",
        "위로",
        "맨위로",
        "top으로",
        "join us on social!",
        "join us on social",
        "follow us",
        "special coverage",
        "comments",
        "comment",
        "댓글",
        "reply",
        "share this article",
        "share this",
        "related articles",
        "관련기사",
        "관련 기사",
        "recommended",
        "more stories",
        "most read",
        "most popular",
        "많이 본 뉴스",
        "tags",
        "newsletter",
        "sign up for our newsletter",
        "previous article",
        "next article",
        "이전기사",
        "다음기사",
        "like",
        "leave a comment",
        "write a comment",
        "all rights reserved",
        "all rights reserved.",
        "무단전재 및 재배포 금지",
        "무단 전재 및 재배포 금지",
        "저작권자 © 무단전재 및 재배포 금지",
    }
)

_COPYRIGHT_RE = re.compile(r"^(?:©|ⓒ|\(c\)|copyright\b|저작권자)", re.IGNORECASE)
_COUNT_RE = re.compile(r"^\d+\s+(?:comments?|likes?|shares?|views?)$", re.IGNORECASE)
_SKIP_RE = re.compile(r"^(?:skip|jump) to\b.{0,30}$", re.IGNORECASE)
MAX_LINE = 200

B = TypeVar("B")


_WORD_RE = re.compile(r"\S+")


def _norm(line: str) -> str:
    return " ".join(line.strip().split()).casefold()


def _short_norm(line: str) -> str | None:
    """:func:`_norm` of ``line``, or ``None`` when that is longer than :data:`MAX_LINE` (no known phrase is).

    A huge line (a 5 MB single line) is not split whole: a ``str.split`` of it would hold the GIL for
    hundreds of milliseconds. Case folding never shortens a text, so the words up to ``MAX_LINE`` decide.
    """
    if len(line) <= 4 * MAX_LINE:
        return _norm(line)
    words: list[str] = []
    length = -1
    for m in _WORD_RE.finditer(line):
        length += len(m.group()) + 1
        if length > MAX_LINE:
            return None
        words.append(m.group())
    return " ".join(words).casefold()


def is_copyright_line(line: str) -> bool:
    s = line.strip()
    return len(s) <= MAX_LINE and bool(_COPYRIGHT_RE.match(s))


def is_leading_line(line: str) -> bool:
    n = _short_norm(line)
    return n is not None and len(n) <= MAX_LINE and (n in LEADING_PHRASES or bool(_SKIP_RE.match(n)))


def is_trailing_line(line: str) -> bool:
    n = _short_norm(line)
    if n is None or len(n) > MAX_LINE:
        return False
    return n in TRAILING_PHRASES or is_copyright_line(n) or bool(_COUNT_RE.match(n))


def is_boilerplate_line(line: str) -> bool:
    """Known page furniture anywhere (used to skip candidates for the title): ``is_leading_line(line) or
    is_trailing_line(line)``, with the line normalized once."""
    n = _short_norm(line)
    if n is None or len(n) > MAX_LINE:
        return False
    return (
        n in LEADING_PHRASES
        or n in TRAILING_PHRASES
        or bool(_SKIP_RE.match(n))
        or is_copyright_line(n)
        or bool(_COUNT_RE.match(n))
    )


def _all_lines(text: str, test: Callable[[str], bool]) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    return bool(lines) and all(test(line) for line in lines)


def trim_range(texts: list[str]) -> tuple[int, int]:
    """``(first, stop)``: the slice of ``texts`` (block texts) that remains after trimming."""
    first, stop = 0, len(texts)
    while first < stop and _all_lines(texts[first], is_leading_line):
        first += 1
    while stop > first and _all_lines(texts[stop - 1], is_trailing_line):
        stop -= 1
    if first >= stop:
        return 0, len(texts)
    if first or stop < len(texts):
        log.debug("trimmed %d leading and %d trailing boilerplate blocks", first, len(texts) - stop)
    return first, stop


def trim(items: list[B], texts: list[str]) -> list[B]:
    """``items`` without the leading and trailing boilerplate (``texts[i]`` is the text of ``items[i]``)."""
    first, stop = trim_range(texts)
    return items[first:stop]
