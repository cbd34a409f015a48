"""The user's settings: one INI file in the reader's config folder, accessed only through this class.

Nothing else calls ``QSettings()``; the main window receives a :class:`Settings` from the composition root
(:mod:`reader.app`), and tests point ``READER_DATA_DIR`` at a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

from reader.core import paths

THEMES = ("system", "light", "dark", "sepia")
MAX_RECENT = 8
DEFAULT_WINDOW_SIZE = (1360, 820)


class Settings:
    """Typed accessors over an INI-format ``QSettings``."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or paths.config_dir() / "settings.ini"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> Path:
        return Path(self._qs.fileName())

    def sync(self) -> None:
        self._qs.sync()

    # ----------------------------------------------------------------------------------------- library
    def library(self) -> Path | None:
        value = self._qs.value("library/current", "")
        return Path(str(value)) if value else None

    def set_library(self, library: Path) -> None:
        self._qs.setValue("library/current", str(library))
        recent = [p for p in self.recent_libraries() if p != library]
        recent.insert(0, library)
        self._qs.setValue("library/recent", json.dumps([str(p) for p in recent[:MAX_RECENT]]))

    def recent_libraries(self) -> list[Path]:
        return [Path(p) for p in self._json("library/recent", [])]

    # ----------------------------------------------------------------------------------------- window
    def geometry(self, key: str) -> QByteArray | None:
        value = self._qs.value(f"window/{key}")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(f"window/{key}", value)

    def restore_window(self, window: QMainWindow, splitter: QSplitter, header: QHeaderView) -> None:
        """Give the window its saved size, toolbars, splitter and table columns (a default size at first)."""
        geometry = self.geometry("geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            window.resize(DEFAULT_WINDOW_SIZE[0], DEFAULT_WINDOW_SIZE[1])
        for key, restore in (("state", window.restoreState), ("splitter", splitter.restoreState)):
            value = self.geometry(key)
            if value is not None:
                restore(value)
        value = self.geometry("header")
        if value is not None:
            header.restoreState(value)

    def save_window(self, window: QMainWindow, splitter: QSplitter, header: QHeaderView) -> None:
        self.set_geometry("geometry", window.saveGeometry())
        self.set_geometry("state", window.saveState())
        self.set_geometry("splitter", splitter.saveState())
        self.set_geometry("header", header.saveState())

    def theme(self) -> str:
        value = str(self._qs.value("view/theme", "system"))
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        self._qs.setValue("view/theme", theme)

    def zoom(self) -> int:
        try:
            return int(str(self._qs.value("view/zoom", 0)))
        except (TypeError, ValueError):
            return 0

    def set_zoom(self, steps: int) -> None:
        self._qs.setValue("view/zoom", steps)

    # ------------------------------------------------------------------------------ per-library state
    def _lib_key(self, library: Path) -> str:
        return f"state-{paths.library_key(library)}"

    def last_article(self, library: Path) -> str | None:
        value = self._qs.value(f"{self._lib_key(library)}/last_article", "")
        return str(value) or None

    def set_last_article(self, library: Path, relpath: str) -> None:
        self._qs.setValue(f"{self._lib_key(library)}/last_article", relpath)

    def reading_positions(self, library: Path) -> dict[str, float]:
        data = self._json(f"{self._lib_key(library)}/positions", {})
        return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def set_reading_position(self, library: Path, relpath: str, fraction: float) -> None:
        positions = self.reading_positions(library)
        positions[relpath] = round(max(0.0, min(1.0, fraction)), 4)
        self._qs.setValue(f"{self._lib_key(library)}/positions", json.dumps(positions, ensure_ascii=False))

    def read_articles(self, library: Path) -> set[str]:
        data = self._json(f"{self._lib_key(library)}/read", [])
        return {str(x) for x in data} if isinstance(data, list) else set()

    def set_read_articles(self, library: Path, read: set[str]) -> None:
        self._qs.setValue(f"{self._lib_key(library)}/read", json.dumps(sorted(read), ensure_ascii=False))

    def page_view_articles(self, library: Path) -> set[str]:
        """The PDFs shown as rendered pages rather than reflowed text."""
        data = self._json(f"{self._lib_key(library)}/page_view", [])
        return {str(x) for x in data} if isinstance(data, list) else set()

    def set_page_view(self, library: Path, relpath: str, on: bool) -> None:
        chosen = self.page_view_articles(library) - {relpath} | ({relpath} if on else set())
        self._qs.setValue(
            f"{self._lib_key(library)}/page_view", json.dumps(sorted(chosen), ensure_ascii=False)
        )

    # ----------------------------------------------------------------------------------------- helpers
    def _json(self, key: str, default: Any) -> Any:
        raw = self._qs.value(key, "")
        if not raw:
            return default
        try:
            return json.loads(str(raw))
        except ValueError:
            return default
