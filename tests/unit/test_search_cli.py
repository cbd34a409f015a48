"""``python -m reader index`` and ``python -m reader search``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.core.errors import ArticleReadError
from reader.core.search import building


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    (root / "therapy.txt").write_text("Stem cell therapy trial\n\nA new therapy for bone disease.\n")
    (root / "garbage.txt").write_text("Threaded garbage collection\n\nThe collector runs in a thread.\n")
    (root / "korea.txt").write_text("대통령 취임\n\n대통령은 오늘 취임하였다.\n", encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_index_reports_added_updated_removed(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ixdir = str(tmp_path / "ix")
    status, out, _err = run(capsys, "index", str(library), "--index-dir", ixdir)
    assert status == 0
    assert "added    therapy.txt" in out
    assert out.strip().endswith("3 added, 0 updated, 0 removed, 0 skipped, 0 unchanged")
    (library / "garbage.txt").unlink()
    (library / "new.txt").write_text("walrus\n")
    status, out, _err = run(capsys, "index", str(library), "--index-dir", ixdir)
    assert status == 0
    assert "removed  garbage.txt" in out
    assert "added    new.txt" in out
    assert "1 added, 0 updated, 1 removed, 0 skipped, 2 unchanged" in out


def test_index_uses_the_default_index_dir(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "index", str(library))[0] == 0
    status, out, _err = run(capsys, "index", str(library))
    assert status == 0
    assert "0 added, 0 updated, 0 removed, 0 skipped, 3 unchanged" in out


def test_skipped_files_are_listed_with_reasons_and_exit_zero(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = building.load_article

    def failing(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
        if path.name == "garbage.txt":
            raise ArticleReadError("garbage.txt", "not a text file")
        return original(path, root)

    monkeypatch.setattr(building, "load_article", failing)
    status, out, _err = run(capsys, "index", str(library), "--index-dir", str(tmp_path / "ix"))
    assert status == 0
    assert "skipped  garbage.txt: not a text file" in out


def test_search_prints_ranked_hits_with_marked_snippets(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "search", str(library), "therapies", "--index-dir", str(tmp_path / "ix"))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "1 match"
    assert lines[1].startswith("  1. Stem cell therapy trial  (")
    assert lines[2].strip() == "therapy.txt"
    assert "[therapy]" in lines[3]


def test_search_json(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = run(
        capsys,
        "search",
        str(library),
        "대통령 OR collector",
        "--json",
        "--limit",
        "5",
        "--index-dir",
        str(tmp_path / "ix"),
    )
    assert status == 0
    hits = json.loads(out)
    assert {h["path"] for h in hits} == {"korea.txt", "garbage.txt"}
    for hit in hits:
        assert {"path", "title", "score", "snippet", "date", "marks", "note_snippet"} <= set(hit)
        assert isinstance(hit["score"], float)
        for start, end in hit["marks"]:
            assert hit["snippet"][start:end] in {"대통령", "collector"}


def test_search_updates_the_index_first(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ixdir = str(tmp_path / "ix")
    assert run(capsys, "search", str(library), "walrus", "--index-dir", ixdir)[1].startswith("no matches")
    (library / "new.txt").write_text("A walrus appears.\n")
    status, out, _err = run(capsys, "search", str(library), "walrus", "--json", "--index-dir", ixdir)
    assert status == 0
    assert [h["path"] for h in json.loads(out)] == ["new.txt"]


@pytest.mark.parametrize("query", ["a*", "date:tomorrow", "   ", "*ing"])
def test_bad_query_is_one_line_on_stderr_exit_2(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    status, out, err = run(capsys, "search", str(library), query, "--index-dir", str(tmp_path / "ix"))
    assert status == 2
    assert out == ""
    assert err.startswith("error: bad query: ")
    assert err.count("\n") == 1
