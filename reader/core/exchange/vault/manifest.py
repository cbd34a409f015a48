"""The vault manifest: what the reader last wrote to a notes vault (the base of the next sync's merge).

Kept at ``VAULT/.research-notes-reader/vault.json`` (a hidden folder, so that Obsidian and library scans
ignore it), written atomically. Layout (``format`` 1)::

    {
      "format": 1,
      "generator": "research-notes-reader",
      "library": "/absolute/path/of/the/library",
      "files": {
        "Alpha article.md": {                      # POSIX path inside the vault
          "article": "alpha.txt",                  # the article's path inside the library
          "front": {"title": ..., "tags": [...]},  # the reader's front matter keys as last written
          "excluded": ["<id>", ...],               # highlights the export's filter left out
          "annotations": {
            "<annotation id>": {"note": "...", "tags": ["..."], "block": "6f1c2a3e", "head": "<sha256>"}
          }
        }
      }
    }

Per annotation: the note and tags as last written to (or read from) the vault, its block id, and the SHA-256
of the generated lines before the block id (the quote, colour and notice) to notice hand edits there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.core.atomic import atomic_write_bytes
from reader.core.errors import ExportError, SidecarError
from reader.core.exchange.citations import article_citekey
from reader.core.exchange.markdown import article_front, block_id, highlight_extras, highlight_head
from reader.core.exchange.presentation import GENERATOR
from reader.core.exchange.selection import ExportItem
from reader.core.models import Annotation
from reader.core.notes.sidecar import load_annotations

MANIFEST_DIR = ".research-notes-reader"
MANIFEST_NAME = "vault.json"
MANIFEST_FORMAT = 1


class VaultError(ExportError):
    """A vault cannot be synced (no manifest, an unreadable manifest, a folder that cannot be written)."""


def manifest_path(vault: Path) -> Path:
    return Path(vault) / MANIFEST_DIR / MANIFEST_NAME


def head_hash(lines: Sequence[str]) -> str:
    """The SHA-256 of a region's head lines (line endings ignored)."""
    return hashlib.sha256("\n".join(line.rstrip("\r\n") for line in lines).encode("utf-8")).hexdigest()


@dataclass(slots=True)
class BaseEntry:
    """One highlight as last written to the vault: the merge base of its note and tags."""

    note: str
    tags: list[str]
    block: str
    head: str

    def to_json(self) -> dict[str, Any]:
        return {"note": self.note, "tags": list(self.tags), "block": self.block, "head": self.head}


@dataclass(slots=True)
class FileEntry:
    """One vault file: the article it holds and the base of each of its highlights."""

    article: str
    front: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, BaseEntry] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "front": self.front,
            "excluded": sorted(self.excluded),
            "annotations": {key: value.to_json() for key, value in self.annotations.items()},
        }


@dataclass(slots=True)
class Manifest:
    library: str
    files: dict[str, FileEntry] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "generator": GENERATOR,
            "library": self.library,
            "files": {key: value.to_json() for key, value in sorted(self.files.items())},
        }

    def dumps(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def base_entry(annotation: Annotation, block: str, head: Sequence[str]) -> BaseEntry:
    return BaseEntry(annotation.note, list(annotation.tags), block, head_hash(head))


def exported_entry(item: ExportItem) -> FileEntry:
    """The manifest entry of an article's file as :func:`.markdown.render_markdown_article` writes it."""
    used: set[str] = set()
    entry = FileEntry(item.article.relpath, article_front(item))
    key = article_citekey(item.article)
    for annotation in item.annotations:
        head = highlight_head(annotation, *highlight_extras(item.article, annotation, key))
        entry.annotations[annotation.id] = base_entry(annotation, block_id(annotation.id, used), head)
    try:
        everything = load_annotations(item.article.path)
    except SidecarError:
        everything = []
    entry.excluded = [a.id for a in everything if a.id not in entry.annotations]
    return entry


def _string_list(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} is not a list of strings")
    return list(value)


def _file_entry(name: str, raw: object) -> FileEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("article"), str):
        raise ValueError(f"the entry of {name!r} has no article")
    front = raw.get("front", {})
    annotations = raw.get("annotations", {})
    if not isinstance(front, dict) or not isinstance(annotations, dict):
        raise ValueError(f"the entry of {name!r} is malformed")
    entry = FileEntry(raw["article"], front, {}, _string_list(raw.get("excluded", []), "excluded"))
    for key, value in annotations.items():
        if not isinstance(value, dict) or not isinstance(value.get("note"), str):
            raise ValueError(f"the base of highlight {key} in {name!r} is malformed")
        entry.annotations[key] = BaseEntry(
            value["note"],
            _string_list(value.get("tags", []), "tags"),
            str(value.get("block", "")),
            str(value.get("head", "")),
        )
    return entry


def read_manifest(vault: Path) -> Manifest:
    """The manifest of ``vault``. Raises :class:`VaultError` (one line) when it is missing or unreadable."""
    path = manifest_path(vault)
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise VaultError(
            f"{vault} has no {MANIFEST_DIR}/{MANIFEST_NAME}: it was not exported by the reader "
            "(export to it first: python -m reader export LIBRARY --format markdown --out VAULT)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VaultError(f"cannot read {path}: {exc}") from exc
    try:
        if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown format {raw.get('format') if isinstance(raw, dict) else None!r}")
        files = raw.get("files")
        if not isinstance(files, dict) or not isinstance(raw.get("library"), str):
            raise ValueError("no library or files")
        return Manifest(raw["library"], {name: _file_entry(name, value) for name, value in files.items()})
    except ValueError as exc:
        raise VaultError(f"cannot read {path}: {exc}") from exc


def write_manifest(vault: Path, manifest: Manifest) -> bool:
    """Write the manifest atomically if it changed; returns whether it was written."""
    path = manifest_path(vault)
    data = manifest.dumps()
    try:
        if path.exists() and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise VaultError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return True


def record_export(vault: Path, library: Path, exported: Iterable[tuple[Path, ExportItem]]) -> None:
    """After a per-article Markdown export: record the files written in the vault's manifest.

    Entries of other files (from an earlier export of the same library) are kept; a manifest of another
    library, or one that cannot be read, is replaced.
    """
    vault = Path(vault).resolve()
    try:
        manifest = read_manifest(vault)
        if manifest.library != str(library):
            manifest = Manifest(str(library))
    except VaultError:
        manifest = Manifest(str(library))
    for path, item in exported:
        manifest.files[path.resolve().relative_to(vault).as_posix()] = exported_entry(item)
    write_manifest(vault, manifest)
