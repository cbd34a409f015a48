"""Fork server for the SIGKILL test (run as a script by tests/reliability/test_kill_saves.py, never imported).

    python fork_saver.py SOURCE

Imports the reader once, then for each line ``kill DELAY`` read from stdin: forks a child that opens the
notes of SOURCE and adds one note ("n<k>") and saves, forever; after DELAY seconds sends it SIGKILL, reaps
it and prints ``killed <signal> <saves>`` (the signal that ended it, 0 if it exited by itself, and how many
saves it completed before the kill). ``quit`` (or end of input) exits. Forking keeps 200+ kills fast: no
interpreter start-up per kill.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from reader.core.articles.loader import load_article
from reader.core.notes.store import open_notes


def child(source: Path, write_fd: int) -> None:
    try:
        article = load_article(source, source.parent)
        store = open_notes(article)
        count = len(store)
        while True:
            store.add(0, min(5, len(article.text)), note=f"n{count}")
            store.save()
            count += 1
            os.write(write_fd, b".")
    except BaseException as exc:  # noqa: BLE001 - report and exit with a status the test sees as a failure
        os.write(2, f"saver child failed: {exc!r}\n".encode())
        os._exit(3)


def main() -> int:
    source = Path(sys.argv[1])
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        delay = float(words[1])
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            child(source, write_fd)
            os._exit(4)  # unreachable
        os.close(write_fd)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        saves = 0
        while chunk := os.read(read_fd, 65536):
            saves += len(chunk)
        os.close(read_fd)
        ended_by = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        print(f"killed {ended_by} {saves}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
