"""Test configuration shared by every test.

- Qt runs on the offscreen platform, set here before anything imports Qt.
- The reader's own data (settings, caches, index) goes to a temporary folder, never the user's real one.
- Tests under ``tests/gui`` are marked ``gui`` automatically, so ``pytest -m "not gui"`` runs the pure tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LIBRARY = ROOT / "library"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the reader's settings, caches and index at a fresh temporary folder for each test."""
    data = tmp_path_factory.mktemp("reader-data")
    monkeypatch.setenv("READER_DATA_DIR", str(data))
    monkeypatch.delenv("READER_INDEX_DIR", raising=False)
    return data


@pytest.fixture
def sample_library(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample library."""
    dest = tmp_path / "library"
    shutil.copytree(SAMPLE_LIBRARY, dest)
    return dest


class Listener:
    """A TCP server on 127.0.0.1 that accepts and counts connections (and closes them at once).

    Hostile-input tests point remote resources at it and assert that nothing ever connected."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A local socket server counting connections (see :class:`Listener`)."""
    server = Listener()
    yield server
    server.close()
