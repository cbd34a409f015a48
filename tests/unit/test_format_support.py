"""One format whose libraries are missing or crash never stops a scan, and says what to fix.

Tested by making the HTML extractor (trafilatura) unimportable: in this process through ``sys.modules``, and
for the command line through a broken ``trafilatura`` package placed first on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.articles import loader, support
from reader.core.articles.loader import load_article
from reader.core.errors import ArticleReadError, FormatUnavailableError
from reader.core.library.scan import scan_library

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "library"
HTML = (
    "<html><head><title>Marrow study</title></head><body><article><h1>Marrow study</h1>"
    "<p>Bone marrow cells were infused into twelve patients across three hospitals in Seoul.</p>"
    "</article></body></html>"
)


@pytest.fixture
def no_trafilatura(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """trafilatura cannot be imported (as when the install missed it or one of its dependencies)."""
    for name in [m for m in sys.modules if m == "trafilatura" or m.startswith("trafilatura.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    support.forget()
    yield
    support.forget()


@pytest.fixture
def mixed_library(tmp_path: Path) -> Path:
    library = tmp_path / "lib"
    library.mkdir()
    for source in sorted(SAMPLE.glob("*.txt")):
        shutil.copy(source, library / source.name)
    (library / "page.html").write_text(HTML, encoding="utf-8")
    return library


def test_an_unavailable_format_names_the_package_and_the_fix(no_trafilatura: None, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(HTML, encoding="utf-8")
    with pytest.raises(FormatUnavailableError) as caught:
        load_article(page, tmp_path)
    reason = caught.value.reason
    assert reason.startswith("HTML support is unavailable: the package trafilatura is missing")
    assert support.REINSTALL_COMMAND in reason
    assert "\n" not in reason


def test_other_formats_still_load_when_html_is_unavailable(no_trafilatura: None) -> None:
    article = load_article(next(SAMPLE.glob("*.txt")), SAMPLE)
    assert article.text
    assert support.unavailable_formats().keys() == {"html"}


def test_the_scan_lists_every_other_article_and_skips_html_with_the_reason(
    no_trafilatura: None, mixed_library: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "catalog.json"
    result = scan_library(mixed_library, cache_path=cache)
    assert sorted(e.relpath for e in result.entries) == sorted(p.name for p in SAMPLE.glob("*.txt"))
    assert [s.relpath for s in result.skipped] == ["page.html"]
    assert "HTML support is unavailable" in result.skipped[0].reason


def test_a_format_skip_is_not_cached_so_a_repaired_install_reads_the_file(
    monkeypatch: pytest.MonkeyPatch, mixed_library: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "catalog.json"
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    support.forget()
    first = scan_library(mixed_library, cache_path=cache)
    assert [s.relpath for s in first.skipped] == ["page.html"]
    monkeypatch.delitem(sys.modules, "trafilatura")
    support.forget()
    second = scan_library(mixed_library, cache_path=cache)
    assert second.skipped == []
    assert "page.html" in {e.relpath for e in second.entries}


def test_a_library_that_crashes_on_one_file_skips_that_file_only(
    monkeypatch: pytest.MonkeyPatch, mixed_library: Path
) -> None:
    def explode(_text: str, fmt: str) -> object:
        if fmt == "html":
            raise ValueError("document is empty\nsecond line")
        raise AssertionError("only HTML is made to fail")

    real = loader.parse_source
    monkeypatch.setattr(
        loader, "parse_source", lambda text, fmt: explode(text, fmt) if fmt == "html" else real(text, fmt)
    )
    result = scan_library(mixed_library)
    assert len(result.entries) == len(list(SAMPLE.glob("*.txt")))
    [skipped] = result.skipped
    assert skipped.relpath == "page.html"
    assert skipped.reason == "the HTML reader failed on this file (ValueError: document is empty)"
    with pytest.raises(ArticleReadError):
        load_article(mixed_library / "page.html", mixed_library)


# ------------------------------------------------------------------------------------------- command line


@pytest.fixture
def broken_trafilatura(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``import trafilatura`` fails, for a child process."""
    shadow = tmp_path / "shadow" / "trafilatura"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        'raise ImportError("No module named \'trafilatura\'", name="trafilatura")\n', encoding="utf-8"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), str(ROOT)])
    return env


def _reader(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_list_names_the_problem_once_and_lists_the_sample_library(broken_trafilatura: dict[str, str]) -> None:
    result = _reader(broken_trafilatura, "list", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "4 articles, 0 skipped" in result.stdout
    assert result.stderr.count("HTML support is unavailable") == 1
    assert "trafilatura" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_list_skips_the_html_file_with_its_reason(
    broken_trafilatura: dict[str, str], mixed_library: Path
) -> None:
    result = _reader(broken_trafilatura, "list", str(mixed_library))
    assert result.returncode == 0, result.stderr
    assert "4 articles, 1 skipped" in result.stdout
    assert "page.html: HTML support is unavailable: the package trafilatura is missing" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_text_of_an_html_file_fails_in_one_line(
    broken_trafilatura: dict[str, str], mixed_library: Path
) -> None:
    result = _reader(broken_trafilatura, "text", str(mixed_library / "page.html"))
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert "HTML support is unavailable" in result.stderr


def test_doctor_names_the_missing_package_and_the_command_that_fixes_it(
    broken_trafilatura: dict[str, str],
) -> None:
    result = _reader(broken_trafilatura, "doctor", str(SAMPLE))
    assert result.returncode == 1
    assert (
        "FAIL  HTML articles: HTML support is unavailable: the package trafilatura is missing"
        in result.stdout
    )
    assert f"fix: {support.REINSTALL_COMMAND}" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_passes_the_format_checks_on_a_complete_install() -> None:
    result = _reader(dict(os.environ), "doctor", str(SAMPLE))
    for label in ("Plain text", "Markdown", "HTML"):
        assert f"ok    {label} articles: readable" in result.stdout
    assert "Dependencies: all" in result.stdout
    # Doctor writes nothing: the index it looked for is still not there.
    assert "Search index of library: not built yet" in result.stdout
