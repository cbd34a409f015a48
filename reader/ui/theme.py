"""Light, dark and sepia themes for the window chrome; the reading pane colours itself from the same name."""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

#: The colour of each highlight colour's swatch (icons, the annotations list); the reading pane's highlight
#: backgrounds are lighter or darker per theme (:mod:`reader.ui.reading.article_document`).
SWATCHES = {
    "yellow": "#f5d000",
    "green": "#3fb950",
    "blue": "#3b82f6",
    "pink": "#ec4899",
    "purple": "#8b5cf6",
    "red": "#ef4444",
    "orange": "#f97316",
    "gray": "#9ca3af",
    "magenta": "#d946ef",
}


def resource_text(name: str) -> str:
    return (resources.files("reader.resources") / name).read_text(encoding="utf-8")


def app_icon() -> QIcon:
    data = (resources.files("reader.resources") / "app-icon.svg").read_bytes()
    pixmap = QPixmap()
    pixmap.loadFromData(data, "SVG")
    return QIcon(pixmap)


def swatch_icon(color: str) -> QIcon:
    """A small square of a highlight colour, for menus, toolbars and colour pickers."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(SWATCHES.get(color, "#999999")))
    return QIcon(pixmap)


def effective_theme(choice: str) -> str:
    """``system`` follows the desktop's colour scheme (Qt 6.5+); others are taken as they are."""
    if choice in ("light", "dark", "sepia"):
        return choice
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def _dark_palette() -> QPalette:
    p = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#202328",
        QPalette.ColorRole.WindowText: "#dcdfe3",
        QPalette.ColorRole.Base: "#1b1e22",
        QPalette.ColorRole.AlternateBase: "#23272d",
        QPalette.ColorRole.Text: "#dcdfe3",
        QPalette.ColorRole.Button: "#2a2e34",
        QPalette.ColorRole.ButtonText: "#dcdfe3",
        QPalette.ColorRole.Highlight: "#2d5a88",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2a2e34",
        QPalette.ColorRole.ToolTipText: "#f0f0f0",
        QPalette.ColorRole.PlaceholderText: "#8a939c",
        QPalette.ColorRole.Link: "#7fb2ea",
    }
    for role, value in colors.items():
        p.setColor(role, QColor(value))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b737c"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b737c"))
    return p


def apply_theme(app: QApplication, name: str) -> None:
    """Apply palette and stylesheet for ``name`` (``light``, ``dark`` or ``sepia``) to the application."""
    app.setStyle("Fusion")
    if name == "dark":
        app.setPalette(_dark_palette())
    else:
        palette = app.style().standardPalette()
        if name == "sepia":
            palette.setColor(QPalette.ColorRole.Window, QColor("#efe6d2"))
            palette.setColor(QPalette.ColorRole.Base, QColor("#fbf6ea"))
            palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f4eddc"))
            palette.setColor(QPalette.ColorRole.Button, QColor("#ece2cc"))
        app.setPalette(palette)
    app.setStyleSheet(resource_text(f"{name}.qss"))


def apply_choice(choice: str) -> str:
    """Apply the theme ``choice`` (``system`` or a theme name) to the running application; returns the
    theme applied (the reading pane colours itself from it)."""
    name = effective_theme(choice)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, name)
    return name
