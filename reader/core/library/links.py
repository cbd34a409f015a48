"""Links that open the reader at an article and a highlight: ``research-reader://open?library=…&path=…``.

The URI::

    research-reader://open?library=<absolute library folder>&path=<article path in it>&annotation=<id>

(query values percent-encoded; ``annotation`` optional). :func:`make_uri` writes one; :func:`parse_uri`
reads one and refuses, with a one-line reason (:class:`LinkError`), anything it should not open: another
scheme or action, missing or repeated parameters, control characters, a library this reader does not know
(:func:`known_library`: one it has scanned, so that it has a catalog cache, or the bundled sample
library), an article path that is absolute, climbs out with ``..``, leads outside the library through a
link, is hidden or a sidecar, is not a file, or is not of a format the reader reads, and an annotation id
that is not a plain id. Parsing opens nothing and writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, quote, urlsplit

from reader.core import paths
from reader.core.errors import ReaderError
from reader.core.library.scan import ARTICLE_SUFFIXES, is_ignored_name

SCHEME = "research-reader"
ACTION = "open"
MAX_URI_LENGTH = 8192
_ANNOTATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LinkError(ReaderError):
    """A link that opens nothing, with why (one line)."""


@dataclass(frozen=True, slots=True)
class OpenTarget:
    """What a link opens: an article of a library, and optionally one of its annotations."""

    library: Path
    relpath: str
    annotation: str | None = None

    @property
    def path(self) -> Path:
        return self.library / self.relpath


def make_uri(library: Path, relpath: str, annotation: str | None = None) -> str:
    """The link to ``relpath`` of ``library`` (and ``annotation`` in it)."""
    query = f"library={quote(str(Path(library).resolve()), safe='/')}&path={quote(relpath, safe='/')}"
    if annotation:
        query += f"&annotation={quote(annotation, safe='')}"
    return f"{SCHEME}://{ACTION}?{query}"


def known_library(library: Path) -> bool:
    """Whether this reader has opened or scanned ``library`` (it has a catalog cache), or it is the bundled
    sample library."""
    resolved = Path(library).resolve()
    bundled = paths.bundled_library()
    return paths.catalog_cache_path(resolved).exists() or (
        bundled is not None and bundled.resolve() == resolved
    )


def _single(query: dict[str, list[str]], name: str, required: bool) -> str | None:
    values = query.get(name, [])
    if len(values) > 1:
        raise LinkError(f"the link names more than one {name}")
    if not values or not values[0]:
        if required:
            raise LinkError(f"the link has no {name}")
        return None
    if _CONTROL.search(values[0]):
        raise LinkError(f"the {name} of the link holds control characters")
    return values[0]


def _article_path(library: Path, value: str) -> str:
    rel = PurePosixPath(value)
    if rel.is_absolute() or value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        raise LinkError("the article path of the link is absolute; it must be inside the library")
    if any(part in ("..", ".") for part in rel.parts) or "\\" in value:
        raise LinkError("the article path of the link climbs out of the library")
    if any(is_ignored_name(part) for part in rel.parts):
        raise LinkError("the link points to a hidden file, a sidecar or a temporary file, not an article")
    if rel.suffix.lower() not in ARTICLE_SUFFIXES:
        raise LinkError(f"the link points to a {rel.suffix or 'file without extension'}, not an article")
    target = (library / rel.as_posix()).resolve()
    if library not in target.parents:
        raise LinkError("the article path of the link leads outside the library")
    if not target.is_file():
        raise LinkError(f"no article {rel.as_posix()} in the library {library}")
    return rel.as_posix()


def parse_uri(uri: str, is_known: Callable[[Path], bool] = known_library) -> OpenTarget:
    """The target of a link; raises :class:`LinkError` for anything that must not be opened."""
    if len(uri) > MAX_URI_LENGTH:
        raise LinkError(f"the link is too long ({len(uri)} characters)")
    if _CONTROL.search(uri):
        raise LinkError("the link holds control characters")
    try:
        parts = urlsplit(uri.strip())
    except ValueError as exc:
        raise LinkError(f"not a valid link: {exc}") from exc
    if parts.scheme.lower() != SCHEME:
        raise LinkError(f"not a {SCHEME}: link")
    if parts.netloc != ACTION or parts.path not in ("", "/"):
        raise LinkError(f"unknown action in the link (only {SCHEME}://{ACTION}?… is understood)")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise LinkError(f"the link's parameters cannot be read: {exc}") from exc
    unknown = sorted(set(query) - {"library", "path", "annotation"})
    if unknown:
        raise LinkError(f"unknown parameter in the link: {unknown[0]}")
    library_value = _single(query, "library", True)
    path_value = _single(query, "path", True)
    annotation = _single(query, "annotation", False)
    assert library_value is not None and path_value is not None
    library = Path(library_value)
    if not library.is_absolute():
        raise LinkError("the library of the link is not an absolute folder path")
    if not library.is_dir():
        raise LinkError(f"no library folder {library}")
    library = library.resolve()
    if not is_known(library):
        raise LinkError(f"unknown library {library}: open it in the reader once first")
    if annotation is not None and not _ANNOTATION_ID.match(annotation):
        raise LinkError("the annotation id of the link is not a valid id")
    return OpenTarget(library, _article_path(library, path_value), annotation)
