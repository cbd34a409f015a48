"""Article data: what the user says about a whole article, kept in the ``article`` section of its sidecar.

The section (sidecar format version 2; version 1 files have none and read as before)::

    "article": {
      "tags": ["stem-cells", "korea"],
      "status": "reading",                    # unread | reading | read
      "starred": true,
      "position": 0.42,                       # reading position: fraction of the article scrolled
      "title": "Fetal bone tissue …",         # user edits of the extracted metadata, only when set
      "authors": ["You, Ji-young"],
      "date": "2025-11-20", "source": "Korea Biomedical Review", "url": "https://…", "doi": "10.…",
      "citekey": "you2025fetal",
      "modified": {"tags": "2025-…Z", "title": "2025-…Z", "doi": "2025-…Z"}
    }

- A field missing from the section is unset (``status`` reads as ``unread``, an unset metadata field shows
  the value extracted from the file). ``modified`` holds when each field was last set *or reset*: a reset
  field is absent but keeps its time, so that a merge sees the reset as an edit.
- Keys this version does not know are kept when the section is rewritten.
- Edits go through :func:`update_article_data`: under the sidecar's lock it reads the file as it is now and
  merges the edit into it field by field (:func:`merge_article_data`): fields changed on one side only take
  that side; tags changed on both sides combine additions and removals; other fields changed on both sides
  take the newer edit. So two programs editing the same article never lose each other's changes.
- An article without a sidecar gets one only when something is set on it (the section of a new sidecar has
  an empty ``annotations`` list beside it); a sidecar that cannot be parsed is never written.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.core.atomic import atomic_write_bytes
from reader.core.errors import SidecarError
from reader.core.models import ArticleMeta
from reader.core.notes.locking import LOCK_TIMEOUT, os_reason, sidecar_lock
from reader.core.notes.merge import _newer
from reader.core.notes.selection import normalize_tags, timestamp
from reader.core.notes.sidecar import (
    SidecarDocument,
    parse_sidecar,
    read_sidecar_bytes,
    serialize_sidecar,
    sidecar_path,
)

SECTION = "article"
READING_STATUSES: tuple[str, ...] = ("unread", "reading", "read")
#: Metadata the user may edit (an unset one falls back to what was extracted from the file).
META_FIELDS: tuple[str, ...] = ("title", "authors", "date", "source", "url", "doi", "citekey")
STATE_FIELDS: tuple[str, ...] = ("tags", "status", "starred", "position")
FIELDS: tuple[str, ...] = STATE_FIELDS + META_FIELDS
_CITEKEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.\-]*$")
_DEFAULTS: dict[str, Any] = {"tags": [], "status": None, "starred": None, "position": None}


@dataclass(slots=True)
class ArticleData:
    """One article's data; ``None`` (or ``[]`` for tags) means unset."""

    tags: list[str] = field(default_factory=list)
    status: str | None = None
    starred: bool | None = None
    position: float | None = None
    title: str | None = None
    authors: list[str] | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    doi: str | None = None
    citekey: str | None = None
    #: When each field was last set or reset (RFC 3339 UTC).
    modified: dict[str, str] = field(default_factory=dict)
    #: Keys of the section this version does not know, kept on rewrite.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reading_status(self) -> str:
        return self.status or "unread"

    @property
    def is_starred(self) -> bool:
        return bool(self.starred)

    def value(self, name: str) -> Any:
        return getattr(self, name)

    def is_empty(self) -> bool:
        """Nothing was ever set (no sidecar needs to be written for it)."""
        return not self.modified and not self.extra and all(_is_unset(self.value(n)) for n in FIELDS)


def _is_unset(value: Any) -> bool:
    return value is None or value == []


def copy_data(data: ArticleData) -> ArticleData:
    return copy.deepcopy(data)


# --------------------------------------------------------------------------------------------- JSON


class ArticleDataError(ValueError):
    """The ``article`` section of a sidecar is not valid (a one-line reason)."""


def _check(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
        raise ArticleDataError(f"'article.{name}' has the wrong type ({type(value).__name__})")
    return value


def check_value(name: str, value: Any) -> Any:
    """``value`` checked and normalized for field ``name``; raises :class:`ArticleDataError` (``None``
    resets the field)."""
    if name not in FIELDS:
        raise ArticleDataError(f"unknown field {name!r} (choose from {', '.join(FIELDS)})")
    if value is None:
        return None
    if name == "tags":
        for tag in _check(value, list, name):
            _check(tag, str, name)
        return normalize_tags(value)
    if name == "authors":
        names = [_check(v, str, name).strip() for v in _check(value, list, name)]
        return [n for n in names if n] or None
    if name == "starred":
        return _check(value, bool, name)
    if name == "position":
        number = float(_check(value, (int, float), name))
        if not 0.0 <= number <= 1.0:
            raise ArticleDataError(f"'article.position' should be between 0 and 1, not {number}")
        return round(number, 4)
    text = _check(value, str, name).strip()
    if name == "citekey" and text and not _CITEKEY.match(text):
        raise ArticleDataError(f"a citation key has letters, digits and _ : . - only, no spaces: {text!r}")
    if name == "status" and text not in READING_STATUSES:
        raise ArticleDataError(f"unknown reading status {text!r} (choose from {', '.join(READING_STATUSES)})")
    return text or None


def parse_article_data(value: object) -> ArticleData:
    """The :class:`ArticleData` of a sidecar's ``article`` value (``None``: no section)."""
    if value is None:
        return ArticleData()
    if not isinstance(value, dict):
        raise ArticleDataError(f"'article' should be an object, not {type(value).__name__}")
    data = ArticleData()
    for name in FIELDS:
        if name in value:
            setattr(
                data, name, _DEFAULTS.get(name) if value[name] is None else check_value(name, value[name])
            )
            if name == "tags" and data.tags is None:
                data.tags = []
    modified = _check(value.get("modified", {}), dict, "modified")
    for key, stamp in modified.items():
        _check(stamp, str, f"modified.{key}")
    data.modified = dict(modified)
    data.extra = {k: copy.deepcopy(v) for k, v in value.items() if k not in FIELDS and k != "modified"}
    return data


def article_data_to_json(data: ArticleData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = data.value(name)
        if not _is_unset(value):
            out[name] = list(value) if isinstance(value, list) else value
    out["modified"] = dict(sorted(data.modified.items()))
    out.update({k: copy.deepcopy(v) for k, v in data.extra.items() if k not in out})
    return out


# --------------------------------------------------------------------------------------------- editing


def with_value(data: ArticleData, name: str, value: Any, *, when: str | None = None) -> ArticleData:
    """A copy of ``data`` with field ``name`` set to ``value`` (``None`` resets it), stamped now."""
    result = copy_data(data)
    checked = check_value(name, value)
    setattr(result, name, [] if name == "tags" and checked is None else checked)
    result.modified[name] = when or timestamp()
    return result


def with_tags(data: ArticleData, add: Sequence[str] = (), remove: Sequence[str] = ()) -> ArticleData:
    """A copy with tags ``add`` added and ``remove`` removed (exact spelling), stamped when it changed."""
    drop = set(remove)
    tags = [t for t in normalize_tags([*data.tags, *add]) if t not in drop]
    return data if tags == data.tags else with_value(data, "tags", tags)


def merge_article_data(base: ArticleData, ours: ArticleData, theirs: ArticleData) -> ArticleData:
    """Three-way merge, field by field (see the module documentation)."""
    result = copy_data(theirs)
    result.extra = {**theirs.extra, **{k: v for k, v in ours.extra.items() if base.extra.get(k) != v}}
    for name in FIELDS:
        b, o, t = base.value(name), ours.value(name), theirs.value(name)
        o_time, t_time = ours.modified.get(name, ""), theirs.modified.get(name, "")
        if o == t:
            value, stamp = o, max(o_time, t_time)
        elif o == b and o_time == base.modified.get(name, ""):
            continue  # only they changed it: theirs, already in the result
        elif t == b and t_time == base.modified.get(name, ""):
            value, stamp = o, o_time
        elif name == "tags":
            added = [tag for tag in o if tag not in b]
            removed = {tag for tag in b if tag not in o}
            value = [tag for tag in normalize_tags([*t, *added]) if tag not in removed]
            stamp = max(o_time, t_time)
        elif _newer(t_time, o_time):
            continue
        else:
            value, stamp = o, o_time
        setattr(result, name, copy.deepcopy(value))
        if stamp:
            result.modified[name] = stamp
    return result


# --------------------------------------------------------------------------------------------- on disk


def _document_data(document: SidecarDocument | None, name: str) -> ArticleData:
    if document is None:
        return ArticleData()
    try:
        return parse_article_data(document.extra.get(SECTION))
    except ArticleDataError as exc:
        raise SidecarError(name, f"cannot be parsed: {exc}") from exc


def read_article_data(source: Path) -> ArticleData:
    """The article data stored beside ``source`` (empty when it has no sidecar). Raises
    :class:`SidecarError` when the sidecar cannot be parsed."""
    path = sidecar_path(source)
    read = read_sidecar_bytes(path)
    if read is None:
        return ArticleData()
    return _document_data(parse_sidecar(read[0], path.name, strict=False), path.name)


def read_sidecar_summary(source: Path) -> tuple[int, ArticleData]:
    """How many annotations the sidecar of ``source`` holds and its article data; ``(0, empty)`` when there
    is none or it cannot be parsed (for the library scan, which must not stop on a bad file)."""
    try:
        data = json.loads(sidecar_path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0, ArticleData()
    if not isinstance(data, dict):
        return 0, ArticleData()
    items = data.get("annotations")
    try:
        article = parse_article_data(data.get(SECTION))
    except ArticleDataError:
        article = ArticleData()
    return (len(items) if isinstance(items, list) else 0), article


def update_article_data(
    source: Path,
    change: Callable[[ArticleData], ArticleData],
    *,
    base: ArticleData | None = None,
    text_hash: str = "",
    lock_timeout: float = LOCK_TIMEOUT,
) -> ArticleData:
    """Apply ``change`` to the article data of ``source`` and save it; returns what is stored now.

    ``change`` is applied to ``base`` (what the caller showed the user; the data on disk when ``None``) and
    the result merged into the file as it is under the lock. Writes atomically with a ``.bak``; writes
    nothing when the result equals the file's (or nothing was set on an article without a sidecar).
    Raises :class:`SidecarError` when the sidecar cannot be parsed or written (the file is then unchanged),
    :class:`ArticleDataError` for an invalid value.
    """
    path = sidecar_path(Path(source))
    with sidecar_lock(path, lock_timeout):
        read = read_sidecar_bytes(path)
        document = None if read is None else parse_sidecar(read[0], path.name, strict=True)
        disk = _document_data(document, path.name)
        start = disk if base is None else base
        merged = merge_article_data(start, change(copy_data(start)), disk)
        if article_data_to_json(merged) == article_data_to_json(disk):
            return merged
        if document is None:
            if merged.is_empty():
                return merged
            document = SidecarDocument(source=Path(source).name, text_hash=text_hash)
        document.extra[SECTION] = article_data_to_json(merged)
        try:
            atomic_write_bytes(path, serialize_sidecar(document), backup=read is not None)
        except OSError as exc:
            raise SidecarError(path.name, f"could not be saved ({os_reason(exc)})") from exc
    return merged


# --------------------------------------------------------------------------------------------- effective


def authors_text(authors: list[str]) -> str:
    return "; ".join(authors)


def split_authors(author: str | None) -> list[str]:
    """The names in an extracted ``author`` string (the extractor joins several with ``", "``) or a user's
    ``"A; B"``."""
    if not author:
        return []
    separator = ";" if ";" in author else ","
    parts = [p.strip() for p in author.split(separator)]
    # "Family, Given" (one comma, two parts, the second a single word) is one name
    if separator == "," and len(parts) == 2 and " " not in parts[0] and " " not in parts[1]:
        return [author.strip()]
    return [p for p in parts if p]


def effective_meta(meta: ArticleMeta, data: ArticleData) -> ArticleMeta:
    """``meta`` with the user's edits applied (an unset field keeps the extracted value)."""
    return dataclasses.replace(
        meta,
        title=data.title or meta.title,
        author=authors_text(data.authors) if data.authors else meta.author,
        date=data.date or meta.date,
        source=data.source or meta.source,
    )


def extracted_value(meta: ArticleMeta, name: str) -> str:
    """The extracted value shown for field ``name`` when the user has not set it ("" when none)."""
    value = {"title": meta.title, "authors": meta.author, "date": meta.date, "source": meta.source}.get(name)
    return value or ""
