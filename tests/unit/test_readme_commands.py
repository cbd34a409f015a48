"""The README's set-up commands are what CI runs: one marked block each, one command each, read by .ci/run.

Also the start-up check CI makes with the app command: ``READER_QUIT_WHEN_SHOWN=1`` prints how many
articles the window shows and quits.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reader import app

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
EXTRACTOR = ROOT / ".ci" / "readme_command.py"


def marked_block(text: str, name: str) -> str:
    """The fenced block between the ``setup:NAME`` markers, read independently of the CI script."""
    match = re.search(
        rf"<!-- setup:{name}:start -->\n```sh\n(?P<body>.*?)```\n<!-- setup:{name}:end -->", text, re.DOTALL
    )
    assert match, f"README.md has no ```sh block between the setup:{name} markers"
    return match.group("body")


def extract(name: str, readme: Path = README) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXTRACTOR), name, str(readme)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("name", ["app", "test", "system"])
def test_each_block_is_one_command_and_the_ci_script_reads_it(name: str) -> None:
    body = marked_block(README.read_text(encoding="utf-8"), name)
    lines = body.splitlines()
    assert len(lines) == 1 and not lines[0].endswith("\\")
    result = extract(name)
    assert result.returncode == 0, result.stderr
    assert result.stdout == lines[0] + "\n"


def test_the_commands_install_from_the_locks_and_run() -> None:
    text = README.read_text(encoding="utf-8")
    run, test = marked_block(text, "app").strip(), marked_block(text, "test").strip()
    assert run.startswith("python3 -m venv .venv && ")
    assert "pip install -r requirements/app.lock && .venv/bin/pip install --no-deps -e . && " in run
    assert run.endswith(".venv/bin/python -m reader")
    assert "pip install -r requirements/test.lock && .venv/bin/pip install --no-deps -e . && " in test
    assert test.endswith(".venv/bin/python -m pytest")
    assert "--upgrade" not in run + test  # the pip Python comes with must do


def test_ci_runs_the_extracted_commands_verbatim() -> None:
    script = CI_RUN.read_text(encoding="utf-8")
    for name in ("system", "app", "test"):
        assert f'{name}_cmd="$(python3 .ci/readme_command.py {name})"' in script
    assert 'bash -c "$app_cmd"' in script and 'bash -c "$test_cmd"' in script
    assert "READER_QUIT_WHEN_SHOWN=1" in script and "QT_QPA_PLATFORM=offscreen" in script
    assert 'expected="shown 4 articles from' in script
    assert "rm -rf .venv" in script
    assert not re.search(r"pip install[^\n]*(-U|--upgrade)[^\n]*\bpip\b", script), "CI must not upgrade pip"


def test_the_system_packages_include_what_qt_needs() -> None:
    command = marked_block(README.read_text(encoding="utf-8"), "system").strip()
    assert command.startswith("sudo apt-get install ")
    packages = set(command.split()[3:])
    assert set(app.XCB_LIBRARIES.values()) <= packages  # the libraries `python -m reader` asks for
    assert {"libegl1", "libfontconfig1", "fonts-noto-cjk"} <= packages


@pytest.mark.parametrize(
    ("readme", "message"),
    [
        ("# Title\n\n```sh\npython3 -m venv .venv\n```\n", "0 `<!-- setup:app:start -->` markers"),
        (
            "<!-- setup:app:start -->\n```sh\npython3 -m venv .venv\n.venv/bin/pip install .\n```\n"
            "<!-- setup:app:end -->\n",
            "one command on one line, found 2 lines",
        ),
        (
            "<!-- setup:app:start -->\n```sh\npython3 -m venv .venv && \\\n  true\n```\n"
            "<!-- setup:app:end -->\n",
            "one command on one line",
        ),
        ("<!-- setup:app:start -->\npython3 -m venv .venv\n<!-- setup:app:end -->\n", "fenced code block"),
        (
            "<!-- setup:app:start -->\n```sh\ntrue\n```\n<!-- setup:app:end -->\n<!-- setup:app:end -->\n",
            "2 `<!-- setup:app:end -->` markers",
        ),
    ],
)
def test_a_broken_block_fails_loudly(tmp_path: Path, readme: str, message: str) -> None:
    path = tmp_path / "README.md"
    path.write_text(readme, encoding="utf-8")
    result = extract("app", path)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.startswith("error: README.md")


def _run_until_shown(library: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "READER_QUIT_WHEN_SHOWN": "1",
        "READER_DATA_DIR": str(data),
    }
    return subprocess.run(
        [sys.executable, "-m", "reader", "gui", str(library)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_quit_when_shown_reports_the_articles_in_the_table(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "one.txt").write_text("First\n\nSome text about cells.\n", encoding="utf-8")
    (library / "two.md").write_text("# Second\n\nMore text.\n", encoding="utf-8")
    (library / "broken.txt").write_bytes(b"\x00\x01\x02 binary \xff\xfe" * 50)
    result = _run_until_shown(library, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith(f"shown 2 articles from {library.resolve()}; 1 could not be read: broken.txt (")


def test_quit_when_shown_with_the_sample_library_is_what_ci_expects(tmp_path: Path) -> None:
    result = _run_until_shown(ROOT / "library", tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"shown 4 articles from {(ROOT / 'library').resolve()}"
