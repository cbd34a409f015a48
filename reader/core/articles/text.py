"""Plain text (``.txt``, ``.rst``, ``.org``; also the fallback for pathological Markdown/HTML) into blocks.

- Runs of non-blank lines are the unit. A run whose lines are all short (<= 100 characters) and has no list
  markers is *hard-wrapped prose* and stays one paragraph block with its line breaks (PEPs, e-mails).
- Otherwise (clippings, where each paragraph is one long line) every line is its own block: list items
  (``-``, ``*``, ``•``: marker dropped; ``1.``: number kept), short headline-like lines followed by a long
  line become headings (level 2), the rest paragraphs. Indented continuation lines stay with their item.
- reStructuredText/setext underlined titles (``Title`` over ``=====``) become headings without the rule.
- Runs indented by four or more spaces are code (indentation kept).
"""

from __future__ import annotations

import re

from reader.core.articles.blocks import RawBlock

#: Lines longer than this are "long": a run with one is a clipping (one paragraph per line).
WRAP_WIDTH = 100

_LIST_RE = re.compile(r"^(\s*)(?:([-*+•·▪◦‣])|(\d{1,3}[.)]))\s+(?=\S)")
_UNDERLINE_RE = re.compile(r"^([=\-~^*#+\"'`:._])\1{2,}\s*$")
#: The characters an underline can be made of (its first character is one of them).
_UNDERLINE_CHARS = frozenset("=-~^*#+\"'`:._")
_INDENTS = ("    ", "\t")
_HEADING_END = tuple('.,:;!?"”’)…')


def _looks_like_heading(line: str, following: str | None) -> bool:
    s = line.strip()
    return (
        following is not None
        and len(following.strip()) > WRAP_WIDTH
        and 0 < len(s) <= 90
        and len(s.split()) <= 12
        and not s.endswith(_HEADING_END)
        and (s[0].isupper() or s[0].isdigit() or not s[0].isascii())
    )


def _per_line_blocks(lines: list[str]) -> list[RawBlock]:
    out: list[RawBlock] = []
    for i, line in enumerate(lines):
        m = _LIST_RE.match(line)
        if m:
            depth = len(m.group(1).expandtabs(4)) // 2 + 1
            body = line[m.end() :] if m.group(2) else line[len(m.group(1)) :]
            out.append(RawBlock("list_item", body, depth))
        elif out and out[-1].kind == "list_item" and line[:1] in (" ", "\t"):
            out[-1].text += "\n" + line.strip()
        elif _looks_like_heading(line, lines[i + 1] if i + 1 < len(lines) else None):
            out.append(RawBlock("heading", line, 2))
        else:
            out.append(RawBlock("paragraph", line))
    return out


def _run_blocks(lines: list[str]) -> list[RawBlock]:
    """Blocks of one run of non-blank lines (no setext headings inside)."""
    if lines[0].startswith(_INDENTS) and all(line.startswith(_INDENTS) for line in lines):
        return [RawBlock("code", "\n".join(lines))]
    hard_wrapped = max(map(len, lines)) <= WRAP_WIDTH and not any(map(_LIST_RE.match, lines))
    if hard_wrapped:
        return [RawBlock("paragraph", "\n".join(map(str.strip, lines)))]
    return _per_line_blocks(lines)


def _split_setext(lines: list[str]) -> list[RawBlock]:
    if len(lines) == 1 or not any(line[:1] in _UNDERLINE_CHARS for line in lines[1:]):
        return _run_blocks(lines)  # no line can underline the one above it: no setext heading here
    out: list[RawBlock] = []
    pending: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        title = line.strip()
        if (
            title
            and _UNDERLINE_RE.match(nxt)
            and not _UNDERLINE_RE.match(line)
            and len(nxt.strip()) >= len(title)
            and len(title) <= 120
        ):
            if pending and _UNDERLINE_RE.match(pending[-1]) and pending[-1].strip()[0] == nxt.strip()[0]:
                pending.pop()  # overline of an over-and-underlined title
            if pending:
                out.extend(_run_blocks(pending))
                pending = []
            level = {"=": 1, "-": 2, "~": 3, "^": 4}.get(nxt.strip()[0], 2)
            out.append(RawBlock("heading", title, level))
            i += 2
            continue
        pending.append(line)
        i += 1
    if pending:
        out.extend(_run_blocks(pending))
    return out


def plain_blocks(text: str) -> list[RawBlock]:
    """Segment plain text into blocks (see the module docstring)."""
    out: list[RawBlock] = []
    run: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()  # empty exactly when the line is blank
        if line:
            run.append(line)
        elif run:
            out.extend(_split_setext(run))
            run = []
    if run:
        out.extend(_split_setext(run))
    return out
