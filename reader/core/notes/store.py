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
  Sync tools take no lock: just before the final rename the file is checked again, and if it was replaced
  meanwhile the write is dropped and the merge done again (:data:`SAVE_ATTEMPTS` times at most).
- **Deletions travel.** Deleting an annotation that was on disk leaves a tombstone (its id and the time) in
  the sidecar, so that merging an older copy (:meth:`~NotesStore.merge_copy`, a sync tool's conflict copy)
  does not bring it back; restoring it (:meth:`~NotesStore.put`, undo) drops the tombstone. Edits stamp each
  changed field's time (``field_modified``), so that the latest edit of each field wins a merge.
- **No sidecar for an article without annotations.** Deleting the last annotation of an existing sidecar
  writes an empty ``annotations`` list: a user's file is never deleted.

Merging follows the rules of :mod:`.merge`; the lock is :mod:`.locking`'s.

Positions are re-anchored (:mod:`.anchoring`) whenever the sidecar's ``text_hash`` differs from
the current text's (:attr:`NotesStore.reanchored` says which annotations changed). What that changed is
saved at once when ``persist_reanchoring`` is true (the window), otherwise with the next successful ``save()``
(the command line: a read-only or failed command writes nothing; ``notes reanchor`` saves on purpose).

A store is meant to be used from one thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reader.core.atomic import TMP_SUFFIX, atomic_write_bytes, clean_stale_temp_files
from reader.core.errors import SidecarError
from reader.core.models import COLORS, AnchorStatus, Annotation, Article
from reader.core.notes.anchoring import (
    find_quote,
    make_annotation,
    normalize_tags,
    reanchor,
    requote,
    retarget,
    timestamp,
)
from reader.core.notes.locking import LOCK_TIMEOUT, lock_path, os_reason, sidecar_lock
from reader.core.notes.merge import (
    MergeConflict,
    MergeResult,
    copy_annotation,
    merge_annotations,
    merge_sides,
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

#: How many times a save merges again when another program replaced the file while it was being written.
SAVE_ATTEMPTS = 5


class _ReplacedMeanwhileError(Exception):
    """The sidecar changed between the check before a write and the write's final rename."""


#: The fields an edit (:meth:`NotesStore.update`) stamps with their own time.
_EDITED_FIELDS = ("color", "note", "tags")


def content_hash(text: str) -> str:
    """``sha256:<hex>`` of ``text`` as UTF-8 (the same as :attr:`Article.content_hash`)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


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
        #: Annotations that re-anchoring moved or changed (id -> new status), since the store was opened.
        self.reanchored: dict[str, AnchorStatus] = {}
        self._annotations: dict[str, Annotation] = {}
        self._base: dict[str, Annotation] = {}
        self._signature: FileSignature | None = None
        self._extra: dict[str, Any] = {}
        self._raw_items: dict[str, dict[str, Any]] = {}
        #: Tombstones: id of each deleted annotation -> when it was deleted.
        self._deleted: dict[str, str] = {}
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
                # A fuzzy note of a sidecar written before issue 15 still quotes its old words: requoted.
                updated = requote(annotation, self.text, text_hash=document.text_hash)
                if updated != annotation:
                    changed = True
                    self.reanchored[annotation.id] = updated.status
                result[annotation.id] = updated
                continue
            updated, _ = reanchor(annotation, self.text, text_hash=document.text_hash)
            if updated != annotation:
                changed = True
                self.reanchored[annotation.id] = updated.status
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
        self._deleted = dict(document.deleted)
        view, changed = self._anchored_view(document)
        self._base = {key: copy_annotation(value) for key, value in view.items()}
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
        disk_deleted: dict[str, str] = {}
        if document is not None:
            self._adopt(document)
            disk, _ = self._anchored_view(document)
            disk_deleted = document.deleted
        if self.dirty:
            result = merge_sides(
                self._base,
                self._annotations,
                disk,
                local_deleted=self._deleted,
                other_deleted=disk_deleted,
            )
            for conflict in result.conflicts:
                log.warning("notes of %s: %s: %s", self.source.name, conflict.id, conflict.reason)
            self.conflicts.extend(result.conflicts)
            self._annotations = result.annotations
            self._deleted = result.deleted
        else:
            self._annotations = {key: copy_annotation(value) for key, value in disk.items()}
            self._deleted = dict(disk_deleted)
        self._base = {key: copy_annotation(value) for key, value in disk.items()}
        self._signature = signature

    def merge_copy(self, document: SidecarDocument, where: str = "on another device") -> MergeResult:
        """Merge another version of this sidecar (a sync tool's conflict copy, already parsed) into memory.

        There is no common base: annotations are united by id, each field takes its latest edit, the
        tombstones of both decide deletions (see :mod:`.merge`). Conflicts are added to :attr:`conflicts`.
        The store is dirty afterwards when anything changed; ``save()`` writes it. Raises
        :class:`SidecarError` when read-only.
        """
        self._check_writable()
        other, _ = self._anchored_view(document)
        result = merge_sides(
            {},
            self._annotations,
            other,
            local_deleted=self._deleted,
            other_deleted=document.deleted,
            where=where,
        )
        for conflict in result.conflicts:
            log.warning("notes of %s: %s: %s", self.source.name, conflict.id, conflict.reason)
        self.conflicts.extend(result.conflicts)
        for annotation_id, raw in document.raw_items.items():
            self._raw_items.setdefault(annotation_id, raw)
        for key, value in document.extra.items():
            self._extra.setdefault(key, value)
        if result.annotations != self._annotations or result.deleted != self._deleted:
            self._annotations = result.annotations
            self._deleted = result.deleted
            self.dirty = True
        return result

    def tombstones(self) -> dict[str, str]:
        """The deleted annotations' ids and deletion times this store knows of."""
        return dict(self._deleted)

    # ------------------------------------------------------------------ queries

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def annotations(self) -> list[Annotation]:
        """All annotations in text order (orphans included, at their last known position); copies."""
        return [copy_annotation(a) for a in sorted(self._annotations.values(), key=text_order_key)]

    def anchored(self) -> list[Annotation]:
        """The annotations shown in the text (status anchored, moved or fuzzy), in text order."""
        return [a for a in self.annotations() if a.status != "orphaned"]

    def orphans(self) -> list[Annotation]:
        """Annotations whose passage could not be found; the UI offers to reattach or delete them."""
        return [a for a in self.annotations() if a.status == "orphaned"]

    def get(self, annotation_id: str) -> Annotation:
        """A copy of one annotation. Raises ``KeyError`` for an unknown id."""
        return copy_annotation(self._annotations[annotation_id])

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
        return copy_annotation(annotation)

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
            now = timestamp()
            # Each field's own time: the ones not edited now keep the time they were last edited.
            times = {name: current.field_modified.get(name) or current.modified for name in _EDITED_FIELDS}
            for name in _EDITED_FIELDS:
                if getattr(updated, name) != getattr(current, name):
                    times[name] = now
            updated.field_modified = {**current.field_modified, **times}
            updated.modified = now
            self._annotations[annotation_id] = updated
            self.dirty = True
        return copy_annotation(updated)

    def delete(self, annotation_id: str) -> None:
        """Remove an annotation. Raises ``KeyError`` for an unknown id."""
        self._check_writable()
        del self._annotations[annotation_id]
        if annotation_id in self._base:  # it was on disk: the deletion must travel (a tombstone)
            self._deleted[annotation_id] = timestamp()
        self.dirty = True

    def reattach(self, annotation_id: str, start: int, end: int) -> Annotation:
        """Attach an annotation (typically an orphan, or to confirm a fuzzy match) to ``text[start:end]``:
        new quote and context, status anchored; note, colour and tags kept."""
        self._check_writable()
        updated = retarget(self._annotations[annotation_id], self.text, start, end)
        updated.field_modified = {**updated.field_modified, "position": updated.modified}
        self._annotations[annotation_id] = updated
        self.dirty = True
        return copy_annotation(updated)

    def put(self, annotation: Annotation, *, touch: bool = False) -> Annotation:
        """Insert or replace a whole annotation by id (undo/redo, imports). A copy is stored as given;
        ``touch=True`` stamps ``modified`` with now, so that a merge sees it as the newest edit."""
        self._check_writable()
        stored = copy_annotation(annotation)
        if touch or stored.id in self._deleted:  # a restored annotation is edited after its deletion
            stored.modified = timestamp()
            self._deleted.pop(stored.id, None)
        self._annotations[stored.id] = stored
        self.dirty = True
        return copy_annotation(stored)

    def set_text(self, text: str, text_hash: str | None = None) -> bool:
        """The article's text changed while open (its file was edited): re-anchor everything against it.

        Returns whether any annotation moved or changed status (then the store is dirty; call ``save()``).
        """
        old_hash = self.text_hash
        self.text = text
        self.text_hash = text_hash or content_hash(text)
        changed = False
        for annotation_id, annotation in list(self._annotations.items()):
            updated, _ = reanchor(annotation, text, text_hash=old_hash)
            if updated != annotation:
                self._annotations[annotation_id] = updated
                self.reanchored[annotation_id] = updated.status
                changed = True
        # The base is re-expressed in the new coordinates too, so that re-anchoring is not taken for an edit.
        self._base = {key: reanchor(value, text, text_hash=old_hash)[0] for key, value in self._base.items()}
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

    def _write_once(self) -> bool | None:
        """Under the lock: merge with the file if it changed, then write. Returns whether a file was written,
        or ``None`` when another program (a sync tool, which takes no lock) replaced the file meanwhile: the
        write is then not made (it would drop that version) and the caller merges again."""
        try:
            read = read_sidecar_bytes(self.path)
            on_disk = None if read is None else read[1]
            known = self._signature
            if (on_disk is None) != (known is None) or (
                on_disk is not None and known is not None and on_disk.sha256 != known.sha256
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
            deleted=self._deleted,
        )
        try:
            data = serialize_sidecar(document)
        except (UnicodeEncodeError, TypeError, ValueError) as exc:
            raise SidecarError(self.path.name, f"cannot be saved: {exc}") from exc

        def still_as_read() -> None:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                if on_disk is not None:
                    raise _ReplacedMeanwhileError from None
                return
            if on_disk is None or not on_disk.same_stat(stat):
                raise _ReplacedMeanwhileError

        try:
            atomic_write_bytes(
                self.path, data, backup=self.backup and read is not None, before_replace=still_as_read
            )
        except _ReplacedMeanwhileError:
            log.info("%s was replaced while being saved; merging again", self.path.name)
            return None
        except OSError as exc:
            raise SidecarError(
                self.path.name, f"could not be saved ({os_reason(exc)}); the changes are kept to retry"
            ) from exc
        self._signature = bytes_signature(self.path, data)
        return True

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
            for _attempt in range(SAVE_ATTEMPTS):
                written = self._write_once()
                if written is not None:
                    break
            else:
                raise SidecarError(
                    self.path.name,
                    "could not be saved: another program keeps replacing it; the changes are kept to retry",
                )
            if not written:
                return False
        self._base = {key: copy_annotation(value) for key, value in self._annotations.items()}
        self.dirty = False
        return True


def open_notes(article: Article, **options: Any) -> NotesStore:
    """The notes store of ``article`` (see :class:`NotesStore` for ``options``)."""
    return NotesStore(article.path, article.text, text_hash=article.content_hash or None, **options)


__all__ = [
    "LOCK_TIMEOUT",
    "MergeConflict",
    "NotesStore",
    "content_hash",
    "lock_path",
    "merge_annotations",
    "open_notes",
]
