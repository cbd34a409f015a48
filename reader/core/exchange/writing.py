"""Writing an export: the plan of files and their bytes, checked and then written atomically.

Every path of the plan must lie inside the destination folder (:func:`.filenames.ensure_inside`). Without
``force``, if any planned file exists (or is a dangling symlink), :class:`ExistingFilesError` is raised
before anything is written, listing them all. Each file is written with
:func:`reader.core.atomic.atomic_write_bytes`, so a reader of it never sees half a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reader.core.atomic import atomic_write_bytes
from reader.core.errors import ExportError
from reader.core.exchange.filenames import ensure_inside

#: The files to write, in order, with their contents.
WritePlan = Sequence[tuple[Path, bytes]]


class ExistingFilesError(ExportError):
    """Export target files exist and ``force`` was not given; ``paths`` lists them (in write order)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        more = f" (and {len(self.paths) - 1} more)" if len(self.paths) > 1 else ""
        super().__init__(
            f"will not overwrite existing file {self.paths[0]}{more}; export with force to replace"
        )


def write_plan(plan: WritePlan, dest_root: Path, force: bool) -> list[Path]:
    """Write every file of ``plan`` (all inside ``dest_root``); the paths written, in order.

    Raises :class:`ExistingFilesError` (nothing written) when files exist and not ``force``, and
    :class:`ExportError` when a file cannot be written.
    """
    for path, _ in plan:
        ensure_inside(dest_root, path)
    if not force:
        existing = [path for path, _ in plan if path.exists() or path.is_symlink()]
        if existing:
            raise ExistingFilesError(existing)
    written: list[Path] = []
    for path, data in plan:
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
        written.append(path)
    return written
