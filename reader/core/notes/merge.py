"""Three-way merge of one article's annotations: this store's edits, the file on disk, and their common base.

Rules, per annotation id, against the version last read from or written to disk (the base):

- added on either side: kept (union);
- changed on one side only: that side's version;
- changed on both sides: field by field (position, colour, note, tags); a field changed differently on both
  sides takes the value from the side with the newer ``modified`` (ties: this store's edit). The losing value
  is recorded in a :class:`MergeConflict` and logged, never dropped silently;
- deleted on one side and unchanged on the other: deleted (a deletion is not resurrected by the merge);
- deleted on one side but *edited* on the other since: the edit wins and the annotation is kept, with a
  conflict recorded: a note is never lost to a deletion the editor did not see.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from reader.core.models import Annotation


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """An annotation changed in two places; ``kept`` is what the store now holds, ``discarded`` the other
    side's version (``None`` for a deletion that lost to an edit). Shown to the user; nothing is silent."""

    id: str
    reason: str
    kept: Annotation | None
    discarded: Annotation | None


#: Fields compared group by group; ``previous`` travels with the position group's values but is not compared
#: (its ``reanchored`` time differs between two re-anchorings to the same place).
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


def copy_annotation(annotation: Annotation) -> Annotation:
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
                merged[annotation_id] = copy_annotation(present)
            elif _user_key(present) != _user_key(b):  # deleted on one side, edited on the other
                merged[annotation_id] = copy_annotation(present)
                where = "here" if ours is not None else "in another window or program"
                conflicts.append(
                    MergeConflict(
                        annotation_id, f"deleted in one place but edited {where}; kept", present, None
                    )
                )
            continue  # otherwise: deleted, and unchanged elsewhere
        if ours == theirs:
            merged[annotation_id] = copy_annotation(ours)
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
        if "exact" in changes:  # the other side's position: with its record of the words before
            changes["previous"] = theirs.previous
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
                    copy_annotation(result),
                    copy_annotation(discarded),
                )
            )
    return merged, conflicts
