"""Every menu, toolbar and keyboard shortcut of the window, as tables, and the functions that build them.

An action is named in a table (:class:`ActionSpec`: name, text, keys); :func:`build_actions` makes the
``QAction`` objects and connects each to the callback given for its name. Menus, the annotate toolbar and
the context menus are lists of those names (:data:`MENUS`, :data:`ANNOTATE_TOOLBAR`, ...), so what the
user sees is read here in one place. Nothing in this module knows the components the callbacks belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QToolBar, QWidget

from reader.core.models import COLORS
from reader.ui.settings import THEMES
from reader.ui.theme import swatch_icon

Key = QKeySequence.StandardKey | str
Callback = Callable[[], object]

#: In a list of entries: a separator.
SEPARATOR = "-"


@dataclass(frozen=True)
class ActionSpec:
    """One action: its name (the key of its callback), menu text, shortcuts and short toolbar text."""

    name: str
    text: str
    keys: tuple[Key, ...] = ()
    icon_text: str = ""


@dataclass(frozen=True)
class MenuSpec:
    """A menu: its name, title and entries (action names, :data:`SEPARATOR` or submenus)."""

    name: str
    title: str
    entries: tuple[str | MenuSpec, ...]


#: The window's own actions (shortcuts active anywhere in the window), in the order the shortcuts list shows.
WINDOW_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open Library…", (QKeySequence.StandardKey.Open,)),
    ActionSpec("rescan", "&Rescan Library", ("F5",)),
    ActionSpec("quit", "&Quit", (QKeySequence.StandardKey.Quit,)),
    ActionSpec("export", "&Export Notes…", ("Ctrl+E",)),
    ActionSpec("import", "&Import Notes…", ("Ctrl+I",)),
    ActionSpec("sync_vault", "S&ync Notes Vault…", ()),
    ActionSpec("all_notes", "All &Notes…", ("Ctrl+Shift+A",)),
    ActionSpec("search", "&Search Library", ("Ctrl+K", "Ctrl+F")),
    ActionSpec("clear", "&Clear Search", ("Ctrl+Shift+K",)),
    ActionSpec("find", "&Find in Article…", ("Ctrl+Shift+F",)),
    ActionSpec("next_hit", "&Next Match", ("F3",)),
    ActionSpec("prev_hit", "&Previous Match", ("Shift+F3",)),
    ActionSpec("next_article", "Next &Article", ("Ctrl+Down",)),
    ActionSpec("prev_article", "Pre&vious Article", ("Ctrl+Up",)),
    ActionSpec("toggle_read", "Mark as &Unread/Read", ("Ctrl+M",)),
    ActionSpec("article_info", "Article &Info…", ("Ctrl+Shift+I",)),
    ActionSpec("bulk_edit", "Edit &Selected Articles…", ("Ctrl+Shift+E",)),
    ActionSpec("copy_citation", "Copy &Citation", ("Ctrl+Shift+C",)),
    ActionSpec("go_to_page", "Go to &Page…", ("Ctrl+G",)),
    ActionSpec("page_view", "Pa&ge View (PDF)", ("Ctrl+Shift+V",)),
    ActionSpec("fit_width", "&Fit Page Width", ("Ctrl+9",)),
    ActionSpec("unlock_pdf", "Open &Encrypted PDF…", ()),
    ActionSpec("zoom_in", "Zoom &In", (QKeySequence.StandardKey.ZoomIn, "Ctrl+=")),
    ActionSpec("zoom_out", "Zoom &Out", (QKeySequence.StandardKey.ZoomOut,)),
    ActionSpec("zoom_reset", "&Actual Size", ("Ctrl+0",)),
    ActionSpec("problems", "&Problems…", ("Ctrl+Shift+P",)),
    ActionSpec("saved_searches", "Sa&ved Searches", ()),
    ActionSpec("shortcuts", "&Keyboard Shortcuts", ("F1",)),
    ActionSpec("about", "&About", ("Shift+F1",)),
)

#: One checkable action per theme choice (Ctrl+Alt+1 ...), named ``theme_<choice>``.
THEME_LABELS = {
    "system": "Follow system",
    "light": "Light theme",
    "dark": "Dark theme",
    "sepia": "Sepia theme",
}

#: Annotation actions: their shortcuts work only where the reading pane or the annotations panel has focus.
HIGHLIGHT_ACTIONS: tuple[ActionSpec, ...] = tuple(
    ActionSpec(f"highlight_{color}", f"Highlight {color.capitalize()}", (str(i),))
    for i, color in enumerate(COLORS, 1)
)
NOTE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("note", "Add or Edit &Note…", ("N", "Ctrl+Shift+N"), icon_text="Note…"),
    ActionSpec("delete", "&Delete Highlight", ("Delete",), icon_text="Delete"),
)
REDO_KEYS = ("Ctrl+Shift+Z", "Ctrl+Y")

_HIGHLIGHTS = tuple(spec.name for spec in HIGHLIGHT_ACTIONS)
_THEMES = tuple(f"theme_{choice}" for choice in THEMES)

MENUS: tuple[MenuSpec, ...] = (
    MenuSpec(
        "file",
        "&File",
        (
            "open",
            MenuSpec("recent", "Open &Recent", ()),
            "rescan",
            SEPARATOR,
            "export",
            "import",
            "sync_vault",
            "all_notes",
            SEPARATOR,
            "unlock_pdf",
            SEPARATOR,
            "quit",
        ),
    ),
    MenuSpec(
        "edit",
        "&Edit",
        (
            "search",
            "clear",
            "find",
            SEPARATOR,
            "undo",
            "redo",
            SEPARATOR,
            *_HIGHLIGHTS,
            "note",
            "delete",
            SEPARATOR,
            "article_info",
            "bulk_edit",
            "copy_citation",
        ),
    ),
    MenuSpec(
        "go",
        "&Go",
        (
            "next_hit",
            "prev_hit",
            "next_article",
            "prev_article",
            "toggle_read",
            SEPARATOR,
            "go_to_page",
            MenuSpec("contents", "&Contents", ()),
        ),
    ),
    MenuSpec(
        "view",
        "&View",
        (
            "page_view",
            "fit_width",
            SEPARATOR,
            "zoom_in",
            "zoom_out",
            "zoom_reset",
            SEPARATOR,
            *_THEMES,
            SEPARATOR,
            "problems",
            "saved_searches",
        ),
    ),
    MenuSpec("help", "&Help", ("shortcuts", "about")),
)
#: The toolbar offers the first five colours; menus and the context menu offer all of them.
ANNOTATE_TOOLBAR = (*_HIGHLIGHTS[:5], SEPARATOR, "note", "delete", SEPARATOR, "undo", "redo")
#: Added below the reading pane's standard context menu (copy, select all).
PANE_CONTEXT_MENU = (SEPARATOR, *_HIGHLIGHTS, "note", "delete")
PANEL_CONTEXT_MENU = ("note", "delete")


def _action(owner: QWidget, spec: ActionSpec) -> QAction:
    action = QAction(spec.text, owner)
    if spec.keys:
        action.setShortcuts([QKeySequence(key) for key in spec.keys])
    return action


def build_actions(
    owner: QWidget, specs: Iterable[ActionSpec], callbacks: Mapping[str, Callback]
) -> dict[str, QAction]:
    """Window-wide actions, each connected to ``callbacks[spec.name]`` and added to ``owner``."""
    actions: dict[str, QAction] = {}
    for spec in specs:
        action = _action(owner, spec)
        action.triggered.connect(callbacks[spec.name])
        owner.addAction(action)
        actions[spec.name] = action
    return actions


def build_theme_actions(owner: QWidget, choose: Callable[[str], None]) -> dict[str, QAction]:
    """One exclusive, checkable action per theme choice (keyed by choice), calling ``choose(choice)``."""
    group = QActionGroup(owner)
    actions: dict[str, QAction] = {}
    for i, choice in enumerate(THEMES):
        action = QAction(THEME_LABELS[choice], owner)
        action.setCheckable(True)
        action.setShortcut(QKeySequence(f"Ctrl+Alt+{i + 1}"))
        action.triggered.connect(lambda _checked=False, c=choice: choose(c))
        group.addAction(action)
        owner.addAction(action)
        actions[choice] = action
    return actions


@dataclass(frozen=True)
class AnnotationActions:
    """The actions that edit the open article's notes."""

    colors: dict[str, QAction]
    note: QAction
    delete: QAction
    undo: QAction
    redo: QAction

    def by_name(self) -> dict[str, QAction]:
        named = {f"highlight_{color}": action for color, action in self.colors.items()}
        return named | {"note": self.note, "delete": self.delete, "undo": self.undo, "redo": self.redo}


def build_annotation_actions(
    window: QWidget,
    targets: Sequence[QWidget],
    undo_stack: QUndoStack,
    *,
    highlight: Callable[[str], None],
    edit_note: Callback,
    delete: Callback,
) -> AnnotationActions:
    """Highlight, note and delete actions with shortcuts active in ``targets`` (the widgets showing notes),
    and undo/redo of ``undo_stack`` active in the whole ``window``."""
    colors: dict[str, QAction] = {}
    for color, spec in zip(COLORS, HIGHLIGHT_ACTIONS, strict=True):
        action = _action(window, spec)
        action.setIcon(swatch_icon(color))
        action.triggered.connect(lambda _checked=False, c=color: highlight(c))
        colors[color] = action
    note, delete_action = (_action(window, spec) for spec in NOTE_ACTIONS)
    note.triggered.connect(edit_note)
    delete_action.triggered.connect(delete)
    for action in (*colors.values(), note, delete_action):
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for target in targets:
            target.addAction(action)
    undo = undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
    redo = undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence(key) for key in REDO_KEYS])
    window.addAction(undo)
    window.addAction(redo)
    for spec, action in zip(NOTE_ACTIONS, (note, delete_action), strict=True):
        action.setIconText(spec.icon_text)
    return AnnotationActions(colors, note, delete_action, undo, redo)


def fill(container: QMenu | QToolBar, entries: Iterable[str], actions: Mapping[str, QAction]) -> None:
    """Add the named actions (and separators) to a menu or toolbar."""
    for entry in entries:
        if entry == SEPARATOR:
            container.addSeparator()
        else:
            container.addAction(actions[entry])


def _fill_menu(menu: QMenu, spec: MenuSpec, actions: Mapping[str, QAction], menus: dict[str, QMenu]) -> None:
    menus[spec.name] = menu
    for entry in spec.entries:
        if isinstance(entry, MenuSpec):
            _fill_menu(menu.addMenu(entry.title), entry, actions, menus)
        else:
            fill(menu, (entry,), actions)


def build_menus(bar: QMenuBar, actions: Mapping[str, QAction]) -> dict[str, QMenu]:
    """The menu bar of :data:`MENUS`; returns every menu and submenu by name."""
    menus: dict[str, QMenu] = {}
    for spec in MENUS:
        _fill_menu(bar.addMenu(spec.title), spec, actions, menus)
    return menus


def build_toolbar(
    window: QMainWindow, title: str, object_name: str, entries: Iterable[str], actions: Mapping[str, QAction]
) -> QToolBar:
    """A fixed toolbar (its object name keys the saved window state)."""
    toolbar = window.addToolBar(title)
    toolbar.setObjectName(object_name)
    toolbar.setMovable(False)
    fill(toolbar, entries, actions)
    return toolbar


def fill_recent(menu: QMenu, libraries: Iterable[Path], open_library: Callable[[Path], None]) -> None:
    """Refill the Open Recent menu (folders that no longer exist are shown disabled)."""
    menu.clear()
    for path in libraries:
        action = menu.addAction(str(path))
        action.setEnabled(path.is_dir())
        action.triggered.connect(lambda _checked=False, p=path: open_library(p))


def popup_menu(
    menu: QMenu, entries: Iterable[str], actions: Mapping[str, QAction], viewport: QWidget, pos: QPoint
) -> QMenu:
    """Add the entries to ``menu`` and show it at ``pos`` of ``viewport`` (the caller keeps it alive)."""
    fill(menu, entries, actions)
    menu.popup(viewport.mapToGlobal(pos))
    return menu
