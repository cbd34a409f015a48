"""Reading a vault file: its marked regions (the reader's), the text around them (the user's), front matter.

A file is split into *segments*: runs of the user's lines (kept byte for byte, line endings included) and
:class:`Region`s, each the lines from a ``<!-- reader:begin ID -->`` line to its ``<!-- reader:end ID -->``
line. Inside a region, the lines before the ``^blockid`` line are the head (quote, colour, notice: generated
from the article); the lines after it are the note and the tags, which the user may edit:

- the tags are the last paragraph when it is made only of ``#tags``;
- the note is the rest, unwrapped from the ``markdown`` code fence the export puts around a note that would
  otherwise swallow what follows.

Structural problems (a marker without its pair, a highlight whose region appears twice, a marker without an
id) are returned as one-line messages; :mod:`.sync` then leaves the whole file alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

_MARKER = re.compile(r"^\s*<!--\s*reader:(begin|end)\b\s*(.*?)\s*-->\s*$")
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_BLOCK_LINE = re.compile(r"^\s*\^([A-Za-z0-9-]+)\s*$")
_TAG = re.compile(r"^#([\w/-]+)$")
_FENCE_OPEN = re.compile(r"^(`{3,})markdown\s*$")
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


@dataclass(slots=True)
class Region:
    """A highlight's marked region in a vault file (``lines`` include both marker lines and line ends)."""

    id: str
    line: int  #: 1-based line number of the begin marker
    lines: list[str]
    block_index: int | None = None  #: index in ``lines`` of the ``^blockid`` line

    @property
    def head(self) -> list[str]:
        end = self.block_index if self.block_index is not None else len(self.lines) - 1
        head = [line.rstrip("\r\n") for line in self.lines[1:end]]
        while head and not head[-1].strip():
            head.pop()
        while head and not head[0].strip():
            head.pop(0)
        return head

    @property
    def body(self) -> list[str]:
        start = self.block_index + 1 if self.block_index is not None else 1
        return [line.rstrip("\r\n") for line in self.lines[start:-1]]


@dataclass(slots=True)
class ParsedFile:
    segments: list[str | Region] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def regions(self) -> list[Region]:
        return [s for s in self.segments if isinstance(s, Region)]


def split_lines(text: str) -> list[str]:
    """``text`` as lines with their endings, split at ``\n`` only (``str.splitlines`` would also split at
    form feeds, U+2028 and the like, which may be inside a note)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _short(annotation_id: str) -> str:
    return annotation_id if len(annotation_id) <= 13 else annotation_id[:8] + "…"


def parse_vault_file(text: str) -> ParsedFile:
    """Split ``text`` into the user's lines and the reader's regions; list what is structurally wrong."""
    result = ParsedFile()
    lines = split_lines(text)
    open_region: Region | None = None
    user: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        match = _MARKER.match(line.rstrip("\r\n"))
        if match is None:
            if open_region is not None:
                if open_region.block_index is None and _BLOCK_LINE.match(line.rstrip("\r\n")):
                    open_region.block_index = len(open_region.lines)
                open_region.lines.append(line)
            else:
                user.append(line)
            continue
        kind, marker_id = match.group(1), match.group(2)
        if not _VALID_ID.match(marker_id):
            result.problems.append(f"line {number}: a reader:{kind} marker without a valid highlight id")
            continue
        if kind == "begin":
            if open_region is not None:
                result.problems.append(
                    f"line {open_region.line}: the region of {_short(open_region.id)} has no reader:end "
                    f"(another region begins at line {number})"
                )
            if user:
                result.segments.append("".join(user))
                user = []
            open_region = Region(marker_id, number, [line])
            if marker_id in seen:
                result.problems.append(
                    f"lines {seen[marker_id]} and {number}: the highlight {_short(marker_id)} appears twice"
                )
            seen.setdefault(marker_id, number)
            continue
        if open_region is None:
            result.problems.append(
                f"line {number}: a reader:end for {_short(marker_id)} with no reader:begin"
            )
            user.append(line)
            continue
        if marker_id != open_region.id:
            result.problems.append(
                f"line {number}: the reader:end for {_short(marker_id)} closes the region of "
                f"{_short(open_region.id)} (line {open_region.line})"
            )
        open_region.lines.append(line)
        if open_region.block_index is None:
            result.problems.append(
                f"line {open_region.line}: the region of {_short(open_region.id)} has lost its ^block id line"
            )
        result.segments.append(open_region)
        open_region = None
    if open_region is not None:
        result.problems.append(f"line {open_region.line}: the region of {_short(open_region.id)} has no end")
        result.segments.append(open_region)
    if user:
        result.segments.append("".join(user))
    return result


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def parse_body(lines: list[str]) -> tuple[str, list[str]]:
    """The note and the (Obsidian-sanitized) tags written in a region's body lines."""
    body = list(lines)
    while body and not body[-1].strip():
        body.pop()
    tags: list[str] = []
    paragraphs = _paragraphs(body)
    if paragraphs:
        words = " ".join(paragraphs[-1]).split()
        matches = [_TAG.match(word) for word in words]
        if words and all(matches):
            tags = [m.group(1) for m in matches if m is not None]
            last = paragraphs[-1][0]
            cut = max(i for i, line in enumerate(body) if line == last)
            body = body[:cut]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    if len(body) >= 2:
        opening = _FENCE_OPEN.match(body[0])
        if opening is not None and body[-1].strip() == opening.group(1):
            body = body[1:-1]
    return "\n".join(body), tags


def region_text(lines: list[str], newline: str) -> str:
    return "".join(line + newline for line in lines)


# ------------------------------------------------------------------------------------------ front matter


def _front_bounds(lines: list[str]) -> int | None:
    """The index of the closing ``---`` line of the front matter, or ``None`` when there is none."""
    if not lines or lines[0].lstrip("\ufeff").rstrip("\r\n") != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return index
    return None


def _front_entries(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """Top-level entries of block-style YAML: (key or ``None`` for leading lines, their lines)."""
    entries: list[tuple[str | None, list[str]]] = []
    for line in lines:
        match = _FRONT_KEY.match(line)
        if match is not None:
            entries.append((match.group(1), [line]))
        elif entries:
            entries[-1][1].append(line)
        else:
            entries.append((None, [line]))
    return entries


def _entry_value(key: str, lines: list[str]) -> tuple[bool, Any]:
    try:
        loaded = yaml.safe_load("".join(lines))
    except yaml.YAMLError:
        return False, None
    if not isinstance(loaded, dict) or key not in loaded:
        return False, None
    return True, loaded[key]


def _dump_entry(key: str, value: Any, newline: str) -> list[str]:
    dumped = yaml.safe_dump(
        {key: value}, allow_unicode=True, sort_keys=False, default_flow_style=False, width=4096
    )
    return [line + newline for line in dumped.rstrip("\n").split("\n")]


def update_front_matter(
    text: str, base: dict[str, Any], current: dict[str, Any], newline: str
) -> tuple[str, dict[str, Any]]:
    """``text`` with the reader's front matter keys brought up to ``current``, and the values now written.

    A key is rewritten only when its value in the file is still the one last written (``base``): a value the
    user changed is theirs and stays. For ``tags`` the user's own additions are kept (appended). The user's
    keys, comments and order are kept byte for byte; a reader key the user deleted is not added back.
    """
    lines = split_lines(text)
    end = _front_bounds(lines)
    if end is None:
        return text, dict(base)
    entries = _front_entries(lines[1:end])
    written = dict(base)
    changed = False
    for index, (key, entry_lines) in enumerate(entries):
        if key is None or key not in current:
            continue
        ok, value = _entry_value(key, entry_lines)
        if not ok:
            continue
        wanted = current[key]
        if key == "tags" and isinstance(value, list) and isinstance(base.get("tags"), list):
            own = [t for t in value if t not in base["tags"] and t not in wanted]
            wanted = [*wanted, *own]
        elif value != base.get(key, value):
            continue  # the user's value
        written[key] = current[key]
        if value != wanted:
            entries[index] = (key, _dump_entry(key, wanted, newline))
            changed = True
    if not changed:
        return text, written
    body = [line for _, entry_lines in entries for line in entry_lines]
    return "".join([lines[0], *body, *lines[end:]]), written
