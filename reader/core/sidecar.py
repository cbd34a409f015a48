"""Notes sidecars: ``<source file name>.notes.json`` next to each source file (minimal version; see issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

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
