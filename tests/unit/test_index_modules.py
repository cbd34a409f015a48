"""The search package's shape: private Whoosh names only in whoosh_private, picklable workers, small
modules."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

import reader.core.search as search_package
from reader.core.search import building

PACKAGE = Path(search_package.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
OTHERS = [p for p in MODULES if p.name != "whoosh_private.py"]


def _own_private_names() -> set[str]:
    """Every ``_name`` this package defines itself (functions, classes, variables, attributes, arguments)."""
    names: set[str] = set()
    for path in OTHERS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name)
    return {n for n in names if n.startswith("_")}


def _is_foreign_private(attr: str, own: set[str]) -> bool:
    return attr.startswith("_") and not attr.startswith("__") and attr not in own


def test_private_whoosh_names_are_used_only_through_whoosh_private() -> None:
    """An attribute ``._x`` the package does not define itself is Whoosh's (a name Whoosh shares with the
    package, such as ``_gen``, goes unnoticed: this catches the common case, not every one)."""
    own = _own_private_names()
    leaks: list[str] = []
    for path in OTHERS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                leaks += [f"{path.name}: imports {a.name}" for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Attribute) and _is_foreign_private(node.attr, own):
                leaks.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert leaks == [], "use reader/core/search/whoosh_private.py for these"


def test_the_check_above_does_find_a_private_whoosh_attribute() -> None:
    tree = ast.parse("def f(ix, writer):\n    return ix._read_toc(), writer._added\n")
    own = _own_private_names()
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert {a for a in attrs if _is_foreign_private(a, own)} == {"_read_toc", "_added"}


def test_worker_functions_are_picklable_by_reference() -> None:
    """Spawned worker processes receive these by module and name."""
    for function in (building._worker_init, building._worker_build):
        assert pickle.loads(pickle.dumps(function)) is function
    job = building._Job("a.txt", (1, 2), (-1, -1), None)
    assert pickle.loads(pickle.dumps(job)) == job


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_are_small_and_documented(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 600
    assert ast.get_docstring(ast.parse(text)), f"{path.name} has no module docstring"


def test_package_exports_the_public_names_without_loading_whoosh_early() -> None:
    assert set(search_package.__all__) >= {"SearchIndex", "SearchResults", "SearchHit", "UpdateReport"}
    assert {"QueryError", "SearchIndexError", "IndexBusyError"} <= set(search_package.__all__)
    from reader.core.search.index import SearchIndex

    assert search_package.SearchIndex is SearchIndex
