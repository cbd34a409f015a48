"""SIGKILL at random moments while annotations are being saved: no save is ever half done.

A fork server (``children/fork_saver.py``) imports the reader once and forks a child per kill; the child adds
a note and saves in a loop and is killed with SIGKILL after a random delay (0 to 80 ms, so kills land while
opening the store, while writing the temporary file, around ``os.replace`` and between saves). After every
kill the sidecar must parse and hold exactly the notes of the saves that completed: the old or the new state,
never a mix, never less. ``RELIABILITY_KILLS`` sets the number of kills (default 200, about 15 s here).
"""

from __future__ import annotations

import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.atomic import TMP_SUFFIX
from reader.core.library.scan import iter_article_files
from reader.core.notes.sidecar import parse_sidecar, sidecar_path
from reader.core.notes.store import lock_path, open_notes

KILLS = int(os.environ.get("RELIABILITY_KILLS", "200"))
TEXT = "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.\n"
#: Notes after which the sidecar is reset, so that the file (and each save) stays small whatever KILLS is.
RESET_AT = 400


def _notes(path: Path) -> list[str]:
    return [a.note for a in parse_sidecar(path.read_bytes(), path.name, strict=True).annotations]


def _expected(count: int) -> list[str]:
    return sorted(f"n{i}" for i in range(count))


def _temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*" + TMP_SUFFIX))


def _ask(server: subprocess.Popen[str], command: str, timeout: float = 30.0) -> str:
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(command + "\n")
    server.stdin.flush()
    ready, _, _ = select.select([server.stdout], [], [], timeout)
    assert ready, f"the fork server did not answer {command!r} within {timeout} s"
    return server.stdout.readline().strip()


def test_sigkill_during_saves_leaves_the_old_or_the_new_state(tmp_path: Path, child_env, children) -> None:
    source = tmp_path / "article.txt"
    source.write_text(TEXT, encoding="utf-8")
    sidecar = sidecar_path(source)
    rng = random.Random(9)
    server = subprocess.Popen(
        [sys.executable, str(children / "fork_saver.py"), str(source)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env,
    )
    count = 0
    mid_save_kills = left_temp = left_lock = 0
    try:
        for _ in range(KILLS):
            delay = rng.choice([0.0, rng.uniform(0, 0.005), rng.uniform(0, 0.03), rng.uniform(0.03, 0.08)])
            answer = _ask(server, f"kill {delay:.4f}").split()
            assert answer[:2] == ["killed", "9"], f"the saver ended by itself: {answer}"
            saves = int(answer[2])
            notes = _notes(sidecar) if sidecar.exists() else []
            # Old or new state: every completed save is there, plus at most the one the kill interrupted
            # after its os.replace (before the child could report it).
            assert len(notes) in (count + saves, count + saves + 1), (count, saves, len(notes))
            assert sorted(notes) == _expected(len(notes)), "a note is missing or duplicated"
            mid_save_kills += len(notes) == count + saves + 1
            count = len(notes)
            backup = sidecar.with_name(sidecar.name + ".bak")
            if backup.exists():
                assert sorted(_notes(backup)) == _expected(len(_notes(backup)))
            left_temp += bool(_temp_files(tmp_path))
            left_lock += lock_path(sidecar).exists()
            if count >= RESET_AT:
                sidecar.unlink()
                backup.unlink(missing_ok=True)
                count = 0
        assert _ask(server, "quit", timeout=5) == ""
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
        for stream in (server.stdin, server.stdout):
            if stream is not None:
                stream.close()
    print(f"\n{KILLS} kills: {mid_save_kills} between a save's replace and its report, "
          f"{left_temp} left a temporary file, {left_lock} left a lock file")  # fmt: skip

    # Stray temporary files are never articles, and the next start removes them (once they are older than
    # a minute, so that a save in progress in another process is not disturbed) ...
    assert all(not p.name.endswith(TMP_SUFFIX) for p in iter_article_files(tmp_path))
    for leftover in _temp_files(tmp_path):
        old = time.time() - 3600
        os.utime(leftover, (old, old))
    store = open_notes(load_article(source, tmp_path))
    assert _temp_files(tmp_path) == []
    # ... and a save after the crashes works even though the killed writers left their lock file behind.
    store.add(0, 4, note="after the crashes")
    assert store.save()
    assert _temp_files(tmp_path) == []
    assert not lock_path(sidecar).exists()
    assert "after the crashes" in _notes(sidecar)
