"""Two processes adding and editing notes on one article at the same time: nothing is lost.

Both open the notes, then (synchronised) change the same note of one annotation (a true conflict: one value
is kept, the other is reported in ``NotesStore.conflicts``, which the window shows), then each adds notes and
edits a different field of a shared annotation, saving after every edit. ``RELIABILITY_EDIT_ROUNDS`` sets
the rounds per process (default 25) and ``RELIABILITY_EDIT_REPEATS`` how often the whole race is run
(default 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reader.core.models import COLORS
from reader.core.notes.sidecar import parse_sidecar, sidecar_path
from reader.core.notes.store import NotesStore, lock_path

ROUNDS = int(os.environ.get("RELIABILITY_EDIT_ROUNDS", "25"))
REPEATS = int(os.environ.get("RELIABILITY_EDIT_REPEATS", "2"))
TEXT = "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n"


@pytest.mark.parametrize("repeat", range(REPEATS))
def test_two_processes_editing_keep_both_or_report_a_conflict(
    tmp_path: Path, child_env, children, repeat: int
) -> None:
    source = tmp_path / "article.txt"
    source.write_text(TEXT, encoding="utf-8")
    store = NotesStore(source, TEXT)
    shared = store.add_quote("mesenchymal stem cells", note="shared")
    disputed = store.add_quote("scaffolds", note="original")
    store.save()
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(children / "editor.py"),
                str(source),
                name,
                str(ROUNDS),
                shared.id,
                disputed.id,
                str(barrier),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env,
        )
        for name in ("a", "b")
    ]
    outputs = []
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0
            outputs.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    final = {a.id: a for a in parse_sidecar(sidecar_path(source).read_bytes(), "x").annotations}
    notes = sorted(a.note for a in final.values())
    # Every added note of both processes is there, exactly once.
    added = sorted(f"{name}-{i}" for name in ("a", "b") for i in range(ROUNDS))
    assert sorted(n for n in notes if n[:2] in ("a-", "b-")) == added
    # Edits of different fields of one annotation both survive.
    assert final[shared.id].color == COLORS[(ROUNDS - 1) % len(COLORS)]
    assert final[shared.id].tags == [f"b{ROUNDS - 1}"]
    assert final[shared.id].note == "shared"
    # The same field edited in both: one value kept, the other reported as a conflict, never silently lost.
    kept = final[disputed.id].note
    assert kept in ("a wins", "b wins")
    lost = "b wins" if kept == "a wins" else "a wins"
    reported = [c for out in outputs for c in out["conflicts"] if c["id"] == disputed.id]
    assert any(lost in (c["kept"], c["discarded"]) for c in reported), outputs
    assert not lock_path(sidecar_path(source)).exists()
