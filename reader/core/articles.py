"""Reading one source file into an :class:`~reader.core.models.Article` (minimal version; see issue 3)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reader.core.errors import ArticleReadError
from reader.core.models import Article, ArticleMeta, Block

MAX_BYTES = 20 * 1024 * 1024


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_article(path: Path, root: Path | None = None) -> Article:
    """Read ``path`` and return its canonical article. Raises :class:`ArticleReadError`."""
    path = Path(path)
    rel = path.relative_to(root).as_posix() if root is not None else path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleReadError(rel, f"cannot be read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_BYTES:
        raise ArticleReadError(rel, "larger than 20 MB")
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            blocks.append(Block("paragraph", pos, pos + len(line)))
        pos += len(line) + 1
    title = next((line.strip() for line in text.split("\n") if line.strip()), path.stem)
    words = len(text.split())
    meta = ArticleMeta(title=title, word_count=words, reading_minutes=max(1, round(words / 230)) if words else 0)
    return Article(path=path, relpath=rel, text=text, blocks=tuple(blocks), meta=meta, content_hash=text_hash(text))
