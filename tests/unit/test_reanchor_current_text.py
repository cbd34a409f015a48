"""Issue 15: notes say what the text says now.

On the sample library (four clipped articles): a re-anchored note quotes the current words and keeps the old
ones under ``previous``; orphans have no position in the current text; read-only and failed commands never
write, ``notes reanchor`` saves; a selection is trimmed of the whitespace around it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.core.articles.loader import load_article
from reader.core.errors import AnchorError
from reader.core.models import Annotation, PreviousTarget
from reader.core.notes.anchoring import CONTEXT_LEN, make_annotation, reanchor, retarget
from reader.core.notes.sidecar import SidecarDocument, parse_sidecar, serialize_sidecar, sidecar_path
from reader.core.notes.store import open_notes

SAMPLE = Path(__file__).resolve().parents[2] / "library"
ARTICLE = "000_70401d234f345079.txt"
QUOTE = "Osteogenesis imperfecta is a congenital genetic disease characterized by weak bone formation"
EDITED_QUOTE = QUOTE.replace("congenital", "hereditary")
DOOMED = "This marks Korea’s first clinical investigation of mesenchymal stem cells"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(SAMPLE, root)
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _add(capsys, file: Path, quote: str, note: str = "n") -> str:
    status, out, err = _run(capsys, "notes", "add", str(file), "--quote", quote, "--note", note)
    assert (status, err) == (0, "")
    return out.strip()


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _text(file: Path) -> str:
    return load_article(file, file.parent).text


# ------------------------------------------------------------------------ 1. a re-anchored note's quote


def test_a_fuzzy_match_quotes_the_current_words_and_keeps_the_old_ones(library, capsys):
    file = library / ARTICLE
    note_id = _add(capsys, file, QUOTE)
    old_text = _text(file)
    old_start = old_text.index(QUOTE)
    _edit(file, "congenital", "hereditary")
    text = _text(file)

    store = open_notes(load_article(file, library), persist_reanchoring=False)
    annotation = store.get(note_id)
    assert annotation.status == "fuzzy"
    assert annotation.exact == text[annotation.start : annotation.end] == EDITED_QUOTE
    assert annotation.prefix == text[annotation.start - CONTEXT_LEN : annotation.start]
    assert annotation.suffix == text[annotation.end : annotation.end + CONTEXT_LEN]
    previous = annotation.previous
    assert previous is not None
    assert (previous.exact, previous.start, previous.end) == (QUOTE, old_start, old_start + len(QUOTE))
    assert previous.prefix == old_text[old_start - CONTEXT_LEN : old_start]
    assert previous.text_hash == load_article(SAMPLE / ARTICLE, SAMPLE).content_hash
    assert previous.reanchored.endswith("Z")

    status, out, _ = _run(capsys, "notes", "list", str(file), "--json")
    [record] = json.loads(out)
    assert (status, record["quote"], record["status"]) == (0, EDITED_QUOTE, "fuzzy")
    assert record["previous"]["quote"] == QUOTE
    status, out, _ = _run(capsys, "notes", "list", str(file))
    assert "hereditary" in out
    assert "congenital" not in out.split("(was")[0]


def test_the_saved_sidecar_quote_matches_the_text_at_its_position(library, capsys):
    file = library / ARTICLE
    _add(capsys, file, QUOTE)
    _edit(file, "congenital", "hereditary")
    assert _run(capsys, "notes", "reanchor", str(file))[0] == 0
    text = _text(file)
    [item] = json.loads(sidecar_path(file).read_text(encoding="utf-8"))["annotations"]
    quote, position = item["target"]["selector"]
    assert quote["exact"] == text[position["start"] : position["end"]] == EDITED_QUOTE
    assert quote["prefix"] == text[position["start"] - CONTEXT_LEN : position["start"]]
    assert item["status"] == "fuzzy"
    assert item["previous"]["exact"] == QUOTE
    assert set(item["previous"]) == {"exact", "prefix", "suffix", "start", "end", "text_hash", "reanchored"}


def test_a_second_edit_keeps_the_fuzzy_mark_and_the_first_words(library, capsys):
    file = library / ARTICLE
    note_id = _add(capsys, file, QUOTE)
    _edit(file, "congenital", "hereditary")
    assert _run(capsys, "notes", "reanchor", str(file))[0] == 0
    _edit(file, "Osteogenesis imperfecta is", "Intro.\n\nOsteogenesis imperfecta is")
    annotation = open_notes(load_article(file, library), persist_reanchoring=False).get(note_id)
    assert annotation.exact == EDITED_QUOTE
    assert annotation.status == "fuzzy"  # not confirmed by the user: still marked
    assert annotation.previous is not None
    assert annotation.previous.exact == QUOTE


def test_reattaching_by_hand_confirms_and_drops_the_previous_words():
    text = "one two three four five six seven eight nine ten eleven twelve"
    annotation = make_annotation(text, 4, 30)
    fuzzy, result = reanchor(annotation, text.replace("four", "FOUR"))
    assert result.status == "fuzzy"
    assert fuzzy.previous is not None
    confirmed = retarget(fuzzy, text, fuzzy.start, fuzzy.end)
    assert (confirmed.status, confirmed.previous) == ("anchored", None)


def test_sidecars_without_previous_read_as_before_and_previous_round_trips():
    annotation = make_annotation("alpha beta gamma delta", 6, 10)
    plain = serialize_sidecar(SidecarDocument("a.txt", "sha256:1", [annotation]))
    assert b"previous" not in plain
    [read] = parse_sidecar(plain, "a.txt.notes.json").annotations
    assert read.previous is None
    annotation.previous = PreviousTarget(
        "beat", "alpha ", " gamma", 6, 10, "sha256:0", "2025-01-01T00:00:00.000Z"
    )
    data = serialize_sidecar(SidecarDocument("a.txt", "sha256:1", [annotation]))
    [read] = parse_sidecar(data, "a.txt.notes.json").annotations
    assert read == annotation
    broken = json.loads(data)
    broken["annotations"][0]["previous"]["start"] = "six"
    with pytest.raises(Exception, match="previous"):
        parse_sidecar(json.dumps(broken).encode(), "a.txt.notes.json")


# ------------------------------------------------------------------------ 2. orphans show no offsets


def test_orphans_are_listed_without_offsets(library, capsys):
    file = library / ARTICLE
    _add(capsys, file, DOOMED)
    text = file.read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if DOOMED in p)
    file.write_text(text.replace(paragraph + "\n\n", ""), encoding="utf-8")
    status, out, _ = _run(capsys, "notes", "list", str(library), "--json")
    [record] = json.loads(out)
    assert (status, record["status"], record["start"], record["end"]) == (0, "orphaned", None, None)
    assert record["quote"] == DOOMED  # the last known words
    status, out, _ = _run(capsys, "notes", "list", str(library))
    assert f"{ARTICLE}: passage not found in the current text [orphaned]" in out
    assert not re.search(rf"{re.escape(ARTICLE)}:\d", out)  # no start-end offsets for it


# ------------------------------------------------------------------------ 3. who writes re-anchoring


def _prepared(library: Path, capsys) -> tuple[Path, bytes]:
    file = library / ARTICLE
    _add(capsys, file, QUOTE)
    _edit(file, "Osteogenesis imperfecta is", "Intro.\n\nOsteogenesis imperfecta is")
    return file, sidecar_path(file).read_bytes()


def test_listing_and_a_failed_add_or_delete_write_nothing(library, capsys):
    file, before = _prepared(library, capsys)
    backup = sidecar_path(file).with_name(sidecar_path(file).name + ".bak")
    backup.unlink(missing_ok=True)
    assert _run(capsys, "notes", "list", str(library), "--json")[0] == 0
    status, _, err = _run(capsys, "notes", "add", str(file), "--quote", "not in the article at all")
    assert (status, "quote not found" in err) == (2, True)
    status, _, err = _run(capsys, "notes", "delete", str(file), "zzz")
    assert (status, "no annotation" in err) == (2, True)
    assert sidecar_path(file).read_bytes() == before
    assert not backup.exists()


def test_a_successful_add_saves_the_reanchoring_too(library, capsys):
    file, _ = _prepared(library, capsys)
    _add(capsys, file, "An estimated 500 to 1,000 people")
    raw = json.loads(sidecar_path(file).read_text(encoding="utf-8"))
    assert raw["text_hash"] == load_article(file, library).content_hash
    moved = next(a for a in raw["annotations"] if a["target"]["selector"][0]["exact"] == QUOTE)
    assert moved["status"] == "moved"
    assert moved["target"]["selector"][1]["start"] == _text(file).index(QUOTE)


def test_reanchor_command_saves_and_reports_counts(library, capsys):
    file, before = _prepared(library, capsys)
    other = library / "002_4fb186e8765177bb.txt"
    _add(capsys, other, _text(other)[200:260].strip())
    other_before = sidecar_path(other).read_bytes()
    status, out, err = _run(capsys, "notes", "reanchor", str(library))
    assert (status, err) == (0, "")
    assert f"{ARTICLE}: 1 moved (saved)" in out
    assert out.rstrip().endswith("2 notes in 2 files: 1 anchored, 1 moved, 0 fuzzy, 0 orphaned; 1 file saved")
    assert sidecar_path(file).read_bytes() != before
    assert sidecar_path(other).read_bytes() == other_before
    saved = sidecar_path(file).read_bytes()
    status, out, _ = _run(capsys, "notes", "reanchor", str(file))
    assert status == 0
    assert out.rstrip().endswith("0 files saved")
    assert sidecar_path(file).read_bytes() == saved


def test_reanchor_command_leaves_an_unreadable_sidecar_alone(library, capsys):
    file = library / ARTICLE
    sidecar_path(file).write_bytes(b"{oops")
    status, _, err = _run(capsys, "notes", "reanchor", str(library))
    assert status == 1
    assert "cannot be parsed" in err
    assert sidecar_path(file).read_bytes() == b"{oops"
    assert _run(capsys, "notes", "reanchor", str(library / "missing"))[0] == 2


# ------------------------------------------------------------------------ 5. selections are trimmed


def test_a_selection_is_trimmed_of_surrounding_whitespace(library):
    text = _text(library / ARTICLE)
    start = text.index("Professors Lee Soon-chul") - 2
    assert text[start : start + 2] == "\n\n"
    end = text.index("Rim Jong-seop", start) + len("Rim Jong-seop")
    annotation = make_annotation(text, start, end + 1)
    assert annotation.exact == "Professors Lee Soon-chul (left) and Rim Jong-seop"
    assert text[annotation.start : annotation.end] == annotation.exact
    assert annotation.prefix == text[annotation.start - CONTEXT_LEN : annotation.start]
    store = open_notes(load_article(library / ARTICLE, library))
    added = store.add(start, end + 1)
    assert added.exact == annotation.exact
    reattached = store.reattach(added.id, start, end)
    assert reattached.exact == annotation.exact
    with pytest.raises(AnchorError, match="only whitespace"):
        make_annotation(text, start, start + 2)


def test_existing_quotes_with_whitespace_still_anchor():
    text = "First paragraph.\n\nSecond paragraph starts here and goes on."
    annotation = Annotation(
        exact="\n\nSecond paragraph", start=16, end=34, prefix="First paragraph.", suffix=""
    )
    result = reanchor(annotation, text)[1]
    assert (result.status, result.start, result.end) == ("anchored", 16, 34)


def test_a_reattachment_elsewhere_takes_its_previous_record_with_it(library, capsys):
    file = library / ARTICLE
    note_id = _add(capsys, file, QUOTE)
    _edit(file, "congenital", "hereditary")
    here = open_notes(load_article(file, library), persist_reanchoring=False)  # re-anchored in memory
    assert here.get(note_id).previous is not None
    there = open_notes(load_article(file, library))  # another window: saves the re-anchoring, reattaches
    text = there.text
    start = text.index("An estimated")
    there.reattach(note_id, start, start + len("An estimated 500 to 1,000 people"))
    there.save()
    here.update(note_id, note="edited here")
    here.save()
    merged = open_notes(load_article(file, library)).get(note_id)
    assert (merged.exact, merged.note, merged.status) == (
        "An estimated 500 to 1,000 people",
        "edited here",
        "anchored",
    )
    assert merged.previous is None  # the confirmed passage has no stale record of other words
    assert here.conflicts == []


def test_a_fuzzy_note_of_an_older_sidecar_is_requoted(library, capsys):
    file = library / ARTICLE
    note_id = _add(capsys, file, QUOTE)
    _edit(file, "congenital", "hereditary")
    text = _text(file)
    # What the reader wrote before: fuzzy, new position and hash, but the old words and context.
    raw = json.loads(sidecar_path(file).read_text(encoding="utf-8"))
    raw["text_hash"] = load_article(file, library).content_hash
    [item] = raw["annotations"]
    item["status"] = "fuzzy"
    item["target"]["selector"][1]["start"] = text.index(EDITED_QUOTE)
    item["target"]["selector"][1]["end"] = text.index(EDITED_QUOTE) + len(EDITED_QUOTE)
    sidecar_path(file).write_text(json.dumps(raw), encoding="utf-8")
    status, out, _ = _run(capsys, "notes", "list", str(file), "--json")
    [record] = json.loads(out)
    assert (status, record["quote"], record["previous"]["quote"]) == (0, EDITED_QUOTE, QUOTE)
    annotation = open_notes(load_article(file, library), persist_reanchoring=False).get(note_id)
    assert annotation.exact == text[annotation.start : annotation.end]
    assert annotation.prefix == text[annotation.start - CONTEXT_LEN : annotation.start]
