"""``python -m reader install-desktop [--data-home DIR] [--dry-run] [--no-register]``: register the reader
with a Linux desktop (freedesktop.org conventions).

Writes ``<data home>/applications/research-notes-reader.desktop`` (``$XDG_DATA_HOME``, else
``~/.local/share``) whose ``Exec`` runs this Python with ``-m reader open %u`` and whose ``MimeType`` is
``x-scheme-handler/research-reader;``, so that clicking a ``research-reader://`` link (``xdg-open``) opens the
reader at the highlight; and the icon as ``icons/hicolor/scalable/apps/research-notes-reader.svg``. Then,
unless ``--no-register``, runs ``update-desktop-database`` and ``xdg-mime default`` when they are installed.
Files are written atomically; ``--dry-run`` prints the entry and writes nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from reader import APP_ID, APP_NAME
from reader.commands._common import fail
from reader.core.atomic import atomic_write_bytes, atomic_write_text
from reader.core.library.links import SCHEME

NAME = "install-desktop"
HELP = "register the reader and its research-reader:// links with the Linux desktop"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-home", type=Path, default=None, metavar="DIR", help="instead of ~/.local/share"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the desktop entry, write nothing")
    parser.add_argument(
        "--no-register", action="store_true", help="do not run xdg-mime / update-desktop-database"
    )


def _exec_argument(value: str) -> str:
    """One argument of an ``Exec`` key: quoted when needed, escaped as the Desktop Entry spec says."""
    if not any(c in value for c in " \t\n\"'\\><~|&;$*?#()`="):
        return value
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in value)
    return '"' + escaped.replace("\\", "\\\\") + '"'


def desktop_entry(python: str = sys.executable) -> str:
    command = " ".join(_exec_argument(part) for part in (python, "-m", "reader", "open")) + " %u"
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            f"Name={APP_NAME}",
            "Comment=Read, search, annotate and cite a folder of clipped articles",
            f"Exec={command}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "Categories=Office;",
            f"MimeType=x-scheme-handler/{SCHEME};",
            f"StartupWMClass={APP_ID}",
            "",
        ]
    )


def run(args: argparse.Namespace) -> int:
    if not sys.platform.startswith("linux"):
        return fail("install-desktop is for Linux desktops; the README says how to register links elsewhere")
    entry = desktop_entry()
    if args.dry_run:
        print(entry, end="")
        return 0
    home = args.data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    applications = home / "applications"
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    desktop = applications / f"{APP_ID}.desktop"
    try:
        applications.mkdir(parents=True, exist_ok=True)
        icon.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(desktop, entry)
        atomic_write_bytes(icon, (resources.files("reader.resources") / "app-icon.svg").read_bytes())
    except OSError as exc:
        return fail(f"could not write the desktop entry: {exc}", 1)
    print(f"wrote {desktop}")
    print(f"wrote {icon}")
    if not args.no_register:
        commands = [
            ["update-desktop-database", str(applications)],
            ["xdg-mime", "default", desktop.name, f"x-scheme-handler/{SCHEME}"],
        ]
        for command in commands:
            if shutil.which(command[0]) is None:
                print(f"note: {command[0]} is not installed; skipped")
                continue
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"warning: {' '.join(command)} failed: {done.stderr.strip()}", file=sys.stderr)
    return 0
