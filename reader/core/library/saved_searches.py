"""Saved searches: a query plus article filters under a name, kept in the library so that they sync with it.

The file is ``<library>/.research-notes-reader/saved-searches.json`` (a hidden folder: the scan never
takes it for an article), pretty-printed UTF-8 JSON::

    {
      "format": "research-notes-reader/saved-searches",
      "version": 1,
      "searches": [
        {"name": "Korean trials", "query": "trial lang:en",
         "filters": {"tags": ["korea"], "match": "all", "status": "unread", "starred": false},
         "modified": "2025-01-02T03:04:05.678Z"}
      ]
    }

- ``query`` is what the search box takes (may be empty); ``filters`` are the article filters of the window
  (article tags, ``all`` or ``any`` of them, reading status, starred only).
- Searches are kept sorted by name; names are unique (compared case-insensitively).
- Writes take the same short lock as sidecars and apply the change to the file as it is under the lock, so
  that two windows saving different searches keep both; the file is written atomically with a ``.bak``.
  Keys this version does not know are kept. A file that cannot be parsed is never overwritten.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.core.atomic import atomic_write_bytes
from reader.core.errors import ReaderError
from reader.core.models import now_iso
from reader.core.notes.locking import sidecar_lock

FOLDER = ".research-notes-reader"
FILE_NAME = "saved-searches.json"
FORMAT = "research-notes-reader/saved-searches"
VERSION = 1
STATUSES = ("", "unread", "reading", "read")


class SavedSearchError(ReaderError):
    """The saved searches file cannot be read or written (a one-line reason)."""


@dataclass(frozen=True, slots=True)
class SavedSearch:
    name: str
    query: str = ""
    tags: tuple[str, ...] = ()
    match_all: bool = True
    status: str = ""
    starred: bool = False
    modified: str = ""


def saved_searches_path(library: Path) -> Path:
    return Path(library) / FOLDER / FILE_NAME


def _search_from_json(item: object, index: int) -> tuple[SavedSearch, dict[str, Any]]:
    where = f"search {index + 1}"
    if not isinstance(item, dict):
        raise SavedSearchError(f"{FILE_NAME}: {where} is not an object")
    name, query = item.get("name"), item.get("query", "")
    filters = item.get("filters", {})
    if (
        not isinstance(name, str)
        or not name.strip()
        or not isinstance(query, str)
        or not isinstance(filters, dict)
    ):
        raise SavedSearchError(f"{FILE_NAME}: {where} needs a name, a query and filters of the right types")
    tags = filters.get("tags", [])
    match, status, starred = (
        filters.get("match", "all"),
        filters.get("status", ""),
        filters.get("starred", False),
    )
    if (
        not isinstance(tags, list)
        or not all(isinstance(t, str) for t in tags)
        or match not in ("all", "any")
        or status not in STATUSES
        or not isinstance(starred, bool)
    ):
        raise SavedSearchError(f"{FILE_NAME}: {where} has invalid filters")
    modified = item.get("modified", "")
    search = SavedSearch(
        name.strip(),
        query,
        tuple(tags),
        match == "all",
        status,
        starred,
        modified if isinstance(modified, str) else "",
    )
    return search, item


def _read(path: Path) -> tuple[dict[str, Any], list[tuple[SavedSearch, dict[str, Any]]]] | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SavedSearchError(f"{FILE_NAME} cannot be read: {exc.strerror or exc}") from exc
    try:
        top = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SavedSearchError(f"{FILE_NAME} cannot be parsed: {exc}") from exc
    if not isinstance(top, dict) or top.get("format") != FORMAT or not isinstance(top.get("searches"), list):
        raise SavedSearchError(f"{FILE_NAME} is not a saved searches file of this reader")
    version = top.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SavedSearchError(f"{FILE_NAME} was written by a newer version of the reader; left untouched")
    return top, [_search_from_json(item, i) for i, item in enumerate(top["searches"])]


def load_saved_searches(library: Path) -> list[SavedSearch]:
    """The library's saved searches, by name; ``[]`` when it has none. Raises :class:`SavedSearchError`."""
    read = _read(saved_searches_path(library))
    return [] if read is None else sorted((s for s, _ in read[1]), key=lambda s: s.name.casefold())


def _to_json(search: SavedSearch, raw: dict[str, Any]) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "tags": list(search.tags),
        "match": "all" if search.match_all else "any",
        "status": search.status,
        "starred": search.starred,
    }
    raw_filters = raw.get("filters") if isinstance(raw.get("filters"), dict) else {}
    assert isinstance(raw_filters, dict)
    filters.update({k: copy.deepcopy(v) for k, v in raw_filters.items() if k not in filters})
    out: dict[str, Any] = {
        "name": search.name,
        "query": search.query,
        "filters": filters,
        "modified": search.modified,
    }
    out.update({k: copy.deepcopy(v) for k, v in raw.items() if k not in out})
    return out


def _update(library: Path, name: str, search: SavedSearch | None) -> list[SavedSearch]:
    path = saved_searches_path(library)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sidecar_lock(path):
        read = _read(path)
        top, items = ({"format": FORMAT, "version": VERSION, "searches": []}, []) if read is None else read
        kept = [(s, raw) for s, raw in items if s.name.casefold() != name.casefold()]
        if search is not None:
            kept.append((search, {}))
        kept.sort(key=lambda pair: pair[0].name.casefold())
        top = {**top, "format": FORMAT, "version": VERSION, "searches": [_to_json(s, raw) for s, raw in kept]}
        data = (json.dumps(top, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        try:
            atomic_write_bytes(path, data, backup=read is not None)
        except OSError as exc:
            raise SavedSearchError(f"{FILE_NAME} could not be saved: {exc.strerror or exc}") from exc
    return [s for s, _ in kept]


def save_search(library: Path, search: SavedSearch) -> list[SavedSearch]:
    """Add ``search`` (replacing one of the same name); returns the searches now saved."""
    if not search.name.strip():
        raise SavedSearchError("a saved search needs a name")
    stamped = SavedSearch(search.name.strip(), search.query, search.tags, search.match_all, search.status,
                          search.starred, now_iso())  # fmt: skip
    return _update(library, stamped.name, stamped)


def delete_search(library: Path, name: str) -> list[SavedSearch]:
    """Remove the search called ``name`` (if any); returns the searches now saved."""
    return _update(library, name, None)
