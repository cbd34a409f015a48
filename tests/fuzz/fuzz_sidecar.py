"""Fuzz the notes sidecar loader: any bytes give a document or a one-line SidecarError, never anything else,
and what parses survives a serialize/parse round trip.

    python tests/fuzz/fuzz_sidecar.py -max_total_time=60            # atheris (libFuzzer options)
    python tests/fuzz/fuzz_sidecar.py -max_total_time=60 --no-atheris   # the fallback random loop
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _harness import run

from reader.core.errors import SidecarError
from reader.core.notes.sidecar import SidecarDocument, parse_sidecar, serialize_sidecar

SEED = b"""{"format": "research-notes-reader/notes", "version": 1, "source": "a.txt", "text_hash": "",
"annotations": [{"id": "x", "status": "anchored", "color": "yellow", "tags": ["t"], "note": "n",
"target": {"selector": [{"type": "TextQuoteSelector", "exact": "Bone", "prefix": "", "suffix": " t"},
{"type": "TextPositionSelector", "start": 0, "end": 4}]}, "created": "2025-01-02T03:04:05Z",
"modified": "2025-01-02T03:04:05Z", "extra": {"k": [1, 2.5, null]}}], "unknown": true}"""


def one_input(data: bytes) -> None:
    for strict in (True, False):
        try:
            document = parse_sidecar(data, "f.notes.json", strict=strict)
        except SidecarError as exc:
            if "\n" in str(exc):
                raise AssertionError(f"multi-line message: {exc!r}") from exc
            continue
        assert isinstance(document, SidecarDocument)
        for a in document.annotations:
            assert 0 <= a.start <= a.end
        again = parse_sidecar(serialize_sidecar(document), "f.notes.json", strict=strict)
        assert again.annotations == document.annotations, "round trip changed the annotations"


if __name__ == "__main__":
    run(one_input, [SEED, b"{}", b"[]", b'{"annotations": []}'])
