"""The architecture rules are enforced by tools, and the tools do fail on a violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
UI_CYCLES = "No import cycles between sibling packages or modules of the UI BROKEN"


def _copy_project(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(ROOT / "reader", dest / "reader", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": str(BIN)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_contracts_hold_for_the_real_code(tmp_path: Path) -> None:
    result = _lint_imports(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("reader/core/_qt_leak.py", "from PySide6 import QtCore\n", "The core never imports Qt BROKEN"),
        ("reader/core/_ui_leak.py", "import reader.ui.main_window\n", "Layers: app > ui > core BROKEN"),
        # A component reaching back into the window that assembles it (the notes <-> main_window cycle).
        ("reader/ui/notes/_window_leak.py", "import reader.ui.main_window\n", UI_CYCLES),
        # Two sibling packages importing each other (notes already uses the reading pane).
        ("reader/ui/reading/_notes_leak.py", "import reader.ui.notes.annotation_controller\n", UI_CYCLES),
    ],
)
def test_contract_fails_on_a_violation(tmp_path: Path, module: str, line: str, contract: str) -> None:
    project = _copy_project(tmp_path)
    (project / module).write_text(line, encoding="utf-8")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert contract in result.stdout


def test_ruff_bans_whoosh_outside_the_index_module(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    leak = project / "reader" / "ui" / "_whoosh_leak.py"
    leak.write_text('"""Leak."""\n\nimport whoosh\n\nprint(whoosh)\n', encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--select", "TID251", str(leak)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "TID251" in result.stdout and "whoosh" in result.stdout
