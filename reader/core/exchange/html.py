"""HTML export: one self-contained, printable page with every article's highlights and notes.

Format: inline CSS, no scripts, no remote resources, ``@media print`` rules (one article per printed page);
one ``<section>`` per article with its metadata (author, date, source, a link to the file) and one
``<article>`` per highlight: the quote marked in its colour, the colour's name, a notice when the passage
is not an exact match (``p.status``: "approximate match: …" for ``fuzzy``, "passage not found in the
current text" for ``orphaned``; the highlight's border is then dashed), the note and the tags. Notes are
rendered from Markdown with raw HTML disabled and then sanitized with nh3 (no images, so nothing is fetched
when the page is opened).
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt

from reader.core.exchange.presentation import (
    DEFAULT_SWATCH,
    GENERATOR,
    SWATCHES,
    annotation_link,
    color_class,
    color_label,
    file_uri,
    status_notice,
)
from reader.core.exchange.selection import ExportItem
from reader.core.models import COLORS, Annotation, now_iso

_NOTE_MD = MarkdownIt("commonmark", {"html": False})
_NOTE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_NOTE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "code": {"class"}}

_CSS = """
:root { color-scheme: light; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Apple SD Gothic Neo",
       sans-serif; color: #1d1d1f; background: #fff; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; margin: 0 0 .4rem; }
.summary, .dates { color: #666; font-size: .85rem; }
nav.toc { border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0 2rem; }
nav.toc ol { margin: .3rem 0; padding-left: 1.4rem; }
section.article { border-top: 2px solid #ccc; padding-top: 1.2rem; margin-top: 2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; font-size: .9rem;
          margin: 0 0 1rem; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
article.annotation { margin: 1.2rem 0; padding: .2rem 0 .2rem .9rem; border-left: 5px solid var(--accent);
                     break-inside: avoid; page-break-inside: avoid; }
blockquote.quote { margin: 0; }
blockquote.quote p { margin: .2rem 0; }
blockquote.quote mark { background: var(--bg); color: inherit; padding: 0 .1rem;
                        -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.color { font-size: .8rem; color: #555; margin: .3rem 0; }
article.annotation.status-fuzzy, article.annotation.status-orphaned { border-left-style: dashed; }
p.status { font-size: .85rem; font-weight: 600; color: #8a4b00; margin: .3rem 0; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; vertical-align: -.05em;
          background: var(--bg); border: 1px solid var(--accent); }
.note { margin: .4rem 0; }
.note p { margin: .3rem 0; }
.note pre { background: #f5f5f5; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
ul.tags { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .3rem; }
ul.tags li { font-size: .8rem; background: #eef; border-radius: 3px; padding: 0 .4rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 11pt; }
  nav.toc { display: none; }
  section.article { break-before: page; page-break-before: always; border-top: none; }
  section.article:first-of-type { break-before: auto; page-break-before: auto; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_note_html(note: str) -> str:
    """A note's Markdown as sanitized HTML: raw HTML is not rendered, images and scripts never survive."""
    rendered = _NOTE_MD.render(note)
    cleaned: str = nh3.clean(
        rendered,
        tags=_NOTE_TAGS,
        attributes=_NOTE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return cleaned


def _swatch_css() -> str:
    rules = []
    for color in (*COLORS, *(c for c in SWATCHES if c not in COLORS)):
        background, accent = SWATCHES[color]
        rules.append(f".c-{color_class(color)} {{ --bg: {background}; --accent: {accent}; }}")
    background, accent = DEFAULT_SWATCH
    rules.insert(0, f"article.annotation {{ --bg: {background}; --accent: {accent}; }}")
    return "\n".join(rules)


def _html_annotation(annotation: Annotation, link: str = "", label: str = "") -> list[str]:
    esc = _html.escape
    paragraphs = [line for line in annotation.exact.split("\n") if line.strip()] or ["…"]
    notice = status_notice(annotation)
    classes = f"annotation c-{color_class(annotation.color)}"
    if notice is not None:
        classes += f" status-{color_class(annotation.status)}"
    out = [
        f'<article class="{esc(classes)}" id="ann-{esc(annotation.id)}">',
        '<blockquote class="quote">',
        *(f"<p><mark>{esc(p)}</mark></p>" for p in paragraphs),
        "</blockquote>",
        f'<p class="color"><span class="swatch"></span> {esc(annotation.color)}'
        + (f" — {esc(label)}" if label else "")
        + (f" · {esc(annotation.status)}" if annotation.status != "anchored" and notice is None else "")
        + (f' · <a class="open" href="{esc(link)}">open in reader</a>' if link else "")
        + "</p>",
    ]
    if notice is not None:
        out.append(f'<p class="status">⚠ {esc(notice)}</p>')
    if annotation.note.strip():
        out.append(f'<div class="note">{render_note_html(annotation.note)}</div>')
    if annotation.tags:
        out.append('<ul class="tags">' + "".join(f"<li>#{esc(t)}</li>" for t in annotation.tags) + "</ul>")
    out.append(
        f'<p class="dates">created {esc(annotation.created)} · modified {esc(annotation.modified)}</p>'
    )
    out.append("</article>")
    return out


def render_html(items: Sequence[ExportItem], title: str) -> str:
    """One self-contained, printable HTML page with every article's highlights and notes."""
    esc = _html.escape
    total = sum(len(item.annotations) for item in items)
    out = [
        "<!DOCTYPE html>",
        '<html lang="und">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{GENERATOR}">',
        f"<title>{esc(title)}</title>",
        "<style>" + _CSS + _swatch_css() + "\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="summary">{total} annotation{"s" if total != 1 else ""} in {len(items)} '
        f"article{'s' if len(items) != 1 else ''} · exported {esc(now_iso())}</p>",
        "</header>",
    ]
    if len(items) > 1:
        out.append('<nav class="toc"><ol>')
        out += [
            f'<li><a href="#article-{n}">{esc(item.article.meta.title)}</a></li>'
            for n, item in enumerate(items, 1)
        ]
        out.append("</ol></nav>")
    out.append("<main>")
    for n, item in enumerate(items, 1):
        meta = item.article.meta
        lang = f' lang="{esc(meta.language)}"' if meta.language else ""
        out.append(f'<section class="article" id="article-{n}"{lang}>')
        out.append(f"<h2>{esc(meta.title)}</h2>")
        out.append('<dl class="meta">')
        for name, value in (("Author", meta.author), ("Date", meta.date), ("Source", meta.source)):
            if value:
                out.append(f"<dt>{name}</dt><dd>{esc(value)}</dd>")
        href = esc(file_uri(item.article.path))
        out.append(f'<dt>File</dt><dd><a href="{href}">{esc(item.article.relpath)}</a></dd>')
        out.append(f"<dt>Highlights</dt><dd>{len(item.annotations)}</dd>")
        out.append("</dl>")
        for annotation in item.annotations:
            link = annotation_link(item.article, annotation)
            out += _html_annotation(annotation, link, color_label(item.article, annotation.color))
        out.append("</section>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
