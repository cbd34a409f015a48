"""One window per user: links (``research-reader://open?…``) go to the running window over a local socket.

The window's process listens on a :class:`QLocalServer` named after the user's data folder
(:func:`server_name`); ``python -m reader open URI`` first tries :func:`send_to_running`, which writes the URI
and a newline and waits for ``ok``. Only when no window answers does it start one. A socket file left by a
crashed window is removed before listening, but never one a live window answers on.

:func:`open_link` is what the window does with a link: parse it (hostile links open nothing and the reason
is shown), open its library if another one is open, then the article and the highlight once the list shows
them, and raise the window.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from reader import APP_ID
from reader.core import paths
from reader.core.library.links import LinkError, OpenTarget, parse_uri

if TYPE_CHECKING:
    from reader.ui.main_window import MainWindow

log = logging.getLogger(__name__)

TIMEOUT_MS = 3000
MAX_MESSAGE = 16384


def server_name() -> str:
    """The socket name of this user's window (one per data folder, so that tests stay apart)."""
    key = hashlib.sha256(str(paths.data_dir().resolve()).encode("utf-8")).hexdigest()[:12]
    return f"{APP_ID}-{key}"


def send_to_running(uri: str, timeout_ms: int = TIMEOUT_MS) -> bool:
    """Hand ``uri`` to a running window; ``False`` when none answers."""
    if QCoreApplication.instance() is None:
        QCoreApplication([])
    socket = QLocalSocket()
    socket.connectToServer(server_name())
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(uri.encode("utf-8") + b"\n")
    socket.flush()
    if not socket.waitForBytesWritten(timeout_ms) and socket.bytesToWrite():
        return False
    reply = b""
    while b"\n" not in reply and socket.waitForReadyRead(timeout_ms):
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return reply.startswith(b"ok")


class InstanceServer(QObject):
    """Listens for links from later ``open`` commands; ``received`` carries each one."""

    received = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; ``False`` when another window already does (or the socket cannot be made)."""
        name = server_name()
        # Probe first: with socket options set, listen() would replace a live window's socket file.
        probe = QLocalSocket()
        probe.connectToServer(name)
        if probe.waitForConnected(500):
            probe.abort()
            return False
        QLocalServer.removeServer(name)  # a socket file left by a window that crashed
        return self._server.listen(name)

    def close(self) -> None:
        self._server.close()

    def _connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if len(data) > MAX_MESSAGE:
            socket.write(b"error: too long\n")
            socket.disconnectFromServer()
            return
        self._buffers[socket] = data
        if b"\n" in data:
            line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
            socket.write(b"ok\n")
            socket.flush()
            self.received.emit(line)

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()


def open_link(window: MainWindow, uri: str) -> OpenTarget | None:
    """Show what ``uri`` points to in ``window`` (see the module documentation); ``None`` when refused."""
    try:
        target = parse_uri(uri)
    except LinkError as exc:
        window.report_error(f"Link not opened: {exc}")
        return None
    if QGuiApplication.platformName() != "offscreen":  # which cannot raise a window (and says so)
        window.raise_()
        window.activateWindow()

    def show() -> None:
        if target.annotation:
            window.open_annotation(target.relpath, target.annotation)
        else:
            window.library_view.clear_filters()
            window.select_article(target.relpath)

    if target.library != window.library.resolve() or window.model.row_for(target.relpath) is None:
        window._restore_article = None

        def shown(_snapshot: object) -> None:
            window.libraries.catalog_shown.disconnect(shown)
            show()

        window.libraries.catalog_shown.connect(shown)
        if target.library != window.library.resolve():
            window.open_library(target.library)
        return target
    show()
    return target
