"""The canonical text of the sample articles, its invariants, and bad files."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.articles import loader as articles
from reader.core.articles.loader import article_from_bytes, load_article, text_hash
from reader.core.errors import ArticleReadError
from reader.core.models import Article

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LIBRARY = ROOT / "library"

SAMPLES = {
    "000": (
        "Fetal bone tissue stem cell therapy enters 1st Korean trial for osteogenesis imperfecta",
        "2025-11-20",
        "You Ji-young",
        None,
    ),
    "001": ("Exploring the Advancements of Stem Cell Therapy in Korea", "2025-12-22", "K-MedLinker", None),
    "002": (
        "Advancing Medical Innovation: South Korea’s First Advanced Regenerative Therapy Case",
        None,
        None,
        None,
    ),
    "003": (
        "Daewoong Pharmaceutical and Bestian Foundation Sign MOU for Collaboration in Advanced Regenerative "
        "Medicine Research",
        "--07-24",
        "The Asia Business Daily",
        "The Asia Business Daily (asiae.co.kr)",
    ),
}


def _sample(prefix: str) -> Path:
    return next(SAMPLE_LIBRARY.glob(f"{prefix}_*.txt"))


def assert_invariants(article: Article) -> None:
    text = article.text
    previous_end = None
    for block in article.blocks:
        assert 0 <= block.start < block.end <= len(text)
        body = text[block.start : block.end]
        assert body == body.strip() or block.kind == "code"
        if previous_end is not None:
            assert text[previous_end : block.start] in ("\n", "\n\n")
        else:
            assert block.start == 0
        previous_end = block.end
    if article.blocks:
        assert previous_end == len(text)
    assert article.content_hash == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    for link in article.links:
        assert 0 <= link.start < link.end <= len(text)
        assert link.href.startswith(("http://", "https://", "mailto:"))


@pytest.mark.parametrize("prefix", sorted(SAMPLES))
def test_sample_articles_metadata(prefix: str) -> None:
    title, date, author, source = SAMPLES[prefix]
    article = load_article(_sample(prefix), SAMPLE_LIBRARY)
    assert article.meta.title == title
    assert article.meta.date == date
    assert article.meta.author == author
    assert article.meta.source == source
    assert article.meta.language == "en"
    assert article.meta.word_count > 200
    assert article.meta.reading_minutes >= 1
    assert article.blocks[0].kind == "heading"
    assert article.blocks[0].level == 1
    assert article.text.startswith(title + "\n\n")
    assert_invariants(article)


def test_sample_003_boilerplate_is_trimmed_only_at_the_edges() -> None:
    text = load_article(_sample("003"), SAMPLE_LIBRARY).text
    for junk in (
        "본문 바로가기",
        "bar_progress",
        "Text Size",
        "Close",
        "©",
        "Special Coverage",
        "Join us on social!",
    ):
        assert junk not in text
    assert not text.endswith("Top")
    assert text.endswith("Director of Bestian Clinical Trial Center.")


def test_sample_000_keeps_the_caption_and_001_drops_comments() -> None:
    assert "(Credit: Getty Images)" in load_article(_sample("000")).text
    assert not load_article(_sample("001")).text.rstrip().endswith("Comments")


def test_text_command_prints_the_canonical_text_exactly_and_a_final_newline() -> None:
    path = _sample("003")
    out = subprocess.run(
        [sys.executable, "-m", "reader", "text", str(path)], cwd=ROOT, capture_output=True, check=True
    ).stdout
    text = load_article(path, path.parent).text
    assert not text.endswith("\n")
    assert out.decode("utf-8") == text + "\n"


def test_crlf_and_lf_give_the_same_text_and_hash(tmp_path: Path) -> None:
    body = "Title line\n\nFirst paragraph.\nSecond line.\n"
    (tmp_path / "a.txt").write_bytes(body.encode())
    (tmp_path / "b.txt").write_bytes(body.replace("\n", "\r\n").encode("utf-16"))
    a, b = load_article(tmp_path / "a.txt"), load_article(tmp_path / "b.txt")
    assert a.text == b.text
    assert a.content_hash == b.content_hash == text_hash(a.text)
    assert b.encoding == "utf-16-le"


def test_korean_cp949_article(tmp_path: Path) -> None:
    body = "줄기세포 치료 첫 임상\n\n연구팀은 24일 첫 환자에게 세포치료제를 투여했다고 밝혔다. 홍길동 기자\n"
    (tmp_path / "ko.txt").write_bytes(body.encode("cp949"))
    article = load_article(tmp_path / "ko.txt")
    assert article.meta.title == "줄기세포 치료 첫 임상"
    assert article.meta.language == "ko"
    assert article.meta.word_count == len(article.text.split())


def test_empty_file_is_an_article_titled_by_its_name(tmp_path: Path) -> None:
    (tmp_path / "empty note.txt").write_bytes(b"")
    article = load_article(tmp_path / "empty note.txt", tmp_path)
    assert (article.text, article.blocks, article.meta.title) == ("", (), "empty note")
    assert article.meta.word_count == 0
    assert article.meta.reading_minutes == 0


def test_binary_renamed_to_txt_is_refused(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    with pytest.raises(ArticleReadError) as info:
        load_article(tmp_path / "image.txt", tmp_path)
    assert info.value.path == "image.txt"
    assert "PNG" in info.value.reason


def test_too_large_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articles, "MAX_BYTES", 1024)
    (tmp_path / "big.txt").write_text("word " * 1000)
    with pytest.raises(ArticleReadError, match="too large"):
        load_article(tmp_path / "big.txt")


def test_unreadable_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("secret")
    if os.geteuid() == 0:  # root reads chmod-000 files, so simulate the permission error instead

        def denied(self: Path, *args: object, **kwargs: object) -> object:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "open", denied)
    else:
        path.chmod(0)
    with pytest.raises(ArticleReadError, match="permission denied"):
        load_article(path)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*list("ab 가나\n\r\t-*#>=`1.©<"), "Top", "Close", "<p>", "</div>", "[l](https://z)"]
        ),
        max_size=120,
    ).map("".join),
    st.sampled_from(["a.txt", "a.md", "a.html"]),
)
def test_invariants_hold_for_any_text(source: str, name: str) -> None:
    article = article_from_bytes(source.encode("utf-8"), Path(name), name)
    assert_invariants(article)
    again = article_from_bytes(source.encode("utf-8"), Path(name), name)
    assert again.text == article.text
    assert again.blocks == article.blocks
