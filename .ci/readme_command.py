"""Print one of the README's set-up commands, so that CI runs exactly what a new user is told to run.

    python3 .ci/readme_command.py app|test [README]

The command is the fenced code block between ``<!-- setup:NAME:start -->`` and ``<!-- setup:NAME:end -->``
in README.md. Exits with status 2 and a one-line message when a marker is missing or repeated, or the block
is not exactly one command on one line. Standard library only: CI runs it before any virtual environment.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```[\w-]*\n(?P<body>.*?)^```\s*$", re.DOTALL | re.MULTILINE)


class ReadmeCommandError(ValueError):
    """The README's marked block is missing or is not a single command."""


def readme_command(text: str, name: str) -> str:
    """The single command between the ``setup:NAME`` markers of ``text``."""
    start, end = f"<!-- setup:{name}:start -->", f"<!-- setup:{name}:end -->"
    for marker in (start, end):
        count = text.count(marker)
        if count != 1:
            raise ReadmeCommandError(f"README.md has {count} `{marker}` markers, expected exactly one")
    begin, finish = text.index(start) + len(start), text.index(end)
    if finish < begin:
        raise ReadmeCommandError(f"README.md: `{end}` comes before `{start}`")
    block = text[begin:finish].strip()
    fence = FENCE.fullmatch(block + "\n")
    if fence is None:
        raise ReadmeCommandError(f"README.md: the setup:{name} markers must enclose one fenced code block")
    lines = [line.strip() for line in fence.group("body").splitlines() if line.strip()]
    if len(lines) != 1 or lines[0].endswith("\\") or lines[0].startswith("#"):
        raise ReadmeCommandError(
            f"README.md: the setup:{name} block must be one command on one line, found {len(lines)} lines"
        )
    return lines[0]


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python3 .ci/readme_command.py app|test [README]", file=sys.stderr)
        return 2
    path = Path(argv[1]) if len(argv) == 2 else README
    try:
        print(readme_command(path.read_text(encoding="utf-8"), argv[0]))
    except (OSError, ReadmeCommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
