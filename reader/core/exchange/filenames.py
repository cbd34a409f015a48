"""Safe file names made from article titles, and the guarantee that exports stay inside their folder.

A title can be anything a web page or a user typed: ``../../etc/passwd``, ``CON``, 300 characters of Korean,
control characters. :func:`safe_filename` turns it into a name that is valid on Windows, macOS and Linux:

- NFC-normalized (Korean syllables stay composed, so the name reads the same everywhere);
- path separators, the characters Windows forbids (``<>:"/\\|?*``) and control/format characters become
  ``_``; runs of whitespace become one space;
- leading and trailing spaces and dots are removed (no hidden files, no ``..``, nothing Windows strips);
- Windows reserved device names (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``-``COM9``, ``LPT0``-``LPT9``,
  also with an extension or in any case) get a ``_`` after the device name (``nul_.md``);
- at most :data:`MAX_NAME_BYTES` bytes of UTF-8 including the extension, cut on a character boundary;
- unique within one export: a name already taken (compared case-insensitively, since common file systems are)
  gets `` (2)``, `` (3)`` ...

:func:`ensure_inside` is the last check before a write: the resolved path must lie below the resolved
destination folder (this also refuses a symlink that points elsewhere).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from reader.core.errors import ExportError

#: Upper bound of a generated file name, extension included, in UTF-8 bytes (file systems allow 255).
MAX_NAME_BYTES = 120

FALLBACK_STEM = "untitled"

_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def _clean_char(ch: str) -> str:
    if ch in _FORBIDDEN:
        return "_"
    category = unicodedata.category(ch)
    if category in ("Zl", "Zp"):  # line and paragraph separators
        return " "
    if category.startswith("C"):  # control, format (bidi overrides), surrogate, private use, unassigned
        return "_"
    return ch


def _truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``max_bytes`` (whole characters)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _strip_edges(text: str) -> str:
    return text.strip(" .\t")


def sanitize_stem(title: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A safe file-name stem (no extension) for ``title``; :data:`FALLBACK_STEM` if nothing usable is left."""
    text = unicodedata.normalize("NFC", title)
    text = "".join(_clean_char(ch) for ch in text)
    text = _SPACES.sub(" ", text)
    text = _strip_edges(text)
    text = _truncate_utf8(text, max_bytes)
    text = _strip_edges(text)
    if not text or set(text) <= {"_", ".", " "}:
        text = FALLBACK_STEM
    base, dot, rest = text.partition(".")
    if _RESERVED.match(base.strip()):
        text = _strip_edges(_truncate_utf8(base.rstrip() + "_" + dot + rest, max_bytes))
    return text


def safe_filename(title: str, extension: str, *, taken: set[str] | None = None) -> str:
    """A safe, unique file name for ``title`` ending with ``extension`` (e.g. ``".md"``).

    ``taken`` holds the case-folded names already used in this export; the returned name is added to it.
    """
    extension = extension if not extension or extension.startswith(".") else "." + extension
    budget = MAX_NAME_BYTES - len(extension.encode("utf-8"))
    stem = sanitize_stem(title, max_bytes=budget)
    name = stem + extension
    if taken is not None:
        counter = 2
        while name.casefold() in taken:
            suffix = f" ({counter})"
            base = _strip_edges(_truncate_utf8(stem, budget - len(suffix.encode("utf-8")))) or FALLBACK_STEM
            name = base + suffix + extension
            counter += 1
        taken.add(name.casefold())
    return name


def ensure_inside(dest: Path, path: Path) -> Path:
    """Return ``path`` resolved; raise :class:`ExportError` unless it lies strictly below ``dest``."""
    root = Path(dest).resolve()
    resolved = Path(path).resolve()
    if resolved == root or not resolved.is_relative_to(root):
        raise ExportError(f"refusing to write outside the destination folder: {path}")
    return resolved
