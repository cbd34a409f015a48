"""The project's own exception classes.

Every failure that reaches a user is one of these, with a message written for a person. Whoosh's own
exceptions (``whoosh.index.IndexError`` shadows the builtin) never leave :mod:`reader.core.search`.
"""

from __future__ import annotations


class ReaderError(Exception):
    """Base class: ``str(error)`` is a one-line message fit to show a user."""


class ArticleReadError(ReaderError):
    """A file could not be read as an article (binary, too large, unreadable ...)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class FormatUnavailableError(ArticleReadError):
    """A file's format cannot be read on this installation (its libraries are missing or broken).

    Not a property of the file: such a skip is never cached, so the file is read once the installation is
    fixed. ``reason`` names the missing package and the command that fixes it.
    """


class QueryError(ReaderError):
    """A search query could not be parsed or run; the message says why in one line."""


class SearchIndexError(ReaderError):
    """The search index could not be opened, updated or searched."""


class IndexBusyError(SearchIndexError):
    """Another writer holds the index lock beyond the timeout."""


class SidecarError(ReaderError):
    """A notes sidecar cannot be parsed or written. A sidecar that cannot be parsed is never overwritten."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class AnchorError(ReaderError):
    """A quote could not be found in an article's canonical text."""


class ExportError(ReaderError):
    """An export or import failed."""
