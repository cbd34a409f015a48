"""The menus, toolbar and shortcuts are built from the tables in :mod:`reader.ui.actions`."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolBar

from reader.ui import actions
from reader.ui.main_window import MainWindow


def _entries(menu: QMenu | QToolBar) -> list[str]:
    return ["-" if a.isSeparator() else a.text() for a in menu.actions()]


def _label(window: MainWindow, entry: str | actions.MenuSpec) -> str:
    """What a menu shows for a table entry."""
    if isinstance(entry, actions.MenuSpec):
        return entry.title
    return entry if entry == actions.SEPARATOR else window.named_actions[entry].text()


def test_menus_follow_the_table(window: MainWindow) -> None:
    bar = window.menuBar().actions()
    assert [a.text() for a in bar] == [spec.title for spec in actions.MENUS]
    for action, spec in zip(bar, actions.MENUS, strict=True):
        menu = action.menu()
        assert isinstance(menu, QMenu)
        expected = [_label(window, entry) for entry in spec.entries]
        assert _entries(menu) == expected
    toolbar = window.annotate_toolbar
    assert _entries(toolbar) == [_label(window, name) for name in actions.ANNOTATE_TOOLBAR]


def test_every_table_action_is_wired(window: MainWindow) -> None:
    """Every action of the tables exists, and no shortcut is claimed twice in the same reach."""
    names = {
        spec.name for spec in (*actions.WINDOW_ACTIONS, *actions.HIGHLIGHT_ACTIONS, *actions.NOTE_ACTIONS)
    }
    assert names <= set(window.named_actions)
    window_wide: dict[str, str] = {}
    for action in window.actions():
        assert action.shortcutContext() == Qt.ShortcutContext.WindowShortcut
        for key in action.shortcuts():
            assert key.toString() not in window_wide, (key.toString(), window_wide.get(key.toString()))
            window_wide[key.toString()] = action.text()
    in_notes = [a for a in window.pane.actions() if isinstance(a, QAction)]
    notes = window.annotations
    assert in_notes == [*notes.color_actions.values(), notes.act_note, notes.act_delete]
    for action in in_notes:
        assert action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
        assert not {k.toString() for k in action.shortcuts()} & set(window_wide)


def test_theme_actions_are_exclusive_and_remembered(window: MainWindow) -> None:
    window.theme_actions["sepia"].trigger()
    assert [c for c, a in window.theme_actions.items() if a.isChecked()] == ["sepia"]
    assert window.settings.theme() == "sepia" and window.pane.theme.name == "sepia"
    window.theme_actions["light"].trigger()
    assert [c for c, a in window.theme_actions.items() if a.isChecked()] == ["light"]
    assert window.settings.theme() == "light"
