"""Holds the search index's writer lock from another process (run by test_index_faults.py, never imported).

    python index_locker.py INDEX_DIR

Prints ``locked`` once it holds Whoosh's writer lock, then waits for a line (or end of input) on stdin,
releases the lock and exits. The test bounds it with a timeout and reaps it.
"""

from __future__ import annotations

import sys

from whoosh import index as w_index

from reader.core.search.index import INDEX_NAME


def main() -> int:
    ix = w_index.open_dir(sys.argv[1], indexname=INDEX_NAME)
    writer = ix.writer()
    print("locked", flush=True)
    sys.stdin.readline()
    writer.cancel()
    ix.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
