"""Notes sidecars: ``<source file name>.notes.json`` next to each source file (minimal version; see issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

from reader.core.errors import SidecarError
from reader.core.models import Annotation

SIDECAR_SUFFIX = ".notes.json"


def sidecar_path(source: Path) -> Path:
    """``a.txt`` -> ``a.txt.notes.json`` in the same folder."""
    source = Path(source)
    return source.with_name(source.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return Path(path).name.endswith(SIDECAR_SUFFIX)


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

    Raises :class:`SidecarError` when the sidecar exists but cannot be parsed.
    """
    path = sidecar_path(source)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise SidecarError(path.name, f"cannot be read: {exc}") from exc
    try:
        data = json.loads(raw)
        items = data["annotations"]
        result = []
        for item in items:
            target = item["target"]
            quote = next(s for s in target["selector"] if s["type"] == "TextQuoteSelector")
            position = next(s for s in target["selector"] if s["type"] == "TextPositionSelector")
            result.append(
                Annotation(
                    exact=quote["exact"],
                    prefix=quote.get("prefix", ""),
                    suffix=quote.get("suffix", ""),
                    start=int(position["start"]),
                    end=int(position["end"]),
                    color=item.get("color", "yellow"),
                    note=item.get("note", ""),
                    tags=list(item.get("tags", [])),
                    id=item["id"],
                    created=item["created"],
                    modified=item["modified"],
                    status=item.get("status", "anchored"),
                )
            )
    except (ValueError, KeyError, TypeError, StopIteration) as exc:
        raise SidecarError(path.name, f"cannot be parsed: {exc}") from exc
    return result
