"""The notes store: what the UI and the command line use to read and edit an article's annotations.

:class:`NotesStore` holds one article's annotations in memory, anchored to its current canonical text.
Edits (:meth:`~NotesStore.add`, :meth:`~NotesStore.update`, :meth:`~NotesStore.delete`,
:meth:`~NotesStore.reattach`) change memory only; :meth:`~NotesStore.save` writes the sidecar.

Guarantees:

- **Never a lost word on disk.** Writes are atomic (temporary file, fsync, ``os.replace``), with the previous
  version kept as ``<sidecar>.bak`` (``backup=True``). A failed write raises :class:`SidecarError`, leaves the
  file byte-identical, and keeps the edits in memory (``dirty`` stays true) so that ``save()`` can be retried.
- **Never overwrite what we cannot read.** A sidecar that cannot be parsed (bad JSON or UTF-8, wrong types, a
  newer format version, a missing field) makes the store read-only (``read_only_reason``); ``save()`` raises
  and the file stays byte-identical.
- **Concurrent writers keep each other's notes.** Saving takes a short lock (``.<sidecar>.lock``, hidden,
  ``flock`` on POSIX, removed on release). Under it the store checks whether the file changed since it was
  read or last written (mtime, size and SHA-256 of the bytes); if so it reloads and merges before writing.
- **No sidecar for an article without annotations.** Deleting the last annotation of an existing sidecar
  writes an empty ``annotations`` list: a user's file is never deleted.

Merge rules (three-way, per annotation id, against the version last read from or written to disk):

- added on either side: kept (union);
- changed on one side only: that side's version;
- changed on both sides: field by field (position, colour, note, tags); a field changed differently on both
  sides takes the value from the side with the newer ``modified`` (ties: this store's edit). The losing value
  is recorded in :attr:`NotesStore.conflicts` and logged, never dropped silently;
- deleted on one side and unchanged on the other: deleted (a deletion is not resurrected by the merge);
- deleted on one side but *edited* on the other since: the edit wins and the annotation is kept, with a
  conflict recorded: a note is never lost to a deletion the editor did not see.

Positions are re-anchored (:mod:`.anchoring`) whenever the sidecar's ``text_hash`` differs from
the current text's; when that changes anything, the store saves at once (``persist_reanchoring``).

A store is meant to be used from one thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import errno
import hashlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.core.atomic import TMP_SUFFIX, atomic_write_bytes, clean_stale_temp_files
from reader.core.errors import SidecarError
from reader.core.models import COLORS, Annotation, Article
from reader.core.notes.anchoring import (
    find_quote,
    make_annotation,
    normalize_tags,
    reanchor,
    retarget,
    timestamp,
)
from reader.core.notes.sidecar import (
    FileSignature,
    SidecarDocument,
    bytes_signature,
    parse_sidecar,
    read_sidecar_bytes,
    serialize_sidecar,
    sidecar_path,
    text_order_key,
)

log = logging.getLogger(__name__)

#: Seconds ``save()`` waits for another writer's lock before giving up.
LOCK_TIMEOUT = 10.0
#: A lock file (non-POSIX fallback only) older than this is considered left by a crashed process.
STALE_LOCK_SECONDS = 30.0


def content_hash(text: str) -> str:
    """``sha256:<hex>`` of ``text`` as UTF-8 (the same as :attr:`Article.content_hash`)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def lock_path(sidecar: Path) -> Path:
    """``a.txt.notes.json`` -> ``.a.txt.notes.json.lock`` (hidden, so library scans ignore it)."""
    sidecar = Path(sidecar)
    return sidecar.with_name("." + sidecar.name + ".lock")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the folder is not writable ({exc.strerror or exc})"
    return exc.strerror or str(exc)


@contextlib.contextmanager
def sidecar_lock(sidecar: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the write lock of ``sidecar`` (a short critical section: check, merge, write).

    Raises :class:`SidecarError` if the lock cannot be taken within ``timeout`` seconds or cannot be created.
    """
    path = lock_path(sidecar)
    deadline = time.monotonic() + timeout
    name = Path(sidecar).name
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield from _exclusive_file_lock(path, name, deadline)
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SidecarError(name, f"cannot be saved: {_os_reason(exc)}") from exc
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SidecarError(name, "cannot be saved: another program is saving it") from None
                    time.sleep(0.005)
            # The holder before us may have removed the lock file; then ours is a stale inode: retry.
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                continue
            try:
                yield
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return
        finally:
            os.close(fd)


def _exclusive_file_lock(path: Path, name: str, deadline: float) -> Iterator[None]:  # pragma: no cover
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > STALE_LOCK_SECONDS:
                    path.unlink()
                    continue
            if time.monotonic() > deadline:
                raise SidecarError(name, "cannot be saved: another program is saving it") from None
            time.sleep(0.01)
        except OSError as exc:
            raise SidecarError(name, f"cannot be saved: {_os_reason(exc)}") from exc
    os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


# ------------------------------------------------------------------------------------------------- merging


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """An annotation changed in two places; ``kept`` is what the store now holds, ``discarded`` the other
    side's version (``None`` for a deletion that lost to an edit). Shown to the user; nothing is silent."""

    id: str
    reason: str
    kept: Annotation | None
    discarded: Annotation | None


_GROUPS: dict[str, tuple[str, ...]] = {
    "position": ("exact", "prefix", "suffix", "start", "end", "status"),
    "color": ("color",),
    "note": ("note",),
    "tags": ("tags",),
}


def _values(annotation: Annotation, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(annotation, name) for name in names)


def _user_key(annotation: Annotation) -> tuple[Any, ...]:
    """What a person changed (re-anchoring alone does not count as an edit)."""
    return annotation.exact, annotation.color, annotation.note, tuple(annotation.tags), annotation.modified


def _time(stamp: str) -> _dt.datetime | None:
    try:
        parsed = _dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_dt.UTC)


def _newer(a: str, b: str) -> bool:
    """Whether timestamp ``a`` is strictly later than ``b``."""
    ta, tb = _time(a), _time(b)
    if ta is not None and tb is not None:
        return ta > tb
    return a > b


def _copy(annotation: Annotation) -> Annotation:
    return dataclasses.replace(annotation, tags=list(annotation.tags))


def merge_annotations(
    base: dict[str, Annotation], local: dict[str, Annotation], disk: dict[str, Annotation]
) -> tuple[dict[str, Annotation], list[MergeConflict]]:
    """Three-way merge of annotation sets by id (see the module documentation for the rules)."""
    merged: dict[str, Annotation] = {}
    conflicts: list[MergeConflict] = []
    for annotation_id in {*base, *local, *disk}:
        b, ours, theirs = base.get(annotation_id), local.get(annotation_id), disk.get(annotation_id)
        if ours is None and theirs is None:
            continue
        if ours is None or theirs is None:
            present = ours if ours is not None else theirs
            assert present is not None
            if b is None:  # added on one side
                merged[annotation_id] = _copy(present)
            elif _user_key(present) != _user_key(b):  # deleted on one side, edited on the other
                merged[annotation_id] = _copy(present)
                where = "here" if ours is not None else "in another window or program"
                conflicts.append(
                    MergeConflict(
                        annotation_id, f"deleted in one place but edited {where}; kept", present, None
                    )
                )
            continue  # otherwise: deleted, and unchanged elsewhere
        if ours == theirs:
            merged[annotation_id] = _copy(ours)
            continue
        ours_newer = not _newer(theirs.modified, ours.modified)
        changes: dict[str, Any] = {}
        lost: list[str] = []
        for group, names in _GROUPS.items():
            mine, other = _values(ours, names), _values(theirs, names)
            if mine == other:
                continue
            base_values = _values(b, names) if b is not None else None
            if other == base_values:
                continue  # only we changed it
            if mine == base_values or not ours_newer:
                changes.update(dict(zip(names, other, strict=True)))
                if mine != base_values:
                    lost.append(group)
            else:
                lost.append(group)
        tags = list(changes.pop("tags", ours.tags))
        result = dataclasses.replace(ours, **changes, tags=tags)
        if _newer(theirs.modified, result.modified):
            result.modified = theirs.modified
        if _newer(result.created, theirs.created):
            result.created = theirs.created
        merged[annotation_id] = result
        if lost:
            discarded = ours if not ours_newer else theirs
            conflicts.append(
                MergeConflict(
                    annotation_id,
                    f"changed in two places ({', '.join(lost)}); kept the newer edit",
                    _copy(result),
                    _copy(discarded),
                )
            )
    return merged, conflicts


# --------------------------------------------------------------------------------------------------- store


class NotesStore:
    """One article's annotations, anchored to ``text`` (its current canonical text).

    ``source`` is the article file; its sidecar is :attr:`path`. Loading never writes unless re-anchoring
    changed something and ``persist_reanchoring`` is true (a failure then is logged, the store stays dirty).
    """

    def __init__(
        self,
        source: Path,
        text: str,
        *,
        text_hash: str | None = None,
        backup: bool = True,
        persist_reanchoring: bool = True,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.source = Path(source)
        self.path = sidecar_path(self.source)
        self.text = text
        self.text_hash = text_hash or content_hash(text)
        self.backup = backup
        self.lock_timeout = lock_timeout
        #: Why the sidecar must not be written (it could not be parsed), or ``None``.
        self.read_only_reason: str | None = None
        #: True when memory holds edits (or re-anchored positions) not yet on disk.
        self.dirty = False
        #: Merge conflicts met so far (see :class:`MergeConflict`); the UI shows them and may clear the list.
        self.conflicts: list[MergeConflict] = []
        self._annotations: dict[str, Annotation] = {}
        self._base: dict[str, Annotation] = {}
        self._signature: FileSignature | None = None
        self._extra: dict[str, Any] = {}
        self._raw_items: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError):
            clean_stale_temp_files(self.path.parent)
        self._load()
        if self.dirty and persist_reanchoring and self.read_only_reason is None:
            try:
                self.save()
            except SidecarError as exc:
                log.warning("re-anchored notes not saved: %s", exc)

    # ------------------------------------------------------------------ reading

    def _anchored_view(self, document: SidecarDocument) -> tuple[dict[str, Annotation], bool]:
        """The document's annotations in this text's coordinates, and whether re-anchoring changed any."""
        result: dict[str, Annotation] = {}
        changed = False
        same_text = document.text_hash == self.text_hash
        for annotation in document.annotations:
            kept_status = annotation.status in ("orphaned", "fuzzy") and annotation.end <= len(self.text)
            matches = self.text[annotation.start : annotation.end] == annotation.exact
            trusted = same_text and (kept_status or matches)
            if trusted:
                result[annotation.id] = _copy(annotation)
                continue
            updated, _ = reanchor(annotation, self.text)
            if updated != annotation:
                changed = True
            result[annotation.id] = updated
        return result, changed

    def _read_disk(self) -> tuple[SidecarDocument | None, FileSignature | None]:
        """Parse the file as it is now (``None`` when there is none). Raises :class:`SidecarError`."""
        read = read_sidecar_bytes(self.path)
        if read is None:
            return None, None
        data, signature = read
        return parse_sidecar(data, self.path.name, strict=True), signature

    def _become_read_only(self, exc: SidecarError) -> None:
        """The file cannot be parsed: keep it as it is and refuse to write until it parses again."""
        self.read_only_reason = exc.reason
        self._signature = self._current_signature()
        log.warning("notes are read-only: %s", exc)

    def _load(self) -> None:
        try:
            document, signature = self._read_disk()
        except SidecarError as exc:
            self._become_read_only(exc)
            return
        self._signature = signature
        if document is None:
            return
        self._adopt(document)
        view, changed = self._anchored_view(document)
        self._base = {key: _copy(value) for key, value in view.items()}
        self._annotations = view
        self.dirty = changed

    def _adopt(self, document: SidecarDocument) -> None:
        self._extra = dict(document.extra)
        self._raw_items.update(document.raw_items)

    def _current_signature(self) -> FileSignature | None:
        with contextlib.suppress(SidecarError):
            read = read_sidecar_bytes(self.path)
            return None if read is None else read[1]
        return None

    def changed_on_disk(self) -> bool:
        """Whether the sidecar on disk differs from what this store last read or wrote.

        The store's own writes do not count: it remembers their signature. Cheap when nothing changed (one
        ``stat``); the bytes are hashed only when the size, mtime, inode or ctime differ.
        """
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return self._signature is not None
        except OSError:
            return False
        known = self._signature
        if known is not None and known.same_stat(stat):
            return False
        current = self._current_signature()
        if current is None:
            return known is not None
        if known is not None and current.sha256 == known.sha256:
            self._signature = current  # touched, same bytes
            return False
        return True

    def reload_if_changed(self) -> bool:
        """Reload the sidecar if it changed on disk (another program, window or process wrote it).

        Unsaved edits here are merged with the file's content (see the module documentation); they stay
        unsaved (``dirty``). Returns whether anything was reloaded (the UI then refreshes). A file that has
        become unparsable makes the store read-only; one that parses again lifts that.
        """
        if not self.changed_on_disk():
            return False
        try:
            document, signature = self._read_disk()
        except SidecarError as exc:
            self._become_read_only(exc)
            return True
        self.read_only_reason = None
        self._merge_from_disk(document, signature)
        return True

    def _merge_from_disk(self, document: SidecarDocument | None, signature: FileSignature | None) -> None:
        disk: dict[str, Annotation] = {}
        if document is not None:
            self._adopt(document)
            disk, _ = self._anchored_view(document)
        if self.dirty:
            merged, conflicts = merge_annotations(self._base, self._annotations, disk)
            for conflict in conflicts:
                log.warning("notes of %s: %s: %s", self.source.name, conflict.id, conflict.reason)
            self.conflicts.extend(conflicts)
            self._annotations = merged
        else:
            self._annotations = {key: _copy(value) for key, value in disk.items()}
        self._base = {key: _copy(value) for key, value in disk.items()}
        self._signature = signature

    # ------------------------------------------------------------------ queries

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def annotations(self) -> list[Annotation]:
        """All annotations in text order (orphans included, at their last known position); copies."""
        return [_copy(a) for a in sorted(self._annotations.values(), key=text_order_key)]

    def anchored(self) -> list[Annotation]:
        """The annotations shown in the text (status anchored, moved or fuzzy), in text order."""
        return [a for a in self.annotations() if a.status != "orphaned"]

    def orphans(self) -> list[Annotation]:
        """Annotations whose passage could not be found; the UI offers to reattach or delete them."""
        return [a for a in self.annotations() if a.status == "orphaned"]

    def get(self, annotation_id: str) -> Annotation:
        """A copy of one annotation. Raises ``KeyError`` for an unknown id."""
        return _copy(self._annotations[annotation_id])

    def at(self, position: int) -> list[Annotation]:
        """The shown annotations covering code point ``position`` (``start <= position < end``)."""
        return [a for a in self.anchored() if a.start <= position < a.end]

    def tags(self) -> list[str]:
        """Every tag in use in this article, sorted case-insensitively (for completion)."""
        return sorted({tag for a in self._annotations.values() for tag in a.tags}, key=str.casefold)

    def __len__(self) -> int:
        return len(self._annotations)

    # ------------------------------------------------------------------ edits (memory only)

    def _check_writable(self) -> None:
        if self.read_only_reason is not None:
            raise SidecarError(self.path.name, f"is read-only: {self.read_only_reason}")

    def add(
        self, start: int, end: int, *, color: str = "yellow", note: str = "", tags: Sequence[str] = ()
    ) -> Annotation:
        """Highlight ``text[start:end]``. Raises :class:`AnchorError` for an empty or invalid range,
        ``ValueError`` for an unknown colour, :class:`SidecarError` when read-only."""
        self._check_writable()
        annotation = make_annotation(self.text, start, end, color=color, note=note, tags=tags)
        self._annotations[annotation.id] = annotation
        self.dirty = True
        return _copy(annotation)

    def add_quote(
        self,
        quote: str,
        *,
        occurrence: int = 1,
        color: str = "yellow",
        note: str = "",
        tags: Sequence[str] = (),
    ) -> Annotation:
        """Highlight the ``occurrence``-th (1-based) occurrence of ``quote``.

        Raises :class:`AnchorError` when it is not there."""
        start, end = find_quote(self.text, quote, occurrence)
        return self.add(start, end, color=color, note=note, tags=tags)

    def update(
        self,
        annotation_id: str,
        *,
        color: str | None = None,
        note: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Annotation:
        """Change the colour, note and/or tags of an annotation (``None`` leaves a field as it is)."""
        self._check_writable()
        current = self._annotations[annotation_id]
        if color is not None and color not in COLORS:
            raise ValueError(f"unknown colour {color!r} (choose from {', '.join(COLORS)})")
        updated = dataclasses.replace(
            current,
            color=current.color if color is None else color,
            note=current.note if note is None else note,
            tags=list(current.tags) if tags is None else normalize_tags(tags),
        )
        if updated != current:
            updated.modified = timestamp()
            self._annotations[annotation_id] = updated
            self.dirty = True
        return _copy(updated)

    def delete(self, annotation_id: str) -> None:
        """Remove an annotation. Raises ``KeyError`` for an unknown id."""
        self._check_writable()
        del self._annotations[annotation_id]
        self.dirty = True

    def reattach(self, annotation_id: str, start: int, end: int) -> Annotation:
        """Attach an annotation (typically an orphan, or to confirm a fuzzy match) to ``text[start:end]``:
        new quote and context, status anchored; note, colour and tags kept."""
        self._check_writable()
        updated = retarget(self._annotations[annotation_id], self.text, start, end)
        self._annotations[annotation_id] = updated
        self.dirty = True
        return _copy(updated)

    def put(self, annotation: Annotation, *, touch: bool = False) -> Annotation:
        """Insert or replace a whole annotation by id (undo/redo, imports). A copy is stored as given;
        ``touch=True`` stamps ``modified`` with now, so that a merge sees it as the newest edit."""
        self._check_writable()
        stored = _copy(annotation)
        if touch:
            stored.modified = timestamp()
        self._annotations[stored.id] = stored
        self.dirty = True
        return _copy(stored)

    def set_text(self, text: str, text_hash: str | None = None) -> bool:
        """The article's text changed while open (its file was edited): re-anchor everything against it.

        Returns whether any annotation moved or changed status (then the store is dirty; call ``save()``).
        """
        self.text = text
        self.text_hash = text_hash or content_hash(text)
        changed = False
        for annotation_id, annotation in list(self._annotations.items()):
            updated, _ = reanchor(annotation, text)
            if updated != annotation:
                self._annotations[annotation_id] = updated
                changed = True
        # The base is re-expressed in the new coordinates too, so that re-anchoring is not taken for an edit.
        self._base = {key: reanchor(value, text)[0] for key, value in self._base.items()}
        if changed:
            self.dirty = True
        return changed

    # ------------------------------------------------------------------ writing

    def _remove_own_temp_files(self) -> None:
        """Temporary files of this sidecar left by a killed writer (safe: called under the lock)."""
        for pattern in (f".{self.path.name}.*{TMP_SUFFIX}", f".{self.path.name}.bak.*{TMP_SUFFIX}"):
            for leftover in self.path.parent.glob(pattern):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def save(self) -> bool:
        """Write the sidecar if there is anything to write; returns whether a file was written.

        Merges first if the file changed on disk since it was read. Raises :class:`SidecarError` when the
        store is read-only or the write fails (the file is then unchanged and the edits stay in memory).
        """
        self._check_writable()
        if not self.dirty:
            return False
        with sidecar_lock(self.path, self.lock_timeout):
            self._remove_own_temp_files()
            try:
                read = read_sidecar_bytes(self.path)
                on_disk = None if read is None else read[1]
                if (on_disk is None) != (self._signature is None) or (
                    on_disk is not None
                    and self._signature is not None
                    and on_disk.sha256 != self._signature.sha256
                ):
                    document = None if read is None else parse_sidecar(read[0], self.path.name, strict=True)
                    self._merge_from_disk(document, on_disk)
            except SidecarError as exc:
                self.read_only_reason = exc.reason
                raise
            if read is None and not self._annotations:
                self.dirty = False  # nothing to keep, and no sidecar is created for nothing
                self._base = {}
                return False
            document = SidecarDocument(
                source=self.source.name,
                text_hash=self.text_hash,
                annotations=list(self._annotations.values()),
                extra=self._extra,
                raw_items=self._raw_items,
            )
            try:
                data = serialize_sidecar(document)
            except (UnicodeEncodeError, TypeError, ValueError) as exc:
                raise SidecarError(self.path.name, f"cannot be saved: {exc}") from exc
            try:
                atomic_write_bytes(self.path, data, backup=self.backup and read is not None)
            except OSError as exc:
                raise SidecarError(
                    self.path.name, f"could not be saved ({_os_reason(exc)}); the changes are kept to retry"
                ) from exc
            self._signature = bytes_signature(self.path, data)
        self._base = {key: _copy(value) for key, value in self._annotations.items()}
        self.dirty = False
        return True


def open_notes(article: Article, **options: Any) -> NotesStore:
    """The notes store of ``article`` (see :class:`NotesStore` for ``options``)."""
    return NotesStore(article.path, article.text, text_hash=article.content_hash or None, **options)
