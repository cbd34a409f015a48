"""``python -m reader notes``: list, add, delete, relink; messages and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.core.notes.sidecar import load_annotations, sidecar_path

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Alpha beta gamma. Beta again, and beta once more.\r\nSecond line with 한국어 and 🦴.\r\n"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(TEXT.encode("utf-8"))
    (root / "sub" / "b.md").write_text("# Title\n\nSome words to quote here.\n", encoding="utf-8")
    (root / "c.txt").write_text("No notes here.\n", encoding="utf-8")
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_add_prints_the_id_and_list_shows_it(library, capsys):
    status, out, err = _run(
        capsys, "notes", "add", str(library / "a.txt"), "--quote", "beta", "--occurrence", "2", "--note", "n",
        "--color", "green", "--tag", "x", "--tag", "y",
    )  # fmt: skip
    assert (status, err) == (0, "")
    new_id = out.strip()
    assert len(new_id) == 36
    status, out, _ = _run(capsys, "notes", "list", str(library), "--json")
    assert status == 0
    [record] = json.loads(out)
    assert record["id"] == new_id
    assert record["path"] == "a.txt"
    assert record["quote"] == "beta"
    assert (record["note"], record["color"], record["tags"], record["status"]) == (
        "n",
        "green",
        ["x", "y"],
        "anchored",
    )
    assert record["start"] == TEXT.replace("\r\n", "\n").index("beta", TEXT.index("beta") + 1)
    assert record["end"] == record["start"] + 4
    assert record["created"].endswith("Z")
    assert record["modified"].endswith("Z")


def test_list_of_a_folder_uses_relative_paths_and_text_output(library, capsys):
    assert _run(capsys, "notes", "add", str(library / "sub" / "b.md"), "--quote", "words to quote")[0] == 0
    assert (
        _run(capsys, "notes", "add", str(library / "a.txt"), "--quote", "한국어", "--note", "Korean")[0] == 0
    )
    status, out, _ = _run(capsys, "notes", "list", str(library), "--json")
    assert status == 0
    assert sorted(r["path"] for r in json.loads(out)) == ["a.txt", "sub/b.md"]
    status, out, _ = _run(capsys, "notes", "list", str(library))
    assert status == 0
    assert "a.txt:" in out
    assert "한국어" in out
    assert "Korean" in out
    status, out, _ = _run(capsys, "notes", "list", str(library / "c.txt"), "--json")
    assert (status, json.loads(out)) == (0, [])


def test_quote_not_found_is_a_one_line_error(library, capsys):
    status, out, err = _run(capsys, "notes", "add", str(library / "a.txt"), "--quote", "delta")
    assert status == 2
    assert out == ""
    assert err == "error: a.txt: quote not found in the text: 'delta'\n"
    assert not sidecar_path(library / "a.txt").exists()


def test_occurrence_beyond_the_count(library, capsys):
    status, _, err = _run(
        capsys, "notes", "add", str(library / "a.txt"), "--quote", "beta", "--occurrence", "5"
    )
    assert status == 2
    assert "found 2 time(s)" in err


def test_unknown_colour(library, capsys):
    status, _, err = _run(
        capsys, "notes", "add", str(library / "a.txt"), "--quote", "beta", "--color", "mauve"
    )
    assert status == 2
    assert err.count("\n") == 1
    assert "unknown colour 'mauve'" in err


def test_missing_file(library, capsys):
    status, _, err = _run(capsys, "notes", "add", str(library / "nope.txt"), "--quote", "x")
    assert status == 2
    assert "not a file" in err
    status, _, err = _run(capsys, "notes", "list", str(library / "nope"))
    assert status == 2


def test_corrupt_sidecar_is_reported_and_left_alone(library, capsys):
    sidecar = sidecar_path(library / "a.txt")
    sidecar.write_bytes(b"{oops")
    status, _, err = _run(capsys, "notes", "add", str(library / "a.txt"), "--quote", "beta")
    assert status == 1
    assert "read-only" in err
    status, _, err = _run(capsys, "notes", "list", str(library), "--json")
    assert status == 1
    assert "cannot be parsed" in err
    assert sidecar.read_bytes() == b"{oops"


def test_delete_by_id_or_prefix(library, capsys):
    first = _run(capsys, "notes", "add", str(library / "a.txt"), "--quote", "Alpha")[1].strip()
    second = _run(capsys, "notes", "add", str(library / "a.txt"), "--quote", "gamma")[1].strip()
    assert _run(capsys, "notes", "delete", str(library / "a.txt"), first[:8])[0] == 0
    assert [a.id for a in load_annotations(library / "a.txt")] == [second]
    status, _, err = _run(capsys, "notes", "delete", str(library / "a.txt"), "zzz")
    assert status == 2
    assert "no annotation" in err


def test_relink_after_a_rename(library, capsys):
    assert _run(capsys, "notes", "add", str(library / "a.txt"), "--quote", "gamma")[0] == 0
    (library / "a.txt").rename(library / "sub" / "renamed.txt")
    status, out, _ = _run(capsys, "notes", "relink", str(library))
    assert status == 0
    assert out == "moved a.txt.notes.json -> sub/renamed.txt.notes.json\n"
    assert [a.exact for a in load_annotations(library / "sub" / "renamed.txt")] == ["gamma"]


def test_python_dash_m_reader_notes(library):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    added = subprocess.run(
        [sys.executable, "-m", "reader", "notes", "add", str(library / "a.txt"), "--quote", "🦴"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "reader", "notes", "list", str(library / "a.txt"), "--json"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert listed.returncode == 0
    [record] = json.loads(listed.stdout.decode("utf-8"))
    assert record["quote"] == "🦴"
    assert record["id"] == added.stdout.decode().strip()
