"""One of two processes editing the notes of one article at the same time (run by
test_concurrent_notes.py, never imported).

    python editor.py SOURCE NAME ROUNDS SHARED_ID CONFLICT_ID BARRIER_DIR

Opens the notes, waits until the other editor has opened them too (files in BARRIER_DIR), changes the note
of CONFLICT_ID (both do: a real conflict) and saves; then ROUNDS times adds a note ``NAME-i``, changes its
own field of SHARED_ID (``a`` the colour, ``b`` the tags) and saves. Prints one JSON line: the conflicts its
store reported.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.models import COLORS
from reader.core.notes.store import open_notes


def main() -> int:
    source, name, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    shared_id, conflict_id, barrier = sys.argv[4], sys.argv[5], Path(sys.argv[6])
    store = open_notes(load_article(source, source.parent))
    (barrier / f"{name}.ready").touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.glob("*.ready"))) < 2:
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.002)
    store.update(conflict_id, note=f"{name} wins")
    store.save()
    for i in range(rounds):
        store.add(0, 4, note=f"{name}-{i}")
        if name == "a":
            store.update(shared_id, color=COLORS[i % len(COLORS)])
        else:
            store.update(shared_id, tags=[f"b{i}"])
        store.save()
    conflicts = [
        {
            "id": c.id,
            "kept": c.kept.note if c.kept else None,
            "discarded": c.discarded.note if c.discarded else None,
        }
        for c in store.conflicts
    ]
    print(json.dumps({"conflicts": conflicts}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
