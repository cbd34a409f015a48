"""A reader of Lua table literals (KOReader's ``metadata.*.lua`` sidecars), as data: nothing is executed.

Accepts ``return { … }`` (or a bare table) made of ``["key"] = value``, ``[1] = value``, ``name = value`` and
positional values; strings in double or single quotes with Lua escapes (a backslash before a line break is a
line break, as KOReader writes multi-line text), long strings ``[[…]]``, numbers, ``true``/``false``/``nil``,
and ``--`` comments. Tables become dicts (keys as given: ``str`` or ``int``/``float``). Anything else (calls,
operators, variables) is refused with :class:`LuaDataError` naming the line.
"""

from __future__ import annotations

import re
from typing import Any

#: Nesting deeper than this is refused (a sidecar is a few levels deep).
MAX_DEPTH = 64

_NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\\": "\\",
            '"': '"', "'": "'", "\n": "\n"}  # fmt: skip


class LuaDataError(ValueError):
    """The text is not a Lua data literal; the message names the line."""


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> LuaDataError:
        line = self.text.count("\n", 0, self.pos) + 1
        return LuaDataError(f"line {line}: {what}")

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n,;":
                self.pos += 1
            elif text.startswith("--", self.pos):
                long = re.match(r"--\[(=*)\[", text[self.pos : self.pos + 64])
                if long:
                    close = "]" + long.group(1) + "]"
                    end = text.find(close, self.pos)
                    self.pos = len(text) if end < 0 else end + len(close)
                else:
                    end = text.find("\n", self.pos)
                    self.pos = len(text) if end < 0 else end + 1
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos : self.pos + 1]

    def value(self, depth: int) -> Any:
        char = self.peek()
        if char == "{":
            return self.table(depth + 1)
        if char in "\"'":
            return self.string()
        if self.text.startswith("[[", self.pos) or re.match(r"\[=+\[", self.text[self.pos : self.pos + 16]):
            return self.long_string()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            token = number.group(0)
            if token.lower().lstrip("-").startswith("0x"):
                return int(token, 16)
            return float(token) if any(c in token for c in ".eE") else int(token)
        name = _NAME.match(self.text, self.pos)
        if name and name.group(0) in ("true", "false", "nil"):
            self.pos = name.end()
            return {"true": True, "false": False, "nil": None}[name.group(0)]
        raise self.fail(f"unexpected {self.text[self.pos : self.pos + 20]!r}")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char == "\n":
                raise self.fail("line break inside a string")
            if char == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                    self.pos += 2
                elif nxt == "\r":
                    out.append("\n")
                    self.pos += 3 if text[self.pos + 2 : self.pos + 3] == "\n" else 2
                elif nxt.isdigit():
                    digits = re.match(r"\d{1,3}", text[self.pos + 1 :])
                    assert digits is not None
                    out.append(chr(int(digits.group(0))))
                    self.pos += 1 + len(digits.group(0))
                elif nxt == "z":
                    self.pos += 2
                    while self.pos < len(text) and text[self.pos] in " \t\r\n":
                        self.pos += 1
                else:
                    raise self.fail(f"unknown escape \\{nxt}")
                continue
            out.append(char)
            self.pos += 1
        raise self.fail("string not closed")

    def long_string(self) -> str:
        match = re.match(r"\[(=*)\[", self.text[self.pos :])
        assert match is not None
        close = "]" + match.group(1) + "]"
        start = self.pos + match.end()
        end = self.text.find(close, start)
        if end < 0:
            raise self.fail("long string not closed")
        self.pos = end + len(close)
        body = self.text[start:end]
        return body[1:] if body.startswith("\n") else body

    def table(self, depth: int) -> dict[Any, Any]:
        if depth > MAX_DEPTH:
            raise self.fail("tables nested too deeply")
        self.pos += 1  # "{"
        out: dict[Any, Any] = {}
        index = 1
        while True:
            char = self.peek()
            if not char:
                raise self.fail("table not closed")
            if char == "}":
                self.pos += 1
                return out
            if char == "[" and not re.match(r"\[=*\[", self.text[self.pos : self.pos + 16]):
                self.pos += 1
                key = self.value(depth)
                if self.peek() != "]":
                    raise self.fail("expected ']'")
                self.pos += 1
                self.expect_equals()
                out[key] = self.value(depth)
                continue
            name = _NAME.match(self.text, self.pos)
            if name and name.group(0) not in ("true", "false", "nil"):
                after = self.text[name.end() :].lstrip(" \t")
                if after.startswith("=") and not after.startswith("=="):
                    self.pos = name.end()
                    self.expect_equals()
                    out[name.group(0)] = self.value(depth)
                    continue
            out[index] = self.value(depth)
            index += 1

    def expect_equals(self) -> None:
        if self.peek() != "=":
            raise self.fail("expected '='")
        self.pos += 1


def loads(text: str) -> Any:
    """The value of the Lua data literal ``text`` (``return`` optional). Raises :class:`LuaDataError`."""
    reader = _Reader(text.lstrip("\ufeff"))
    if reader.peek() == "r" and reader.text.startswith("return", reader.pos):
        reader.pos += len("return")
    value = reader.value(0)
    if reader.peek():
        raise reader.fail("unexpected text after the value")
    return value


def as_list(table: object) -> list[Any]:
    """The positional entries ``[1]``, ``[2]``, … of a table, in order (others ignored)."""
    if not isinstance(table, dict):
        return []
    keys = sorted(k for k in table if isinstance(k, int) and not isinstance(k, bool))
    return [table[k] for k in keys]
