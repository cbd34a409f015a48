"""Every distribution the code imports is declared in pyproject.toml, and the lock files agree with it.

A dependency that only arrives through another package's extra (``lxml[html_clean]``, which lxml 6 dropped)
or that happened to be in a developer's old virtual environment is exactly what a new user does not get:
these checks make such a gap fail the suite instead of the user's first HTML article.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("reader", "tests")
LOCKS = ROOT / "requirements"
#: Distributions no lock may pin (the machine's own copies must never decide what users get).
NEVER_LOCKED = {"torch", "torchvision"}


def normalize(name: str) -> str:
    """A distribution name as indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        table: dict[str, object] = tomllib.load(file)["project"]
    return table


def runtime_requirements() -> list[Requirement]:
    return [Requirement(text) for text in project()["dependencies"]]  # type: ignore[attr-defined]


def extra_requirements(extra: str) -> list[Requirement]:
    return [Requirement(text) for text in project()["optional-dependencies"][extra]]  # type: ignore[index]


def all_extras() -> list[str]:
    return sorted(project()["optional-dependencies"])  # type: ignore[call-overload]


def python_files(folder: str) -> Iterator[Path]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "results" not in path.relative_to(ROOT).parts:
            yield path


def local_modules() -> set[str]:
    """Names the repository itself provides: packages, and modules tests import from their own folder
    (``conftest``, ``_harness``, ``report``)."""
    names = set()
    for folder in SCANNED:
        for path in python_files(folder):
            names.add(path.stem)
            names.update(part for part in path.relative_to(ROOT).parts[:-1])
    return names


def imported_top_level(path: Path) -> set[str]:
    """Top-level module names of the absolute imports in ``path`` (anywhere in it, not only at the top)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports(folder: str) -> dict[str, list[str]]:
    """Third-party top-level modules imported under ``folder`` -> the files that import them."""
    local = local_modules()
    found: dict[str, list[str]] = {}
    for path in python_files(folder):
        for name in imported_top_level(path):
            if name in sys.stdlib_module_names or name in local or name == "__future__":
                continue
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def undeclared(imports: dict[str, list[str]], declared: set[str]) -> list[str]:
    """The imports no declared distribution provides, each with the files that import it."""
    providers = importlib.metadata.packages_distributions()
    problems = []
    for module, files in sorted(imports.items()):
        # A module of an uninstalled extra (matplotlib of `bench`) is matched by its distribution's name.
        dists = {normalize(d) for d in providers.get(module, [module])}
        if not dists & declared:
            problems.append(f"{module} (from {', '.join(sorted(dists))}; imported by {files[0]})")
    return problems


def test_the_scan_sees_the_known_imports() -> None:
    """The scan itself works: it finds imports that are certainly there, top-level and inside functions."""
    reader_imports = third_party_imports("reader")
    assert {"PySide6", "whoosh", "lxml", "trafilatura", "yaml", "shiboken6"} <= set(reader_imports)
    tests_imports = third_party_imports("tests")
    assert {"pytest", "pytestqt", "hypothesis", "packaging"} <= set(tests_imports)
    assert "reader" not in reader_imports and "conftest" not in tests_imports


def test_what_reader_imports_is_a_runtime_dependency() -> None:
    declared = {normalize(r.name) for r in runtime_requirements()}
    missing = undeclared(third_party_imports("reader"), declared)
    assert not missing, "imported by reader/ but not in [project] dependencies: " + "; ".join(missing)


def test_what_tests_import_is_declared() -> None:
    declared = {normalize(r.name) for r in runtime_requirements()}
    for extra in all_extras():
        declared |= {normalize(r.name) for r in extra_requirements(extra)}
    missing = undeclared(third_party_imports("tests"), declared)
    assert not missing, "imported by tests/ but declared nowhere in pyproject.toml: " + "; ".join(missing)


def test_a_missing_declaration_is_reported() -> None:
    """The check fails for an import that only another package brings in (here: lxml via trafilatura)."""
    problems = undeclared({"lxml": ["reader/core/articles/html.py"]}, {"trafilatura"})
    assert problems and problems[0].startswith("lxml (from lxml;")


def test_installed_versions_satisfy_the_declarations() -> None:
    """The environment the tests run in (made from test.lock) has every runtime and test requirement that
    applies to this platform, at an allowed version: a stale lock fails here."""
    environment = {**default_environment(), "extra": "test"}
    problems = []
    for requirement in runtime_requirements() + extra_requirements("test"):
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{requirement.name} is not installed")
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name} {version} does not satisfy {requirement}")
    assert not problems, "; ".join(problems)


def test_the_html_extractor_imports() -> None:
    """trafilatura imports jusText, which imports lxml.html.clean, which lxml 6 moved out into
    lxml_html_clean: the import that failed for new users, so that no HTML article could be read."""
    import lxml.html.clean  # type: ignore[import-untyped]
    import trafilatura

    assert callable(trafilatura.extract) and callable(lxml.html.clean.Cleaner)


# ------------------------------------------------------------------------------------------ lock files
def read_lock(name: str) -> dict[str, tuple[Version, list[str]]]:
    """``package -> (version, hashes)`` of a uv/pip-compile lock file."""
    entries: dict[str, tuple[Version, list[str]]] = {}
    current = ""
    for line in (LOCKS / name).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():
            pin = re.match(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", line)
            assert pin, f"{name}: not an exact pin: {line!r}"
            current = normalize(pin.group(1))
            entries[current] = (Version(pin.group(2)), [])
        else:
            assert stripped.startswith("--hash=sha256:"), f"{name}: unexpected line {line!r}"
            entries[current][1].append(stripped.split(":", 1)[1].rstrip(" \\"))
    return entries


@pytest.mark.parametrize(("lock", "extras"), [("app.lock", ()), ("test.lock", ("test",))])
def test_locks_pin_every_declaration_with_hashes(lock: str, extras: tuple[str, ...]) -> None:
    pins = read_lock(lock)
    requirements = runtime_requirements() + [r for extra in extras for r in extra_requirements(extra)]
    problems = []
    for requirement in requirements:
        pinned = pins.get(normalize(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name} is not in {lock}")
        elif not requirement.specifier.contains(pinned[0], prereleases=True):
            problems.append(f"{lock} pins {requirement.name}=={pinned[0]}, outside {requirement.specifier}")
    assert not problems, "; ".join(problems) + " (run: bash requirements/refresh.sh)"
    for package, (_version, hashes) in pins.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), package
    assert not NEVER_LOCKED & set(pins)


def test_the_two_locks_agree() -> None:
    """What the tests run against is what users get: every package of app.lock has the same version in
    test.lock."""
    app, test = read_lock("app.lock"), read_lock("test.lock")
    assert set(app) <= set(test)
    assert {name: app[name][0] for name in app} == {name: test[name][0] for name in app}


def test_locks_name_no_other_index() -> None:
    """Only the default index: no --index-url, --find-links or local paths from a machine's pip config."""
    for lock in ("app.lock", "test.lock"):
        text = (LOCKS / lock).read_text(encoding="utf-8")
        assert not re.search(r"^\s*-(-index-url|-extra-index-url|-find-links|i|f)\b", text, re.MULTILINE)
        assert "file:" not in text and "/opt/" not in text
