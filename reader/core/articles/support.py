"""Which formats this installation can read, and why not when it cannot.

Each format reads files through third-party libraries (HTML: lxml, lxml_html_clean, nh3, trafilatura and
what trafilatura imports). A library that is missing or fails to import must not stop a library scan: the
loader asks :func:`format_problem` before parsing, and a file of an unavailable format is skipped with a
one-line reason that names the missing package and the command that fixes it. ``python -m reader doctor``
reports the same checks.

The check imports each library once per process (cached); :func:`forget` clears the cache (tests).
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: The command that restores every declared dependency (the README's install command installs from it).
REINSTALL_COMMAND = "pip install -r requirements/app.lock"


@dataclass(frozen=True, slots=True)
class Library:
    """A module a format imports, and the distribution that provides it."""

    module: str
    distribution: str


#: What each format needs, in import order (a dependency before what imports it, so that the first
#: failure names the package that is really missing).
FORMAT_LIBRARIES: dict[str, tuple[Library, ...]] = {
    "text": (Library("charset_normalizer", "charset-normalizer"),),
    "markdown": (
        Library("charset_normalizer", "charset-normalizer"),
        Library("markdown_it", "markdown-it-py"),
        Library("yaml", "PyYAML"),
    ),
    "html": (
        Library("charset_normalizer", "charset-normalizer"),
        Library("lxml", "lxml"),
        Library("lxml_html_clean", "lxml_html_clean"),
        Library("nh3", "nh3"),
        Library("justext", "jusText"),
        Library("trafilatura", "trafilatura"),
    ),
    "pdf": (Library("pypdfium2", "pypdfium2"), Library("lxml", "lxml")),
    "epub": (Library("lxml", "lxml"), Library("nh3", "nh3")),
}

#: Names used in messages.
FORMAT_LABELS = {"text": "Plain text", "markdown": "Markdown", "html": "HTML", "pdf": "PDF", "epub": "EPUB"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@functools.cache
def format_problem(fmt: str) -> str | None:
    """``None`` when ``fmt`` can be read here, else a one-line reason with the fix.

    E.g. ``HTML support is unavailable: the package lxml_html_clean is missing; reinstall with:
    pip install -r requirements/app.lock``.
    """
    label = FORMAT_LABELS.get(fmt, fmt)
    for library in FORMAT_LIBRARIES.get(fmt, ()):
        try:
            importlib.import_module(library.module)
        except ImportError as exc:
            root = (exc.name or library.module).split(".")[0]
            what = (
                f"the package {library.distribution} is missing"
                if root == library.module
                else f"the package {library.distribution} cannot import {exc.name}"
            )
            log.info("%s support unavailable: %s (%s)", label, what, _first_line(exc))
            return f"{label} support is unavailable: {what}; reinstall with: {REINSTALL_COMMAND}"
        except Exception as exc:
            log.info("%s support unavailable: %s fails to import", label, library.module, exc_info=True)
            return (
                f"{label} support is unavailable: the package {library.distribution} fails to import "
                f"({_first_line(exc)}); reinstall with: {REINSTALL_COMMAND}"
            )
    return None


def unavailable_formats() -> dict[str, str]:
    """Every format this installation cannot read, with the reason."""
    problems = {fmt: format_problem(fmt) for fmt in FORMAT_LIBRARIES}
    return {fmt: reason for fmt, reason in problems.items() if reason is not None}


def forget() -> None:
    """Forget the cached checks (after the installation changed; tests)."""
    format_problem.cache_clear()
