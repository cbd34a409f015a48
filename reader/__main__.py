"""``python -m reader``: the command line. With no arguments it opens the window on the default library."""

from __future__ import annotations

import sys

from reader.commands import build_parser


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "gui")
    parser = build_parser(only=None if args_list[0].startswith("-") else args_list[0])
    args = parser.parse_args(args_list)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
