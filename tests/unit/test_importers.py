"""Importers of other tools' highlights, on the real export files in ``../shared/interchange``."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from reader.core.errors import ExportError
from reader.core.exchange.importers.apply import import_tool_file
from reader.core.exchange.importers.ebook_readers import records_from_calibre, records_from_kobo
from reader.core.exchange.importers.kindle import parse_added, parse_clippings, records_from_clippings
from reader.core.exchange.importers.koreader import records_from_sidecar
from reader.core.exchange.importers.lua_data import LuaDataError, loads
from reader.core.exchange.importers.reading import read_records
from reader.core.exchange.importers.records import nearest_color, stable_id
from reader.core.exchange.importers.web_services import (
    records_from_hypothesis,
    records_from_readwise,
    records_from_readwise_csv,
)
from reader.core.notes.sidecar import load_annotations, sidecar_path

ROOT = Path(__file__).resolve().parents[2]
INTERCHANGE = ROOT.parent / "shared" / "interchange"


@pytest.fixture(scope="module", autouse=True)
def _shared_samples() -> None:
    if not INTERCHANGE.is_dir():
        pytest.fail(f"the shared interchange samples are missing: {INTERCHANGE} (see README: tests)")


def _text(relative: str) -> str:
    return (INTERCHANGE / relative).read_bytes().decode("utf-8")


# ------------------------------------------------------------------------------------------------- Kindle

KINDLE_COUNTS = {
    # file: records by kind as the README describes them (highlights after edits, notes, bookmarks)
    "11-locales_2024_yakimka.txt": {"highlight": 11, "note": 11, "bookmark": 11},
    "en-GB+es_bilingual_samueldg.txt": {"highlight": 2},
    "en_2009_kindle2_georgboe.txt": {"highlight": 101, "note": 1, "bookmark": 3},
    "en_2012-2015_page-and-location_samueldg.txt": {"highlight": 2},
    "en_2015_bom-every-entry_eugeneware.txt": {"highlight": 10, "note": 2, "bookmark": 2},
    "en_2016_samueldg.txt": {"highlight": 4, "note": 1},
    "en_frankenstein-pg42324_codito-noted.txt": {"highlight": 1},
    "zh-CN_2016_zicai.txt": {"highlight": 4},
}


@pytest.mark.parametrize(("name", "counts"), KINDLE_COUNTS.items())
def test_every_kindle_record_is_read_with_its_date(name: str, counts: dict[str, int]) -> None:
    raws = parse_clippings(_text(f"kindle/{name}"))
    assert dict(Counter(r.kind for r in raws)) == counts
    assert all(r.added is not None for r in raws)
    assert all(r.start is not None or r.page for r in raws)
    assert not any("\ufeff" in r.text or "\r" in r.text or "\ufeff" in r.book.title for r in raws)


def test_the_eleven_locales_read_the_same_date_place_and_kind() -> None:
    raws = parse_clippings(_text("kindle/11-locales_2024_yakimka.txt"))
    assert {r.added.isoformat() for r in raws if r.added} == {"2024-08-22T18:10:53"}
    assert {(r.start, r.end) for r in raws if r.kind == "highlight"} == {(1300, 1301)}
    assert {r.page for r in raws} == {"112"}
    assert {r.book.title for r in raws} == {"Hexagonal Architecture Explained"}
    assert next(r.text for r in raws if r.kind == "highlight") == "My highlight in Deutsch"


def test_kindle_notes_join_their_highlight_and_stand_alone_ones_stay() -> None:
    records = records_from_clippings(_text("kindle/11-locales_2024_yakimka.txt"))
    highlights = [r for r in records if r.kind == "highlight"]
    assert len(highlights) == 11
    assert all(r.note == r.quote.replace("highlight", "note") for r in highlights)
    loose = records_from_clippings(_text("kindle/en_2015_bom-every-entry_eugeneware.txt"))
    assert [r.note[:20] for r in loose if r.kind == "note"] == ["It's interesting tha"]
    joined = [r for r in loose if r.kind == "highlight" and r.note]
    assert [r.note[:60] for r in joined] == ["There is a beautiful simplicity that comes from not driving."]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Added on Saturday, October 31, 2009, 09:25 PM", "2009-10-31T21:25:00"),
        ("Ajouté le mardi 22 août 2024 00:10:53", "2024-08-22T00:10:53"),  # "mardi" is no month
        ("Toegevoegd op maandag 2 maart 2020 12:00:00", "2020-03-02T12:00:00"),
        ("添加于 2016年4月4日星期一 下午8:33:27", "2016-04-04T20:33:27"),
        ("Добавлено: четверг, 22 августа 2024 г. в 18:10:53", "2024-08-22T18:10:53"),
        ("Added on Thursday, August 22, 2024 12:10:53 AM", "2024-08-22T00:10:53"),
    ],
)
def test_localised_dates(field: str, expected: str) -> None:
    parsed = parse_added(field)
    assert parsed is not None and parsed.isoformat() == expected


def test_a_kindle_2_range_end_is_expanded() -> None:
    raws = parse_clippings(_text("kindle/en_2009_kindle2_georgboe.txt"))
    assert (raws[0].start, raws[0].end) == (5444, 5445)
    assert any((r.start, r.end) == (7203, 7204) for r in raws)


def test_an_edited_kindle_highlight_keeps_only_the_newest() -> None:
    clip = (
        "Book (Author)\n- Your Highlight on Location 10-12 | Added on Monday, May 1, 2023 10:00:00 AM\n\n"
        "the quick brown\n==========\n"
        "Book (Author)\n- Your Highlight on Location 10-14 | Added on Monday, May 1, 2023 10:05:00 AM\n\n"
        "the quick brown fox jumps\n==========\n"
        "Book (Author)\n- Your Highlight on Location 14-15 | Added on Monday, May 1, 2023 10:06:00 AM\n\n"
        "a neighbour sharing a location\n==========\n"
    )
    quotes = [r.quote for r in records_from_clippings(clip)]
    assert quotes == ["the quick brown fox jumps", "a neighbour sharing a location"]


# ----------------------------------------------------------------------------------------------- KOReader


def test_koreader_old_and_new_layouts_give_the_same_highlights_and_ids() -> None:
    for book in ("frankenstein-pg42324", "the-prophet"):
        (old_file,) = (INTERCHANGE / "koreader").glob(f"{book}_OLD*")
        (new_file,) = (INTERCHANGE / "koreader").glob(f"{book}_NEW*")
        old_records = records_from_sidecar(old_file.read_text(encoding="utf-8"), old_file.name)
        new_records = records_from_sidecar(new_file.read_text(encoding="utf-8"), new_file.name)
        assert {(r.id, r.quote, r.note) for r in old_records} == {
            (r.id, r.quote, r.note) for r in new_records
        }


def test_koreader_counts_and_notes() -> None:
    records = records_from_sidecar(_text("koreader/the-prophet_NEW-layout_annotations.metadata.epub.lua"))
    assert Counter(r.kind for r in records) == {"highlight": 3, "bookmark": 1}
    assert [r.note for r in records if r.note] == ["Sample note"]
    frankenstein = records_from_sidecar(
        _text("koreader/frankenstein-pg42324_NEW-layout_annotations.metadata.epub.lua")
    )
    assert Counter(r.kind for r in frankenstein) == {"highlight": 4, "bookmark": 1}
    assert frankenstein[0].book.title == "Frankenstein" and frankenstein[0].book.author == "Mary Shelley"
    assert records_from_sidecar(_text("koreader/seneca-dialogues_EMPTY-annotations.metadata.epub.lua")) == []


def test_koreader_generated_bookmark_text_is_not_a_note() -> None:
    records = records_from_sidecar(
        _text("koreader/the-prophet_OLD-layout_highlight+bookmarks.metadata.epub.lua")
    )
    assert not any(r.note.startswith("Page ") for r in records)


@pytest.mark.parametrize(
    "code",
    [
        'return { a = os.execute("rm -rf /") }',
        "return { a = 1 + 2 }",
        "return { a = b }",
        'return { ["a"] = "not closed }',
        "return {" * 100 + "}" * 100,
    ],
)
def test_the_lua_reader_refuses_anything_but_data(code: str) -> None:
    with pytest.raises(LuaDataError):
        loads(code)


def test_lua_strings_with_continuations_and_escapes() -> None:
    assert loads('return { ["t"] = "one\\\ntwo \\"q\\" \\65", [2] = -1.5e1, x = true }') == {
        "t": 'one\ntwo "q" A',
        2: -15.0,
        "x": True,
    }


# ------------------------------------------------------------------------------- web services and devices


def test_hypothesis_rows_keep_quote_context_and_tags() -> None:
    records = records_from_hypothesis(
        json.loads(_text("hypothesis/api-search_wikipedia-regression-testing.json"))
    )
    assert len(records) == 5
    footer = next(r for r in records if r.note == "Footer")
    assert footer.quote == "11 November 2016" and footer.prefix.endswith("last modified on ")
    assert footer.via == "https://hypothes.is/a/LOCXbsOCEeaQl6f6fQh87Q"
    assert footer.created == "2016-12-16T11:24:14Z"


def test_readwise_export_page_and_single_highlight() -> None:
    records = records_from_readwise(json.loads(_text("readwise/api-v2-export_page.json")))
    assert len(records) == 521
    assert len({r.book for r in records}) == 9
    assert sum(1 for r in records if r.tags) == 45
    single = records_from_readwise(json.loads(_text("readwise/api-v2-highlight.json")))
    assert [(r.color, r.tags, r.modified) for r in single] == [("blue", ("blue",), "2023-02-25T05:32:38Z")]


READWISE_2019 = "Highlight,Book Title,Book Author,Amazon Book ID,Note,Color,Tags,Location Type,Location"


@pytest.mark.parametrize(
    "header",
    [
        READWISE_2019,
        READWISE_2019 + ",Highlighted at",
        READWISE_2019 + ",Highlighted at,Document tags",
    ],
)
def test_readwise_csv_in_every_header_version(header: str) -> None:
    columns = header.split(",")
    values = {
        "Highlight": "A line worth keeping", "Book Title": "Some Book", "Book Author": "A. Author",
        "Note": "mine", "Color": "orange", "Tags": "x, y", "Location Type": "location", "Location": "42",
        "Highlighted at": "2020-05-09 04:56:00+00:00", "Document tags": "z",
    }  # fmt: skip
    row = ",".join(f'"{values.get(c, "")}"' for c in columns)
    (record,) = records_from_readwise_csv(f"{header}\n{row}\n")
    assert (record.quote, record.note, record.book.title) == ("A line worth keeping", "mine", "Some Book")
    assert record.location == "location 42"
    assert set(record.tags) >= {"x", "y"}


def test_kobo_rows_of_two_conversions_are_the_same_highlights() -> None:
    a = records_from_kobo(
        json.loads(_text("kobo-calibre/jung-pg65903_kobo-bookmark-to-calibre_kepubify.json"))
    )
    b = records_from_kobo(json.loads(_text("kobo-calibre/jung-pg65903_kobo-bookmark-to-calibre_kte.json")))
    assert len(a) == len(b) == 5
    assert {r.id for r in a} == {r.id for r in b}
    assert a[0].book.author == "C. G. Jung"


def test_calibre_export_skips_removed_highlights() -> None:
    data = {"type": "calibre_highlights", "version": 1, "highlights": [
        {"type": "highlight", "uuid": "u1", "highlighted_text": "kept", "notes": "n",
         "style": {"which": "red"}, "timestamp": "2024-01-02T03:04:05.000Z"},
        {"type": "highlight", "uuid": "u2", "highlighted_text": "gone", "removed": True},
    ]}  # fmt: skip
    (record,) = records_from_calibre(data)
    assert (record.quote, record.note, record.via) == ("kept", "n", "urn:x-reader:calibre:u1")


def test_colours_map_to_the_nearest_palette_colour() -> None:
    assert nearest_color("yellow") == "yellow"
    assert nearest_color("#ffe050") == "yellow"
    assert nearest_color("cyan") == "blue"
    # The palette covers Zotero's and KOReader's colours: they keep their own name.
    for name in ("red", "orange", "gray", "magenta", "purple", "green"):
        assert nearest_color(name) == name
    assert nearest_color("#ff2020") == "red"
    assert nearest_color("#808080") == "gray"
    assert nearest_color("grey") == "gray"
    assert nearest_color(None) == "yellow"
    assert stable_id("kindle", "k") == stable_id("kindle", "k") != stable_id("koreader", "k")


# ------------------------------------------------------------------------------------------- end to end


@pytest.fixture
def wikipedia_library(tmp_path: Path) -> Path:
    library = tmp_path / "lib"
    library.mkdir()
    for name in ("wikipedia-regression-testing.html", "minimal.html"):
        shutil.copy(INTERCHANGE / "hypothesis" / name, library / name)
    return library


def test_hypothesis_highlights_land_on_their_passages_and_a_second_import_adds_nothing(
    wikipedia_library: Path,
) -> None:
    source = INTERCHANGE / "hypothesis" / "api-search_wikipedia-regression-testing.json"
    report = import_tool_file(source, wikipedia_library)
    assert (report.imported, report.unmatched, report.errors) == (5, 0, [])
    article = wikipedia_library / "wikipedia-regression-testing.html"
    from reader.core.articles.loader import load_article

    text = load_article(article, wikipedia_library).text
    annotations = load_annotations(article)
    for annotation in annotations:
        if annotation.status != "orphaned":
            assert text[annotation.start : annotation.end] == annotation.exact
    # The footer is page furniture the reader drops: kept as an orphan, not attached elsewhere.
    assert [a.exact for a in annotations if a.status == "orphaned"] == ["11 November 2016"]
    before = sidecar_path(article).read_bytes()
    again = import_tool_file(source, wikipedia_library)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 5)
    assert sidecar_path(article).read_bytes() == before


def test_a_dry_run_writes_nothing(wikipedia_library: Path, tmp_path: Path) -> None:
    source = INTERCHANGE / "hypothesis" / "api-search_wikipedia-regression-testing.json"
    listing = sorted(p.name for p in wikipedia_library.iterdir())
    report = import_tool_file(source, wikipedia_library, dry_run=True)
    assert report.imported == 5
    assert sorted(p.name for p in wikipedia_library.iterdir()) == listing


def test_unmatched_books_are_reported_with_nothing_written(wikipedia_library: Path) -> None:
    report = import_tool_file(INTERCHANGE / "readwise" / "api-v2-export_page.json", wikipedia_library)
    assert report.unmatched == 521 and report.imported == 0
    assert len(report.unmatched_books) == 9
    assert not list(wikipedia_library.glob("*.notes.json"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"rows": [', "not valid JSON"),
        ("just some words", "not an export the reader knows"),
        ("return { [1] = os.exit() }", "not a readable KOReader sidecar"),
    ],
)
def test_bad_files_give_one_line_and_change_nothing(
    tmp_path: Path, wikipedia_library: Path, content: str, message: str
) -> None:
    bad = tmp_path / ("bad.lua" if content.startswith("return") else "bad.json")
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        import_tool_file(bad, wikipedia_library)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not list(wikipedia_library.glob("*.notes.json"))


def test_a_truncated_clippings_file_reads_its_complete_records() -> None:
    text = _text("kindle/en_2016_samueldg.txt")
    tool, records = "kindle", records_from_clippings(text[: len(text) // 2])
    assert tool == "kindle"
    assert 0 < len(records) < len(records_from_clippings(text))


SAMPLES = sorted(
    str(p.relative_to(INTERCHANGE))
    for p in INTERCHANGE.glob("*/*")
    if p.suffix in (".txt", ".lua", ".json") and p.parent.name != "LICENSES"
)


@pytest.mark.parametrize("relative", SAMPLES)
def test_every_sample_is_detected(relative: str) -> None:
    tool, _records = read_records(INTERCHANGE / relative)
    assert tool == relative.split("/")[0].split("-")[0]


# ------------------------------------------------------------------------------ the books the samples cite

EPUBS = ROOT.parent / "shared" / "documents" / "epub"


@pytest.fixture
def book_library(tmp_path: Path) -> Path:
    library = tmp_path / "books"
    library.mkdir()
    for name in ("en-the-prophet-standard-ebooks-epub3.epub", "en-frankenstein-calibre-epub2.epub"):
        assert (EPUBS / name).is_file(), f"the shared EPUB samples are missing: {EPUBS / name}"
        shutil.copy(EPUBS / name, library / name)
    return library


def _anchored_quotes(library: Path, name: str) -> dict[str, str]:
    from reader.core.articles.loader import load_article

    text = load_article(library / name, library).text
    found = {}
    for annotation in load_annotations(library / name):
        assert annotation.status == "anchored", annotation
        assert text[annotation.start : annotation.end] == annotation.exact
        found[annotation.exact] = annotation.note
    return found


def test_koreader_highlights_land_on_their_passages_in_the_books(book_library: Path) -> None:
    prophet = import_tool_file(
        INTERCHANGE / "koreader" / "the-prophet_NEW-layout_annotations.metadata.epub.lua", book_library
    )
    assert (prophet.imported, prophet.bookmarks, prophet.unmatched) == (3, 1, 0)
    quotes = _anchored_quotes(book_library, "en-the-prophet-standard-ebooks-epub3.epub")
    assert "And then shall I come to you, a boundless drop to a boundless ocean." in quotes
    assert [note for note in quotes.values() if note] == ["Sample note"]
    # The old layout of the same sidecar is the same highlights: nothing new.
    again = import_tool_file(
        INTERCHANGE / "koreader" / "the-prophet_OLD-layout_highlight+bookmarks.metadata.epub.lua",
        book_library,
    )
    assert (again.imported, again.unchanged) == (0, 3)


def test_the_same_sentence_from_kindle_and_koreader_is_one_highlight(book_library: Path) -> None:
    koreader = import_tool_file(
        INTERCHANGE / "koreader" / "frankenstein-pg42324_NEW-layout_annotations.metadata.epub.lua",
        book_library,
    )
    assert (koreader.imported, koreader.unmatched) == (4, 0)
    kindle = import_tool_file(
        INTERCHANGE / "kindle" / "en_frankenstein-pg42324_codito-noted.txt", book_library
    )
    assert (kindle.imported, kindle.duplicates) == (0, 1)
    quotes = _anchored_quotes(book_library, "en-frankenstein-calibre-epub2.epub")
    assert len(quotes) == 4
    assert "Nothing is so painful to the human mind as a great and sudden change." in quotes


def test_an_imported_note_keeps_its_source_and_an_update_keeps_the_older_version(
    wikipedia_library: Path, tmp_path: Path
) -> None:
    source = INTERCHANGE / "hypothesis" / "api-search_wikipedia-regression-testing.json"
    import_tool_file(source, wikipedia_library)
    article = wikipedia_library / "wikipedia-regression-testing.html"
    before = {a.id: a for a in load_annotations(article)}
    assert {a.via for a in before.values()} >= {"https://hypothes.is/a/LOCXbsOCEeaQl6f6fQh87Q"}
    # The same file, with one note edited later in Hypothesis.
    data = json.loads(source.read_text(encoding="utf-8"))
    row = next(r for r in data["rows"] if r["text"] == "Heading")
    row["text"], row["updated"] = "Heading, revised", "2017-01-02T00:00:00+00:00"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    report = import_tool_file(edited, wikipedia_library)
    assert (report.updated, report.imported, report.unchanged) == (1, 0, 4)
    (updated,) = [a for a in load_annotations(article) if a.note == "Heading, revised"]
    assert [(k.field, k.value) for k in updated.conflicts if k.field == "note"] == [("note", "Heading")]
    exported = tmp_path / "notes.jsonld"
    from reader.core.exchange import export_notes

    export_notes(wikipedia_library, None, "jsonld", exported)
    items = json.loads(exported.read_text(encoding="utf-8"))["first"]["items"]
    vias = [item["via"] for item in items if isinstance(item["via"], list)]
    assert ["https://hypothes.is/a/" in via[1] for via in vias] == [True] * 5
