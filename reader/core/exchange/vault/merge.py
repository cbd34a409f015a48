"""The three-way merge of one highlight: the vault's region, the base last written, the library's sidecar.

Per field, against the base:

- **note**: changed in the vault only → the library takes it; in the library only → the vault gets it
  (the region is regenerated); in both, to the same text → nothing to do; in both differently → a
  *conflict*: the library keeps its note (shown in the regenerated region) and the vault's version is kept in
  the vault file, in a conflict block just after the region, for the user to resolve. No text is dropped.
- **tags**: a set merge, which never loses an edit: the tags added on either side are added and the tags
  removed on either side are removed (the library's order first, then the vault's additions). A tag written
  as ``#needs-citation`` in the vault stands for the library's ``needs citation`` (Obsidian tags have no
  spaces); a new vault tag is taken as written.
- a region deleted in the vault deletes the highlight, unless its note or tags changed in the library since
  the base: then it is kept, its region written again, and a conflict reported;
- a highlight deleted in the library loses its region, unless the region was edited in the vault: then the
  vault's text stays in the file (a conflict block where the region was) and a conflict is reported.

The comparison on the vault side is between what the region now says and what the base would say when
written out and read back (both through :func:`.regions.parse_body`), so a note whose rendering is not read
back exactly (e.g. a note ending in a paragraph of ``#words``) is never taken for an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reader.core.exchange.markdown import markdown_note, note_and_tags, sanitize_tag
from reader.core.exchange.vault.manifest import BaseEntry
from reader.core.exchange.vault.regions import Region, parse_body
from reader.core.models import Annotation

CONFLICT_BEGIN = "<!-- reader:conflict {id} -->"
CONFLICT_END = "<!-- reader:conflict-end {id} -->"


@dataclass(slots=True)
class MergeOutcome:
    """What to do with one highlight. ``updates`` go to the sidecar; ``kept`` lines go in the vault."""

    updates: dict[str, object] = field(default_factory=dict)
    delete: bool = False  #: delete the highlight from the library
    drop_region: bool = False  #: the region leaves the vault (the highlight is gone from the library)
    restore_region: bool = False  #: the region, deleted in the vault, is written again
    kept: list[str] = field(default_factory=list)  #: a conflict block to put after (or instead of) the region
    changes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def read_region(region: Region) -> tuple[str, list[str]]:
    return parse_body(region.body)


def written_form(note: str, tags: Sequence[str]) -> tuple[str, list[str]]:
    """What a region holding ``note`` and ``tags`` reads back as."""
    return parse_body(note_and_tags(note, tags))


def conflict_block(annotation_id: str, message: list[str], kept: list[str]) -> list[str]:
    """A visible block (an Obsidian warning callout) outside the markers: the vault's text kept by a sync."""
    lines = [CONFLICT_BEGIN.format(id=annotation_id)]
    lines += ["> [!warning] " + message[0], *("> " + line for line in message[1:])]
    lines += ["", *kept, "", CONFLICT_END.format(id=annotation_id)]
    return lines


def vault_tags_to_library(vault_tags: list[str], known: Sequence[str]) -> list[str]:
    """Vault tags as library tags: a sanitized form of a known tag stands for that tag (two known tags with
    the same form, ``a b`` and ``a-b``, are matched in order)."""
    by_form: dict[str, list[str]] = {}
    for tag in dict.fromkeys(known):
        by_form.setdefault(sanitize_tag(tag), []).append(tag)
    result: list[str] = []
    for tag in vault_tags:
        originals = by_form.get(tag)
        result.append(originals.pop(0) if originals else tag)
    return result


def merge_tags(base: Sequence[str], library: Sequence[str], vault: Sequence[str]) -> list[str]:
    """Three-way set merge: additions and removals of both sides applied (library order, then vault's)."""
    removed = (set(base) - set(vault)) | (set(base) - set(library))
    result = [tag for tag in library if tag not in removed]
    result += [tag for tag in vault if tag not in set(base) and tag not in result]
    return result


def merge_highlight(
    label: str, region: Region | None, base: BaseEntry, current: Annotation | None
) -> MergeOutcome:
    """Merge one highlight that was written to the vault (``label`` names it in messages: ``^6f1c2a3e``)."""
    out = MergeOutcome()
    library_changed = current is not None and (current.note != base.note or current.tags != base.tags)
    if region is None:
        if current is None:
            return out
        if library_changed:
            out.restore_region = True
            out.conflicts.append(
                f"{label} was deleted in the vault but its note or tags changed in the library since the "
                "last sync: kept, and written back to the vault"
            )
        else:
            out.delete = True
            out.changes.append(f"{label} deleted in the vault: deleted from the library")
        return out
    vault_note, vault_tags = read_region(region)
    base_note, base_tags = written_form(base.note, base.tags)
    note_edited = vault_note != base_note
    tags_edited = vault_tags != base_tags
    if current is None:
        out.drop_region = True
        if note_edited or tags_edited:
            out.kept = conflict_block(
                region.id,
                [
                    f"Sync conflict: {label} was deleted in the library but edited here.",
                    "Its region as it was in the vault is kept below; delete this block when done with it.",
                ],
                [*region.head, "", *region.body],
            )
            out.conflicts.append(
                f"{label} was deleted in the library but edited in the vault: the vault's text is kept in a "
                "conflict block"
            )
        else:
            out.changes.append(f"{label} deleted in the library: removed from the vault")
        return out
    if note_edited:
        if current.note == base.note:
            out.updates["note"] = vault_note
            out.changes.append(f"note of {label}: vault → library")
        elif written_form(current.note, [])[0] != vault_note:
            out.kept = conflict_block(
                current.id,
                [
                    f"Sync conflict: the note of {label} was changed both here and in the library.",
                    "The highlight above shows the library's note; the vault's version is kept below.",
                    "Put what you want in the highlight's note, then delete this block.",
                ],
                markdown_note(vault_note) or ["*(the note was emptied in the vault)*"],
            )
            out.conflicts.append(
                f"note of {label} changed in both the vault and the library: the library's is kept in the "
                "highlight, the vault's in a conflict block below it"
            )
    if tags_edited:
        # Tags with no Obsidian form (e.g. "/") are never in the vault: the vault cannot have removed them.
        hidden = [tag for tag in current.tags if not sanitize_tag(tag)]
        visible_base = [tag for tag in base.tags if sanitize_tag(tag)]
        visible_current = [tag for tag in current.tags if sanitize_tag(tag)]
        vault_library_tags = vault_tags_to_library(vault_tags, [*current.tags, *base.tags])
        if current.tags == base.tags:
            merged = vault_library_tags + hidden
        else:
            merged = merge_tags(visible_base, visible_current, vault_library_tags) + hidden
        merged = list(dict.fromkeys(merged))
        if merged != current.tags:
            out.updates["tags"] = merged
            shown = " ".join("#" + t for t in merged) or "none"
            out.changes.append(f"tags of {label}: vault → library ({shown})")
    return out
