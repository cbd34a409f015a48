"""Merging two versions of one article's annotations: this store's and the file on disk (three-way, with the
version both started from), or a sidecar and a sync tool's conflict copy of it (no common version known).

Rules, per annotation id, against the base (the version last read from or written to disk; empty when there
is none, as for a conflict copy):

- added on either side: kept (union);
- changed on one side only: that side's version; but a colour, note or tags value whose time is older
  than the base's is a stale version (a sync tool put an older file in place), and the newer value stays;
- without a base (a conflict copy), a field that one side never edited since the annotation was made holds
  the value both started from: the other side's value wins without a conflict;
- changed on both sides: field by field (position, colour, note, tags). A field changed differently on both
  sides takes the value of its **latest edit**: each field's time is its ``field_modified`` entry, or the
  annotation's ``modified`` when it has none (ties: this store's, or the sidecar's, value). The losing
  colour, note or tags value is kept on the annotation (``Annotation.conflicts``, for the user to review)
  and reported in a :class:`MergeConflict`; a losing position is reported. Nothing is dropped silently;
- deleted on one side and unchanged on the other: deleted (a deletion is not resurrected by the merge;
  a version a sync tool put in place that lacks it counts as a deletion: its conflict copy, which holds the
  annotation without a tombstone, brings it back when merged);
- deleted on one side but *edited* on the other since the base: the edit wins and the annotation is kept,
  with a conflict recorded: a note is never lost to a deletion the editor did not see.

Tombstones (``deleted``: id -> time of the deletion) of both sides are united, and then decide for the
annotations that either side still holds: one whose latest edit (``modified`` or any field time) is strictly
later than its tombstone was edited after the deletion, on a device that had not seen it: it comes back, its
tombstone is dropped, and a conflict is reported. Otherwise it stays deleted (an older copy from another
device does not bring it back). The result is the same on every device that merges the same two versions.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from reader.core.models import Annotation, KeptValue


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """An annotation changed in two places; ``kept`` is what the store now holds, ``discarded`` the other
    side's version (``None`` for a deletion that lost to an edit). Shown to the user; nothing is silent."""

    id: str
    reason: str
    kept: Annotation | None
    discarded: Annotation | None


@dataclass(slots=True)
class MergeResult:
    """What :func:`merge_sides` produced, and what it took from the other side."""

    annotations: dict[str, Annotation]
    #: The tombstones of the result (id -> time of the deletion).
    deleted: dict[str, str]
    conflicts: list[MergeConflict] = field(default_factory=list)
    #: Ids the other side added (absent here before).
    added: list[str] = field(default_factory=list)
    #: Ids present here whose values changed (some of the other side's edits were taken).
    changed: list[str] = field(default_factory=list)
    #: Ids removed here because the other side deleted them.
    removed: list[str] = field(default_factory=list)


#: Fields compared group by group; ``previous`` travels with the position group's values but is not compared
#: (its ``reanchored`` time differs between two re-anchorings to the same place).
_GROUPS: dict[str, tuple[str, ...]] = {
    "position": ("exact", "prefix", "suffix", "start", "end", "status"),
    "color": ("color",),
    "note": ("note",),
    "tags": ("tags",),
}
#: The groups whose losing values are kept on the annotation (``Annotation.conflicts``).
KEPT_FIELDS = ("color", "note", "tags")


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


def _latest(*stamps: str) -> str:
    best = ""
    for stamp in stamps:
        if stamp and (not best or _newer(stamp, best)):
            best = stamp
    return best


def field_time(annotation: Annotation, group: str) -> str:
    """When ``group`` (colour, note, tags, position) of ``annotation`` was last edited."""
    return annotation.field_modified.get(group) or annotation.modified


def last_edit(annotation: Annotation) -> str:
    """The time of the latest edit of any field of ``annotation``."""
    return _latest(annotation.modified, *annotation.field_modified.values())


def copy_annotation(annotation: Annotation) -> Annotation:
    return dataclasses.replace(
        annotation,
        tags=list(annotation.tags),
        field_modified=dict(annotation.field_modified),
        conflicts=list(annotation.conflicts),
    )


def _kept_value(group: str, annotation: Annotation) -> KeptValue:
    value = getattr(annotation, group)
    return KeptValue(group, tuple(value) if isinstance(value, list) else value, field_time(annotation, group))


def _current(annotation: Annotation, group: str) -> str | tuple[str, ...]:
    value = getattr(annotation, group)
    return tuple(value) if isinstance(value, list) else value


def _united_conflicts(result: Annotation, *sources: list[KeptValue]) -> list[KeptValue]:
    """The kept values of all ``sources`` once each (the latest time per value), minus current values."""
    by_value: dict[tuple[str, str | tuple[str, ...]], KeptValue] = {}
    for kept_values in sources:
        for kept in kept_values:
            key = (kept.field, kept.value)
            known = by_value.get(key)
            if known is None or _newer(kept.modified, known.modified):
                by_value[key] = kept
    live = [
        kept
        for kept in by_value.values()
        if kept.field not in KEPT_FIELDS or kept.value != _current(result, kept.field)
    ]
    return sorted(live, key=lambda kept: (kept.field, kept.modified, repr(kept.value)))


def _merge_one(
    annotation_id: str, b: Annotation | None, ours: Annotation, theirs: Annotation
) -> tuple[Annotation, MergeConflict | None]:
    """Both sides hold the annotation: field by field, the latest edit of each field wins."""
    changes: dict[str, Any] = {}
    times: dict[str, str] = {}
    lost: list[str] = []
    kept_values: list[KeptValue] = []
    loser: Annotation | None = None
    for group, names in _GROUPS.items():
        mine, other = _values(ours, names), _values(theirs, names)
        ours_time, theirs_time = field_time(ours, group), field_time(theirs, group)
        if mine == other:
            times[group] = _latest(ours_time, theirs_time)
            continue
        base_values = _values(b, names) if b is not None else None
        if b is None and group != "position":
            # No common version: a field never edited since the annotation was made still holds the value
            # both sides started from, so the other side's value is an edit of it, not a rival.
            if not _newer(theirs_time, theirs.created):
                base_values = other
            elif not _newer(ours_time, ours.created):
                base_values = mine
        if other == base_values:
            times[group] = ours_time  # only we changed it
            continue
        if (
            b is not None
            and mine == base_values
            and group != "position"
            and _newer(field_time(b, group), theirs_time)
        ):
            times[group] = ours_time  # the other side holds an older value than the base: a stale version
            continue
        if mine != base_values and not _newer(theirs_time, ours_time):
            times[group] = ours_time  # both changed it, ours is the latest (or as late)
            lost.append(group)
            if group in KEPT_FIELDS:
                kept_values.append(_kept_value(group, theirs))
            loser = loser or theirs
            continue
        changes.update(dict(zip(names, other, strict=True)))
        times[group] = theirs_time
        if mine != base_values:
            lost.append(group)
            if group in KEPT_FIELDS:
                kept_values.append(_kept_value(group, ours))
            loser = loser or ours
    if "exact" in changes:  # the other side's position: with its record of the words before
        changes["previous"] = theirs.previous
    tags = list(changes.pop("tags", ours.tags))
    result = dataclasses.replace(ours, **changes, tags=tags)
    result.modified = _latest(ours.modified, theirs.modified)
    result.created = theirs.created if _newer(ours.created, theirs.created) else ours.created
    explicit = set(ours.field_modified) | set(theirs.field_modified)
    others = {**theirs.field_modified, **ours.field_modified}  # times of fields this version does not know
    result.field_modified = {
        **{k: v for k, v in others.items() if k not in _GROUPS},
        **{group: times[group] for group in _GROUPS if group in explicit},
    }
    result.conflicts = _united_conflicts(result, ours.conflicts, theirs.conflicts, kept_values)
    if not lost:
        return result, None
    conflict = MergeConflict(
        annotation_id,
        f"changed in two places ({', '.join(lost)}); kept the latest edit of each",
        copy_annotation(result),
        copy_annotation(loser) if loser is not None else None,
    )
    return result, conflict


def merge_sides(
    base: dict[str, Annotation],
    local: dict[str, Annotation],
    other: dict[str, Annotation],
    *,
    local_deleted: dict[str, str] | None = None,
    other_deleted: dict[str, str] | None = None,
    where: str = "in another window or program",
) -> MergeResult:
    """Merge ``other`` into ``local`` (see the module documentation); ``base`` is empty when unknown."""
    merged: dict[str, Annotation] = {}
    conflicts: list[MergeConflict] = []
    kept_over_deletion: set[str] = set()
    for annotation_id in sorted({*base, *local, *other}):
        b, ours, theirs = base.get(annotation_id), local.get(annotation_id), other.get(annotation_id)
        if ours is None and theirs is None:
            continue
        if ours is None or theirs is None:
            present = ours if ours is not None else theirs
            assert present is not None
            if b is None:  # added on one side
                merged[annotation_id] = copy_annotation(present)
            elif _user_key(present) != _user_key(b):  # deleted on one side, edited on the other
                merged[annotation_id] = copy_annotation(present)
                kept_over_deletion.add(annotation_id)
                side = "here" if ours is not None else where
                reason = f"deleted in one place but edited {side}; kept"
                conflicts.append(MergeConflict(annotation_id, reason, present, None))
            continue  # otherwise: deleted, and unchanged elsewhere
        if ours == theirs:
            merged[annotation_id] = copy_annotation(ours)
            continue
        merged[annotation_id], conflict = _merge_one(annotation_id, b, ours, theirs)
        if conflict is not None:
            conflicts.append(conflict)
    deleted = dict(local_deleted or {})
    for annotation_id, stamp in (other_deleted or {}).items():
        deleted[annotation_id] = _latest(stamp, deleted.get(annotation_id, ""))
    removed: list[str] = []
    for annotation_id, stamp in sorted(deleted.items()):
        annotation = merged.get(annotation_id)
        if annotation is None:
            continue
        if annotation_id in kept_over_deletion:
            del deleted[annotation_id]
        elif _newer(last_edit(annotation), stamp):
            del deleted[annotation_id]
            conflicts.append(
                MergeConflict(
                    annotation_id,
                    f"deleted at {stamp} but edited after that on another device; kept",
                    copy_annotation(annotation),
                    None,
                )
            )
        else:
            del merged[annotation_id]
            if annotation_id in local:
                removed.append(annotation_id)
    return MergeResult(
        annotations=merged,
        deleted=deleted,
        conflicts=conflicts,
        added=sorted(i for i in merged if i not in local),
        changed=sorted(i for i in merged if i in local and merged[i] != local[i]),
        removed=removed,
    )


def merge_annotations(
    base: dict[str, Annotation], local: dict[str, Annotation], disk: dict[str, Annotation]
) -> tuple[dict[str, Annotation], list[MergeConflict]]:
    """Three-way merge of annotation sets by id, without tombstones (see :func:`merge_sides`)."""
    result = merge_sides(base, local, disk)
    return result.annotations, result.conflicts
