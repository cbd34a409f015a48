"""Writing a vault file again from the library's state, keeping everything outside the reader's regions.

:func:`rewrite_file` takes the file as parsed (:mod:`.regions`), the merge outcomes (:mod:`.merge`) and the
library's annotations after the merge, and returns the new text and the new base. Regions are regenerated
in place; a region for a highlight new to the vault goes right after the region of the highlight before it
in text order (before the first region when there is none, at the end of a file without regions); a removed
region takes one blank line next to it along; conflict blocks go right after their region (or where it was).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reader.core.exchange.citations import article_citekey
from reader.core.exchange.markdown import article_front, highlight_extras, highlight_head, highlight_region
from reader.core.exchange.selection import ExportItem
from reader.core.exchange.vault.manifest import BaseEntry, FileEntry, base_entry
from reader.core.exchange.vault.merge import MergeOutcome
from reader.core.exchange.vault.regions import ParsedFile, Region, region_text, update_front_matter
from reader.core.models import Annotation


@dataclass(slots=True)
class Rewritten:
    text: str
    base: dict[str, BaseEntry]
    front: dict[str, Any]
    #: Highlights whose region the rewrite added (new in the library, or restored) or changed.
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


# An item of the new file: ("text", str), ("region", Annotation), ("kept", lines),
# ("new-after", Annotation) or ("new-before", Annotation).
_Item = tuple[str, Any]


def _is_blank(line: str) -> bool:
    return not line.strip()


def _without_first_blank(text: str) -> str | None:
    first, sep, rest = text.partition("\n")
    return rest if sep and _is_blank(first) else None


def _without_last_blank(text: str) -> str | None:
    if not text.endswith("\n"):
        return None
    body = text[:-1].removesuffix("\r")
    cut = body.rfind("\n") + 1
    return text[:cut] if _is_blank(body[cut:]) else None


def _layout(
    parsed: ParsedFile, shown: set[str], final: dict[str, Annotation], outcomes: dict[str, MergeOutcome]
) -> list[_Item]:
    segments: list[str | Region] = list(parsed.segments)
    items: list[_Item] = []
    for index, segment in enumerate(segments):
        if isinstance(segment, str):
            items.append(("text", segment))
            continue
        kept = outcomes[segment.id].kept if segment.id in outcomes else []
        if segment.id in shown:
            items.append(("region", final[segment.id]))
            if kept:
                items.append(("kept-after", kept))
            continue
        if kept:
            items.append(("kept", kept))
            continue
        following = segments[index + 1] if index + 1 < len(segments) else None
        if isinstance(following, str) and (trimmed := _without_first_blank(following)) is not None:
            segments[index + 1] = trimmed
        elif items and items[-1][0] == "text" and (trimmed := _without_last_blank(items[-1][1])) is not None:
            items[-1] = ("text", trimmed)
    return items


def _insert_missing(items: list[_Item], missing: Sequence[Annotation], order: Sequence[Annotation]) -> None:
    position = {a.id: index for index, a in enumerate(order)}
    for annotation in sorted(missing, key=lambda a: position[a.id]):
        placed = [
            (position[item[1].id], index)
            for index, item in enumerate(items)
            if item[0] in ("region", "new-after", "new-before")
            and position[item[1].id] < position[annotation.id]
        ]
        if placed:
            index = max(placed)[1] + 1
            while index < len(items) and items[index][0] == "kept-after":
                index += 1
            items.insert(index, ("new-after", annotation))
            continue
        first = next((i for i, item in enumerate(items) if item[0] in ("region", "new-before")), None)
        if first is None:
            items.append(("new-after", annotation))
        else:
            items.insert(first, ("new-before", annotation))


def rewrite_file(
    parsed: ParsedFile,
    text: str,
    entry: FileEntry,
    item: ExportItem,
    final: Sequence[Annotation],
    outcomes: dict[str, MergeOutcome],
) -> Rewritten:
    """The file's new text and base (see the module documentation). ``final`` is in text order."""
    newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    by_id = {a.id: a for a in final}
    in_file = {region.id: region for region in parsed.regions()}
    shown: set[str] = set()
    for annotation in final:
        outcome = outcomes.get(annotation.id)
        if (
            annotation.id in in_file
            or (outcome is not None and outcome.restore_region)
            or (annotation.id not in entry.annotations and annotation.id not in entry.excluded)
        ):
            shown.add(annotation.id)
    items = _layout(parsed, shown, by_id, outcomes)
    _insert_missing(items, [a for a in final if a.id in shown and a.id not in in_file], final)
    used: set[str] = set()
    key = article_citekey(item.article)
    pieces: list[str] = []
    base: dict[str, BaseEntry] = {}
    result = Rewritten("", base, {})
    for kind, value in items:
        if kind == "text":
            pieces.append(value)
            continue
        if kind in ("kept", "kept-after"):
            block = region_text(value, newline)
            pieces.append(newline + block if kind == "kept-after" else block)
            continue
        shown_one: Annotation = value
        extras = highlight_extras(item.article, shown_one, key)
        lines = highlight_region(shown_one, used, *extras)
        block_line = next(line for line in lines if line.startswith("^"))
        base[shown_one.id] = base_entry(shown_one, block_line[1:], highlight_head(shown_one, *extras))
        rendered = region_text(lines, newline)
        if kind == "region":
            old = in_file[shown_one.id].lines
            if [line.rstrip("\r\n") for line in old] != lines:
                result.updated.append(shown_one.id)
            pieces.append(rendered)
            continue
        result.added.append(shown_one.id)
        if kind == "new-before":
            pieces.append(rendered + newline)
            continue
        if pieces and not pieces[-1].endswith("\n"):
            pieces.append(newline)
        pieces.append(newline + rendered)
    new_text = "".join(pieces)
    shown_in_order = tuple(a for a in final if a.id in shown)
    front = article_front(ExportItem(item.article, shown_in_order))
    result.text, result.front = update_front_matter(new_text, entry.front, front, newline)
    return result
