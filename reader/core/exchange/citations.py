"""Citations of articles: BibTeX, CSL-JSON and formatted references (a CSL processor and style).

Built from the library catalog (:class:`~reader.core.models.CatalogEntry`: the effective metadata, that is
the user's edits over what was extracted, plus the article data of the sidecar). Every article of the
library gets a unique key (:mod:`.citekeys`); :func:`pin_keys` stores the keys of cited articles in their
sidecars (``article.citekey``) so that a key, once given out, never changes.

- BibTeX (:func:`to_bibtex`): ``@article`` (with ``journal``) when the article has a source, ``@misc``
  otherwise; ``author`` as ``Family, Given and …`` (an organisation in braces), ``title``, ``date``
  (biblatex) with ``year``/``month``, ``url``, ``doi``, ``language``, ``keywords`` (the article tags); special
  characters escaped for LaTeX; UTF-8.
- CSL-JSON (:func:`to_csl_json`): one item per article, ``id`` = the key, type ``article-newspaper`` with a
  source (``container-title``) or ``webpage`` without; valid against the CSL-JSON schema.
- Formatted references (:func:`format_references`): the CSL-JSON items run through citeproc-py with a CSL
  style: ``apa`` (``resources/csl/apa.csl``), the styles citeproc-py ships by name
  (``harvard-cite-them-right``), or the path of any ``.csl`` file.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reader.core.errors import ExportError, SidecarError
from reader.core.exchange.citekeys import Name, assign_keys, base_key, parse_name, split_names
from reader.core.models import Article, CatalogEntry
from reader.core.notes.article_data import (
    ArticleData,
    effective_meta,
    read_article_data,
    update_article_data,
    with_value,
)

#: Styles known by name; others are a path to a ``.csl`` file or a style citeproc-py ships.
STYLES: dict[str, str] = {"apa": "csl/apa.csl"}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True, slots=True)
class CitationRecord:
    """What a citation says about one article (effective values)."""

    key: str
    relpath: str
    title: str
    authors: tuple[str, ...] = ()
    date: str | None = None
    source: str | None = None
    url: str | None = None
    doi: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    #: Whether ``key`` is the one stored in the article's sidecar.
    stored: bool = False

    @property
    def date_parts(self) -> list[int]:
        match = _DATE.match(self.date or "")
        return [int(p) for p in match.groups() if p] if match else []

    @property
    def year(self) -> str:
        parts = self.date_parts
        return str(parts[0]) if parts else ""


def records_for(entries: Sequence[CatalogEntry]) -> list[CitationRecord]:
    """A record for each entry (in the given order), with keys unique among ``entries`` (pass the whole
    library so that they are unique in it)."""
    prepared = []
    for entry in entries:
        meta = entry.meta
        authors = tuple(split_names(meta.author))
        match = _DATE.match(meta.date or "")
        year = match.group(1) if match else ""
        prepared.append((entry, authors, base_key(authors, year, meta.title)))
    keys = assign_keys((entry.relpath, entry.citekey, base) for entry, _, base in prepared)
    return [
        CitationRecord(
            key=keys[entry.relpath],
            relpath=entry.relpath,
            title=entry.meta.title,
            authors=authors,
            date=entry.meta.date,
            source=entry.meta.source,
            url=entry.url or None,
            doi=entry.doi or None,
            language=entry.meta.language,
            tags=entry.tags,
            stored=bool(entry.citekey) and keys[entry.relpath] == entry.citekey,
        )
        for entry, authors, _ in prepared
    ]


def pin_keys(library: Path, records: Sequence[CitationRecord]) -> list[str]:
    """Store the keys of ``records`` not stored yet in their sidecars; returns their relpaths.

    Raises :class:`~reader.core.errors.SidecarError` when a sidecar cannot be parsed or written."""
    pinned = []
    for record in records:
        if not record.stored:
            update_article_data(library / record.relpath, functools.partial(_with_key, key=record.key))
            pinned.append(record.relpath)
    return pinned


def _with_key(data: ArticleData, key: str) -> ArticleData:
    return with_value(data, "citekey", key)


def article_citekey(article: Article) -> str:
    """The key of one article without the rest of the library: the one stored in its sidecar, else its base
    key from its effective metadata (what :func:`records_for` gives it unless another article has it)."""
    try:
        data = read_article_data(article.path)
    except SidecarError:
        data = ArticleData()
    if data.citekey:
        return data.citekey
    meta = effective_meta(article.meta, data)
    match = _DATE.match(meta.date or "")
    return base_key(split_names(meta.author), match.group(1) if match else "", meta.title)


def pandoc_citation(key: str, page: object = None) -> str:
    """``[@key]``, or ``[@key, p. 12]`` with a page."""
    return f"[@{key}, p. {page}]" if page not in (None, "") else f"[@{key}]"


# --------------------------------------------------------------------------------------------- CSL-JSON


def _csl_name(name: Name) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    return {"family": name.family, "given": name.given} if name.given else {"family": name.family}


def csl_item(record: CitationRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": record.key,
        "type": "article-newspaper" if record.source else "webpage",
        "title": record.title,
    }
    names = [parse_name(author) for author in record.authors]
    if names:
        item["author"] = [_csl_name(name) for name in names if name != Name()]
    if record.date_parts:
        item["issued"] = {"date-parts": [record.date_parts]}
    optional = {"container-title": record.source, "URL": record.url, "DOI": record.doi}
    optional["language"] = record.language
    item.update({k: v for k, v in optional.items() if v})
    if record.tags:
        item["keyword"] = ", ".join(record.tags)
    return item


def to_csl_json(records: Sequence[CitationRecord]) -> str:
    return json.dumps([csl_item(r) for r in records], ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------------------------- BibTeX

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in " ".join(text.split()))


def _bibtex_name(name: Name) -> str:
    if name.literal:
        return "{" + latex_escape(name.literal) + "}"
    family = latex_escape(name.family)
    return f"{family}, {latex_escape(name.given)}" if name.given else family


def _url(text: str) -> str:
    return "".join({"{": "%7B", "}": "%7D", " ": "%20"}.get(c, c) for c in text.strip())


def bibtex_entry(record: CitationRecord) -> str:
    fields: list[tuple[str, str]] = []
    names = [parse_name(author) for author in record.authors]
    names = [name for name in names if name != Name()]
    if names:
        fields.append(("author", " and ".join(_bibtex_name(n) for n in names)))
    fields.append(("title", latex_escape(record.title)))
    if record.source:
        fields.append(("journal", latex_escape(record.source)))
    parts = record.date_parts
    if parts:
        fields.append(("date", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
        fields.append(("year", str(parts[0])))
        if len(parts) > 1 and 1 <= parts[1] <= 12:
            fields.append(("month", _MONTHS[parts[1] - 1]))
    if record.url:
        fields.append(("url", _url(record.url)))
    if record.doi:
        fields.append(("doi", _url(record.doi)))
    if record.language:
        fields.append(("language", latex_escape(record.language)))
    if record.tags:
        fields.append(("keywords", latex_escape(", ".join(record.tags))))
    kind = "article" if record.source else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{record.key},\n{body}\n}}\n"


def to_bibtex(records: Sequence[CitationRecord]) -> str:
    return "\n".join(bibtex_entry(r) for r in records)


# --------------------------------------------------------------------------------------------- CSL styles


def resolve_style(style: str) -> Path | str:
    """The CSL file of ``style`` (a name of :data:`STYLES` or a path), or the name of a style citeproc-py
    ships. Raises :class:`ExportError` for an unknown style."""
    if style in STYLES:
        return Path(str(resources.files("reader.resources") / STYLES[style]))
    path = Path(style).expanduser()
    if path.suffix == ".csl":
        if not path.is_file():
            raise ExportError(f"no such CSL style file: {style}")
        return path
    from citeproc import STYLES_PATH

    if (Path(STYLES_PATH) / f"{style}.csl").is_file():
        return style
    shipped = sorted(p.stem for p in Path(STYLES_PATH).glob("*.csl"))
    names = ", ".join([*STYLES, *shipped])
    raise ExportError(f"unknown citation style {style!r} (use {names} or the path of a .csl file)")


def _for_processor(item: dict[str, Any]) -> dict[str, Any]:
    """citeproc-py initialises ``Ji-young`` as ``J.-. young``: give it ``Ji-Young`` (``J.-Y.``)."""
    result = dict(item)
    result["author"] = [
        {**name, "given": re.sub(r"-([a-z])", lambda m: "-" + m.group(1).upper(), name["given"])}
        if "given" in name
        else name
        for name in item.get("author", [])
    ]
    if not result["author"]:
        del result["author"]
    return result


def format_references(records: Sequence[CitationRecord], style: str = "apa") -> list[str]:
    """The bibliography of ``records`` in ``style`` as plain text, one reference per item, in the style's
    order. Raises :class:`ExportError` for an unknown style or one the processor cannot use."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    if not records:
        return []
    location = resolve_style(style)
    items = [_for_processor(csl_item(r)) for r in records]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # citeproc-py warns about CSL features it does not implement
            csl_style = CitationStylesStyle(str(location), validate=False)
            bibliography = CitationStylesBibliography(csl_style, CiteProcJSON(items), formatter.plain)
            for item in items:
                bibliography.register(Citation([CitationItem(item["id"])]))
            return [" ".join(str(entry).split()) for entry in bibliography.bibliography()]
    except Exception as exc:
        raise ExportError(f"the citation style {style!r} could not be used: {exc}") from exc
