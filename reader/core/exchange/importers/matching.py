"""Which article of the library a tool's book or page is: by URL, file name, title and author, then content.

Tried in that order for each :class:`~.records.SourceBook`; the first rule that names exactly one article
wins. The content rule reads the articles' texts (once, on demand) and picks the one article that holds most
of the book's quotes. An unmatched book is reported with its best candidates (by title similarity), so the
user can add the article and import again.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from rapidfuzz import fuzz

from reader.core.exchange.importers.records import SourceBook

#: Title similarity (rapidfuzz token-set ratio, 0-100) that counts as the same title.
TITLE_MATCH = 90.0
#: Author similarity needed too when both sides name an author.
AUTHOR_MATCH = 70.0
#: Share of a book's quotes an article must hold for the content rule.
CONTENT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class LibraryArticle:
    """What matching knows of an article before reading it."""

    relpath: str
    title: str
    author: str = ""


@dataclass(frozen=True, slots=True)
class BookMatch:
    relpath: str | None
    rule: str  #: ``url``, ``file name``, ``title``, ``content`` or ``none``
    candidates: tuple[str, ...] = ()  #: for an unmatched book: the most similar titles' relpaths


def fold(text: str) -> str:
    """Lower case, accents and punctuation removed, whitespace folded (for comparing names)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def _stem(name: str) -> str:
    base = PurePosixPath(name).name
    for suffix in (".kepub.epub", ".sdr"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
    return fold(PurePosixPath(base).stem if "." in base else base)


def _author_names(author: str) -> str:
    """``Cockburn, Alistair`` and ``Alistair Cockburn`` compare equal."""
    return " ".join(sorted(fold(author).split()))


def squash(text: str) -> str:
    """Whitespace and quotes folded, for finding a quote in a text."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


class BookMatcher:
    """Matches :class:`SourceBook` values to ``articles``; ``read_text(relpath)`` gives an article's text
    for the content rule (``None`` when it cannot be read)."""

    def __init__(self, articles: Sequence[LibraryArticle], read_text: Callable[[str], str | None]) -> None:
        self.articles = list(articles)
        self._read_text = read_text
        self._texts: dict[str, str] | None = None

    def _texts_by_path(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = {}
            for article in self.articles:
                text = self._read_text(article.relpath)
                if text is not None:
                    self._texts[article.relpath] = squash(text)
        return self._texts

    def _one(self, found: list[str]) -> str | None:
        unique = list(dict.fromkeys(found))
        return unique[0] if len(unique) == 1 else None

    def by_url(self, url: str) -> str | None:
        if not url:
            return None
        parts = [p for p in urllib.parse.urlsplit(url).path.split("/") if p]
        if not parts:
            return None
        last = fold(urllib.parse.unquote(parts[-1]))
        return self._one([a.relpath for a in self.articles if last and _stem(a.relpath) == last])

    def by_file_name(self, name: str) -> str | None:
        if not name:
            return None
        stem = _stem(name)
        return self._one([a.relpath for a in self.articles if stem and _stem(a.relpath) == stem])

    def title_score(self, book: SourceBook, article: LibraryArticle) -> float:
        if not book.title:
            return 0.0
        score = float(fuzz.token_set_ratio(fold(book.title), fold(article.title)))
        if book.author and article.author:
            authors = float(fuzz.token_set_ratio(_author_names(book.author), _author_names(article.author)))
            if authors < AUTHOR_MATCH:
                return min(score, TITLE_MATCH - 1)
        return score

    def by_title(self, book: SourceBook) -> str | None:
        scored = [(self.title_score(book, a), a.relpath) for a in self.articles]
        best = [rel for score, rel in scored if score >= TITLE_MATCH]
        if len(best) > 1:
            top = max(score for score, _ in scored)
            best = [rel for score, rel in scored if score == top]
        return self._one(best)

    def by_content(self, quotes: Sequence[str]) -> str | None:
        wanted = [squash(q) for q in quotes if len(q.split()) >= 3]
        if not wanted:
            return None
        texts = self._texts_by_path()
        counts = {rel: sum(q in text for q in wanted) for rel, text in texts.items()}
        best = max(counts.values(), default=0)
        if best == 0 or best < CONTENT_SHARE * len(wanted):
            return None
        return self._one([rel for rel, count in counts.items() if count == best])

    def match(self, book: SourceBook, quotes: Sequence[str]) -> BookMatch:
        rules: tuple[tuple[str, Callable[[], str | None]], ...] = (
            ("url", lambda: self.by_url(book.url)),
            ("file name", lambda: self.by_file_name(book.file_name)),
            ("title", lambda: self.by_title(book)),
            ("content", lambda: self.by_content(quotes)),
        )
        for rule, found in rules:
            relpath = found()
            if relpath is not None:
                return BookMatch(relpath, rule)
        ranked = sorted(self.articles, key=lambda a: -self.title_score(book, a))
        return BookMatch(None, "none", tuple(a.relpath for a in ranked[:3] if self.title_score(book, a) > 40))


_WORD = re.compile(r"\S+")


def find_quote_loosely(text: str, quote: str, hint: int = 0) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text`` when whitespace and typographic quotes may differ (a Kindle quote
    across a paragraph break, curly against straight apostrophes); the occurrence nearest ``hint``."""
    words = _WORD.findall(squash(quote))
    if not words:
        return None
    pattern = r"\s+".join(
        re.escape(w).replace("'", "['\u2018\u2019]").replace('"', '["\u201c\u201d]') for w in words
    )
    matches = [m.span() for m in re.finditer(pattern, text)]
    if not matches:
        return None
    return min(matches, key=lambda span: abs(span[0] - hint))
