"""Merging the conflict copies of notes sidecars that sync tools write, and keeping them as backups.

When a sidecar changed on two devices, a sync tool keeps one version under its name and writes the other
beside it as a *conflict copy* (names in :mod:`.conflict_names`). :func:`merge_conflict_copies` finds them in
a library folder and, for each sidecar:

- merges every copy into it per annotation id (:meth:`NotesStore.merge_copy`: the latest edit of each field
  wins, a value that lost to another edit of the same field is kept on the annotation and reported, the
  tombstones of deleted notes hold), saves it (atomically, with its ``.bak``), and only then moves each copy
  out of the library into ``<data dir>/conflict-backups/<library key>/<run>/files/<relative path>`` (the
  backup is written and synced before the copy is removed; ``manifest.json`` of the run says where it came
  from; :func:`restore_conflict_backup` puts it back);
- when the sidecar itself is missing, the copy becomes the sidecar (renamed, never over a file);
- a copy that cannot be parsed, or whose sidecar or article cannot be read, is left where it is and listed
  as a problem: a copy is never removed unless everything it holds is in the sidecar.

Also handled: the sidecar of an article's own conflict copy (``paper.sync-conflict-….txt.notes.json``) is
merged into the original article's sidecar, and conflict copies of ``.notes.json.bak`` files (the sync tool
carries those too) are moved to the backups without merging (they are older versions by design). Only the
unambiguous names (Syncthing, Dropbox, Nextcloud, ownCloud) are taken for articles; for sidecars the Google
Drive and OneDrive forms count when the original sidecar stands beside the copy.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reader.core import paths
from reader.core.articles.loader import load_article
from reader.core.atomic import atomic_write_bytes, atomic_write_text, move_no_overwrite
from reader.core.errors import ArticleReadError, ReaderError, SidecarError
from reader.core.library.conflict_names import conflict_original
from reader.core.notes.merge import MergeConflict
from reader.core.notes.sidecar import (
    SIDECAR_SUFFIX,
    FileSignature,
    parse_sidecar,
    read_sidecar_bytes,
    source_path,
)
from reader.core.notes.store import NotesStore

log = logging.getLogger(__name__)

BACKUPS_FOLDER = "conflict-backups"
MANIFEST = "manifest.json"
_BAK_SUFFIX = SIDECAR_SUFFIX + ".bak"


@dataclass(frozen=True, slots=True)
class FoundCopy:
    """A conflict copy in the library: the copy, the file it belongs to, the tool that named it, and
    whether it is a copy of a ``.bak`` (kept as a backup, not merged)."""

    copy: Path
    original: Path
    tool: str
    backup_only: bool = False


@dataclass(slots=True)
class CopyOutcome:
    """What happened to one copy: ``merged``, ``renamed`` (it became the missing sidecar), ``tidied`` (a
    ``.bak`` copy moved to the backups) or ``problem`` (left where it is, with ``problem`` saying why)."""

    found: FoundCopy
    action: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    conflicts: list[MergeConflict] = field(default_factory=list)
    backup: Path | None = None
    problem: str = ""
    #: The bytes that were merged and what the file looked like then (it is removed only if unchanged).
    merged_bytes: tuple[bytes, FileSignature] | None = None


@dataclass(slots=True)
class ConflictReport:
    """The outcome of :func:`merge_conflict_copies` (``dry_run``: what it would do; nothing was written)."""

    outcomes: list[CopyOutcome] = field(default_factory=list)
    dry_run: bool = False

    @property
    def added(self) -> int:
        return sum(o.added for o in self.outcomes)

    @property
    def conflicts(self) -> list[MergeConflict]:
        return [c for o in self.outcomes for c in o.conflicts]

    @property
    def problems(self) -> list[CopyOutcome]:
        return [o for o in self.outcomes if o.action == "problem"]

    @property
    def handled(self) -> list[CopyOutcome]:
        return [o for o in self.outcomes if o.action != "problem"]

    def summary(self) -> str:
        """One line for the status bar and the command line ("" when there was nothing to do)."""
        if not self.outcomes:
            return ""
        parts: list[str] = []
        handled = self.handled
        if handled:
            conflicts = len(self.conflicts)
            changed = sum(o.changed for o in handled)
            removed = sum(o.removed for o in handled)
            details = [f"{self.added} added"]
            if changed:
                details.append(f"{changed} updated")
            if removed:
                details.append(f"{removed} deleted")
            if conflicts:
                details.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''} to review")
            verb = "would be merged" if self.dry_run else "merged"
            parts.append(f"notes from another device {verb}: {', '.join(details)}")
        problems = len(self.problems)
        if problems:
            parts.append(f"{problems} conflict cop{'ies' if problems != 1 else 'y'} could not be merged")
        return "; ".join(parts)


# ------------------------------------------------------------------------------------------------ finding


def _visible_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def find_conflict_copies(root: Path) -> list[FoundCopy]:
    """The conflict copies of sidecars (and of their ``.bak`` files) below ``root``, in path order."""
    found: list[FoundCopy] = []
    for path in _visible_files(Path(root)):
        folder, name = path.parent, path.name
        if ".notes" not in name:  # every sidecar and every copy of one has it (the articles are most files)
            continue

        def exists(original: str, folder: Path = folder) -> bool:
            return (folder / original).is_file()

        copy = conflict_original(name, exists)
        while copy is not None and (deeper := conflict_original(copy.original)) is not None:
            copy = deeper  # a conflict copy of a conflict copy (both devices changed the copy too)
        if copy is not None and copy.original.endswith(_BAK_SUFFIX):
            found.append(FoundCopy(path, folder / copy.original, copy.tool, backup_only=True))
        elif copy is not None and copy.original.endswith(SIDECAR_SUFFIX):
            found.append(FoundCopy(path, folder / copy.original, copy.tool))
        elif name.endswith(SIDECAR_SUFFIX):  # the sidecar of an article's conflict copy
            article = conflict_original(name[: -len(SIDECAR_SUFFIX)])
            if article is not None:
                found.append(FoundCopy(path, folder / (article.original + SIDECAR_SUFFIX), article.tool))
    return found


# ------------------------------------------------------------------------------------------------ backups


def backup_root(library: Path) -> Path:
    """Where the merged copies of ``library`` are kept: ``<data dir>/conflict-backups/<library key>``."""
    return paths.data_dir() / BACKUPS_FOLDER / paths.library_key(library)


class _BackupRun:
    """One run's backup folder: ``files/<relative path>`` plus ``manifest.json`` (the library and files)."""

    def __init__(self, library: Path, root: Path) -> None:
        self.library = library
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.folder = root / stamp
        self.files: list[str] = []

    def keep(self, copy: Path, merged: tuple[bytes, FileSignature] | None = None) -> Path | None:
        """Write ``copy`` (the ``merged`` bytes, when given) into the backup (atomically, synced), record it,
        then remove it from the library, unless it changed since it was read (a sync tool may write a new
        conflict copy under the same name): then it stays for the next run, and ``None`` is returned."""
        rel = copy.relative_to(self.library).as_posix()
        if merged is None:
            read = read_sidecar_bytes(copy)
            if read is None:
                raise FileNotFoundError(copy)
            merged = read
        data, signature = merged
        target = self.folder / "files" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
        self.files.append(rel)
        manifest = {"library": str(self.library), "files": self.files}
        atomic_write_text(self.folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        if not signature.same_stat(os.stat(copy)):
            log.info("%s changed while it was merged; left for the next merge", copy)
            return None
        copy.unlink()
        return target


def restore_conflict_backup(backup: Path) -> list[Path]:
    """Put a kept copy (a file under a run's ``files/``, or a whole run folder) back into its library.

    Never overwrites: raises :class:`ReaderError` when a file of that name is there again, or when
    ``backup`` is not a kept copy. Returns the restored paths; the backups restored are removed.
    """
    backup = Path(backup).resolve()
    run = next((p for p in (backup, *backup.parents) if (p / MANIFEST).is_file()), None)
    if run is None or not backup.exists():
        raise ReaderError(f"not a kept conflict copy: {backup}")
    try:
        manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
        library = Path(manifest["library"])
        listed = [str(rel) for rel in manifest["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"{run / MANIFEST} cannot be read: {exc}") from exc
    files = run / "files"
    wanted = [rel for rel in listed if backup in (run, files / rel, *(files / rel).parents)]
    if not wanted:
        raise ReaderError(f"not a kept conflict copy: {backup}")
    restored: list[Path] = []
    for rel in wanted:
        kept = files / rel
        target = library / rel
        if target.exists():
            raise ReaderError(f"{target} already exists; move it away first")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.restore.tmp")
        atomic_write_bytes(tmp, kept.read_bytes())
        try:
            move_no_overwrite(tmp, target)
        except FileExistsError as exc:
            raise ReaderError(f"{target} already exists; move it away first") from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        kept.unlink()
        listed.remove(rel)
        restored.append(target)
    manifest["files"] = listed
    atomic_write_text(run / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return restored


# ------------------------------------------------------------------------------------------------ merging


def _merge_into(
    library: Path, sidecar: Path, copies: list[FoundCopy], dry_run: bool, run: _BackupRun | None
) -> list[CopyOutcome]:
    """Merge ``copies`` into ``sidecar`` (which exists); save; move the merged copies to the backup."""
    article = source_path(sidecar)
    try:
        loaded = load_article(article, library)
    except ArticleReadError as exc:
        return [CopyOutcome(c, "problem", problem=f"its article cannot be read: {exc}") for c in copies]
    store = NotesStore(article, loaded.text, text_hash=loaded.content_hash or None, persist_reanchoring=False)
    if store.read_only_reason is not None:
        reason = f"{sidecar.name} cannot be parsed ({store.read_only_reason})"
        return [CopyOutcome(c, "problem", problem=reason) for c in copies]
    outcomes: list[CopyOutcome] = []
    merged: list[CopyOutcome] = []
    for found in copies:
        try:
            read = read_sidecar_bytes(found.copy)
            if read is None:
                continue  # merged and moved by another process meanwhile
            document = parse_sidecar(read[0], found.copy.name, strict=False)
        except SidecarError as exc:
            outcomes.append(CopyOutcome(found, "problem", problem=f"cannot be read: {exc}"))
            continue
        result = store.merge_copy(document, where=f"in {found.copy.name}")
        outcome = CopyOutcome(
            found, "merged", len(result.added), len(result.changed), len(result.removed), result.conflicts
        )
        outcome.merged_bytes = read
        outcomes.append(outcome)
        merged.append(outcome)
    if dry_run or not merged:
        return outcomes
    try:
        store.save()
    except SidecarError as exc:
        for outcome in merged:
            outcome.action, outcome.problem = "problem", f"not merged: {exc}"
        return outcomes
    for outcome in merged:
        _keep(outcome, run)
    return outcomes


def _keep(outcome: CopyOutcome, run: _BackupRun | None) -> None:
    assert run is not None
    try:
        outcome.backup = run.keep(outcome.found.copy, outcome.merged_bytes)
    except FileNotFoundError:
        pass  # another process (the window, the command line) merged and moved it meanwhile
    except OSError as exc:  # merged, but still in the library: the next run merges it again (no change)
        outcome.action = "problem"
        outcome.problem = f"merged, but could not be moved to {run.folder}: {exc.strerror or exc}"


def merge_conflict_copies(
    library: Path, *, dry_run: bool = False, backups: Path | None = None
) -> ConflictReport:
    """Find the conflict copies of sidecars below ``library`` and merge them (see the module documentation).

    ``dry_run`` reads and merges in memory only: nothing is written, renamed or moved. ``backups`` overrides
    :func:`backup_root`. Never raises for a bad copy: each outcome says what happened.
    """
    library = Path(library).resolve()
    report = ConflictReport(dry_run=dry_run)
    found = find_conflict_copies(library)
    if not found:
        return report
    run = None if dry_run else _BackupRun(library, backups or backup_root(library))
    by_sidecar: dict[Path, list[FoundCopy]] = {}
    for item in found:
        if item.backup_only:
            outcome = CopyOutcome(item, "tidied")
            if not dry_run:
                _keep(outcome, run)
            report.outcomes.append(outcome)
        else:
            by_sidecar.setdefault(item.original, []).append(item)
    for sidecar, copies in by_sidecar.items():
        if not sidecar.exists():
            first, copies = copies[0], copies[1:]
            try:
                document = parse_sidecar(first.copy.read_bytes(), first.copy.name, strict=False)
            except (OSError, SidecarError) as exc:
                report.outcomes.append(CopyOutcome(first, "problem", problem=f"cannot be read: {exc}"))
                report.outcomes.extend(
                    CopyOutcome(c, "problem", problem=f"{sidecar.name} is missing") for c in copies
                )
                continue
            if not dry_run:
                try:
                    move_no_overwrite(first.copy, sidecar)
                except OSError as exc:
                    report.outcomes.append(
                        CopyOutcome(first, "problem", problem=f"cannot become {sidecar.name}: {exc}")
                    )
                    continue
            report.outcomes.append(CopyOutcome(first, "renamed", added=len(document.annotations)))
            if not copies:
                continue
            if dry_run:  # the rename did not happen: the others would be merged into it
                report.outcomes.extend(CopyOutcome(c, "merged") for c in copies)
                continue
        report.outcomes.extend(_merge_into(library, sidecar, copies, dry_run, run))
    return report
