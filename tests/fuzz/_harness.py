"""Shared runner of the fuzz harnesses: atheris (libFuzzer) when installed, else a time-boxed random loop.

Not collected by pytest (no ``test_`` prefix). Each harness calls :func:`run` with its ``one_input``.
Options understood by the fallback loop: ``-max_total_time=SECONDS`` and ``-runs=N`` (like libFuzzer's).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def _option(argv: Sequence[str], name: str, default: int) -> int:
    for arg in argv:
        if arg.startswith(f"-{name}="):
            return int(arg.split("=", 1)[1])
    return default


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(4)
        pos = rng.randint(0, len(buf))
        if op == 0:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 1 and buf:
            del buf[pos : pos + rng.randint(1, 16)]
        elif op == 2 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        else:
            chunk = bytes(buf[rng.randrange(len(buf) + 1) :][:32]) if buf else b"{"
            buf[pos:pos] = chunk
    return bytes(buf)


def run(one_input: Callable[[bytes], None], seeds: Sequence[bytes]) -> None:
    argv = sys.argv
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is not None and "--no-atheris" not in argv:
        args = [a for a in argv if not a.startswith("--")]
        if not any(not a.startswith("-") for a in args[1:]):  # no corpus folder given: start from the seeds
            corpus_dir = Path(tempfile.mkdtemp(prefix="fuzz-corpus-"))
            for n, seed in enumerate(seeds):
                (corpus_dir / f"seed{n}").write_bytes(seed)
            args.append(str(corpus_dir))
        atheris.instrument_all()  # coverage feedback for the reader and its libraries (pure Python parts)
        atheris.Setup(args, one_input)
        atheris.Fuzz()
        return
    max_time = _option(argv, "max_total_time", 60)
    runs = _option(argv, "runs", -1)
    rng = random.Random(_option(argv, "seed", 0))
    corpus = list(seeds) or [b""]
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < max_time and (runs < 0 or done < runs):
        data = _mutate(rng, rng.choice(corpus))
        one_input(data)
        if rng.random() < 0.05:
            corpus.append(data)
        done += 1
    print(f"fallback fuzzing: {done} inputs in {time.monotonic() - started:.1f} s, no failure", flush=True)
