"""``python -m reader doctor [LIBRARY]``: check the installation the way a user needs it.

Checks the Python version, each article format's libraries, every declared dependency, Qt and its platform
plugin's system libraries, a CJK font, that the reader's data folders are writable, and that the library's
search index is readable. Prints one line per check, and for each problem the exact command that fixes it.
Exits 1 when something is missing, 0 otherwise. It writes nothing.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reader.commands._common import add_index_dir, index_dir, library_arg
from reader.core import paths
from reader.core.articles.support import FORMAT_LABELS, FORMAT_LIBRARIES, REINSTALL_COMMAND, format_problem

NAME = "doctor"
HELP = "check the installation (Python, format libraries, Qt, fonts, data folders, index) and say what to fix"

DISTRIBUTION = "research-notes-reader"
MIN_PYTHON = (3, 11)
APT_HINT = "sudo apt-get install"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: ``level`` is ``ok``, ``warn`` (works, with a limitation) or ``fail``."""

    level: str
    what: str
    detail: str
    fix: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "library", type=library_arg, nargs="?", default=None,
        help="the library whose index to check (default: the bundled sample library)",
    )  # fmt: skip
    add_index_dir(parser)


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        return Check("fail", "Python", f"{version} is too old", f"install Python {need} or newer")
    return Check("ok", "Python", f"{version} ({sys.executable})")


def check_formats() -> list[Check]:
    checks = []
    for fmt in FORMAT_LIBRARIES:
        label = FORMAT_LABELS.get(fmt, fmt)
        problem = format_problem(fmt)
        if problem is None:
            checks.append(Check("ok", f"{label} articles", "readable"))
        else:
            detail = problem.split("; reinstall with:")[0]
            checks.append(Check("fail", f"{label} articles", detail, REINSTALL_COMMAND))
    return checks


def _requirement_name(requirement: str) -> str | None:
    """The distribution name of a ``Requires-Dist`` line, or ``None`` for an extra's requirement."""
    if "extra ==" in requirement:
        return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return match.group(1) if match else None


def check_dependencies() -> Check:
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return Check("fail", "Installation", f"{DISTRIBUTION} is not installed", "pip install --no-deps -e .")
    missing = []
    names = [name for name in map(_requirement_name, requirements) if name is not None]
    for name in names:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check("fail", "Dependencies", "missing: " + ", ".join(missing), REINSTALL_COMMAND)
    return Check("ok", "Dependencies", f"all {len(names)} declared packages installed")


def check_qt() -> list[Check]:
    try:
        from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401 - the import is the check
    except ImportError as exc:
        return [Check("fail", "Qt (PySide6)", f"cannot be imported ({exc})", REINSTALL_COMMAND)]
    checks = [Check("ok", "Qt (PySide6)", f"Qt {QtCore.qVersion()}")]
    from reader.app import display_problem, missing_platform_libraries

    missing = missing_platform_libraries()
    if missing:
        checks.append(
            Check("fail", "Qt platform (X11)", "missing system libraries: " + ", ".join(missing),
                  f"{APT_HINT} {' '.join(missing)}")
        )  # fmt: skip
    else:
        checks.append(Check("ok", "Qt platform", "system libraries present"))
    problem = display_problem()
    if problem and not missing:
        checks.append(Check("warn", "Display", problem.splitlines()[0]))
    return checks


def _cjk_families() -> list[str] | None:
    """Font families with Korean glyphs (fontconfig's ``fc-list``), or ``None`` when it cannot be asked."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=ko", "family"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})


def check_cjk_font() -> Check:
    if not sys.platform.startswith("linux"):
        return Check("ok", "CJK font", "provided by the system")
    families = _cjk_families()
    if families is None:
        return Check("warn", "CJK font", "cannot check (fontconfig's fc-list is not installed)")
    if not families:
        return Check(
            "warn", "CJK font", "none found: Korean text shows as boxes", f"{APT_HINT} fonts-noto-cjk"
        )
    return Check("ok", "CJK font", ", ".join(families[:3]) + (" …" if len(families) > 3 else ""))


def _writable(folder: Path) -> bool:
    """Whether ``folder`` (or, when it does not exist yet, its nearest existing parent) can be written."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def check_folders() -> list[Check]:
    checks = []
    for what, folder in (
        ("Settings folder", paths.config_dir()),
        ("Cache and index folder", paths.cache_dir()),
    ):
        if _writable(folder):
            checks.append(Check("ok", what, str(folder)))
        else:
            fix = f"make {folder} writable, or set {paths.ENV_DATA_DIR}=/some/writable/folder"
            checks.append(Check("fail", what, f"{folder} is not writable", fix))
    return checks


def check_index(args: argparse.Namespace) -> Check:
    library: Path | None = args.library or paths.bundled_library()
    if library is None:
        return Check("ok", "Search index", "no library given (python -m reader doctor LIBRARY checks one)")
    try:
        from reader.core.search.health import index_health
    except ImportError as exc:
        return Check("fail", "Search index", f"Whoosh cannot be imported ({exc})", REINSTALL_COMMAND)
    health = index_health(index_dir(args, library))
    fix = "" if health.ok else f"python -m reader index {library}"
    return Check("ok" if health.ok else "fail", f"Search index of {library.name}", health.message, fix)


def run(args: argparse.Namespace) -> int:
    checks = [check_python(), *check_formats(), check_dependencies(), *check_qt(), check_cjk_font()]
    checks += [*check_folders(), check_index(args)]
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for check in checks:
        print(f"{marks[check.level]}  {check.what}: {check.detail}")
        if check.fix:
            print(f"      fix: {check.fix}")
    failed = sum(check.level == "fail" for check in checks)
    warned = sum(check.level == "warn" for check in checks)
    if failed:
        plural = "s" if failed > 1 else ""
        print(f"\n{failed} problem{plural} found; run the commands after 'fix:' and check again.")
        return 1
    note = f" ({warned} warning{'s' if warned > 1 else ''})" if warned else ""
    print(f"\nThe installation is complete{note}.")
    return 0
