"""Reading an export file of another tool into records: which tool made it (detected when not given), and
its records. A file that cannot be read or is not of the format gives a one-line :class:`ExportError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reader.core.errors import ExportError
from reader.core.exchange.importers.ebook_readers import records_from_calibre, records_from_kobo
from reader.core.exchange.importers.kindle import SEPARATOR, records_from_clippings
from reader.core.exchange.importers.koreader import records_from_sidecar
from reader.core.exchange.importers.lua_data import LuaDataError
from reader.core.exchange.importers.records import ToolRecord
from reader.core.exchange.importers.web_services import (
    READWISE_CSV_COLUMNS,
    records_from_hypothesis,
    records_from_readwise,
    records_from_readwise_csv,
)

#: The formats ``--from`` takes.
TOOLS = ("kindle", "koreader", "hypothesis", "readwise", "calibre", "kobo")
#: Largest export file read.
MAX_BYTES = 100 * 1024 * 1024


def is_jsonld_export(path: Path) -> bool:
    """Whether ``path`` is a W3C Web Annotation JSON-LD file (the reader's own export format)."""
    if Path(path).suffix.lower() == ".jsonld":
        return True
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"@context"' in head and b"w3.org/ns/anno" in head


def _decode(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ExportError(f"{path.name}: too large to be an export ({size >> 20} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExportError(f"{path.name}: not a text file")
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExportError(f"{path.name}: not UTF-8 text")


def _json_kind(data: Any) -> str | None:
    if isinstance(data, dict):
        if data.get("type") == "calibre_highlights":
            return "calibre"
        if "rows" in data or "annotations" in data or ("target" in data and "uri" in data):
            return "hypothesis"
        if "results" in data or ("text" in data and "book_id" in data) or "num_highlights" in data:
            return "readwise"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        first = data[0]
        if "kobo" in first or "ContentID" in first:
            return "kobo"
        if "highlighted_text" in first:
            return "calibre"
        if "target" in first:
            return "hypothesis"
        if "highlights" in first:
            return "readwise"
    return None


def detect(path: Path, text: str) -> str:
    """The tool that wrote ``text`` (read from ``path``). Raises :class:`ExportError` when unknown."""
    stripped = text.lstrip("\ufeff \r\n\t")
    if path.suffix.lower() == ".lua" or (
        stripped.startswith(("return {", "-- ")) and "return {" in text[:2000]
    ):
        return "koreader"
    if SEPARATOR in text and ("\n- " in text or "\n– " in text):
        return "kindle"
    first_line = stripped.split("\n", 1)[0]
    if all(column in first_line for column in READWISE_CSV_COLUMNS):
        return "readwise"
    if stripped[:1] in "[{":
        try:
            kind = _json_kind(json.loads(stripped))
        except json.JSONDecodeError as exc:
            raise ExportError(f"{path.name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if kind is not None:
            return kind
    raise ExportError(
        f"{path.name}: not an export the reader knows (Kindle clippings, KOReader sidecar, Hypothesis, "
        f"Readwise, calibre or Kobo); name it with --from"
    )


def read_records(path: Path, tool: str | None = None) -> tuple[str, list[ToolRecord]]:
    """The tool and the records of the export file ``path``. Raises :class:`ExportError`."""
    path = Path(path)
    text = _decode(path)
    tool = tool or detect(path, text)
    if tool not in TOOLS:
        raise ExportError(f"unknown format {tool!r}; one of: {', '.join(TOOLS)}")
    try:
        if tool == "kindle":
            records = records_from_clippings(text)
        elif tool == "koreader":
            records = records_from_sidecar(text, path.as_posix())
        elif tool == "readwise" and not text.lstrip("\ufeff \r\n\t").startswith(("[", "{")):
            records = records_from_readwise_csv(text)
        else:
            data = json.loads(text)
            parse = {"hypothesis": records_from_hypothesis, "readwise": records_from_readwise,
                     "calibre": records_from_calibre, "kobo": records_from_kobo}[tool]  # fmt: skip
            records = parse(data)
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path.name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    except LuaDataError as exc:
        raise ExportError(f"{path.name}: not a readable KOReader sidecar ({exc})") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ExportError(f"{path.name}: not a {tool} export ({exc})") from exc
    if tool == "kindle" and not records and text.strip():
        raise ExportError(f"{path.name}: no Kindle clippings found")
    return tool, records
