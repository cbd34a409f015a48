"""``python -m reader export`` and ``python -m reader import``."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.core.articles.loader import load_article
from reader.core.notes.sidecar import load_annotations, sidecar_path
from reader.core.notes.store import open_notes

ROOT = Path(__file__).resolve().parents[2]


def write_sidecar(root: Path, relpath: str, annotations: list[dict[str, object]]) -> None:
    """A sidecar in the documented file format, with chosen timestamps (for the date filters)."""
    sidecar_path(root / relpath).write_text(
        json.dumps(
            {
                "format": "research-notes-reader/notes",
                "version": 1,
                "source": Path(relpath).name,
                "text_hash": load_article(root / relpath, root).content_hash,
                "annotations": annotations,
            }
        ),
        encoding="utf-8",
    )


def sidecar_item(
    text: str, quote: str, annotation_id: str, created: str, **fields: object
) -> dict[str, object]:
    start = text.index(quote)
    return {
        "id": annotation_id,
        "status": "anchored",
        "color": fields.get("color", "yellow"),
        "tags": fields.get("tags", []),
        "note": fields.get("note", ""),
        "target": {
            "selector": [
                {"type": "TextQuoteSelector", "exact": quote, "prefix": "", "suffix": ""},
                {"type": "TextPositionSelector", "start": start, "end": start + len(quote)},
            ]
        },
        "created": created,
        "modified": created,
    }


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    (root / "sub").mkdir(parents=True)
    (root / "one.txt").write_text("First article\n\nAlpha beta gamma delta epsilon.\n", encoding="utf-8")
    (root / "sub" / "two.txt").write_text("Second article\n\nZeta eta theta iota kappa.\n", encoding="utf-8")
    (root / "none.txt").write_text("No notes here\n\nNothing.\n", encoding="utf-8")
    text = load_article(root / "one.txt", root).text
    write_sidecar(
        root,
        "one.txt",
        [
            sidecar_item(text, "beta gamma", "00000000-0000-4000-8000-000000000001", "2024-01-10T10:00:00Z",
                         color="green", tags=["method"]),
            sidecar_item(text, "epsilon", "00000000-0000-4000-8000-000000000002", "2024-03-05T10:00:00Z",
                         color="pink", note="=2+2"),
        ],
    )  # fmt: skip
    text = load_article(root / "sub" / "two.txt", root).text
    write_sidecar(
        root,
        "sub/two.txt",
        [
            sidecar_item(
                text, "theta", "00000000-0000-4000-8000-000000000003", "2024-06-01T23:59:59Z", tags=["Method"]
            )
        ],
    )
    return root


def csv_ids(path: Path) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    return [row["id"][-1] for row in rows]


def test_markdown_per_article_is_the_default(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "vault"
    assert main(["export", str(library), "--format", "markdown", "--out", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == [
        "First article.md",
        "Second article.md",
    ]
    assert (dest / ".research-notes-reader" / "vault.json").is_file()  # the vault's manifest, for sync
    out = capsys.readouterr().out
    assert "exported 3 annotations from 2 articles to 2 files" in out


def test_no_overwrite_without_force(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "vault"
    assert main(["export", str(library), "-f", "markdown", "-o", str(dest)]) == 0
    first = (dest / "First article.md").read_bytes()
    (dest / "First article.md").write_text("edited by hand", encoding="utf-8")
    capsys.readouterr()
    assert main(["export", str(library), "-f", "markdown", "-o", str(dest)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "First article.md already exists (and 1 more); use --force to overwrite" in err
    assert (dest / "First article.md").read_text(encoding="utf-8") == "edited by hand"
    assert main(["export", str(library), "-f", "markdown", "-o", str(dest), "--force"]) == 0
    assert (dest / "First article.md").read_bytes()[:200] == first[:200]


def test_combined_formats_and_bom(library: Path, tmp_path: Path) -> None:
    for fmt in ("markdown", "jsonld", "html", "csv"):
        dest = tmp_path / f"all.{fmt}"
        extra = ["--combined"] if fmt == "markdown" else []
        assert main(["export", str(library), "--format", fmt, "--out", str(dest), *extra]) == 0
        assert dest.is_file()
    assert not (tmp_path / "all.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", str(library), "-f", "csv", "-o", str(tmp_path / "bom.csv"), "--bom"]) == 0
    assert (tmp_path / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", str(library), "-f", "html", "-o", str(tmp_path / "pages"), "--per-article"]) == 0
    assert len(list((tmp_path / "pages").iterdir())) == 2


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], ["1", "2", "3"]),
        (["--tag", "method"], ["1", "3"]),
        (["--color", "pink"], ["2"]),
        (["--color", "pink", "--color", "green"], ["1", "2"]),
        (["--since", "2024-03-05"], ["2", "3"]),
        (["--until", "2024-03-05"], ["1", "2"]),
        (["--since", "2024-02-01", "--until", "2024-05-31"], ["2"]),
        (["--tag", "method", "--since", "2024-06-01"], ["3"]),
    ],
)
def test_filters(library: Path, tmp_path: Path, options: list[str], expected: list[str]) -> None:
    dest = tmp_path / "out.csv"
    assert main(["export", str(library), "-f", "csv", "-o", str(dest), *options]) == 0
    assert csv_ids(dest) == expected


def test_single_article(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "one.csv"
    assert main(["export", str(library / "sub" / "two.txt"), "-f", "csv", "-o", str(dest)]) == 0
    assert csv_ids(dest) == ["3"]


def test_nothing_to_export(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "x.csv"
    assert main(["export", str(library), "-f", "csv", "-o", str(dest), "--color", "purple"]) == 1
    assert "no annotations to export" in capsys.readouterr().err
    assert not dest.exists()
    assert main(["export", str(library / "none.txt"), "-f", "csv", "-o", str(dest)]) == 1


def test_bad_arguments(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "missing"), "-f", "csv", "-o", str(tmp_path / "x")]) == 2
    assert "not an article file or library folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", str(library), "-f", "pdf", "-o", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        main(["export", str(library), "-f", "csv", "-o", str(tmp_path / "x"), "--since", "yesterday"])
    assert main(["export", str(library), "-f", "csv", "-o", str(tmp_path / "x"), "--since", "2024-02-01",
                 "--until", "2024-01-01"]) == 2  # fmt: skip


def test_export_then_import(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "notes.jsonld"
    assert main(["export", str(library), "-f", "jsonld", "-o", str(dest)]) == 0
    target = tmp_path / "target"
    (target / "sub").mkdir(parents=True)
    (target / "one.txt").write_bytes((library / "one.txt").read_bytes())
    (target / "sub" / "two.txt").write_bytes((library / "sub" / "two.txt").read_bytes())
    capsys.readouterr()
    assert main(["import", str(dest), str(target), "--dry-run"]) == 0
    assert "would import: 3 imported, 0 updated, 0 unchanged, 0 unmatched" in capsys.readouterr().out
    assert not sidecar_path(target / "one.txt").exists()
    assert main(["import", str(dest), str(target)]) == 0
    assert "import: 3 imported, 0 updated, 0 unchanged, 0 unmatched" in capsys.readouterr().out
    assert [a.id[-1] for a in load_annotations(target / "one.txt")] == ["1", "2"]
    assert main(["import", str(dest), str(target)]) == 0
    assert "0 imported, 0 updated, 3 unchanged" in capsys.readouterr().out
    # the store reads what import wrote
    assert len(open_notes(load_article(target / "sub" / "two.txt", target)).annotations()) == 1


def test_import_errors(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonld"
    bad.write_text("{ nope", encoding="utf-8")
    assert main(["import", str(bad), str(library)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: bad.jsonld: not valid JSON")
    assert main(["import", str(tmp_path / "missing.jsonld"), str(library)]) == 2
    with pytest.raises(SystemExit):
        main(["import", str(bad), str(tmp_path / "no-such-library")])


def test_python_dash_m_runs_the_command(library: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    result = subprocess.run(
        [sys.executable, "-m", "reader", "export", str(library), "--format", "csv", "--out", str(dest)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert csv_ids(dest) == ["1", "2", "3"]
    help_text = subprocess.run(
        [sys.executable, "-m", "reader", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "export" in help_text
    assert "import" in help_text
