"""Subcommands of ``python -m reader``.

Each module in this package is one subcommand and defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status). Modules are discovered, so adding a command means adding a module.
Commands import Qt lazily (only ``gui`` needs it), so scripting commands start fast and work headless.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Protocol, cast

from reader import __version__

# Preferred order in --help; modules not listed here follow alphabetically.
_ORDER = ["gui", "list", "text", "index", "search", "notes", "export", "import_notes"]


class _Command(Protocol):
    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


#: Commands whose name is not their module's (``NAME`` in the module); every other command is its module.
_MODULE_OF = {"import": "import_notes"}


def module_names() -> list[str]:
    """The command modules, in help order (found on disk, none imported)."""
    names = [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    return names


def _command_modules(only: str | None = None) -> list[ModuleType]:
    names = module_names()
    if only is not None:
        wanted = _MODULE_OF.get(only, only)
        if wanted in names:
            names = [wanted]  # one command: import only its module (each imports what it needs)
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``only`` (a command name), just that command's (start-up costs only
    what that command imports; ``--help`` and unknown names get every command)."""
    parser = argparse.ArgumentParser(
        prog="python -m reader",
        description="Research-notes reader: read, search and annotate a folder of clipped articles.",
        epilog="With no command, the window opens on the last library (the bundled sample library at first).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in _command_modules(only):
        command = cast(_Command, module)
        cmd_parser = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(cmd_parser)
        run: Callable[[argparse.Namespace], int] = command.run
        cmd_parser.set_defaults(run=run)

    def show_help(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    parser.set_defaults(run=show_help)
    return parser
