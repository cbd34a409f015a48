"""Exchange: notes leaving and entering the reader.

Owns export (Markdown, W3C Web Annotation JSON-LD, HTML, CSV), import (JSON-LD back into sidecars) and the
safe file names of what is written. The top of the core: it may use every other core package except
``search``. Pure Python (no Qt).

Modules (each imports only those listed above it, so the package has no import cycle):

- :mod:`.filenames`: file names made from titles (portable, bounded length, unique) and the check that a
  path stays inside the destination folder;
- :mod:`.selection`: what an export holds: :class:`NoteFilter`, :class:`ExportItem`, :func:`select_items`
  (articles with their matching annotations, in text order), :class:`ExportReport`;
- :mod:`.writing`: the write plan: every file checked first (nothing overwritten without ``force``:
  :class:`ExistingFilesError`), then written atomically;
- :mod:`.presentation`: what the formats share in how they show notes: colour swatches and class names,
  links to the article files, the exporter's name;
- :mod:`.markdown`, :mod:`.jsonld`, :mod:`.html`, :mod:`.csv`: one module per export format, each
  documenting its format and rendering export items to text or bytes without writing anything;
- :mod:`.export`: :func:`export_notes`, which chooses the files (one per article or one combined) and
  dispatches to the format modules;
- :mod:`.jsonld_import`: :func:`import_notes`, reading a JSON-LD export back and merging it into the
  sidecars of a library by annotation id;
- :mod:`.importers`: other tools' highlights (Kindle, KOReader, Hypothesis, Readwise, calibre, Kobo) read
  into one record shape, matched to articles, anchored by their quotes and merged
  (:func:`.importers.apply.import_tool_file`);
- :mod:`.vault`: a Markdown note vault kept in sync both ways (:func:`.vault.sync.sync_vault`): the edits
  made in the vault's marked regions merged three ways into the sidecars, then the regions rewritten.

The names below are the package's API; callers import them from ``reader.core.exchange``.
"""

from reader.core.exchange.csv import CSV_COLUMNS, render_csv
from reader.core.exchange.export import EXTENSIONS, FORMATS, ExportFormat, export_notes
from reader.core.exchange.filenames import ensure_inside, safe_filename
from reader.core.exchange.html import render_html
from reader.core.exchange.jsonld import RELPATH_KEY, annotation_jsonld, render_jsonld
from reader.core.exchange.jsonld_import import (
    ArticleMatcher,
    ImportReport,
    IncomingAnnotation,
    import_notes,
    merge_incoming,
    parse_export,
    read_export,
)
from reader.core.exchange.markdown import render_markdown_article, render_markdown_combined
from reader.core.exchange.selection import ExportItem, ExportReport, NoteFilter, select_items
from reader.core.exchange.writing import ExistingFilesError

__all__ = [
    "CSV_COLUMNS",
    "EXTENSIONS",
    "FORMATS",
    "RELPATH_KEY",
    "ArticleMatcher",
    "ExistingFilesError",
    "ExportFormat",
    "ExportItem",
    "ExportReport",
    "ImportReport",
    "IncomingAnnotation",
    "NoteFilter",
    "annotation_jsonld",
    "ensure_inside",
    "export_notes",
    "import_notes",
    "merge_incoming",
    "parse_export",
    "read_export",
    "render_csv",
    "render_html",
    "render_jsonld",
    "render_markdown_article",
    "render_markdown_combined",
    "safe_filename",
    "select_items",
]
