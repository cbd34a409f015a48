"""What the command line says: counts with the right plural, notes left out by an import, options every
command accepts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reader.commands.import_notes import EXIT_UNMATCHED

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "library"


def _reader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _library(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        shutil.copy(SAMPLE / name, folder / name)
    return folder


SAMPLES = sorted(p.name for p in SAMPLE.glob("*.txt"))


def test_list_says_one_article_not_one_articles(tmp_path: Path) -> None:
    result = _reader("list", str(_library(tmp_path / "one", SAMPLES[:1])))
    assert result.returncode == 0, result.stderr
    assert "\n1 article, 0 skipped" in result.stdout


def test_list_of_several_articles_uses_the_plural() -> None:
    result = _reader("list", str(SAMPLE))
    assert "\n4 articles, 0 skipped" in result.stdout


@pytest.fixture
def export_of_two_articles(tmp_path: Path) -> Path:
    source = _library(tmp_path / "source", SAMPLES[:2])
    for name in SAMPLES[:2]:
        text = _reader("text", str(source / name)).stdout
        longest = max(text.split("\n"), key=len)
        quote = " ".join(longest.split()[:4])
        added = _reader("notes", "add", str(source / name), "--quote", quote, "--note", "check this")
        assert added.returncode == 0, added.stderr
    out = tmp_path / "notes.jsonld"
    exported = _reader("export", str(source), "--format", "jsonld", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    return out


def test_import_with_notes_left_out_says_how_many_and_exits_non_zero(
    export_of_two_articles: Path, tmp_path: Path
) -> None:
    target = _library(tmp_path / "target", SAMPLES[:1])
    result = _reader("import", str(export_of_two_articles), str(target))
    assert result.returncode == EXIT_UNMATCHED != 0
    assert "1 imported" in result.stdout
    assert "warning: 1 note was left out: its article is not in" in result.stderr


def test_import_with_every_article_present_exits_zero(export_of_two_articles: Path, tmp_path: Path) -> None:
    target = _library(tmp_path / "target", SAMPLES[:2])
    result = _reader("import", str(export_of_two_articles), str(target))
    assert result.returncode == 0, result.stderr
    assert "2 imported" in result.stdout
    assert result.stderr == ""


def test_text_accepts_index_dir_like_the_other_commands(tmp_path: Path) -> None:
    result = _reader("text", str(SAMPLE / SAMPLES[0]), "--index-dir", str(tmp_path / "ix"))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "ix").exists()  # accepted, and text still reads only the file


def test_notes_list_says_when_there_are_no_notes(tmp_path: Path) -> None:
    library = _library(tmp_path / "plain", SAMPLES[:2])
    result = _reader("notes", "list", str(library), "--index-dir", str(tmp_path / "ix"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"no notes in {library}\n"
    as_json = _reader("notes", "list", str(library), "--json")
    assert as_json.stdout == "[]\n"
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize(
    ("command", "not_imported"),
    [
        (["text", str(SAMPLE / SAMPLES[0])], ("whoosh", "PySide6", "trafilatura", "pypdfium2", "rapidfuzz")),
        (["notes", "list", str(SAMPLE)], ("whoosh", "PySide6", "trafilatura", "pypdfium2")),
        (["search", "--help"], ("PySide6", "trafilatura", "pypdfium2")),
    ],
)
def test_a_command_imports_only_what_it_uses(command: list[str], not_imported: tuple[str, ...]) -> None:
    """Start-up cost is import cost: a command does not pay for the others' libraries."""
    code = (
        "import sys\nfrom reader.__main__ import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    loaded = result.stdout.rsplit("LOADED ", 1)[-1].split()
    assert loaded, result.stdout + result.stderr
    assert not set(not_imported) & set(loaded)
