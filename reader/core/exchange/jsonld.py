"""JSON-LD export: the notes as a W3C Web Annotation ``AnnotationCollection``.

Format: one ``AnnotationCollection`` with an embedded ``first`` ``AnnotationPage`` whose ``items`` are the
annotations. Each annotation has ``@context`` ``http://www.w3.org/ns/anno.jsonld``, ``id`` ``urn:uuid:…``,
``motivation: highlighting``, ``created``/``modified``, a ``TextualBody`` note (``text/markdown``,
``purpose: commenting``), one ``TextualBody`` per tag (``purpose: tagging``), and a ``SpecificResource``
target (``source`` = file URI, ``selector`` = [TextQuoteSelector, TextPositionSelector, and for a PDF a
FragmentSelector ``page=N`` (RFC 3778)]; an ``orphaned`` annotation, whose passage was not found in the
current text, has no TextPositionSelector, since its stored offsets are only its last known position). The
colour uses the model's own styling (§4.4): ``target.styleClass`` is the colour name and the annotation
carries a ``CssStylesheet`` defining it. The article's library-relative path is kept in ``reader:relpath`` (an
absolute-IRI key, kept by JSON-LD processors) so that :mod:`.jsonld_import` can match articles in
another library; the anchoring status (``anchored``, ``moved``, ``fuzzy``: an approximate match, or
``orphaned``) is kept in ``reader:status``; a colour that is not a valid class name is kept verbatim in
``reader:color``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from reader.core.exchange.presentation import (
    DEFAULT_SWATCH,
    GENERATOR,
    SWATCHES,
    annotation_link,
    color_class,
    color_label,
    file_uri,
    has_position,
    pdf_page,
)
from reader.core.exchange.selection import ExportItem, parse_timestamp
from reader.core.models import Annotation, Article, now_iso

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: Key of the library-relative path in exported annotations (see the module documentation).
RELPATH_KEY = "reader:relpath"
#: Key of the anchoring status of an exported annotation (``fuzzy``: an approximate match).
STATUS_KEY = "reader:status"
#: Key of a colour kept verbatim when its class name differs from it.
COLOR_KEY = "reader:color"

#: ``conformsTo`` of a FragmentSelector naming a PDF page (``page=12``, RFC 3778).
PDF_FRAGMENT = "http://tools.ietf.org/rfc/rfc3778"
#: What the highlight's colour means in the library ("disagree"), when the user named it.
COLOR_LABEL_KEY = "reader:colorLabel"


def rfc3339(value: str) -> str | None:
    """``value`` as an RFC 3339 timestamp with a zone (UTC assumed when missing); ``None`` if unparseable."""
    parsed = parse_timestamp(value)
    if parsed is None:
        return None
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value.strip()):
        return value.strip()
    return parsed.isoformat().replace("+00:00", "Z")


def annotation_urn(annotation_id: str) -> str:
    """``urn:uuid:<uuid>`` for a UUID id; ids that are already URIs are kept; anything else is hashed."""
    try:
        return uuid.UUID(annotation_id).urn
    except ValueError:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", annotation_id):
            return annotation_id
        return uuid.uuid5(uuid.NAMESPACE_URL, annotation_id).urn


def stylesheet_for(color: str) -> str:
    background, accent = SWATCHES.get(color, DEFAULT_SWATCH)
    return f".{color_class(color)} {{ background-color: {background}; border-bottom: 2px solid {accent}; }}"


def annotation_jsonld(annotation: Annotation, article: Article) -> dict[str, Any]:
    """One annotation as a W3C Web Annotation (see the module documentation)."""
    bodies: list[dict[str, Any]] = []
    if annotation.note:
        bodies.append(
            {
                "type": "TextualBody",
                "value": annotation.note,
                "format": "text/markdown",
                "purpose": "commenting",
            }
        )
    bodies += [{"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in annotation.tags]
    data: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": annotation_urn(annotation.id),
        "type": "Annotation",
        "motivation": "highlighting",
    }
    for key in ("created", "modified"):
        stamp = rfc3339(getattr(annotation, key))
        if stamp is not None:
            data[key] = stamp
    if bodies:
        data["body"] = bodies
    data["stylesheet"] = {"type": "CssStylesheet", "value": stylesheet_for(annotation.color)}
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": annotation.exact}
    if annotation.prefix:
        quote["prefix"] = annotation.prefix
    if annotation.suffix:
        quote["suffix"] = annotation.suffix
    selectors = [quote]
    if has_position(annotation):
        selectors.append(
            {
                "type": "TextPositionSelector",
                "start": max(0, annotation.start),
                "end": max(0, annotation.end),
            }
        )
    page = pdf_page(article, annotation)
    if page is not None:  # RFC 3778: a PDF page, 1-based
        selectors.append({"type": "FragmentSelector", "conformsTo": PDF_FRAGMENT, "value": f"page={page}"})
    data["target"] = {
        "type": "SpecificResource",
        "source": file_uri(article.path),
        "styleClass": color_class(annotation.color),
        "selector": selectors,
    }
    # The link that opens the reader at this highlight, and for an imported note where it came from.
    link = annotation_link(article, annotation)
    data["via"] = (
        [link, annotation.via] if annotation.via.startswith(("http://", "https://", "urn:")) else link
    )
    label = color_label(article, annotation.color)
    if label:
        data[COLOR_LABEL_KEY] = label
    data[RELPATH_KEY] = article.relpath
    data[STATUS_KEY] = annotation.status
    if color_class(annotation.color) != annotation.color:
        data[COLOR_KEY] = annotation.color
    return data


def render_jsonld(items: Sequence[ExportItem], label: str) -> str:
    """An AnnotationCollection with one embedded page holding every annotation of ``items``."""
    annotations = [annotation_jsonld(a, item.article) for item in items for a in item.annotations]
    collection = {
        "@context": ANNO_CONTEXT,
        "id": uuid.uuid4().urn,
        "type": "AnnotationCollection",
        "label": label,
        "total": len(annotations),
        "created": now_iso(),
        "generator": {"type": "Software", "name": GENERATOR},
        "first": {
            "id": uuid.uuid4().urn,
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": annotations,
        },
    }
    return json.dumps(collection, ensure_ascii=False, indent=2) + "\n"
