"""``python -m reader meta``: shows without writing, changes the sidecar, one-line errors; ``list --json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.core.notes.sidecar import sidecar_path

TEXT = "Fetal bone therapy trial\n\n2025-11-20     You Ji-young\n\nThe body of the article, long enough.\n"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    (root / "a.txt").write_text(TEXT, encoding="utf-8")
    (root / "b.txt").write_text("Second article\n\nSome text here.\n", encoding="utf-8")
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_show_writes_nothing(library, capsys):
    status, out, _ = _run(capsys, "meta", str(library / "a.txt"), "--json")
    assert status == 0
    row = json.loads(out)[0]
    assert row["title"] == "Fetal bone therapy trial" and row["status"] == "unread" and row["tags"] == []
    assert sorted(p.name for p in library.iterdir()) == ["a.txt", "b.txt"]


def test_changes_every_path_and_list_json_shows_them(library, capsys):
    a, b = str(library / "a.txt"), str(library / "b.txt")
    status, out, err = _run(
        capsys, "meta", a, b, "--tag", "korea", "--status", "read", "--star",
        "--set", "authors=You, Ji-young; Lee, Soon-chul", "--set", "doi=10.1234/x", "--json",
    )  # fmt: skip
    assert status == 0, err
    rows = json.loads(out)
    assert rows[0]["authors"] == ["You, Ji-young", "Lee, Soon-chul"]
    assert all(r["tags"] == ["korea"] and r["status"] == "read" and r["starred"] for r in rows)
    assert sidecar_path(library / "b.txt").exists()
    status, out, _ = _run(capsys, "list", str(library), "--json")
    listed = {r["path"]: r for r in json.loads(out)["articles"]}
    assert listed["a.txt"]["tags"] == ["korea"] and listed["a.txt"]["doi"] == "10.1234/x"
    assert listed["a.txt"]["author"] == "You, Ji-young; Lee, Soon-chul" and listed["a.txt"]["edited"]
    status, out, _ = _run(capsys, "meta", a, "--reset", "authors", "--untag", "korea", "--unstar", "--json")
    row = json.loads(out)[0]
    assert row["authors"] == ["You Ji-young"] and row["tags"] == [] and not row["starred"]
    assert row["doi"] == "10.1234/x"


@pytest.mark.parametrize(
    "argv",
    [["--set", "color=red"], ["--set", "title"], ["--reset", "nothing"], ["--set", "citekey=two words"]],
)
def test_bad_arguments_one_line_and_nothing_written(library, capsys, argv):
    status, out, err = _run(capsys, "meta", str(library / "a.txt"), *argv)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not sidecar_path(library / "a.txt").exists()


def test_missing_file(library, capsys):
    status, _, err = _run(capsys, "meta", str(library / "nope.txt"))
    assert status == 2 and "not a file" in err


def test_unparsable_sidecar_is_reported_and_left_alone(library, capsys):
    sidecar = sidecar_path(library / "a.txt")
    sidecar.write_text("{broken", encoding="utf-8")
    status, _, err = _run(capsys, "meta", str(library / "a.txt"), "--tag", "x")
    assert status == 1 and "cannot be parsed" in err
    assert sidecar.read_text(encoding="utf-8") == "{broken"
