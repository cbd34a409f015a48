"""Child process for the crash and concurrency tests (run as a script, not imported by pytest).

python saver.py loop SOURCE       add a note ("n0", "n1", ...) and save, forever; prints "ready" first
python saver.py add SOURCE PREFIX N   add N notes ("PREFIX-0" ...) one save at a time, then exit
"""

from __future__ import annotations

import sys
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.notes.store import open_notes


def main() -> int:
    mode, source = sys.argv[1], Path(sys.argv[2])
    article = load_article(source, source.parent)
    store = open_notes(article)
    if mode == "loop":
        count = len(store)
        print("ready", flush=True)
        while True:
            store.add(0, min(5, len(article.text)), note=f"n{count}")
            store.save()
            count += 1
    prefix, total = sys.argv[3], int(sys.argv[4])
    for index in range(total):
        store.add(0, min(5, len(article.text)), note=f"{prefix}-{index}")
        store.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
