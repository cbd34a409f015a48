"""Notes sidecars: ``<source file name>.notes.json`` next to each source file.

The file format (version 2; version 1 had no ``article`` section, tombstones or per-field times),
pretty-printed UTF-8 JSON with a trailing newline, keys in a fixed order::

    {
      "format": "research-notes-reader/notes",
      "version": 1,
      "source": "a.txt",
      "text_hash": "sha256:<hex of the canonical text>",
      "annotations": [
        {
          "id": "<uuid>",
          "status": "anchored",
          "color": "yellow",
          "tags": ["method"],
          "note": "Markdown **note**",
          "target": {
            "selector": [
              {"type": "TextQuoteSelector", "exact": "...", "prefix": "...", "suffix": "..."},
              {"type": "TextPositionSelector", "start": 120, "end": 164}
            ]
          },
          "created": "2025-01-02T03:04:05.678Z",
          "modified": "2025-01-02T03:04:05.678Z",
          "previous": {"exact": "...", "prefix": "...", "suffix": "...", "start": 118, "end": 162,
                       "text_hash": "sha256:<hex>", "reanchored": "2025-02-03T04:05:06.789Z"},
          "field_modified": {"color": "2025-01-02T03:04:05.678Z", "note": "2025-01-03T09:00:00.000Z",
                             "tags": "2025-01-02T03:04:05.678Z"},
          "conflicts": [{"field": "note", "value": "the other device's note", "modified": "..."}]
        }
      ],
      "deleted": [{"id": "<uuid>", "deleted": "2025-01-04T05:06:07.890Z"}]
    }

- ``source`` is informational: a sidecar belongs to the file whose name it carries minus ``.notes.json``; a
  path written inside it is never followed.
- ``text_hash`` is the hash of the canonical text the positions refer to.
- Annotations are kept in text order. Keys this version does not know (at the top, in an annotation, in its
  target or selectors, and whole selectors of other types) are kept as they were when the file is rewritten.
- ``start``/``end`` are code points in the canonical text; ``prefix``/``suffix`` are about 32 code points.
  The quote and the position describe the text of ``text_hash``: ``exact == text[start:end]``. The one
  exception is an ``orphaned`` annotation, whose passage is no longer in the text: it keeps its last known
  quote and position.
- ``previous`` (optional) is what the passage said before an approximate re-anchoring (status ``fuzzy``)
  moved the quote to the current words: the old quote, context and position, the ``text_hash`` they
  referred to and when it happened. It is dropped when the user reattaches the annotation. Sidecars without
  it read as before.
- ``field_modified`` (optional, version 2) says when each field (``color``, ``note``, ``tags``, and
  ``position`` after a reattachment) was last edited; a field without one was last edited at ``modified``.
  When the same annotation was edited on two devices, each field takes the value of its latest edit
  (:mod:`reader.core.notes.merge`).
- ``conflicts`` (optional, version 2): values that lost such a merge because the same field was edited
  differently on both devices (``value`` is a string, a list for tags). They are kept for the user to
  review, never dropped by the reader.
- ``via`` (optional): where an imported note came from, the source record's IRI or key (W3C ``via``).
- ``deleted`` (optional, version 2): tombstones, one per deleted annotation (its id and the RFC 3339 time of
  the deletion), so that merging an older copy of the file (a sync tool's conflict copy) does not bring a
  deleted note back. An annotation edited *after* its tombstone's time on another device comes back (its
  tombstone is then dropped). Tombstones older than :data:`TOMBSTONE_DAYS` days are dropped when the file
  is written: a copy older than that could bring a note back.
- Version 1 files (no ``field_modified``, ``conflicts`` or ``deleted``) read as before; the reader writes
  version 2. A reader that only knows version 1 leaves a version 2 file untouched.

- ``article`` (optional, version 2): the user's data about the whole article (tags, reading status, star,
  position, metadata edits), documented and edited by :mod:`reader.core.notes.article_data`; this module
  keeps it as an unknown top-level key.

This module only reads and writes the format; :mod:`reader.core.notes.store` holds the store that edits it.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from reader.core.errors import SidecarError
from reader.core.models import AnchorStatus, Annotation, KeptValue, PreviousTarget

SIDECAR_SUFFIX = ".notes.json"
FORMAT = "research-notes-reader/notes"
VERSION = 2
#: Tombstones of deleted annotations are kept this many days, then dropped when the sidecar is written.
TOMBSTONE_DAYS = 90
STATUSES: tuple[str, ...] = get_args(AnchorStatus)

_TOP_KEYS = ("format", "version", "source", "text_hash", "annotations", "deleted")
_ANNOTATION_KEYS = (
    "id",
    "status",
    "color",
    "tags",
    "note",
    "target",
    "created",
    "modified",
    "previous",
    "via",
    "field_modified",
    "conflicts",
)


def sidecar_path(source: Path) -> Path:
    """``a.txt`` -> ``a.txt.notes.json`` in the same folder."""
    source = Path(source)
    return source.with_name(source.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return Path(path).name.endswith(SIDECAR_SUFFIX)


def source_path(sidecar: Path) -> Path:
    """The source file a sidecar belongs to: its own name minus ``.notes.json`` (``a.txt.notes.json`` ->
    ``a.txt``)."""
    sidecar = Path(sidecar)
    if not is_sidecar(sidecar):
        raise ValueError(f"not a sidecar name: {sidecar.name}")
    return sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)])


def count_annotations(source: Path) -> int:
    """How many annotations the sidecar of ``source`` holds; 0 when there is none or it cannot be parsed."""
    try:
        data = json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    items = data.get("annotations") if isinstance(data, dict) else None
    return len(items) if isinstance(items, list) else 0


def load_annotations(source: Path) -> list[Annotation]:
    """The annotations stored beside ``source``; ``[]`` when it has no sidecar.

    Lenient about optional fields (``color``, ``note``, ``tags``, ``status`` take their defaults when
    missing), strict about types. Raises :class:`SidecarError` when the sidecar exists but cannot be parsed.
    """
    path = sidecar_path(source)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SidecarError(path.name, f"cannot be read: {exc.strerror or exc}") from exc
    return parse_sidecar(raw, path.name, strict=False).annotations


# --------------------------------------------------------------------------------------------- the document


@dataclass(slots=True)
class SidecarDocument:
    """A parsed sidecar: its annotations plus whatever it holds that this version does not interpret."""

    source: str
    text_hash: str
    annotations: list[Annotation] = field(default_factory=list)
    #: Unknown top-level keys, kept on rewrite.
    extra: dict[str, Any] = field(default_factory=dict)
    #: The JSON object each annotation was read from, by id (its unknown keys are kept on rewrite).
    raw_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Tombstones: the id of each deleted annotation -> when it was deleted (RFC 3339).
    deleted: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileSignature:
    """What a file looked like when last read or written: a change to any of these means it changed."""

    mtime_ns: int
    size: int
    sha256: str
    #: An atomic replace (what editors and sync tools do) always changes the inode, and any write the ctime,
    #: even when a tool restores the modification time and the size happens to be equal.
    ino: int = 0
    ctime_ns: int = 0

    def same_stat(self, stat: os.stat_result) -> bool:
        return (self.mtime_ns, self.size, self.ino, self.ctime_ns) == (
            stat.st_mtime_ns,
            stat.st_size,
            stat.st_ino,
            stat.st_ctime_ns,
        )


def bytes_signature(path: Path, data: bytes) -> FileSignature | None:
    """The signature of ``path`` (stat now) known to hold ``data``; ``None`` when it does not exist."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return FileSignature(
        stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest(), stat.st_ino, stat.st_ctime_ns
    )


def read_sidecar_bytes(path: Path) -> tuple[bytes, FileSignature] | None:
    """The bytes of a sidecar and their signature, or ``None`` when there is no file.

    Raises :class:`SidecarError` when it exists but cannot be read.
    """
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SidecarError(Path(path).name, f"cannot be read: {exc.strerror or exc}") from exc
    return data, FileSignature(
        stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest(), stat.st_ino, stat.st_ctime_ns
    )


class _InvalidError(Exception):
    """A reason a sidecar is not valid (turned into a :class:`SidecarError`)."""


def _expect(value: object, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _InvalidError(
            f"{what} should be {_ARTICLE.get(names, 'a ' + names)}, not {type(value).__name__}"
        )
    return value


_ARTICLE = {"int": "an integer", "str": "a string", "list": "a list", "dict": "an object"}


def _field(item: dict[str, Any], key: str, kind: type, where: str, default: Any, strict: bool) -> Any:
    if key not in item:
        if strict or default is None:
            raise _InvalidError(f"{where}: missing field {key!r}")
        return copy.copy(default)
    return _expect(item[key], kind, f"{where}: {key!r}")


def _previous_from_json(value: object, where: str) -> PreviousTarget | None:
    if value is None:
        return None
    where = f"{where}: 'previous'"
    previous = _expect(value, dict, where)
    start = _expect(previous.get("start"), int, f"{where}.start")
    end = _expect(previous.get("end"), int, f"{where}.end")
    if not 0 <= start <= end:
        raise _InvalidError(f"{where}: invalid position {start}-{end}")
    return PreviousTarget(
        exact=_expect(previous.get("exact"), str, f"{where}.exact"),
        prefix=_expect(previous.get("prefix", ""), str, f"{where}.prefix"),
        suffix=_expect(previous.get("suffix", ""), str, f"{where}.suffix"),
        start=start,
        end=end,
        text_hash=_expect(previous.get("text_hash", ""), str, f"{where}.text_hash"),
        reanchored=_expect(previous.get("reanchored", ""), str, f"{where}.reanchored"),
    )


def _previous_to_json(previous: PreviousTarget) -> dict[str, Any]:
    return {
        "exact": previous.exact,
        "prefix": previous.prefix,
        "suffix": previous.suffix,
        "start": previous.start,
        "end": previous.end,
        "text_hash": previous.text_hash,
        "reanchored": previous.reanchored,
    }


def _field_times_from_json(value: object, where: str) -> dict[str, str]:
    times = _expect(value, dict, f"{where}: 'field_modified'")
    for key, stamp in times.items():
        _expect(stamp, str, f"{where}: 'field_modified.{key}'")
    return dict(times)


def _conflicts_from_json(value: object, where: str) -> list[KeptValue]:
    result: list[KeptValue] = []
    for entry in _expect(value, list, f"{where}: 'conflicts'"):
        entry = _expect(entry, dict, f"{where}: a conflict")
        name = _expect(entry.get("field"), str, f"{where}: a conflict's 'field'")
        raw = _expect(entry.get("value"), (str, list), f"{where}: a conflict's 'value'")
        if isinstance(raw, list):
            for tag in raw:
                _expect(tag, str, f"{where}: a conflict's tag")
        stamp = _expect(entry.get("modified", ""), str, f"{where}: a conflict's 'modified'")
        result.append(KeptValue(name, tuple(raw) if isinstance(raw, list) else raw, stamp))
    return result


def _conflict_to_json(kept: KeptValue) -> dict[str, Any]:
    value = list(kept.value) if isinstance(kept.value, tuple) else kept.value
    return {"field": kept.field, "value": value, "modified": kept.modified}


def _tombstones_from_json(value: object) -> dict[str, str]:
    deleted: dict[str, str] = {}
    for index, entry in enumerate(_expect(value, list, "'deleted'")):
        entry = _expect(entry, dict, f"tombstone {index + 1}")
        annotation_id = _expect(entry.get("id"), str, f"tombstone {index + 1}: 'id'")
        stamp = _expect(entry.get("deleted"), str, f"tombstone {index + 1}: 'deleted'")
        if annotation_id and stamp > deleted.get(annotation_id, ""):
            deleted[annotation_id] = stamp
    return deleted


def _annotation_from_json(item: object, index: int, strict: bool) -> Annotation:
    where = f"annotation {index + 1}"
    if not isinstance(item, dict):
        raise _InvalidError(f"{where} should be an object, not {type(item).__name__}")
    annotation_id = _field(item, "id", str, where, None, strict)
    if not annotation_id:
        raise _InvalidError(f"{where}: empty 'id'")
    created = _field(item, "created", str, where, None, strict)
    modified = _field(item, "modified", str, where, None, strict)
    color = _field(item, "color", str, where, "yellow", strict)
    note = _field(item, "note", str, where, "", strict)
    tags = _field(item, "tags", list, where, [], strict)
    for tag in tags:
        _expect(tag, str, f"{where}: a tag")
    status = _field(item, "status", str, where, "anchored", strict)
    if status not in STATUSES:
        raise _InvalidError(f"{where}: unknown status {status!r}")
    target = _field(item, "target", dict, where, None, strict)
    selectors = _expect(target.get("selector"), list, f"{where}: 'target.selector'")
    quote = position = None
    for selector in selectors:
        if isinstance(selector, dict) and selector.get("type") == "TextQuoteSelector" and quote is None:
            quote = selector
        elif (
            isinstance(selector, dict) and selector.get("type") == "TextPositionSelector" and position is None
        ):
            position = selector
    if quote is None:
        raise _InvalidError(f"{where}: no TextQuoteSelector")
    if position is None:
        raise _InvalidError(f"{where}: no TextPositionSelector")
    exact = _expect(quote.get("exact"), str, f"{where}: 'exact'")
    prefix = _expect(quote.get("prefix", ""), str, f"{where}: 'prefix'")
    suffix = _expect(quote.get("suffix", ""), str, f"{where}: 'suffix'")
    start = _expect(position.get("start"), int, f"{where}: 'start'")
    end = _expect(position.get("end"), int, f"{where}: 'end'")
    if not 0 <= start <= end:
        raise _InvalidError(f"{where}: invalid position {start}-{end}")
    return Annotation(
        exact=exact,
        start=start,
        end=end,
        prefix=prefix,
        suffix=suffix,
        color=color,
        note=note,
        tags=list(tags),
        id=annotation_id,
        created=created,
        modified=modified,
        status=status,
        previous=_previous_from_json(item.get("previous"), where),
        field_modified=_field_times_from_json(item["field_modified"], where)
        if "field_modified" in item
        else {},
        conflicts=_conflicts_from_json(item["conflicts"], where) if "conflicts" in item else [],
        via=item["via"] if isinstance(item.get("via"), str) else "",
    )


def parse_sidecar(data: bytes, name: str, *, strict: bool = True) -> SidecarDocument:
    """Parse the bytes of a sidecar called ``name``. Raises :class:`SidecarError` with a one-line reason.

    ``strict`` (what the store uses before it may rewrite a file) requires ``format``, ``version`` and every
    annotation field; non-strict (for readers such as the indexer) fills in optional annotation fields.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarError(name, f"cannot be parsed: not valid UTF-8 (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise SidecarError(name, "cannot be parsed: the file is empty")
    try:
        top = json.loads(text)
    except ValueError as exc:
        raise SidecarError(name, f"cannot be parsed: invalid JSON ({exc})") from exc
    try:
        top = _expect(top, dict, "the top level")
        if "format" in top or strict:
            fmt = top.get("format")
            if fmt != FORMAT:
                raise _InvalidError(f"'format' is {fmt!r}, expected {FORMAT!r}")
        if "version" in top or strict:
            version = _expect(top.get("version"), int, "'version'")  # 1 and 2 read alike
            if version > VERSION:
                raise _InvalidError(
                    f"written by a newer version of the reader (format version {version}; this one reads "
                    f"version {VERSION}); left untouched"
                )
            if version < 1:
                raise _InvalidError(f"unknown format version {version}")
        source = _expect(top.get("source", ""), str, "'source'")
        text_hash = _expect(top.get("text_hash", ""), str, "'text_hash'")
        items = _expect(top.get("annotations"), list, "'annotations'")
        document = SidecarDocument(source=source, text_hash=text_hash)
        for index, item in enumerate(items):
            annotation = _annotation_from_json(item, index, strict)
            if annotation.id in document.raw_items:
                raise _InvalidError(f"annotation {index + 1}: duplicate id {annotation.id!r}")
            document.annotations.append(annotation)
            document.raw_items[annotation.id] = item
        if "deleted" in top:
            document.deleted = _tombstones_from_json(top["deleted"])
        document.extra = {key: value for key, value in top.items() if key not in _TOP_KEYS}
    except _InvalidError as exc:
        raise SidecarError(name, f"cannot be parsed: {exc}") from exc
    return document


def text_order_key(annotation: Annotation) -> tuple[int, int, str, str]:
    return annotation.start, annotation.end, annotation.created, annotation.id


def _annotation_to_json(annotation: Annotation, raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    raw_target = raw.get("target") if isinstance(raw.get("target"), dict) else {}
    assert isinstance(raw_target, dict)
    raw_selectors = raw_target.get("selector") if isinstance(raw_target.get("selector"), list) else []
    assert isinstance(raw_selectors, list)
    quote: dict[str, Any] = {}
    position: dict[str, Any] = {}
    others: list[Any] = []
    for selector in raw_selectors:
        kind = selector.get("type") if isinstance(selector, dict) else None
        if kind == "TextQuoteSelector" and not quote:
            quote = selector
        elif kind == "TextPositionSelector" and not position:
            position = selector
        else:
            others.append(copy.deepcopy(selector))
    quote_json = {
        "type": "TextQuoteSelector",
        "exact": annotation.exact,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
    }
    quote_json.update({k: copy.deepcopy(v) for k, v in quote.items() if k not in quote_json})
    position_json: dict[str, Any] = {
        "type": "TextPositionSelector",
        "start": annotation.start,
        "end": annotation.end,
    }
    position_json.update({k: copy.deepcopy(v) for k, v in position.items() if k not in position_json})
    target: dict[str, Any] = {"selector": [quote_json, position_json, *others]}
    target.update({k: copy.deepcopy(v) for k, v in raw_target.items() if k != "selector"})
    result: dict[str, Any] = {
        "id": annotation.id,
        "status": annotation.status,
        "color": annotation.color,
        "tags": list(annotation.tags),
        "note": annotation.note,
        "target": target,
        "created": annotation.created,
        "modified": annotation.modified,
    }
    if annotation.previous is not None:
        result["previous"] = _previous_to_json(annotation.previous)
    if annotation.field_modified:
        result["field_modified"] = dict(sorted(annotation.field_modified.items()))
    if annotation.conflicts:
        result["conflicts"] = [_conflict_to_json(kept) for kept in annotation.conflicts]
    if annotation.via:
        result["via"] = annotation.via
    result.update({k: copy.deepcopy(v) for k, v in raw.items() if k not in _ANNOTATION_KEYS})
    return result


def live_tombstones(deleted: dict[str, str], now: _dt.datetime | None = None) -> dict[str, str]:
    """The tombstones of ``deleted`` younger than :data:`TOMBSTONE_DAYS` days (an unreadable time is kept)."""
    limit = (now or _dt.datetime.now(_dt.UTC)) - _dt.timedelta(days=TOMBSTONE_DAYS)
    kept: dict[str, str] = {}
    for annotation_id, stamp in deleted.items():
        try:
            when = _dt.datetime.fromisoformat(stamp)
        except ValueError:
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=_dt.UTC)
        if when is None or when >= limit:
            kept[annotation_id] = stamp
    return kept


def serialize_sidecar(document: SidecarDocument, now: _dt.datetime | None = None) -> bytes:
    """The bytes of a sidecar for ``document`` (fixed key order, annotations in text order); tombstones
    older than :data:`TOMBSTONE_DAYS` days (before ``now``) are dropped."""
    deleted = live_tombstones(document.deleted, now)
    live = {annotation.id for annotation in document.annotations}
    top: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "source": document.source,
        "text_hash": document.text_hash,
        "annotations": [
            _annotation_to_json(annotation, document.raw_items.get(annotation.id))
            for annotation in sorted(document.annotations, key=text_order_key)
        ],
    }
    tombstones = [
        {"id": annotation_id, "deleted": stamp}
        for annotation_id, stamp in sorted(deleted.items())
        if annotation_id not in live
    ]
    if tombstones:
        top["deleted"] = tombstones
    top.update({k: v for k, v in document.extra.items() if k not in _TOP_KEYS})
    return (json.dumps(top, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
