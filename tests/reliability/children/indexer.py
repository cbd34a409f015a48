"""Updates the search index of a library (run by test_index_faults.py, never imported).

    python indexer.py INDEX_DIR LIBRARY

Prints ``committing`` just before Whoosh commits the new segment (so that the test can SIGKILL it in the
middle of the commit), and ``done <added> <updated> <removed>`` at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from whoosh.writing import SegmentWriter

from reader.core.search.index import SearchIndex

_commit = SegmentWriter.commit


def _announced_commit(self: Any, *args: Any, **kwargs: Any) -> Any:
    print("committing", flush=True)
    return _commit(self, *args, **kwargs)


def main() -> int:
    SegmentWriter.commit = _announced_commit
    index = SearchIndex(Path(sys.argv[1]), Path(sys.argv[2]), lock_timeout=30)
    report = index.update()
    index.close()
    print(f"done {len(report.added)} {len(report.updated)} {len(report.removed)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
