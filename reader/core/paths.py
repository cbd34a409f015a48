"""Where the reader keeps its own data: settings, caches and the search index.

Everything lives in the platform's user directories (platformdirs), unless ``READER_DATA_DIR`` names a
folder (tests and portable installs use it). The library folder itself only ever holds articles and their
``.notes.json`` sidecars.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

from reader import APP_ID

ENV_DATA_DIR = "READER_DATA_DIR"
ENV_INDEX_DIR = "READER_INDEX_DIR"


def data_dir() -> Path:
    """The root of the reader's own data (created on demand)."""
    override = os.environ.get(ENV_DATA_DIR)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def config_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override) / "config"
    return Path(platformdirs.user_config_dir(APP_ID, appauthor=False))


def cache_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override) / "cache"
    return Path(platformdirs.user_cache_dir(APP_ID, appauthor=False))


def library_key(library: Path) -> str:
    """A short stable key for a library folder, used to keep one index and catalog per library."""
    resolved = str(Path(library).expanduser().resolve())
    return hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]


def index_dir_for(library: Path, override: Path | None = None) -> Path:
    """The search index folder for ``library``: ``override`` (``--index-dir``), ``READER_INDEX_DIR``, or
    ``<cache>/index/<library key>``."""
    if override is not None:
        return Path(override)
    env = os.environ.get(ENV_INDEX_DIR)
    if env:
        return Path(env)
    return cache_dir() / "index" / library_key(library)


def catalog_cache_path(library: Path) -> Path:
    """Where the scan cache (path, size, mtime -> metadata) of ``library`` is kept."""
    return cache_dir() / "catalog" / f"{library_key(library)}.json"


def bundled_library() -> Path | None:
    """The sample library shipped with the source checkout, if present."""
    candidate = Path(__file__).resolve().parent.parent.parent / "library"
    return candidate if candidate.is_dir() else None
