"""trafilatura's main-content extraction and metadata finder, without the work whose results are never used.

Both functions give exactly what the public calls give for the fields this reader reads (the unit tests
compare them with the public calls on every HTML fixture), and fall back to the public calls when the
installed trafilatura lacks one of the pieces used here (another version):

- :func:`extract_xml` is ``trafilatura.extract(..., output_format="xml")`` without the content fingerprint
  that ``extract`` computes for every XML extraction (a SimHash of the whole text: ~12% of an HTML page's
  load time) and that the reader never reads;
- :func:`page_fallback_metadata` is ``trafilatura.extract_metadata`` reduced to the author, date and site
  name, each only when the caller still needs it: the date search (htmldate, about half of
  ``extract_metadata``) is skipped when the page already gave a date, the byline search (a copy of the whole
  tree) when it gave an author; title, categories, tags and licence are never looked for. The steps kept
  run in trafilatura's order (2.3.1, ``trafilatura/metadata.py``), so that what they find is the same.

trafilatura is imported on first use (it costs ~0.2 s of start-up otherwise).
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

log = logging.getLogger(__name__)


class FallbackMetadata(NamedTuple):
    """What trafilatura's metadata finder found (``None`` where it found nothing or was not asked)."""

    author: str | None
    date: str | None
    sitename: str | None


def _extract_options() -> Any:
    from trafilatura.settings import DEFAULT_CONFIG, Extractor

    # The options trafilatura.extract builds for the reader's call (see html._extract_blocks).
    return Extractor(config=DEFAULT_CONFIG, output_format="xml", fast=False, precision=False, recall=False,
                     comments=False, formatting=None, links=True, images=False, tables=True, dedup=False,
                     lang=None, url=None, with_metadata=False, only_with_metadata=False, tei_validation=False,
                     author_blacklist=None, url_blacklist=None, date_params=None)  # fmt: skip


def extract_xml(source: str) -> str | None:
    """``trafilatura.extract(source, output_format="xml", include_links=True, include_comments=False,
    include_tables=True, include_images=False)``, without computing the fingerprint."""
    try:
        from trafilatura.core import bare_extraction, determine_returnstring
        from trafilatura.settings import Document
    except ImportError:  # another trafilatura: the public call
        import trafilatura

        return trafilatura.extract(source, output_format="xml", include_links=True, include_comments=False,
                                   include_tables=True, include_images=False)  # fmt: skip
    options = _extract_options()
    document = bare_extraction(source, options=options, as_dict=False, prune_xpath=None)
    if not document or not isinstance(document, Document):
        return None
    text: str = determine_returnstring(document, options)
    return text


def page_fallback_metadata(source: str, *, author: bool, date: bool, sitename: bool) -> FallbackMetadata:
    """The fields of ``trafilatura.extract_metadata(source)`` asked for (see the module docstring)."""
    try:
        from trafilatura.metadata import (  # type: ignore[attr-defined]  # find_date: htmldate's, as called there
            META_URL,
            examine_meta,
            extract_author,
            extract_meta_json,
            extract_sitename,
            extract_url,
            find_date,
        )
        from trafilatura.settings import set_date_params
        from trafilatura.utils import load_html
    except ImportError:  # another trafilatura: the public call
        import trafilatura

        found = trafilatura.extract_metadata(source)
        if found is None:
            return FallbackMetadata(None, None, None)
        return FallbackMetadata(found.author, found.date, found.sitename)
    tree = load_html(source)
    if tree is None:
        return FallbackMetadata(None, None, None)
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # noqa: BLE001 (as trafilatura does: bugs in its JSON-LD reader)
        log.debug("error in JSON metadata extraction: %s", err)
    if author and not metadata.author:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, None)
    if date:
        date_config = set_date_params(True)
        date_config["url"] = metadata.url
        metadata.date = find_date(tree, **date_config)
    if sitename:
        if not metadata.sitename:
            metadata.sitename = extract_sitename(tree)
        if metadata.sitename:
            metadata.sitename = metadata.sitename.lstrip("@")
            if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
                metadata.sitename = metadata.sitename.title()
        elif metadata.url:
            match = META_URL.match(metadata.url)
            if match:
                metadata.sitename = match[1]
    metadata.clean_and_trim()
    return FallbackMetadata(
        metadata.author if author else None,
        metadata.date if date else None,
        metadata.sitename if sitename else None,
    )
