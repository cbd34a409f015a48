"""File names made from titles: safe on every platform, bounded, unique, and always inside the destination."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.errors import ExportError
from reader.core.exchange import ExistingFilesError, ExportItem, ensure_inside, export_notes, safe_filename
from reader.core.exchange.filenames import MAX_NAME_BYTES, sanitize_stem
from reader.core.models import Annotation, Article, ArticleMeta

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
KOREAN_TITLE = "한국어 제목이 아주 길게 이어지는 연구 노트 " * 20


def assert_portable(name: str) -> None:
    assert name not in ("", ".", "..")
    assert "/" not in name
    assert "\\" not in name
    assert not any(ch in name for ch in '<>:"|?*')
    assert not any(unicodedata.category(ch).startswith("C") for ch in name)
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.split(".")[0].strip().upper() not in RESERVED
    assert unicodedata.normalize("NFC", name) == name


@pytest.mark.parametrize(
    "title",
    [
        "../../x",
        "..",
        "...",
        "   ",
        "",
        "a/b\\c",
        "/etc/passwd",
        "C:\\Windows\\system32",
        "CON",
        "con",
        "Nul.txt",
        "COM1",
        "lpt9 ",
        "name. . .",
        "tab\there\nnewline\x00nul\x1bescape",
        "right\u202eleft override",
        'quotes "and" <angles> | pipes? stars*',
        "x" * 300,
        KOREAN_TITLE,
    ],
)
def test_hostile_titles_become_portable_names(title: str) -> None:
    name = safe_filename(title, ".md")
    assert name.endswith(".md")
    assert_portable(name)


def test_reserved_device_names_are_changed() -> None:
    for title in ("CON", "con", "Aux", "NUL", "COM1", "LPT3", "PRN.backup"):
        stem = sanitize_stem(title)
        assert stem.split(".")[0].upper() not in RESERVED, stem
    assert sanitize_stem("CONSOLE") == "CONSOLE"
    assert sanitize_stem("Contact") == "Contact"


def test_path_traversal_is_neutralized() -> None:
    name = safe_filename("../../x", ".md")
    assert ".." not in Path(name).parts
    assert Path(name).name == name


def test_long_korean_title_is_cut_on_a_character_boundary() -> None:
    name = safe_filename(KOREAN_TITLE, ".md")
    stem = name[: -len(".md")]
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert len(name.encode("utf-8")) > MAX_NAME_BYTES - 4  # the budget is used, not wasted
    assert KOREAN_TITLE.startswith(stem)
    assert all("\uac00" <= ch <= "\ud7a3" or ch == " " for ch in stem)


def test_decomposed_korean_is_normalized_to_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "연구 노트")
    assert safe_filename(decomposed, ".md") == "연구 노트.md"


def test_300_characters_are_bounded() -> None:
    name = safe_filename("a" * 300, ".html")
    assert name == "a" * (MAX_NAME_BYTES - len(".html")) + ".html"


def test_empty_titles_fall_back() -> None:
    assert safe_filename("", ".csv") == "untitled.csv"
    assert safe_filename(" ..  ", ".csv") == "untitled.csv"


def test_names_are_unique_case_insensitively() -> None:
    taken: set[str] = set()
    names = [safe_filename(t, ".md", taken=taken) for t in ("Notes", "notes", "NOTES", "Notes")]
    assert names == ["Notes.md", "notes (2).md", "NOTES (3).md", "Notes (4).md"]
    long_names = [safe_filename("가" * 200, ".md", taken=taken) for _ in range(3)]
    assert len({n.casefold() for n in long_names}) == 3
    for name in long_names:
        assert_portable(name)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_title_gives_a_portable_name_inside_the_folder(title: str) -> None:
    name = safe_filename(title, ".md")
    assert_portable(name)
    dest = Path("/srv/export")
    assert (dest / name).parent == dest


def test_ensure_inside(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    assert ensure_inside(dest, dest / "a.md") == (dest / "a.md").resolve()
    for bad in (dest / ".." / "a.md", tmp_path / "elsewhere.md", dest):
        with pytest.raises(ExportError):
            ensure_inside(dest, bad)


def test_ensure_inside_refuses_a_symlink_pointing_out(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    outside = tmp_path / "outside.md"
    outside.write_text("keep", encoding="utf-8")
    (dest / "link.md").symlink_to(outside)
    with pytest.raises(ExportError, match="outside"):
        ensure_inside(dest, dest / "link.md")


# ------------------------------------------------------------------------------- through export_notes


def _item(tmp_path: Path, title: str, n: int) -> ExportItem:
    path = tmp_path / "lib" / f"article{n}.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("Some text to quote.\n", encoding="utf-8")
    article = Article(
        path=path, relpath=path.name, text="Some text to quote.\n", blocks=(), meta=ArticleMeta(title=title)
    )
    return ExportItem(article, (Annotation(exact="text", start=5, end=9),))


HOSTILE = ["../../x", "CON", "x" * 300, KOREAN_TITLE, "a/b", "..", "Same", "same", "nul.md", "/abs/path"]


@pytest.mark.parametrize("fmt", ["markdown", "jsonld", "html", "csv"])
def test_per_article_export_with_hostile_titles_stays_inside(tmp_path: Path, fmt: str) -> None:
    items = [_item(tmp_path, title, n) for n, title in enumerate(HOSTILE)]
    dest = tmp_path / "deep" / "out"
    report = export_notes(tmp_path / "lib", items, fmt, dest, per_article=True)
    assert len(report.written) == len(HOSTILE)
    # (a Markdown vault also holds the reader's hidden manifest folder, .research-notes-reader)
    exported = [p.resolve() for p in dest.iterdir() if p.name != ".research-notes-reader"]
    assert sorted(report.written) == sorted(exported)
    assert len({p.name.casefold() for p in report.written}) == len(HOSTILE)
    for path in report.written:
        assert path.resolve().parent == dest.resolve()
        assert_portable(path.name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "lib"]
    # Korean title kept intact as a prefix
    korean = [p.name for p in report.written if p.name.startswith("한국어")]
    assert len(korean) == 1
    assert KOREAN_TITLE.startswith(korean[0].rsplit(".", 1)[0])


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    items = [_item(tmp_path, "First", 1), _item(tmp_path, "Second", 2)]
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "Second.md").write_text("mine", encoding="utf-8")
    with pytest.raises(ExistingFilesError) as info:
        export_notes(tmp_path / "lib", items, "markdown", dest, per_article=True)
    assert info.value.paths == [(dest / "Second.md").resolve()]
    assert "Second.md" in str(info.value)
    # nothing at all was written: the check happens before the first write
    assert sorted(p.name for p in dest.iterdir()) == ["Second.md"]
    assert (dest / "Second.md").read_text(encoding="utf-8") == "mine"
    report = export_notes(tmp_path / "lib", items, "markdown", dest, per_article=True, force=True)
    assert len(report.written) == 2
    assert (dest / "Second.md").read_text(encoding="utf-8") != "mine"


def test_combined_export_into_existing_folder_and_no_overwrite(tmp_path: Path) -> None:
    items = [_item(tmp_path, "First", 1)]
    dest = tmp_path / "out"
    dest.mkdir()
    report = export_notes(tmp_path / "lib", items, "csv", dest)
    assert report.written == [(dest / "lib notes.csv").resolve()]
    with pytest.raises(ExistingFilesError):
        export_notes(tmp_path / "lib", items, "csv", dest)
    with pytest.raises(ExistingFilesError):
        export_notes(tmp_path / "lib", items, "csv", dest / "lib notes.csv")
    export_notes(tmp_path / "lib", items, "csv", dest, force=True)
    assert [p.name for p in dest.iterdir()] == ["lib notes.csv"]  # no temporary files left


def test_per_article_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="not a folder"):
        export_notes(tmp_path, [_item(tmp_path, "T", 1)], "markdown", target, per_article=True)


def test_unknown_format_is_an_export_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown export format"):
        export_notes(tmp_path, [], "pdf", tmp_path / "x.pdf")
