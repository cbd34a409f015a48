"""Start-up checks: a missing display or missing X11 libraries give a clear message, not a Qt abort."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reader import app


def test_missing_xcb_libraries_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    present = {"xcb-icccm", "xkbcommon-x11"}
    monkeypatch.setattr(
        app.ctypes.util, "find_library", lambda name: f"lib{name}.so" if name in present else None
    )
    assert app.missing_platform_libraries() == ["libxcb-cursor0", "libxcb-keysyms1"]
    message = app.display_problem()
    assert message is not None
    assert "libxcb-cursor0" in message and "apt-get install libxcb-cursor0 libxcb-keysyms1" in message


def test_no_display_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    message = app.display_problem()
    assert message is not None and "No display" in message


def test_offscreen_platform_needs_no_x11_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(app.ctypes.util, "find_library", lambda _name: None)
    assert app.missing_platform_libraries() == []
    assert app.display_problem() is None


def test_gui_without_display_exits_with_a_message(tmp_path: object) -> None:
    env = {"PATH": "/usr/bin:/bin", "READER_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "reader"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 3
    assert "No display found" in result.stderr
    assert "Traceback" not in result.stderr
