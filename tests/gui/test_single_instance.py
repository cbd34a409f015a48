"""Single instance: ``python -m reader open URI`` hands the link to the running window, which shows the
article and selects the highlight; a hostile link sent to it opens nothing and says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reader.core.library.links import make_uri
from reader.core.notes.store import NotesStore
from reader.ui.single_instance import InstanceServer, open_link, send_to_running

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = "002_4fb186e8765177bb.txt"


def _start_open(uri: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "reader", "open", uri],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_open_command_hands_the_link_to_the_running_window(window, qtbot, sample_library):
    path = sample_library / ARTICLE
    text = path.read_text(encoding="utf-8")
    store = NotesStore(path, text.replace("\r\n", "\n"))
    start = store.text.index("South Korea")
    annotation = store.add(start, start + len("South Korea"), note="linked")
    store.save()
    server = InstanceServer(window)
    assert server.listen()
    assert not InstanceServer(window).listen()  # a second window does not take the name over
    received: list[str] = []
    server.received.connect(received.append)
    server.received.connect(lambda uri: open_link(window, uri))
    qtbot.waitUntil(lambda: window.session is not None and window.model.row_for(ARTICLE) is not None)

    process = _start_open(make_uri(sample_library, ARTICLE, annotation.id))
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=30000)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == "opened in the running window"
    qtbot.waitUntil(lambda: window.pane.article is not None and window.pane.article.relpath == ARTICLE)
    qtbot.waitUntil(lambda: window.pane.selected_span() == (annotation.start, annotation.end))
    assert len(received) == 1

    errors: list[str] = []
    window.report_error = errors.append  # type: ignore[method-assign]
    process = _start_open("research-reader://open?library=/&path=../etc/passwd.txt")
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=30000)
    out, err = process.communicate()
    assert process.returncode == 2 and "link not opened" in err  # refused before reaching the window
    # a hostile link reaching the window directly is refused there too, nothing opened
    open_link(window, "research-reader://open?library=/tmp&path=x.txt")
    assert errors and errors[-1].startswith("Link not opened:")
    assert window.pane.article is not None and window.pane.article.relpath == ARTICLE
    server.close()
    assert not send_to_running("research-reader://open", timeout_ms=300)  # nobody listens any more
