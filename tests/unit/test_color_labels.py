"""Each colour can carry a user label ("red = disagree"), kept in the library and shown in every export."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reader.core.articles.loader import load_article
from reader.core.exchange import export_notes
from reader.core.library.color_labels import (
    ColorLabelsError,
    color_labels_path,
    load_color_labels,
    set_color_labels,
)
from reader.core.notes.store import open_notes

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "library"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    name = sorted(p.name for p in SAMPLE.glob("*.txt"))[0]
    shutil.copy(SAMPLE / name, root / name)
    article = load_article(root / name, root)
    store = open_notes(article)
    words = max(article.text.split("\n"), key=len).split()[:4]
    store.add_quote(" ".join(words), color="red", note="not convinced")
    store.save()
    return root


def test_labels_are_stored_in_the_library_and_read_back(library: Path) -> None:
    assert load_color_labels(library) == {}
    assert set_color_labels(library, {"red": "disagree", "Green": "  method  "}) == {
        "green": "method",
        "red": "disagree",
    }
    data = json.loads(color_labels_path(library).read_text(encoding="utf-8"))
    assert data["format"] == "research-notes-reader/colors"
    assert load_color_labels(library) == {"green": "method", "red": "disagree"}
    assert set_color_labels(library, {"green": ""}) == {"red": "disagree"}


def test_a_colour_outside_the_palette_or_a_broken_file_changes_nothing(library: Path) -> None:
    set_color_labels(library, {"red": "disagree"})
    before = color_labels_path(library).read_bytes()
    with pytest.raises(ColorLabelsError, match="no colour 'mauve'"):
        set_color_labels(library, {"mauve": "x"})
    assert color_labels_path(library).read_bytes() == before
    color_labels_path(library).write_text("{not json", encoding="utf-8")
    with pytest.raises(ColorLabelsError, match="left as it is"):
        set_color_labels(library, {"red": "agree"})
    assert color_labels_path(library).read_text(encoding="utf-8") == "{not json"


@pytest.mark.parametrize("fmt", ["markdown", "html", "csv", "jsonld"])
def test_every_export_shows_the_label(library: Path, tmp_path: Path, fmt: str) -> None:
    set_color_labels(library, {"red": "disagree"})
    dest = tmp_path / ("vault" if fmt == "markdown" else f"notes.{fmt}")
    report = export_notes(library, None, fmt, dest, per_article=fmt == "markdown")
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in report.written)
    if fmt == "markdown":
        assert "> — *red* (disagree)" in text
    elif fmt == "html":
        assert "red — disagree" in text
    elif fmt == "csv":
        (row,) = csv.DictReader(io.StringIO(text))
        assert (row["color"], row["color_label"]) == ("red", "disagree")
    else:
        (item,) = json.loads(text)["first"]["items"]
        assert item["reader:colorLabel"] == "disagree"


def test_the_colors_command_shows_and_sets_labels(library: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reader", "colors", str(library), *args],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    shown = run()
    assert shown.returncode == 0 and "red" in shown.stdout
    assert not color_labels_path(library).exists()  # showing writes nothing
    assert "red      disagree" in run("--set", "red=disagree").stdout
    refused = run("--set", "mauve=x")
    assert refused.returncode == 1 and "no colour 'mauve'" in refused.stderr


def test_setting_a_label_keeps_what_the_file_held_beyond_the_palette(library: Path) -> None:
    path = color_labels_path(library)
    path.parent.mkdir(parents=True)
    held = {"format": "research-notes-reader/colors", "version": 1, "note": "mine",
            "labels": {"teal": "from a later palette", "red": "disagree"}}  # fmt: skip
    path.write_text(json.dumps(held), encoding="utf-8")
    assert set_color_labels(library, {"green": "method"}) == {"green": "method", "red": "disagree"}
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["note"] == "mine"
    assert data["labels"] == {"green": "method", "red": "disagree", "teal": "from a later palette"}


def test_a_file_from_a_newer_reader_is_left_untouched(library: Path) -> None:
    path = color_labels_path(library)
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"format": "research-notes-reader/colors", "version": 9, "labels": {}}', encoding="utf-8"
    )
    with pytest.raises(ColorLabelsError, match="newer version"):
        set_color_labels(library, {"red": "x"})
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 9
