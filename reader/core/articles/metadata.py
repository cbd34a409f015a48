"""Article metadata: explicit fields (front matter, header blocks, HTML meta) and heuristics for clippings.

Precedence per field: explicit metadata, then heuristics on the *untrimmed* text, then (title only) the file
name. Heuristics, all on the first lines unless said otherwise:

- title: the first line that is not page boilerplate, not a date, byline, ``N min read`` or header field;
- date: a standalone date or byline line (``2025-11-20     You Ji-young``, ``- Dec 22, 2025``), else a date
  early in one of the first lines (``On July 24, ...``). ISO 8601; ``--MM-DD`` when the year is unknown;
- author: ``By NAME``, ``NAME 기자``, the name after a date on a byline, or a ``- NAME`` line just below the
  title (blog platforms); failing those, the publisher of a ``© Publisher(www.site)`` footer (anywhere in the
  last lines), which also gives the source ``Publisher (site)``;
- language, word count and reading time: over the canonical text, see :mod:`reader.core.articles.text_stats`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reader.core.articles.boilerplate import is_boilerplate_line, is_copyright_line
from reader.core.articles.text_stats import language_of, text_counts
from reader.core.articles.text_stats import reading_minutes as reading_minutes  # re-exported
from reader.core.articles.text_stats import word_count as word_count  # re-exported
from reader.core.models import ArticleMeta

log = logging.getLogger(__name__)

HEAD_LINES = 15
TAIL_LINES = 15
MAX_TITLE = 160

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}  # noqa: SIM905
_MONTH = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"  # noqa: E501
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!\d)((?:19|20)\d\d)[-./](\d{1,2})[-./](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"((?:19|20)\d\d)\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})-" + _MONTH + r"-((?:19|20)\d\d)(?!\d)"), "dmy"),
    (re.compile(_MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?!\d)(?:,?\s+((?:19|20)\d\d)(?!\d))?"), "mdy"),
    (
        re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"\.?,?(?:\s+((?:19|20)\d\d)(?!\d))?"),
        "dmy",
    ),
    (re.compile(r"(?<!\d)(\d{1,2})\s*월\s*(\d{1,2})\s*일"), "md"),
)
_MONTH_RE = re.compile(_MONTH)
#: For each of :data:`_DATE_PATTERNS`, what a text must contain for the pattern to match at all (it is part
#: of every match): a month name, or the Korean year or month mark; ``None``: a digit is enough.
_DATE_GATES: tuple[re.Pattern[str] | str | None, ...] = (None, "년", _MONTH_RE, _MONTH_RE, _MONTH_RE, "월")
_HEADER_RE = re.compile(r"^([A-Za-z][A-Za-z -]{0,24}):[ \t]*(.*)$")
_READ_RE = re.compile(r"^[-•·\s]*\d+\s*(?:min(?:ute)?s?\.?\s*read|분\s*(?:읽기|분량))\s*$", re.IGNORECASE)
_BY_RE = re.compile(r"^\s*(?:by|written by|posted by|words by)\s+(.{2,80}?)\s*$", re.IGNORECASE)
_KO_REPORTER_RE = re.compile(r"([가-힣]{2,4})\s*(?:기자|특파원|객원기자)(?![가-힣])")
_DASH_RE = re.compile(r"^\s*[-–—•·]\s+(\S.{0,60}?)\s*$")
_COPYRIGHT_RE = re.compile(
    r"^(?:©|ⓒ|\(c\)|copyright)\s*(?:(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?\s*)?(?:by\s+)?"
    r"(?P<name>[^()©]{2,80}?)\s*(?:\(\s*(?:https?://)?(?:www\.)?(?P<site>[\w-]+(?:\.[\w-]+)+)/?\s*\))?\s*[.,]?\s*"
    r"(?:all rights reserved.*|무단.*|저작권.*)?$",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"^[^\W\d_][\w.'’ -]{0,58}[\w.]$")
_DIGIT_RE = re.compile(r"\d")
_HANGUL_RE = re.compile(r"[가-힣]")
_STAMP_RE = re.compile(r"^(?:updated|published|posted|last updated|입력|수정|등록|발행)\b", re.IGNORECASE)
_UPDATED_RE = re.compile(r"^\W*(?:last\s+)?(?:updated|modified|edited|revised|수정)\b", re.IGNORECASE)
_AUTHOR_PREFIX_RE = re.compile(r"^(?:by|written by|posted by|words by|author:?)\s+", re.IGNORECASE)
#: Words of page furniture that a byline finder can pick up: login widgets, menus, navigation boxes (a
#: Wikipedia "Authority control" box has "author" in its class), sharing links, date stamps.
_JUNK_AUTHOR_RE = re.compile(
    r"\b(?:user\s?name|password|log\s?(?:in|out)|sign\s?(?:in|up|out)|register|subscribe|account|profile|"
    r"menu|search|navigation|control|share|comments?|reply|updated|modified|edited|published|posted|"
    r"anonymous|guest|admin(?:istrator)?|skip to|toggle|read more|follow us)\b",
    re.IGNORECASE,
)
_ROLE_RE = re.compile(
    r"\b(?:reporter|correspondent|editor|writer|staff|contributor|columnist|journalist|photographer)s?\b",
    re.IGNORECASE,
)
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:;|,|&|\band\b|\|)\s*")


def _valid(year: int | None, month: int, day: int) -> str | None:
    try:
        _dt.date(year or 2000, month, day)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def find_date(text: str) -> tuple[str, int, int] | None:
    """The earliest date in ``text`` as ``(iso, start, end)``; ``--MM-DD`` when it has no year."""
    head = text[:500]
    if not _DIGIT_RE.search(head):  # every pattern has a digit: most lines are done here
        return None
    best: tuple[str, int, int] | None = None
    month_named = None
    for (pattern, order), gate in zip(_DATE_PATTERNS, _DATE_GATES, strict=True):
        if isinstance(gate, str) and gate not in head:
            continue
        if gate is _MONTH_RE:
            if month_named is None:
                month_named = _MONTH_RE.search(head) is not None
            if not month_named:
                continue
        for m in pattern.finditer(head):
            g = m.groups()
            if order == "ymd":
                iso = _valid(int(g[0]), int(g[1]), int(g[2]))
            elif order == "md":
                iso = _valid(None, int(g[0]), int(g[1]))
            else:
                day, month, year = (g[1], g[0], g[2]) if order == "mdy" else (g[0], g[1], g[2])
                iso = _valid(int(year) if year else None, _MONTHS[month[:3].lower()], int(day))
            if iso and (best is None or m.start() < best[1]):
                best = (iso, m.start(), m.end())
            if iso:
                break
    return best


def normalize_date(value: Any) -> str | None:
    """A date from metadata (string, ``date`` or ``datetime``) as ISO 8601 (date part only)."""
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()[:10]
    if not isinstance(value, str) or not value.strip():
        return None
    found = find_date(value)
    return found[0] if found else None


def parse_header_block(text: str) -> tuple[dict[str, str], int]:
    """RFC-822 style ``Key: value`` lines at the very start (with indented continuations).

    Returns the fields (lower-case keys) and the offset where the block ends; ``({}, 0)`` unless at least
    two fields are present and one of them is a known key such as ``Title`` or ``Author``.
    """
    fields: dict[str, str] = {}
    pos = 0
    last: str | None = None
    for line in text[:20000].split("\n"):
        if not line.strip():
            break
        m = _HEADER_RE.match(line)
        if m and not line.startswith((" ", "\t")):
            last = m.group(1).strip().lower()
            fields.setdefault(last, m.group(2).strip())
        elif last is not None and line.startswith((" ", "\t")):
            fields[last] = (fields[last] + " " + line.strip()).strip()
        else:
            return {}, 0
        pos += len(line) + 1
    if len(fields) < 2 or not {"title", "author", "date", "created"}.intersection(fields):
        return {}, 0
    return fields, min(pos, len(text))


def _clean_name(value: str) -> str | None:
    value = re.sub(r"\s*<[^>]*>", "", value)  # e-mail addresses in "Name <a@b>"
    value = re.sub(r"\s*[|·•,]\s*$", "", value.strip(" -–—|·•,")).strip()
    value = re.sub(r"\s*(?:기자|특파원)$", "", value)
    return value if 1 < len(value) <= 80 else None


def _is_name(value: str) -> bool:
    """A person's or outlet's name: no digits, at most four words; Korean words of at most three syllables."""
    words = value.split()
    if not _NAME_RE.match(value) or not 0 < len(words) <= 4 or value.endswith(".") or _DIGIT_RE.search(value):
        return False
    return all(len(w) <= 3 if _HANGUL_RE.search(w) else (w[0].isupper() or not w[0].isalpha()) for w in words)


def plausible_author(value: Any) -> str | None:
    """``value`` as an author (names joined with ", "), or ``None`` when it is page furniture.

    Each name of ``value`` (split at ``;``, ``,``, ``&``, ``and``, ``|``) is dropped when it has a digit or
    a date, a word of page furniture (``Username``, ``Log in``, ``Authority control``, ``Last Updated``), a
    job title (``Harbour Reporter``), no letter, or more than five words.
    """
    if not isinstance(value, str):
        return None
    value = _AUTHOR_PREFIX_RE.sub("", " ".join(value.split()))
    names: list[str] = []
    for part in _AUTHOR_SPLIT_RE.split(value):
        name = _clean_name(part)
        if (
            name is None
            or _DIGIT_RE.search(name)
            or _JUNK_AUTHOR_RE.search(name)
            or _ROLE_RE.search(name)
            or len(name.split()) > 5
            or not any(ch.isalpha() for ch in name)
            or name.startswith(("http:", "https:", "www."))
        ):
            continue
        names.append(name)
    return ", ".join(names) or None


def _byline_author(line: str, date_span: tuple[int, int] | None) -> str | None:
    s = line.strip()
    m = _BY_RE.match(s)
    if m:
        rest = m.group(1)
        found = find_date(rest)
        if found:
            rest = rest[: found[1]]
        name = _clean_name(rest)
        return plausible_author(name) if name else None
    ko = _KO_REPORTER_RE.search(s)
    if ko and len(s) <= 60:
        return ko.group(1)
    if date_span is not None:
        rest = _clean_name((s[: date_span[0]] + " " + s[date_span[1] :]).strip())
        if rest and _is_name(rest) and plausible_author(rest) == rest:
            return rest
    return None


def _is_meta_line(line: str, found: tuple[str, int, int] | None) -> bool:
    """Whether ``line`` is a date, byline, reading time or boilerplate line (not a title); ``found`` is
    :func:`find_date` of the stripped line."""
    s = line.strip()
    if is_boilerplate_line(s) or _READ_RE.match(s) or _BY_RE.match(s):
        return True
    if found is None or len(s) > 80:
        return False
    rest = (s[: found[1]] + " " + s[found[2] :]).strip(" \t\xa0-–—|·•,:()[]")
    return not rest or _STAMP_RE.match(rest) is not None or _is_name(rest)


def _content_lines(lines: Iterable[str], count: int) -> list[str]:
    """The first ``count`` non-blank lines of ``lines``, stripped."""
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped:
            out.append(stripped)
            if len(out) == count:
                break
    return out


def heuristics(lines: Sequence[str]) -> dict[str, str]:
    """Title, date, author and source guessed from the (untrimmed) text's lines.

    Only the first :data:`HEAD_LINES` and the last :data:`TAIL_LINES` non-blank lines are looked at, so only
    those are stripped (a long article's other lines are not touched).
    """
    out: dict[str, str] = {}
    head = _content_lines(lines, HEAD_LINES)
    tail = _content_lines(reversed(lines), TAIL_LINES)  # last line first
    dates = [find_date(line) for line in head]
    meta_lines = [_is_meta_line(line, dates[i]) for i, line in enumerate(head)]
    title_index = None
    for i, line in enumerate(head):
        if not meta_lines[i] and any(ch.isalpha() for ch in line):
            title_index = i
            title = line if len(line) <= MAX_TITLE else line[:MAX_TITLE].rsplit(" ", 1)[0] + "…"
            out["title"] = title
            break
    updated: str | None = None  # a date stamped "Updated", used only when the page gives no other date
    for i, line in enumerate(head):
        if i == title_index:
            continue
        found = dates[i]
        standalone = meta_lines[i]
        if found and standalone and _UPDATED_RE.match(line.strip()):
            updated = updated or found[0]
        elif found and standalone and "date" not in out:
            out["date"] = found[0]
        author = _byline_author(line, found[1:] if found and standalone else None)
        if author and "author" not in out:
            out["author"] = author
        dash = _DASH_RE.match(line)
        if (dash and "author" not in out and title_index is not None and 0 < i - title_index <= 3
                and not found and not _READ_RE.match(line) and _is_name(dash.group(1))
                and plausible_author(dash.group(1)) == dash.group(1)):  # fmt: skip
            out["author"] = dash.group(1)
    if "date" not in out:
        start = (title_index or 0) + 1
        for line, found in zip(head[start : start + 8], dates[start : start + 8], strict=True):
            if found and found[1] <= 80 and not _UPDATED_RE.match(line.strip()):
                out["date"] = found[0]
                break
    if "date" not in out and updated:
        out["date"] = updated
    for line in tail:
        m = _COPYRIGHT_RE.match(line) if is_copyright_line(line) else None
        if m:
            name = m.group("name").strip(" .,")
            site = m.group("site")
            if name and not re.fullmatch(r"[\d\s-]*", name):
                out.setdefault("author", name)
                out["source"] = f"{name} ({site})" if site else name
            elif site:
                out["source"] = site
            break
    return out


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value if v)
        if value is not None and str(value).strip():
            return " ".join(str(value).split())
    return None


def _strip_emails(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"\s*<[^<>@]+@[^<>]+>", "", value)
    return value


def build_meta(
    *, explicit: Mapping[str, Any], lines: list[str], text: str, fallback_title: str
) -> ArticleMeta:
    """Explicit metadata, then heuristics on the untrimmed ``lines``; counts over the canonical ``text``."""
    guess = heuristics(lines)
    title = _first(explicit.get("title"), guess.get("title"), fallback_title) or fallback_title
    date = normalize_date(explicit.get("date")) or guess.get("date")
    lang = _first(explicit.get("language"))
    language = lang.split("-")[0].split("_")[0].lower() if lang else language_of(text)
    words, minutes = text_counts(text)
    return ArticleMeta(
        title=title,
        author=_first(_strip_emails(explicit.get("author")), guess.get("author")),
        date=date,
        source=_first(explicit.get("source"), guess.get("source")),
        language=language,
        word_count=words,
        reading_minutes=minutes,
    )
