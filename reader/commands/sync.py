"""``python -m reader sync VAULT LIBRARY [--dry-run]``: keep a Markdown notes vault in sync both ways.

VAULT is a folder written by ``export LIBRARY --format markdown --out VAULT``. Edits made in the vault to a
highlight's note or tags, and highlights deleted there, are carried back into the library's sidecars
(three-way merged with what was exported); then the vault files are rewritten with the library's state,
leaving everything outside the reader's marked regions as the user wrote it. Conflicts are reported and
never resolved by dropping text. ``--dry-run`` prints what would change and writes nothing; ``--add-new``
also writes a file for each annotated article that has none in the vault yet.

Exit status: 0 synced cleanly; 1 synced, but with conflicts or files that could not be synced (see the
messages); 2 the vault cannot be synced at all (no manifest, bad arguments).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reader.commands._common import fail, library_arg, plural
from reader.core.exchange.vault import SyncReport, VaultError, sync_vault

NAME = "sync"
HELP = "sync a Markdown notes vault (exported with --format markdown) with the library, both ways"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vault", type=Path, metavar="VAULT", help="the folder the notes were exported to")
    parser.add_argument("library", type=library_arg, metavar="LIBRARY", help="the library folder")
    parser.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    parser.add_argument(
        "--add-new",
        action="store_true",
        help="also write a file for each annotated article that has none in the vault yet",
    )


def _print_report(report: SyncReport) -> None:
    would = "would " if report.dry_run else ""
    for line in report.changes:
        print(f"{would + 'apply: ' if report.dry_run else ''}{line}")
    for line in report.warnings:
        print(f"warning: {line}")
    for line in report.skipped:
        print(f"skipped: {line}")
    for line in report.conflicts:
        print(f"conflict: {line}")
    for line in report.problems:
        print(f"problem: {line}")
    for path in report.files_written:
        print(f"{would}rewrite {path}")
    summary = (
        f"{'dry run: ' if report.dry_run else ''}{plural(len(report.changes), 'change')}, "
        f"{plural(len(report.conflicts), 'conflict')}, "
        f"{plural(len(report.files_written), 'vault file')} {would}{'be ' if would else ''}rewritten"
    )
    if report.problems:
        files = {line.split(": ", 1)[0] for line in report.problems}
        summary += f", {plural(len(files), 'file')} not synced"
    print(summary + (" (nothing was written)" if report.dry_run else ""))


def run(args: argparse.Namespace) -> int:
    vault: Path = args.vault.expanduser()
    if not vault.is_dir():
        return fail(f"not a folder: {vault}")
    try:
        report = sync_vault(vault, args.library, dry_run=args.dry_run, add_new=args.add_new)
    except VaultError as exc:
        return fail(str(exc))
    _print_report(report)
    return 0 if report.clean else 1
