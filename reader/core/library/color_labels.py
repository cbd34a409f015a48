"""What each highlight colour means in a library ("red = disagree"), kept in the library so it syncs.

The file is ``<library>/.research-notes-reader/colors.json`` (a hidden folder: the scan never lists it)::

    {"format": "research-notes-reader/colors", "version": 1, "labels": {"red": "disagree", "green": "method"}}

Only colours of the palette (:data:`~reader.core.models.COLORS`) take a label; a label is one line of at
most :data:`MAX_LABEL` characters. Written atomically. A file that cannot be parsed is reported and never
overwritten (:class:`ColorLabelsError`); reading a missing file gives no labels.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from reader.core.atomic import atomic_write_text
from reader.core.errors import ReaderError
from reader.core.models import COLORS
from reader.core.notes.locking import sidecar_lock

FOLDER = ".research-notes-reader"
FILE_NAME = "colors.json"
FORMAT = "research-notes-reader/colors"
VERSION = 1
MAX_LABEL = 60


class ColorLabelsError(ReaderError):
    """The colour labels file cannot be read, or a label is not acceptable (a one-line reason)."""


def color_labels_path(library: Path) -> Path:
    return Path(library) / FOLDER / FILE_NAME


def _clean(color: str, label: str) -> tuple[str, str]:
    name = color.strip().lower()
    if name not in COLORS:
        raise ColorLabelsError(f"no colour {color!r}: colours are {', '.join(COLORS)}")
    text = " ".join(label.split())
    if len(text) > MAX_LABEL:
        raise ColorLabelsError(f"the label of {name} is longer than {MAX_LABEL} characters")
    return name, text


def _read(path: Path) -> dict[str, Any] | None:
    """The file's whole object (``None`` when there is none). Raises :class:`ColorLabelsError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ColorLabelsError(f"{FILE_NAME} cannot be read ({exc}); it is left as it is") from exc
    if not isinstance(data, dict) or not isinstance(data.get("labels"), dict):
        raise ColorLabelsError(f"{FILE_NAME} has no labels object; it is left as it is")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or version > VERSION:
        raise ColorLabelsError(f"{FILE_NAME} was written by a newer version of the reader; left untouched")
    return data


def load_color_labels(library: Path) -> dict[str, str]:
    """The labels of ``library``'s colours (``{}`` when none were set). Raises :class:`ColorLabelsError`."""
    data = _read(color_labels_path(library))
    out: dict[str, str] = {}
    for color, label in (data or {}).get("labels", {}).items():
        if isinstance(color, str) and isinstance(label, str) and color in COLORS and label.strip():
            out[color] = " ".join(label.split())[:MAX_LABEL]
    return out


_CACHE: dict[Path, tuple[int, dict[str, str]]] = {}


def cached_color_labels(library: Path) -> dict[str, str]:
    """:func:`load_color_labels`, re-read only when the file changed; ``{}`` when it cannot be read (the
    exports and the window show no labels then, and ``python -m reader colors`` says why)."""
    path = color_labels_path(library)
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return {}
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        labels = load_color_labels(library)
    except ColorLabelsError:
        labels = {}
    _CACHE[path] = (stamp, labels)
    return labels


def set_color_labels(library: Path, changes: dict[str, str]) -> dict[str, str]:
    """Set (or, with an empty label, remove) labels; returns the palette's labels. Raises
    :class:`ColorLabelsError` without writing anything when the file cannot be read or a change is not
    acceptable. What the file holds beyond the palette's labels (other keys, colours of a later palette) is
    kept; two processes setting labels at once are serialized by a lock."""
    cleaned = [_clean(color, label) for color, label in changes.items()]
    path = color_labels_path(library)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sidecar_lock(path):
        data = _read(path) or {}
        labels = dict(data.get("labels", {}))
        for name, text in cleaned:
            if text:
                labels[name] = text
            else:
                labels.pop(name, None)
        ordered = {c: labels[c] for c in COLORS if c in labels} | {
            c: v for c, v in labels.items() if c not in COLORS
        }
        payload = {**data, "format": FORMAT, "version": VERSION, "labels": ordered}
        atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return load_color_labels(library)


def label_of(library: Path, color: str) -> str:
    """The label of ``color`` in ``library``, or ``""``."""
    return cached_color_labels(library).get(color, "")
