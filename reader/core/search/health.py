"""A read-only check of a library's search index, for ``python -m reader doctor``.

Opens the index's table of contents without a writer and without creating anything: a missing index is
"not built yet" (the window and ``python -m reader index`` build it), a damaged one is named with the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from whoosh import index as w_index

from reader.core.search.index import INDEX_NAME


@dataclass(frozen=True, slots=True)
class IndexHealth:
    """``ok`` is False only for an index that exists and cannot be read."""

    ok: bool
    message: str


def index_health(index_dir: Path) -> IndexHealth:
    """The state of the index in ``index_dir``, without writing anything."""
    folder = Path(index_dir)
    if not folder.is_dir():
        return IndexHealth(True, f"not built yet ({folder}); it is built when the library is first opened")
    try:
        if not w_index.exists_in(str(folder), indexname=INDEX_NAME):
            return IndexHealth(True, f"not built yet for this version ({folder})")
        ix = w_index.open_dir(str(folder), indexname=INDEX_NAME, readonly=True)
        try:
            count = ix.doc_count()
        finally:
            ix.close()
    except Exception as exc:  # noqa: BLE001 - Whoosh raises plain and shadowing exceptions for damage
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return IndexHealth(
            False, f"cannot be read ({first}); it is rebuilt on the next `python -m reader index`"
        )
    return IndexHealth(True, f"readable, {count} article{'' if count == 1 else 's'} ({folder})")
