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

from reader.core.atomic import atomic_write_text
from reader.core.errors import ReaderError
from reader.core.models import COLORS

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


def load_color_labels(library: Path) -> dict[str, str]:
    """The labels of ``library``'s colours (``{}`` when none were set). Raises :class:`ColorLabelsError`."""
    path = color_labels_path(library)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ColorLabelsError(f"{FILE_NAME} cannot be read ({exc}); it is left as it is") from exc
    labels = data.get("labels") if isinstance(data, dict) else None
    if not isinstance(labels, dict):
        raise ColorLabelsError(f"{FILE_NAME} has no labels object; it is left as it is")
    out: dict[str, str] = {}
    for color, label in labels.items():
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
    """Set (or, with an empty label, remove) labels; returns all labels. Raises :class:`ColorLabelsError`
    without writing anything when the file cannot be read or a change is not acceptable."""
    labels = load_color_labels(library)
    for color, label in changes.items():
        name, text = _clean(color, label)
        if text:
            labels[name] = text
        else:
            labels.pop(name, None)
    path = color_labels_path(library)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {color: labels[color] for color in COLORS if color in labels}
    payload = {"format": FORMAT, "version": VERSION, "labels": ordered}
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return ordered


def label_of(library: Path, color: str) -> str:
    """The label of ``color`` in ``library``, or ``""``."""
    return cached_color_labels(library).get(color, "")
