"""Issue 18: the article pipeline's fast paths give exactly what the plain rules give.

Each fast path (metadata on the head and tail lines only, date patterns gated on a month name or Korean mark,
script and word counts in bytes, the setext shortcut of plain text, one normalization for the boilerplate
check, lazily computed link shifts) is compared with a straightforward reference written here from the rule
it replaces, on inputs chosen to reach the slow side of each shortcut: non-ASCII whitespace, lone
surrogates, Unicode digits, metadata in the last lines of a long text, underline-like lines that are not
underlines.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from types import ModuleType

import pytest

from reader.core.articles import boilerplate, metadata, text_stats
from reader.core.articles.blocks import RawBlock, assemble
from reader.core.articles.loader import article_from_bytes
from reader.core.articles.text import plain_blocks

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# ------------------------------------------------------------------------------------------- references


def reference_find_date(text: str) -> tuple[str, int, int] | None:
    """find_date without the digit and month-name gates: every pattern runs."""
    best: tuple[str, int, int] | None = None
    for pattern, order in metadata._DATE_PATTERNS:
        for m in pattern.finditer(text[:500]):
            g = m.groups()
            if order == "ymd":
                iso = metadata._valid(int(g[0]), int(g[1]), int(g[2]))
            elif order == "md":
                iso = metadata._valid(None, int(g[0]), int(g[1]))
            else:
                day, month, year = (g[1], g[0], g[2]) if order == "mdy" else (g[0], g[1], g[2])
                iso = metadata._valid(
                    int(year) if year else None, metadata._MONTHS[month[:3].lower()], int(day)
                )
            if iso and (best is None or m.start() < best[1]):
                best = (iso, m.start(), m.end())
            if iso:
                break
    return best


def reference_script_counts(sample: str) -> tuple[int, int, int, int]:
    def count(pattern: str) -> int:
        return sum(map(len, re.findall(pattern, sample)))

    return (
        count("[\uac00-\ud7a3\u1100-\u11ff]+"),
        count("[\u3040-\u30ff]+"),
        count("[\u4e00-\u9fff]+"),
        count("[A-Za-z]+"),
    )


def reference_language_of(text: str) -> str | None:
    """language_of as the rule says it, with regexes only."""
    sample = text[:20000]
    hangul, kana, han, latin = reference_script_counts(sample)
    scores = {"ko": hangul * 2.5, "ja": kana * 2.5, "zh": han * 2.5 if kana == 0 else 0.0, "latin": latin}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        return None
    if best != "latin":
        return best
    words = re.findall(r"[a-z]+", sample.lower())
    return "en" if words and sum(w in text_stats._EN_WORDS for w in words) / len(words) > 0.08 else None


def reference_reading_minutes(text: str) -> int:
    if not text.strip():
        return 0
    hangul = sum(map(len, re.findall("[\uac00-\ud7a3]+", text)))
    hangul_words = len(re.findall("[\uac00-\ud7a3]\\S*", text))
    return max(1, round(hangul / 500 + (len(text.split()) - hangul_words) / 230))


ALPHABET = (
    " \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u2009\u3000"  # ASCII and non-ASCII whitespace
    "abcXYZ the of and İK"  # Latin; İ and the Kelvin sign lower-case to ASCII letters
    "가나다한국\u1100\u11a8"  # Hangul syllables and jamo
    "ひらカタ漢字中文"  # kana and Han
    "é—“”0123456789٣２"  # other letters and punctuation, Arabic-Indic and full-width digits
    "-./,년월일"
    "\ud800"  # a lone surrogate (a PDF's text can have one)
)


def random_texts(seed: int, count: int, longest: int = 60) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, longest))) for _ in range(count)]


# ---------------------------------------------------------------------------------------------- counts


def test_word_count_is_the_number_of_whitespace_separated_words_for_any_text() -> None:
    texts = [*random_texts(1, 3000), "", " ", "\u3000", "a\u3000b", "a\xa0b c", "\x1cword\x1f", "x" * 70_000]
    for text in texts:
        assert text_stats.word_count(text) == len(text.split()), repr(text)


def test_word_count_of_a_long_text_cut_in_pieces() -> None:
    text = ("word " * 20_000 + "\u3000한국어 단어\xa0끝 ") * 3
    assert len(text) > 2 * text_stats.CHUNK_CHARS
    assert text_stats.word_count(text) == len(text.split())


def test_reading_minutes_follow_the_rule_for_any_text() -> None:
    texts = [*random_texts(2, 2000, longest=400), "", " \n\u3000", "가" * 1500, "word " * 460]
    for text in texts:
        assert text_stats.reading_minutes(text) == reference_reading_minutes(text), repr(text)
        assert text_stats.text_counts(text) == (len(text.split()), reference_reading_minutes(text))


def test_script_counts_match_the_regex_counts() -> None:
    samples = [*random_texts(3, 2000), "plain ASCII text only", "대통령은 오늘 The END", "漢字とかな", "İK"]
    for sample in samples:
        assert text_stats.script_counts(sample) == reference_script_counts(sample), repr(sample)


def test_language_of_gives_what_the_regex_rule_gives() -> None:
    # "İ".lower() and the Kelvin sign's lower() are ASCII letters: the bytes path must see them as the regex
    # does.
    english_words = [*sorted(text_stats._EN_WORDS), "word", "text"]
    rnd = random.Random(4)
    latin = [" ".join(rnd.choice(english_words) for _ in range(rnd.randint(1, 30))) for _ in range(300)]
    mixed = [a + b for a, b in zip(latin, random_texts(6, 300), strict=True)]
    samples = [*random_texts(4, 1000), *latin, *mixed, "İt is the end of the world", "\u212a the of and"]
    for sample in samples:
        assert text_stats.language_of(sample) == reference_language_of(sample), repr(sample)


# ----------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "Posted 5 March 2024 by Jane",
        "On July 24, the council met",
        "12-Jan-2020",
        "2014년 8월 18일 심층진단",
        "1월 2일부터",
        "March 5th",
        "march 5, 2024",  # lower case: no month-name pattern matches
        "PEP: 8 Created: 05-Jul-2001",
        "２０２４-０３-０５",  # full-width digits are digits to the patterns
        "no digits at all, Jan Feb",
        "Mayday 12",
        "",
    ],
)
def test_find_date_gives_what_every_pattern_gives(text: str) -> None:
    assert metadata.find_date(text) == reference_find_date(text)


def test_find_date_on_random_texts() -> None:
    pieces = [
        "2024",
        "-",
        "03",
        ".",
        "5",
        " ",
        "Jan",
        "uary",
        "Sept",
        "May",
        "년",
        "월",
        "일",
        "th",
        ",",
        "x",
    ]
    rnd = random.Random(5)
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        assert metadata.find_date(text) == reference_find_date(text), repr(text)


# ------------------------------------------------------------------------------------------ heuristics


def test_heuristics_on_raw_lines_equal_heuristics_on_the_non_blank_stripped_lines() -> None:
    """The head and tail are taken from the raw lines directly: the same as from the filtered list."""
    body = [f"   Paragraph {i} of the body text, long enough to be prose.   " for i in range(200)]
    cases = [
        ["", "  ", "Skip to content", "", "  A Headline About Things  ", "By Jane Doe", "", *body,
         "", "Back to top", "© 2024 Example News (www.example.com). All rights reserved.", "  ", ""],
        ["본문 바로가기", "대통령, 기자회견 열어", "홍길동 기자 입력 2024.03.05", *body[:3],
         "ⓒ 연합뉴스 무단전재 및 재배포 금지"],
        ["Title", "", "Body."],
        ["", "", ""],
        [],
        ["Only one line"],
    ]  # fmt: skip
    for lines in cases:
        content = [line.strip() for line in lines if line.strip()]
        assert metadata.heuristics(lines) == metadata.heuristics(content)


def test_the_source_in_the_last_line_of_a_long_text_is_found() -> None:
    lines = [
        "A Headline",
        "",
        *[f"Body line {i}." for i in range(5000)],
        "",
        "© 2024 Example News (example.com)",
    ]
    got = metadata.heuristics(lines)
    assert got["title"] == "A Headline"
    assert got["source"] == "Example News (example.com)"


def test_a_byline_in_the_sixteenth_line_is_not_looked_at() -> None:
    """Only the first HEAD_LINES non-blank lines are the head (blank lines do not count)."""
    head = ["Title"] + [f"Line {i} of the intro." for i in range(metadata.HEAD_LINES - 1)]
    lines = [x for line in head for x in (line, "")] + ["By Jane Doe", "Body."]
    assert "author" not in metadata.heuristics(lines)
    assert metadata.heuristics([*head[:-1], "By Jane Doe", "Body."])["author"] == "Jane Doe"


@pytest.mark.parametrize(
    "line",
    ["Skip to content", "  Back   to TOP ", "© 2024 Example", "12 comments", "Home", "Share", "본문 바로가기",
     "Copyright 2020 by Some One", "A real sentence.", "x" * 900, "", "jump to navigation"],
)  # fmt: skip
def test_boilerplate_line_is_a_leading_or_a_trailing_line(line: str) -> None:
    expected = boilerplate.is_leading_line(line) or boilerplate.is_trailing_line(line)
    assert boilerplate.is_boilerplate_line(line) == expected


# --------------------------------------------------------------------------------------------- blocks


def reference_plain_blocks(text: str) -> list[tuple[str, str, int]]:
    """plain_blocks with every run going through the setext search (no shortcut)."""
    from reader.core.articles import text as text_module

    out: list[RawBlock] = []
    run: list[str] = []
    for line in [*text.split("\n"), ""]:
        if line.strip():
            run.append(line.rstrip())
        elif run:
            # the full search: the shortcut is skipped by giving it a first line that could be an underline
            out.extend(_setext_without_shortcut(text_module, run))
            run = []
    return [(b.kind, b.text, b.level) for b in out]


def _setext_without_shortcut(text_module: ModuleType, lines: list[str]) -> list[RawBlock]:
    out: list[RawBlock] = []
    pending: list[str] = []
    i = 0
    underline = text_module._UNDERLINE_RE
    while i < len(lines):
        line, nxt = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
        title = line.strip()
        rule = nxt.strip()
        if title and underline.match(nxt) and not underline.match(line) and len(rule) >= len(title) <= 120:
            if pending and underline.match(pending[-1]) and pending[-1].strip()[0] == rule[0]:
                pending.pop()
            if pending:
                out.extend(text_module._run_blocks(pending))
                pending = []
            out.append(RawBlock("heading", title, {"=": 1, "-": 2, "~": 3, "^": 4}.get(rule[0], 2)))
            i += 2
            continue
        pending.append(line)
        i += 1
    if pending:
        out.extend(text_module._run_blocks(pending))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "Title\n=====\n\nBody text.\n",
        "=====\nTitle\n=====\n\nSection\n-------\n\nText",
        "Para line one\n- a list item\n* another\n\n1. first\n2. second",
        "Words\n--- not an underline\n\n... dots\n'quoted'",
        "    code\n    more code\n\n\tindented\n\ttabs",
        "A\n" + "x" * 150 + "\nB",
        "  \n\n  leading blank lines\n\n  \n",
        "Title\n~~~\n\nSub\n^^^^",
        "",
    ],
)
def test_plain_blocks_give_what_the_full_setext_search_gives(text: str) -> None:
    assert [(b.kind, b.text, b.level) for b in plain_blocks(text)] == reference_plain_blocks(text)


def test_plain_blocks_of_the_corpus_give_what_the_full_search_gives() -> None:
    assert CORPUS.is_dir(), f"the shared corpus is missing: {CORPUS} (expected ../shared/corpus)"
    files = sorted(CORPUS.rglob("*.txt"))[::20]
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert [(b.kind, b.text, b.level) for b in plain_blocks(text)] == reference_plain_blocks(text), path


def test_a_link_in_a_block_with_leading_whitespace_is_shifted_to_the_stripped_text() -> None:
    text, _blocks, links = assemble(
        [RawBlock("paragraph", "   see here now  ", 0, [(7, 11, "https://a.example")])]
    )
    assert text == "see here now"
    assert [text[link.start : link.end] for link in links] == ["here"]


# --------------------------------------------------------------------------------------------- loading


def test_a_file_that_is_not_utf8_still_goes_through_detection() -> None:
    body = "대통령은 오늘 기자회견에서 새 정책을 발표했다.\n\n" * 20
    article = article_from_bytes(("제목\n\n" + body).encode("cp949"), Path("ko.txt"), "ko.txt")
    assert article.encoding == "cp949"
    assert article.text.startswith("제목")
    assert article.meta.language == "ko"


def test_decomposed_input_is_normalized_and_counted_like_the_composed_text() -> None:
    import unicodedata

    composed = "Café Crème\n\nUn texte où l’été est décrit. 한국어 문장입니다.\n"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    a = article_from_bytes(composed.encode("utf-8"), Path("a.txt"), "a.txt")
    b = article_from_bytes(decomposed.encode("utf-8"), Path("a.txt"), "a.txt")
    assert b.text == a.text and b.content_hash == a.content_hash and b.meta == a.meta


def test_control_bytes_are_found_exactly_where_the_pattern_finds_control_characters() -> None:
    from reader.core.articles import decode

    texts = [*random_texts(8, 2000), "tab\tand\nnewline only", "bell\x07", "\x7f", "\x1b[0m", "cr\r\n"]
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        expected = bool(decode._CONTROL.search(text.replace("\r", "")))
        assert decode.has_control_bytes(data) == expected, repr(text)


def test_a_utf8_file_with_control_characters_is_still_cleaned() -> None:
    data = "\x01\ufeffTitle\x07\r\n\r\nBody text\x0b here.\x7f\n".encode()
    article = article_from_bytes(data, Path("c.txt"), "c.txt")
    assert article.encoding == "utf-8"
    assert article.text == "Title\n\nBody text here."


def test_a_file_is_read_whole_whatever_its_size(tmp_path: Path) -> None:
    from reader.core.articles.loader import load_article

    for size in (0, 1, 4095, 4096, 70_000):
        path = tmp_path / f"f{size}.txt"
        path.write_bytes(b"Title\n\n" + b"a" * size)  # ("x" alone is boilerplate: a share link)
        assert load_article(path).text == ("Title\n\n" + "a" * size).strip()
