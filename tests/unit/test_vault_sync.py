"""Syncing a Markdown notes vault both ways: export → edit in the vault → sync → the sidecars and the vault
are what the user meant; conflicts keep both texts; hostile edits of the markers lose nothing."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reader.__main__ import main
from reader.core.articles.loader import load_article
from reader.core.exchange import NoteFilter, export_notes, select_items
from reader.core.exchange.markdown import sanitize_tag
from reader.core.exchange.vault import VaultError, manifest_path, sync_vault
from reader.core.models import Annotation
from reader.core.notes.store import NotesStore, open_notes

ALPHA = (
    "Alpha article\n\nThe results are conclusive and final.\nA second paragraph follows here.\n"
    "A third sentence closes the article.\n"
)
BETA = "Beta article\n\nOnly one passage is highlighted in this one.\n"


def annotate(library: Path, relpath: str, quote: str, **fields: Any) -> Annotation:
    store = open_notes(load_article(library / relpath, library))
    annotation = store.add_quote(quote, **fields)
    store.save()
    return annotation


def edit_in_library(library: Path, relpath: str, annotation_id: str, **fields: Any) -> None:
    store = open_notes(load_article(library / relpath, library))
    store.update(annotation_id, **fields)
    store.save()


def notes(library: Path, relpath: str) -> dict[str, Annotation]:
    """The annotations of an article by quote."""
    store = open_notes(load_article(library / relpath, library))
    return {a.exact: a for a in store.annotations()}


def snapshot(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for root in roots for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    (root / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (root / "beta.txt").write_text(BETA, encoding="utf-8")
    annotate(root, "alpha.txt", "results are conclusive", note="First note.", tags=["review"])
    annotate(
        root, "alpha.txt", "A second paragraph", color="blue", note="Second *note*.", tags=["needs citation"]
    )
    annotate(root, "beta.txt", "Only one passage", note="Beta note.")
    return root


@pytest.fixture
def vault(library: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "vault"
    export_notes(library, None, "markdown", dest, per_article=True)
    return dest


def alpha_file(vault: Path) -> Path:
    return vault / "Alpha article.md"


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def region_of(text: str, annotation_id: str) -> str:
    match = re.search(
        rf"<!-- reader:begin {annotation_id} -->\n.*?<!-- reader:end {annotation_id} -->\n", text, re.S
    )
    assert match is not None
    return match.group(0)


def ids(library: Path) -> dict[str, str]:
    return {exact: a.id for exact, a in notes(library, "alpha.txt").items()}


# ------------------------------------------------------------------------------------ export remembers


def test_markers_are_invisible_and_the_manifest_holds_the_base(library: Path, vault: Path) -> None:
    text = alpha_file(vault).read_text(encoding="utf-8")
    annotations = notes(library, "alpha.txt")
    for annotation in annotations.values():
        region = region_of(text, annotation.id)
        assert f"^{annotation.id[:8]}\n" in region  # the Obsidian block id stays
    # The markers render to nothing but comments: without them the rendered HTML is the same.
    commonmark = MarkdownIt("commonmark")
    without = "\n".join(line for line in text.split("\n") if not line.startswith("<!-- reader:"))
    rendered = commonmark.render(text)
    assert re.sub(r"<!-- reader:[^>]*-->\n", "", rendered) == commonmark.render(without)
    manifest = json.loads(manifest_path(vault).read_text(encoding="utf-8"))
    entry = manifest["files"]["Alpha article.md"]
    assert manifest["library"] == str(library.resolve())
    assert entry["article"] == "alpha.txt"
    assert {key: (v["note"], v["tags"]) for key, v in entry["annotations"].items()} == {
        a.id: (a.note, a.tags) for a in annotations.values()
    }


def test_no_manifest_is_a_one_line_error(
    tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(VaultError):
        sync_vault(tmp_path / "empty", library)
    assert main(["sync", str(tmp_path / "empty"), str(library)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "export" in err


# -------------------------------------------------------------------------------------- one per edit


def test_a_note_changed_in_the_vault_goes_to_the_library(library: Path, vault: Path) -> None:
    replace_in(
        alpha_file(vault), "First note.\n", "First note, rewritten in Obsidian.\n\nWith a second paragraph.\n"
    )
    report = sync_vault(vault, library)
    assert report.clean
    assert any("vault → library" in line for line in report.changes)
    after = notes(library, "alpha.txt")
    assert (
        after["results are conclusive"].note
        == "First note, rewritten in Obsidian.\n\nWith a second paragraph."
    )
    assert after["results are conclusive"].tags == ["review"]
    assert after["A second paragraph"].note == "Second *note*."


def test_a_tag_added_in_the_vault_goes_to_the_library(library: Path, vault: Path) -> None:
    replace_in(alpha_file(vault), "#needs-citation\n", "#needs-citation #method/qualitative\n")
    report = sync_vault(vault, library)
    assert report.clean
    after = notes(library, "alpha.txt")
    # the vault's "#needs-citation" still stands for the library's "needs citation"
    assert after["A second paragraph"].tags == ["needs citation", "method/qualitative"]
    assert after["A second paragraph"].note == "Second *note*."
    front = alpha_file(vault).read_text(encoding="utf-8").split("---\n")[1]
    assert "- method/qualitative" in front  # the front matter's tags follow the library


def test_a_block_deleted_in_the_vault_deletes_the_highlight(library: Path, vault: Path) -> None:
    victim = ids(library)["A second paragraph"]
    text = alpha_file(vault).read_text(encoding="utf-8")
    alpha_file(vault).write_text(text.replace(region_of(text, victim), ""), encoding="utf-8")
    report = sync_vault(vault, library)
    assert report.clean
    assert any("deleted in the vault" in line for line in report.changes)
    assert list(notes(library, "alpha.txt")) == ["results are conclusive"]
    assert (
        victim not in json.loads(manifest_path(vault).read_text())["files"]["Alpha article.md"]["annotations"]
    )


def test_the_users_own_text_outside_the_regions_is_kept_byte_for_byte(library: Path, vault: Path) -> None:
    path = alpha_file(vault)
    first = ids(library)["results are conclusive"]
    own_paragraph = "My own thoughts *between* highlights, with a [[wikilink]] and #mytag.\n\n"
    own_ending = "\n## My summary\n\nWritten by hand, no trailing newline"
    text = path.read_text(encoding="utf-8")
    end_marker = f"<!-- reader:end {first} -->\n\n"
    text = text.replace(end_marker, end_marker + own_paragraph) + own_ending
    text = text.replace("---\n\n# Alpha", "---\n\n# Alpha").replace(
        "title: Alpha article\n", "title: Alpha article\nstatus: reading  # mine\n"
    )
    path.write_text(text, encoding="utf-8")
    edit_in_library(library, "alpha.txt", first, note="Changed in the window.")
    report = sync_vault(vault, library)
    assert report.clean
    after = path.read_text(encoding="utf-8")
    assert "Changed in the window." in region_of(after, first)
    assert "First note." not in after
    assert own_paragraph in after and after.endswith(own_ending)
    assert "status: reading  # mine\n" in after
    # outside the regions, the file is exactly what the user wrote
    outside = re.sub(r"<!-- reader:begin (\S+) -->\n.*?<!-- reader:end \1 -->\n", "", after, flags=re.S)
    outside_before = re.sub(r"<!-- reader:begin (\S+) -->\n.*?<!-- reader:end \1 -->\n", "", text, flags=re.S)
    assert outside == outside_before


def test_round_trip_leaves_the_vault_as_a_fresh_export_plus_the_users_text(
    library: Path, vault: Path, tmp_path: Path
) -> None:
    path = alpha_file(vault)
    first, second = ids(library)["results are conclusive"], ids(library)["A second paragraph"]
    replace_in(path, "First note.\n", "First note, edited.\n")
    replace_in(path, "#review\n", "#review #important\n")
    text = path.read_text(encoding="utf-8")
    mine = "A paragraph of my own.\n\n"
    text = text.replace(region_of(text, second), "").rstrip("\n") + "\n\n" + mine
    path.write_text(text, encoding="utf-8")
    assert sync_vault(vault, library).clean
    after = notes(library, "alpha.txt")
    assert list(after) == ["results are conclusive"]
    assert (after["results are conclusive"].note, after["results are conclusive"].tags) == (
        "First note, edited.",
        ["review", "important"],
    )
    assert first in path.read_text(encoding="utf-8")
    fresh = tmp_path / "fresh"
    export_notes(library, None, "markdown", fresh, per_article=True)
    expected = (fresh / "Alpha article.md").read_text(encoding="utf-8")
    synced = path.read_text(encoding="utf-8")
    assert synced.replace("\n" + mine, "") == expected


# ------------------------------------------------------------------------------------ merge and conflicts


def test_different_fields_edited_on_each_side_merge(library: Path, vault: Path) -> None:
    first = ids(library)["results are conclusive"]
    edit_in_library(library, "alpha.txt", first, note="Library's new note.")
    replace_in(alpha_file(vault), "#review\n", "#review #vault-tag\n")
    report = sync_vault(vault, library)
    assert report.clean, report.conflicts
    annotation = notes(library, "alpha.txt")["results are conclusive"]
    assert (annotation.note, annotation.tags) == ("Library's new note.", ["review", "vault-tag"])
    region = region_of(alpha_file(vault).read_text(encoding="utf-8"), first)
    assert "Library's new note." in region and "#review #vault-tag" in region


def test_tags_changed_on_both_sides_merge_as_sets(library: Path, vault: Path) -> None:
    second = ids(library)["A second paragraph"]
    edit_in_library(library, "alpha.txt", second, tags=["needs citation", "from-window"])
    replace_in(alpha_file(vault), "#needs-citation\n", "#from-vault\n")  # removed one, added one
    assert sync_vault(vault, library).clean
    assert notes(library, "alpha.txt")["A second paragraph"].tags == ["from-window", "from-vault"]


def test_the_same_note_edited_on_both_sides_is_a_conflict_that_keeps_both(library: Path, vault: Path) -> None:
    first = ids(library)["results are conclusive"]
    edit_in_library(library, "alpha.txt", first, note="The library's version.")
    replace_in(alpha_file(vault), "First note.\n", "The vault's version.\n")
    report = sync_vault(vault, library)
    assert len(report.conflicts) == 1
    assert "note of ^" in report.conflicts[0] and "\n" not in report.conflicts[0]
    assert notes(library, "alpha.txt")["results are conclusive"].note == "The library's version."
    text = alpha_file(vault).read_text(encoding="utf-8")
    assert "The library's version." in region_of(text, first)
    assert "The vault's version." in text and "The vault's version." not in region_of(text, first)
    assert "[!warning] Sync conflict" in text
    # The conflict block is the user's now: the next sync leaves it, and reports nothing more.
    again = sync_vault(vault, library)
    assert again.clean and again.changes == [] and again.files_written == []
    assert alpha_file(vault).read_text(encoding="utf-8") == text


def test_a_block_deleted_in_the_vault_but_edited_in_the_library_is_kept(library: Path, vault: Path) -> None:
    second = ids(library)["A second paragraph"]
    text = alpha_file(vault).read_text(encoding="utf-8")
    alpha_file(vault).write_text(text.replace(region_of(text, second), ""), encoding="utf-8")
    edit_in_library(library, "alpha.txt", second, note="Edited in the window meanwhile.")
    report = sync_vault(vault, library)
    assert len(report.conflicts) == 1 and "deleted in the vault" in report.conflicts[0]
    assert notes(library, "alpha.txt")["A second paragraph"].note == "Edited in the window meanwhile."
    assert "Edited in the window meanwhile." in region_of(
        alpha_file(vault).read_text(encoding="utf-8"), second
    )


def test_a_highlight_deleted_in_the_library_but_edited_in_the_vault_keeps_the_text(
    library: Path, vault: Path
) -> None:
    second = ids(library)["A second paragraph"]
    store = open_notes(load_article(library / "alpha.txt", library))
    store.delete(second)
    store.save()
    replace_in(alpha_file(vault), "Second *note*.\n", "Second note, extended in the vault.\n")
    report = sync_vault(vault, library)
    assert len(report.conflicts) == 1 and "deleted in the library" in report.conflicts[0]
    text = alpha_file(vault).read_text(encoding="utf-8")
    assert f"reader:begin {second}" not in text
    assert "Second note, extended in the vault." in text


def test_library_changes_reach_the_vault(library: Path, vault: Path) -> None:
    first = ids(library)["results are conclusive"]
    store = open_notes(load_article(library / "alpha.txt", library))
    store.delete(first)
    new = store.add_quote("A third sentence", color="green", note="Made after the export.", tags=["later"])
    store.save()
    report = sync_vault(vault, library)
    assert report.clean
    text = alpha_file(vault).read_text(encoding="utf-8")
    assert f"reader:begin {first}" not in text and "First note." not in text
    assert "Made after the export." in region_of(text, new.id)
    second = ids(library)["A second paragraph"]
    assert text.index(f"reader:begin {second}") < text.index(f"reader:begin {new.id}")  # text order
    assert "\n\n\n" not in text  # a removed region takes its blank line along
    assert any("added to the vault" in line for line in report.changes)


# ------------------------------------------------------------------------------- idempotence, dry run


def test_syncing_twice_changes_nothing_the_second_time(library: Path, vault: Path) -> None:
    replace_in(alpha_file(vault), "First note.\n", "Edited once.\n")
    edit_in_library(library, "beta.txt", notes(library, "beta.txt")["Only one passage"].id, tags=["x"])
    first = sync_vault(vault, library)
    assert first.changes and first.files_written
    before = snapshot(vault, library)
    second = sync_vault(vault, library)
    assert (second.changes, second.conflicts, second.files_written) == ([], [], [])
    assert not second.manifest_written
    assert snapshot(vault, library) == before


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(
    library: Path, vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_in(alpha_file(vault), "First note.\n", "Edited in the vault.\n")
    edit_in_library(library, "beta.txt", notes(library, "beta.txt")["Only one passage"].id, note="New.")
    before = snapshot(vault, library)
    assert main(["sync", str(vault), str(library), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert snapshot(vault, library) == before
    assert "would apply:" in out and "vault → library" in out
    assert "would rewrite" in out and "Beta article.md" in out
    assert "nothing was written" in out
    assert main(["sync", str(vault), str(library)]) == 0
    assert notes(library, "alpha.txt")["results are conclusive"].note == "Edited in the vault."


def test_a_vault_file_deleted_by_the_user_is_not_synced(library: Path, vault: Path) -> None:
    (vault / "Beta article.md").unlink()
    edit_in_library(library, "beta.txt", notes(library, "beta.txt")["Only one passage"].id, note="Kept.")
    report = sync_vault(vault, library)
    assert any("Beta article.md" in line and "deleted from the vault" in line for line in report.skipped)
    assert not (vault / "Beta article.md").exists()
    assert notes(library, "beta.txt")["Only one passage"].note == "Kept."


# ------------------------------------------------------------------------------------ hostile content


def _drop_line(text: str, pattern: str) -> str:
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if re.fullmatch(pattern, line))
    return "\n".join(lines[:index] + lines[index + 1 :])


def _hostile(kind: str, text: str, first: str, second: str) -> str:
    if kind == "end removed":
        return _drop_line(text, f"<!-- reader:end {first} -->")
    if kind == "begin removed":
        return _drop_line(text, f"<!-- reader:begin {second} -->")
    if kind == "region duplicated":
        return text + "\n" + region_of(text, first)
    if kind == "id edited":
        return text.replace(first, "00000000-0000-4000-8000-000000000000")
    if kind == "markers removed":
        return _drop_line(_drop_line(text, f"<!-- reader:begin {first} -->"), f"<!-- reader:end {first} -->")
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["end removed", "begin removed", "region duplicated", "id edited", "markers removed"]
)
def test_hostile_marker_edits_are_reported_and_lose_nothing(
    library: Path, vault: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = ids(library)["results are conclusive"], ids(library)["A second paragraph"]
    path = alpha_file(vault)
    text = _hostile(kind, path.read_text(encoding="utf-8"), first, second)
    text = text.replace("First note.", "First note, edited next to the damage.")
    path.write_text(text, encoding="utf-8")
    replace_in(vault / "Beta article.md", "Beta note.\n", "Beta note, edited.\n")
    before_alpha = snapshot(library)
    before_alpha = {p: b for p, b in before_alpha.items() if "alpha" in p.name}
    report = sync_vault(vault, library)
    problems = [line for line in report.problems if line.startswith("Alpha article.md: ")]
    assert len(problems) >= 2, report.problems  # at least one problem, then "not synced"
    assert all("\n" not in line for line in problems)
    assert path.read_text(encoding="utf-8") == text  # the damaged file is left exactly as it is
    assert {p: p.read_bytes() for p in before_alpha} == before_alpha  # and so are its notes
    assert set(notes(library, "alpha.txt")) == {"results are conclusive", "A second paragraph"}
    # the other files are synced all the same
    assert notes(library, "beta.txt")["Only one passage"].note == "Beta note, edited."
    assert main(["sync", str(vault), str(library)]) == 1
    out = capsys.readouterr().out
    assert "problem: Alpha article.md:" in out and "1 file not synced" in out


def test_an_edited_quote_is_not_lost(library: Path, vault: Path) -> None:
    first = ids(library)["results are conclusive"]
    replace_in(
        alpha_file(vault), "> results are conclusive [@", "> results are conclusive (my paraphrase) [@"
    )
    report = sync_vault(vault, library)
    assert report.warnings and "quote or colour" in report.warnings[0]
    text = alpha_file(vault).read_text(encoding="utf-8")
    assert "(my paraphrase)" in text and "(my paraphrase)" not in region_of(text, first)
    assert notes(library, "alpha.txt")["results are conclusive"].exact == "results are conclusive"


# ------------------------------------------------------------------------------- the vault as people use it


def test_a_file_renamed_in_the_vault_is_followed(library: Path, vault: Path) -> None:
    (vault / "reading").mkdir()
    moved = vault / "reading" / "Alpha (my name).md"
    alpha_file(vault).rename(moved)
    replace_in(moved, "First note.\n", "Edited after the move.\n")
    report = sync_vault(vault, library)
    assert report.clean and not report.skipped
    assert any("reading/Alpha (my name).md: was Alpha article.md" in line for line in report.changes)
    assert notes(library, "alpha.txt")["results are conclusive"].note == "Edited after the move."
    files = json.loads(manifest_path(vault).read_text())["files"]
    assert "reading/Alpha (my name).md" in files and "Alpha article.md" not in files
    assert sync_vault(vault, library).changes == []


def test_windows_line_endings_are_kept(library: Path, vault: Path) -> None:
    path = alpha_file(vault)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").replace(b"First note.", b"Edited with CRLF."))
    second = ids(library)["A second paragraph"]
    edit_in_library(
        library, "alpha.txt", second, note="From the library.\n\nTwo paragraphs.", tags=["new tag"]
    )
    assert sync_vault(vault, library).clean
    assert notes(library, "alpha.txt")["results are conclusive"].note == "Edited with CRLF."
    data = path.read_bytes()
    assert b"From the library.\r\n\r\nTwo paragraphs.\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")  # no bare line feed was mixed in
    assert b"- new-tag\r\n" in data  # the front matter's tags


def test_front_matter_keys_and_tags_of_the_user_stay(library: Path, vault: Path) -> None:
    path = alpha_file(vault)
    replace_in(path, "- review\n", "- review\n- my-own-tag\n")
    replace_in(path, "source: null\n", "source: https://example.org/mine\naliases:\n- Alpha\n")
    second = ids(library)["A second paragraph"]
    edit_in_library(library, "alpha.txt", second, tags=["needs citation", "added"])
    assert sync_vault(vault, library).clean
    front = path.read_text(encoding="utf-8").split("---\n")[1]
    assert "tags:\n- added\n- needs-citation\n- review\n- my-own-tag\n" in front
    assert "source: https://example.org/mine\naliases:\n- Alpha\n" in front  # the user's value, and key, kept
    # the user's front matter tags do not become highlight tags
    assert all("my-own-tag" not in a.tags for a in notes(library, "alpha.txt").values())


def test_a_note_written_under_a_highlight_without_one(library: Path, vault: Path) -> None:
    third = annotate(library, "alpha.txt", "A third sentence")
    assert sync_vault(vault, library).clean  # brings the new highlight into the vault
    path = alpha_file(vault)
    block = f"^{third.id[:8]}\n"
    replace_in(path, block, block + "\nA note typed in Obsidian.\n\n#typed\n")
    assert sync_vault(vault, library).clean
    annotation = notes(library, "alpha.txt")["A third sentence"]
    assert (annotation.note, annotation.tags) == ("A note typed in Obsidian.", ["typed"])


NOTES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
TAGS = st.lists(st.text(alphabet="abc XYZ-/é#_1", min_size=1, max_size=8), max_size=3)
TYPED = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note=NOTES, tags=TAGS, typed=TYPED)
def test_any_note_survives_export_and_sync_and_a_typed_note_comes_back(
    note: str, tags: list[str], typed: str
) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "library"
        root.mkdir()
        (root / "beta.txt").write_text(BETA, encoding="utf-8")
        annotation = annotate(root, "beta.txt", "Only one passage", note=note, tags=tags)
        dest = Path(temp) / "vault"
        export_notes(root, None, "markdown", dest, per_article=True)
        path = dest / "Beta article.md"
        exported = path.read_bytes()
        stored = notes(root, "beta.txt")["Only one passage"]
        report = sync_vault(dest, root)  # nothing edited anywhere: nothing changes
        assert (report.changes, report.conflicts, report.problems, report.files_written) == ([], [], [], [])
        assert path.read_bytes() == exported
        assert notes(root, "beta.txt")["Only one passage"] == stored
        # A one-paragraph note typed in the vault in place of the note comes back as typed.
        paragraph = " ".join(typed.split())
        if not paragraph or all(word.startswith("#") for word in paragraph.split()):
            return
        text = path.read_text(encoding="utf-8")
        region = region_of(text, annotation.id)
        head, _, _ = region.partition(f"^{annotation.id[:8]}\n")
        end = f"<!-- reader:end {annotation.id} -->\n"
        path.write_text(
            text.replace(region, f"{head}^{annotation.id[:8]}\n\n{paragraph}\n{end}"), encoding="utf-8"
        )
        report = sync_vault(dest, root)
        assert report.clean, report.problems
        after = notes(root, "beta.txt")["Only one passage"]
        assert after.note == paragraph
        # the tags line was removed: the tags go, except those Obsidian cannot show (never in the vault)
        assert after.tags == [tag for tag in stored.tags if not sanitize_tag(tag)]


def test_the_same_edit_made_on_both_sides_is_no_conflict(library: Path, vault: Path) -> None:
    first = ids(library)["results are conclusive"]
    edit_in_library(library, "alpha.txt", first, note="Agreed wording.")
    replace_in(alpha_file(vault), "First note.\n", "Agreed wording.\n")
    report = sync_vault(vault, library)
    assert report.clean and "Sync conflict" not in alpha_file(vault).read_text(encoding="utf-8")
    assert notes(library, "alpha.txt")["results are conclusive"].note == "Agreed wording."


def test_highlights_a_filtered_export_left_out_stay_out(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "filtered"
    items = select_items(library, note_filter=NoteFilter(tags=["review"]))
    export_notes(library, items, "markdown", dest, per_article=True)
    path = dest / "Alpha article.md"
    left_out = ids(library)["A second paragraph"]
    assert left_out not in path.read_text(encoding="utf-8")
    later = annotate(library, "alpha.txt", "A third sentence", note="Made after the export.")
    report = sync_vault(dest, library)
    assert report.clean
    text = path.read_text(encoding="utf-8")
    assert left_out not in text  # the export's filter left it out, and the sync does not bring it in
    assert later.id in text  # a highlight made after the export is added
    assert set(notes(library, "alpha.txt")) == {
        "results are conclusive",
        "A second paragraph",
        "A third sentence",
    }


def test_a_file_edited_during_the_sync_is_left_alone_and_the_next_sync_converges(
    library: Path, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = alpha_file(vault)
    replace_in(path, "First note.\n", "Edited before the sync.\n")
    first = ids(library)["results are conclusive"]
    edit_in_library(library, "alpha.txt", first, tags=["review", "from-window"])  # the file must be rewritten
    original_save = NotesStore.save

    def save_while_obsidian_writes(self: NotesStore) -> bool:
        replace_in(path, "#review\n", "#review #typed-meanwhile\n")  # Obsidian saves the file meanwhile
        return original_save(self)

    monkeypatch.setattr(NotesStore, "save", save_while_obsidian_writes)
    report = sync_vault(vault, library)
    monkeypatch.undo()
    assert any("changed while it was being synced" in line for line in report.problems), report
    assert "#review #typed-meanwhile" in path.read_text(encoding="utf-8")  # the newest edit is still there
    assert notes(library, "alpha.txt")["results are conclusive"].note == "Edited before the sync."
    report = sync_vault(vault, library)
    assert report.clean
    annotation = notes(library, "alpha.txt")["results are conclusive"]
    assert (annotation.note, annotation.tags) == (
        "Edited before the sync.",
        ["review", "from-window", "typed-meanwhile"],
    )
    assert sync_vault(vault, library).changes == []


def test_a_sidecar_that_cannot_be_read_leaves_its_file_alone(library: Path, vault: Path) -> None:
    sidecar = next(library.glob("alpha.txt*.json"))
    sidecar.write_text("{ not json", encoding="utf-8")
    replace_in(alpha_file(vault), "First note.\n", "Edited.\n")
    before = alpha_file(vault).read_bytes()
    report = sync_vault(vault, library)
    assert any(line.startswith("Alpha article.md: ") and "read-only" in line for line in report.problems)
    assert alpha_file(vault).read_bytes() == before
    assert sidecar.read_text(encoding="utf-8") == "{ not json"


def test_articles_without_a_file_are_added_on_request(library: Path, vault: Path) -> None:
    (library / "gamma.txt").write_text("Gamma article\n\nA newly clipped article.\n", encoding="utf-8")
    annotate(library, "gamma.txt", "newly clipped", note="Fresh.")
    (vault / "Gamma article.md").write_text("My own page with the same name.\n", encoding="utf-8")
    report = sync_vault(vault, library)
    assert report.clean and not any("Gamma" in line for line in report.changes)  # not without --add-new
    before = snapshot(vault, library)
    assert (
        sync_vault(vault, library, dry_run=True, add_new=True).files_written[0].name == "Gamma article (2).md"
    )
    assert snapshot(vault, library) == before
    report = sync_vault(vault, library, add_new=True)
    assert [line for line in report.changes if "new file" in line] == [
        "Gamma article (2).md: new file for gamma.txt (1 highlight)"
    ]
    assert (vault / "Gamma article.md").read_text(encoding="utf-8") == "My own page with the same name.\n"
    added = vault / "Gamma article (2).md"
    replace_in(added, "Fresh.\n", "Fresh, then edited.\n")
    assert sync_vault(vault, library, add_new=True).clean
    assert notes(library, "gamma.txt")["newly clipped"].note == "Fresh, then edited."
    assert sync_vault(vault, library, add_new=True).changes == []
