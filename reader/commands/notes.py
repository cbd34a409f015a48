"""``python -m reader notes``: list, add and delete highlights and notes; re-anchor them; reunite them with
moved files.

- ``notes list PATH [--json]``: the annotations of one article, or of every article below a folder. An
  orphan (its passage is no longer in the text) is shown without a position (``start``/``end`` null in
  JSON) with its last known quote; a re-anchored note that changed words shows the old ones (``previous``).
- ``notes add FILE --quote TEXT [--occurrence N] [--note TEXT] [--color NAME] [--tag TAG]...``: prints the id.
- ``notes edit FILE ID [--note TEXT] [--color NAME] [--tag TAG]... [--no-tags]``: change an annotation (the
  tags given replace its tags).
- ``notes delete FILE ID``: ``ID`` may be a unique prefix of the id (also for ``edit``).
- ``notes reanchor PATH``: find the notes of one article, or of every article below a folder, in the current
  text, save what changed and print the counts (anchored, moved, fuzzy, orphaned).
- ``notes relink LIBRARY``: move sidecars whose source was renamed or moved next to it (by content hash).
- ``notes merge-conflicts LIBRARY [--dry-run]``: merge the conflict copies sync tools left beside sidecars
  (Syncthing, Dropbox, Nextcloud, ownCloud, OneDrive, Google Drive) into the sidecars and move them to the
  app's data folder; prints what happened ("notes from another device merged: 3 added, 1 conflict to
  review"), each conflict, each copy that could not be merged (exit status 1), and where the copies went.
- ``notes restore-conflict BACKUP``: put a kept copy (or a whole run's folder) back into its library.

A value that lost a merge to a later edit of the same field on another device is kept with its note and
shown by ``notes list`` (``conflicts`` in JSON).

``list`` never writes. ``add`` and ``delete`` write only when they succeed; they then also save the notes'
re-anchoring to the current text (a failed command writes nothing).

Exit status: 0 on success, 1 when a sidecar cannot be read or written, 2 for a usage error (a quote that is
not in the text, an unknown colour or id, a missing file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reader.commands._common import add_index_dir, fail
from reader.core.articles.loader import load_article
from reader.core.errors import AnchorError, ArticleReadError, ReaderError, SidecarError
from reader.core.library.conflict_copies import merge_conflict_copies, restore_conflict_backup
from reader.core.library.relink import relink_sidecars
from reader.core.library.scan import iter_article_files
from reader.core.models import COLORS, Annotation
from reader.core.notes.sidecar import sidecar_path
from reader.core.notes.store import NotesStore, open_notes

NAME = "notes"
HELP = "list, add and delete highlights and notes (stored in <file>.notes.json beside each article)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="actions", metavar="ACTION", dest="action")
    sub.required = True

    listing = sub.add_parser("list", help="list the notes of an article or of a whole folder")
    listing.add_argument("path", type=Path, help="an article file or a library folder (searched recursively)")
    listing.add_argument("--json", action="store_true", help="print a JSON array of objects")
    listing.set_defaults(action_run=_run_list)

    add = sub.add_parser("add", help="highlight a quote of an article, with an optional note and tags")
    add.add_argument("file", type=Path, help="the article file")
    add.add_argument("--quote", required=True, help="the exact words to highlight (as in `reader text FILE`)")
    add.add_argument("--occurrence", type=int, default=1, metavar="N", help="the Nth occurrence (default 1)")
    add.add_argument("--note", default="", help="the note (Markdown)")
    add.add_argument("--color", default=COLORS[0], metavar="NAME", help=f"one of {', '.join(COLORS)}")
    add.add_argument("--tag", action="append", default=[], metavar="TAG", help="a tag (repeatable)")
    add.set_defaults(action_run=_run_add)

    edit = sub.add_parser("edit", help="change the note, colour or tags of one annotation")
    edit.add_argument("file", type=Path, help="the article file")
    edit.add_argument("id", help="the annotation id (or a unique prefix of it)")
    edit.add_argument("--note", default=None, help="the new note (Markdown)")
    edit.add_argument("--color", default=None, metavar="NAME", help=f"one of {', '.join(COLORS)}")
    edit.add_argument("--tag", action="append", default=None, metavar="TAG", help="a tag (repeatable)")
    edit.add_argument("--no-tags", action="store_true", help="remove every tag")
    edit.set_defaults(action_run=_run_edit)

    delete = sub.add_parser("delete", help="delete one annotation")
    delete.add_argument("file", type=Path, help="the article file")
    delete.add_argument("id", help="the annotation id (or a unique prefix of it)")
    delete.set_defaults(action_run=_run_delete)

    reanchor = sub.add_parser(
        "reanchor", help="find notes again in the current text of edited articles and save their positions"
    )
    reanchor.add_argument(
        "path", type=Path, help="an article file or a library folder (searched recursively)"
    )
    reanchor.set_defaults(action_run=_run_reanchor)

    relink = sub.add_parser("relink", help="reunite notes with articles that were renamed or moved")
    relink.add_argument("library", type=Path, help="the library folder")
    relink.set_defaults(action_run=_run_relink)
    for command in (listing, add, delete, reanchor, relink):
        add_index_dir(command)  # accepted like every command's; notes live in sidecars, not the index

    merge = sub.add_parser(
        "merge-conflicts", help="merge the conflict copies of notes that sync tools left in a library"
    )
    merge.add_argument("library", type=Path, help="the library folder")
    merge.add_argument("--dry-run", action="store_true", help="say what would be merged; change nothing")
    merge.set_defaults(action_run=_run_merge_conflicts)

    restore = sub.add_parser("restore-conflict", help="put a merged conflict copy back into its library")
    restore.add_argument("backup", type=Path, help="a kept copy (merge-conflicts prints it) or its folder")
    restore.set_defaults(action_run=_run_restore_conflict)


def run(args: argparse.Namespace) -> int:
    status: int = args.action_run(args)
    return status


def _write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _open(path: Path, root: Path, **options: Any) -> NotesStore:
    return open_notes(load_article(path, root), **options)


def _record(annotation: Annotation, relpath: str) -> dict[str, Any]:
    orphan = annotation.status == "orphaned"
    previous = annotation.previous
    return {
        "id": annotation.id,
        "path": relpath,
        "quote": annotation.exact,
        "note": annotation.note,
        "color": annotation.color,
        "tags": list(annotation.tags),
        "status": annotation.status,
        # An orphan's passage is not in the current text: its last known offsets would point at other words.
        "start": None if orphan else annotation.start,
        "end": None if orphan else annotation.end,
        "previous": None
        if previous is None
        else {"quote": previous.exact, "reanchored": previous.reanchored},
        "created": annotation.created,
        "modified": annotation.modified,
        "conflicts": [
            {
                "field": kept.field,
                "value": list(kept.value) if isinstance(kept.value, tuple) else kept.value,
                "modified": kept.modified,
            }
            for kept in annotation.conflicts
        ],
    }


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _line(record: dict[str, Any]) -> str:
    where = (  # "path:start-end" as grep prints places; an orphan has no place in the current text
        " passage not found in the current text"
        if record["start"] is None
        else f"{record['start']}-{record['end']}"
    )
    tags = " ".join("#" + t for t in record["tags"])
    note = f" — {_one_line(record['note'], 60)}" if record["note"] else ""
    was = f" (was “{_one_line(record['previous']['quote'], 60)}”)" if record["previous"] else ""
    line = (
        f"{record['path']}:{where} [{record['status']}] {record['color']} "
        f"“{_one_line(record['quote'], 60)}”{was}{note}{' ' + tags if tags else ''}  ({record['id']})\n"
    )
    for kept in record["conflicts"]:
        value = kept["value"] if isinstance(kept["value"], str) else " ".join("#" + t for t in kept["value"])
        line += f"  conflict to review: {kept['field']} was also “{_one_line(value, 60)}” on another device\n"
    return line


def _article_files(path: Path) -> tuple[Path, list[Path]] | None:
    """The library root and the articles with a sidecar at ``path`` (a file or a folder), or ``None``."""
    if path.is_dir():
        root = path.resolve()
        return root, [f for f in iter_article_files(root) if sidecar_path(f).exists()]
    if path.is_file():
        file = path.resolve()
        return file.parent, [file] if sidecar_path(file).exists() else []
    return None


def _open_for_reading(file: Path, root: Path) -> NotesStore | None:
    """The notes of ``file`` re-anchored in memory only; ``None`` (after saying why) when unreadable."""
    try:
        store = _open(file, root, persist_reanchoring=False)
    except ArticleReadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if store.read_only_reason is not None:
        print(f"error: {store.path.name}: {store.read_only_reason}", file=sys.stderr)
        return None
    return store


def _run_list(args: argparse.Namespace) -> int:
    found = _article_files(args.path)
    if found is None:
        return fail(f"no such file or folder: {args.path}")
    root, files = found
    records: list[dict[str, Any]] = []
    status = 0
    for file in files:
        store = _open_for_reading(file, root)  # listing is a query: re-anchoring is reported, not written
        if store is None:
            status = 1
            continue
        relpath = file.relative_to(root).as_posix()
        records.extend(_record(annotation, relpath) for annotation in store.annotations())
    if args.json:
        _write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    elif records:
        _write("".join(_line(r) for r in records))
    elif status == 0:
        _write(f"no notes in {args.path}\n")
    return status


_STATUSES = ("anchored", "moved", "fuzzy", "orphaned")


def _counts(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(name)} {name}" for name in _STATUSES if name in statuses)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _run_reanchor(args: argparse.Namespace) -> int:
    found = _article_files(args.path)
    if found is None:
        return fail(f"no such file or folder: {args.path}")
    root, files = found
    status = 0
    statuses: list[str] = []
    saved = 0
    for file in files:
        store = _open_for_reading(file, root)
        if store is None:
            status = 1
            continue
        statuses.extend(a.status for a in store.annotations())
        if not store.reanchored:
            continue
        try:
            written = store.save()
        except SidecarError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        saved += written
        changed = _counts(list(store.reanchored.values()))
        _write(f"{file.relative_to(root).as_posix()}: {changed} ({'saved' if written else 'not saved'})\n")
    totals = ", ".join(f"{statuses.count(name)} {name}" for name in _STATUSES)
    _write(
        f"{_plural(len(statuses), 'note')} in {_plural(len(files), 'file')}: {totals}; "
        f"{_plural(saved, 'file')} saved\n"
    )
    return status


def _article_file(path: Path) -> Path | None:
    return path.resolve() if path.is_file() else None


def _run_add(args: argparse.Namespace) -> int:
    file = _article_file(args.file)
    if file is None:
        return fail(f"not a file: {args.file}")
    if args.color not in COLORS:
        return fail(f"unknown colour {args.color!r} (choose from {', '.join(COLORS)})")
    try:
        # Re-anchoring is saved with the new note, not by a command that fails.
        store = _open(file, file.parent, persist_reanchoring=False)
        annotation = store.add_quote(
            args.quote, occurrence=args.occurrence, color=args.color, note=args.note, tags=args.tag
        )
    except ArticleReadError as exc:
        return fail(str(exc))
    except AnchorError as exc:
        return fail(f"{file.name}: {exc}")
    except SidecarError as exc:
        return fail(str(exc), 1)
    try:
        store.save()
    except SidecarError as exc:
        return fail(str(exc), 1)
    _write(annotation.id + "\n")
    return 0


def _open_one(args: argparse.Namespace) -> tuple[NotesStore, str] | int:
    """The store of ``args.file`` and the full id ``args.id`` names, or the exit status after saying why."""
    file = _article_file(args.file)
    if file is None:
        return fail(f"not a file: {args.file}")
    try:
        store = _open(file, file.parent, persist_reanchoring=False)
    except ArticleReadError as exc:
        return fail(str(exc))
    if store.read_only_reason is not None:
        return fail(f"{store.path.name}: {store.read_only_reason}", 1)
    matches = [a.id for a in store.annotations() if a.id.startswith(args.id)] if args.id else []
    if args.id in {a.id for a in store.annotations()}:
        matches = [args.id]
    if not matches:
        return fail(f"{file.name}: no annotation with id {args.id!r}")
    if len(matches) > 1:
        return fail(f"{file.name}: {len(matches)} annotations have ids starting with {args.id!r}")
    return store, matches[0]


def _run_edit(args: argparse.Namespace) -> int:
    if args.color is not None and args.color not in COLORS:
        return fail(f"unknown colour {args.color!r} (choose from {', '.join(COLORS)})")
    opened = _open_one(args)
    if isinstance(opened, int):
        return opened
    store, annotation_id = opened
    tags = [] if args.no_tags else args.tag
    store.update(annotation_id, note=args.note, color=args.color, tags=tags)
    try:
        store.save()
    except SidecarError as exc:
        return fail(str(exc), 1)
    return 0


def _run_delete(args: argparse.Namespace) -> int:
    opened = _open_one(args)
    if isinstance(opened, int):
        return opened
    store, annotation_id = opened
    store.delete(annotation_id)
    try:
        store.save()
    except SidecarError as exc:
        return fail(str(exc), 1)
    return 0


def _run_relink(args: argparse.Namespace) -> int:
    library: Path = args.library
    if not library.is_dir():
        return fail(f"not a folder: {library}")
    root = library.resolve()
    report = relink_sidecars(root)
    for old, new in report.moved:
        _write(f"moved {old.relative_to(root).as_posix()} -> {new.relative_to(root).as_posix()}\n")
    for old, reason in report.left:
        print(f"left {old.relative_to(root).as_posix()}: {reason}", file=sys.stderr)
    return 0


def _run_merge_conflicts(args: argparse.Namespace) -> int:
    library: Path = args.library
    if not library.is_dir():
        return fail(f"not a folder: {library}")
    root = library.resolve()
    report = merge_conflict_copies(root, dry_run=args.dry_run)
    if not report.outcomes:
        _write("no conflict copies of notes found\n")
        return 0
    for outcome in report.outcomes:
        copy = outcome.found.copy.relative_to(root).as_posix()
        original = outcome.found.original.relative_to(root).as_posix()
        if outcome.action == "problem":
            print(f"problem: {copy}: {outcome.problem} (left in place)", file=sys.stderr)
            continue
        verbs = {"merged": "merged into", "renamed": "became", "tidied": "old backup copy of"}
        if args.dry_run:
            verbs = {"merged": "would be merged into", "renamed": "would become", "tidied": "old copy of"}
        verb = verbs[outcome.action]
        kept = f"; kept as {outcome.backup}" if outcome.backup is not None else ""
        _write(f"{copy}: {verb} {original}{kept}\n")
        for conflict in outcome.conflicts:
            _write(f"  conflict {conflict.id}: {conflict.reason}\n")
    _write(report.summary() + ("; nothing changed (dry run)" if args.dry_run else "") + "\n")
    return 1 if report.problems else 0


def _run_restore_conflict(args: argparse.Namespace) -> int:
    try:
        restored = restore_conflict_backup(args.backup)
    except ReaderError as exc:
        return fail(str(exc), 1)
    except OSError as exc:
        return fail(f"{args.backup}: {exc.strerror or exc}", 1)
    for path in restored:
        _write(f"restored {path}\n")
    return 0
