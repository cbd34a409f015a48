"""The shared block builder: every format is first turned into a list of :class:`RawBlock` (kind, text,
level, links relative to the block), which :func:`assemble` joins into the canonical text.

**Blocks are always separated by one blank line** (``"\\n\\n"``): the text reads well on its own
(``python -m reader text``), and each :class:`~reader.core.models.Block` is exactly ``text[start:end]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reader.core.models import Block, BlockKind, Link

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
RULE_TEXT = "* * *"


@dataclass(slots=True)
class RawBlock:
    kind: BlockKind
    text: str
    level: int = 0
    links: list[tuple[int, int, str]] = field(default_factory=list)
    page: int | None = None  #: PDF: 1-based page
    page_label: str | None = None
    chapter: str | None = None  #: EPUB: chapter title


def allowed_href(href: str | None) -> str | None:
    """``href`` when it is an absolute http/https/mailto link, else ``None``."""
    if not href:
        return None
    href = href.strip()
    return href if href.lower().startswith(ALLOWED_SCHEMES) else None


def assemble(raw: list[RawBlock]) -> tuple[str, tuple[Block, ...], tuple[Link, ...]]:
    """Join blocks with ``"\\n\\n"``; empty blocks are dropped and each block's text is trimmed."""
    parts: list[str] = []
    blocks: list[Block] = []
    links: list[Link] = []
    pos = 0
    for item in raw:
        text = item.text
        lead = 0  # characters stripped from the start (the links are shifted by it)
        if item.kind == "code":
            text = text.strip("\n").rstrip()
        else:
            if item.links:
                lead = len(text) - len(text.lstrip())
            text = text.strip()
        if not text or text.isspace():  # i.e. ``not text.strip()``
            continue
        if parts:
            pos += 2
        parts.append(text)
        blocks.append(
            Block(item.kind, pos, pos + len(text), item.level, item.page, item.page_label, item.chapter)
        )
        for start, end, href in item.links:
            s, e = max(0, start - lead), min(len(text), end - lead)
            if e > s:
                links.append(Link(pos + s, pos + e, href))
        pos += len(text)
    return "\n\n".join(parts), tuple(blocks), tuple(links)


# ------------------------------------------------------------------------------------------- plain text
