"""The search index under faults: another process holding its lock, a process killed mid-commit, segment
files deleted or truncated. Search always recovers (rebuilt from the sources) and the notes sidecars are
never touched (byte for byte).

The library is generated: :data:`ARTICLES` articles, every tenth with a notes sidecar. Each article holds
the word ``reliability`` and a unique word, so that a complete index is easy to recognise.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reader.core.errors import IndexBusyError
from reader.core.notes.sidecar import SIDECAR_SUFFIX
from reader.core.notes.store import NotesStore
from reader.core.search import SearchIndex

ARTICLES = 160
#: Indexer processes killed (at random moments around and inside the commit); RELIABILITY_INDEX_KILLS.
INDEX_KILLS = int(os.environ.get("RELIABILITY_INDEX_KILLS", "6"))
FILLER = (
    "Scaffolds seeded with mesenchymal stem cells repair bone; the trial measured healing over twelve weeks "
    "and compared it with a control group treated with conventional grafts. "
)


def unique_word(i: int) -> str:
    letters = "".join(chr(ord("a") + (i // 26**k) % 26) for k in range(3))
    return f"zq{letters}"


def write_article(library: Path, i: int, extra: str = "") -> Path:
    path = library / f"sub{i % 4}" / f"article-{i:04d}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"Article {unique_word(i)} on reliability\n\n{FILLER * 8}\n\n{unique_word(i)} {extra}\n",
        encoding="utf-8",
    )
    return path


def make_library(root: Path) -> Path:
    for i in range(ARTICLES):
        path = write_article(root, i)
        if i % 10 == 0:
            text = path.read_text(encoding="utf-8")
            store = NotesStore(path, text)
            store.add_quote("mesenchymal stem cells", note=f"note on {unique_word(i)}", tags=["bone"])
            store.save()
    return root


def sidecars(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*" + SIDECAR_SUFFIX))}


def found(index: SearchIndex, query: str) -> set[str]:
    results = index.search(query, limit=10_000, snippets=False)
    return {hit.relpath for hit in results.hits}


def assert_complete(index: SearchIndex, library: Path) -> None:
    """Every article is found by the common word, a sample by its own word, and the notes by theirs."""
    articles = {p.relative_to(library).as_posix() for p in library.rglob("article-*.txt")}
    assert found(index, "reliability") == articles
    for i in random.Random(len(articles)).sample(range(ARTICLES), 8):
        rel = f"sub{i % 4}/article-{i:04d}.txt"
        if rel in articles:
            assert found(index, unique_word(i)) == {rel}
    noted = {rel[: -len(SIDECAR_SUFFIX)] for rel in sidecars(library)}
    assert found(index, "tag:bone") == noted


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_library(tmp_path_factory.mktemp("generated") / "library")


@pytest.fixture
def library(pristine: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "library"
    shutil.copytree(pristine, dest)
    return dest


def _readline(child: subprocess.Popen[str], timeout: float) -> str:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, f"the child did not answer within {timeout} s"
    return child.stdout.readline().strip()


def _reap(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait(timeout=10)
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


def test_lock_held_by_another_process(library: Path, tmp_path: Path, child_env, children) -> None:
    index_dir = tmp_path / "index"
    with SearchIndex(index_dir, library) as index:
        index.update()
    notes_before = sidecars(library)
    write_article(library, 7, extra="afterwards")
    locker = subprocess.Popen(
        [sys.executable, str(children / "index_locker.py"), str(index_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env,
    )
    try:
        assert _readline(locker, 60) == "locked"
        with SearchIndex(index_dir, library, lock_timeout=0.3) as index:
            with pytest.raises(IndexBusyError, match="busy") as info:
                index.update()
            assert "\n" not in str(info.value)
            # Searching needs no lock: the previous state is still searchable meanwhile.
            assert len(found(index, "reliability")) == ARTICLES
            assert found(index, "afterwards") == set()
            assert locker.stdin is not None
            locker.stdin.write("release\n")
            locker.stdin.flush()
            assert locker.wait(timeout=30) == 0
            report = index.update()
            assert report.updated == ["sub3/article-0007.txt"] and report.recovered is None
            assert found(index, "afterwards") == {"sub3/article-0007.txt"}
    finally:
        _reap(locker)
    assert sidecars(library) == notes_before


def _mutate(library: Path, rng: random.Random, round_number: int) -> None:
    word = f"round{'abcdefghijklmnop'[round_number % 16]}"
    for i in rng.sample(range(ARTICLES), 30):
        if (library / f"sub{i % 4}" / f"article-{i:04d}.txt").exists():
            write_article(library, i, extra=word)
    for i in rng.sample(range(ARTICLES), 3):
        path = library / f"sub{i % 4}" / f"article-{i:04d}.txt"
        if i % 10 and path.exists():  # articles with notes are never deleted here
            path.unlink()


def test_indexer_killed_mid_commit(library: Path, tmp_path: Path, child_env, children) -> None:
    index_dir = tmp_path / "index"
    notes_before = sidecars(library)
    rng = random.Random(99)
    outcomes = {"before the commit": 0, "inside the commit": 0, "after it finished": 0}
    for round_number in range(INDEX_KILLS):
        if round_number:
            _mutate(library, rng, round_number)
        child = subprocess.Popen(
            [sys.executable, str(children / "indexer.py"), str(index_dir), str(library)],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env,
        )
        try:
            if round_number % 3 == 2:
                time.sleep(rng.uniform(0.3, 1.0))  # somewhere during start-up or analysis
                where = "before the commit"
            else:
                line = _readline(child, 120)
                assert line in ("committing", ""), line
                time.sleep(rng.choice([0.0, 0.001, 0.005, 0.02]))
                where = "inside the commit"
            child.send_signal(signal.SIGKILL)
            status = child.wait(timeout=30)
            if status == 0:
                where = "after it finished"
            else:
                assert status == -signal.SIGKILL
            outcomes[where] += 1
        finally:
            _reap(child)
    print(f"\nindexer kills: {outcomes}")
    assert outcomes["inside the commit"] >= 1
    with SearchIndex(index_dir, library) as index:
        report = index.update()
        assert_complete(index, library)
        assert index.update().recovered is None
    print(f"recovered: {report.recovered}")
    assert sidecars(library) == notes_before


def _segments(index_dir: Path) -> list[Path]:
    return sorted(index_dir.glob("*.seg"))


DAMAGE = {
    "every segment deleted": lambda d: [p.unlink() for p in _segments(d)],
    "one segment deleted": lambda d: _segments(d)[0].unlink(),
    "segments truncated to zero": lambda d: [p.write_bytes(b"") for p in _segments(d)],
    "segments truncated by half": lambda d: [
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]) for p in _segments(d)
    ],
    "last byte of each segment cut": lambda d: [p.write_bytes(p.read_bytes()[:-1]) for p in _segments(d)],
    "segments overwritten with zeros": lambda d: [
        p.write_bytes(bytes(p.stat().st_size)) for p in _segments(d)
    ],
    "table of contents deleted": lambda d: [p.unlink() for p in d.glob("*.toc")],
    "table of contents truncated": lambda d: [p.write_bytes(p.read_bytes()[:20]) for p in d.glob("*.toc")],
}


@pytest.fixture(scope="module")
def indexed(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the library and its index in two segments, built once for the damage tests."""
    root = tmp_path_factory.mktemp("indexed")
    library = root / "library"
    shutil.copytree(pristine, library)
    with SearchIndex(root / "index", library) as index:
        index.update()
        write_article(library, 11, extra="second")
        index.update()
    assert len(_segments(root / "index")) >= 1
    return library, root / "index"


@pytest.mark.parametrize(
    ("damage", "first"), [(name, ("search", "update")[n % 2]) for n, name in enumerate(DAMAGE)]
)
def test_damaged_index_is_rebuilt(
    indexed: tuple[Path, Path], tmp_path: Path, damage: str, first: str
) -> None:
    library, index_dir = tmp_path / "library", tmp_path / "index"
    shutil.copytree(indexed[0], library)
    shutil.copytree(indexed[1], index_dir)
    notes_before = sidecars(library)
    DAMAGE[damage](index_dir)
    with SearchIndex(index_dir, library) as index:
        if first == "search":
            results = index.search("reliability", limit=10_000, snippets=False)
            assert results.total == ARTICLES
            assert results.recovered is not None
        else:
            assert index.update().recovered is not None
        assert_complete(index, library)
    assert sidecars(library) == notes_before
    assert [p for p in tmp_path.iterdir() if ".damaged-" in p.name], "the damaged index is set aside"
