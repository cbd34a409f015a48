"""Notes on two devices through a real sync engine (issue 19): two Syncthing instances on 127.0.0.1.

Each instance has its own home (``syncthing generate``, then its config.xml edited: static addresses
``tcp://127.0.0.1:PORT``, global and local discovery, relays, NAT traversal, usage reporting and upgrades
off, a 2-second rescan and the file watcher at 1 second) and its own copy of the sample library (B's arrives
through Syncthing from A). The two are started once for the module and stopped at its end; every wait is
bounded. Each library has a ``.stignore`` for the reader's transient files (the hidden ``.…lock`` of a save
and the hidden ``.….tmp`` of an atomic write), as a user would be advised to.

Scenarios (one article each), all edits through ``python -m reader notes …`` in child processes:

1. both devices add, edit and delete notes concurrently while the other's changes arrive;
2. the link is paused while both edit the same note and delete different ones, then resumed;
3. one device deletes a note the other has not seen change, while the other adds one.

After each: wait until both folders are idle and identical, then run ``notes merge-conflicts`` on A, wait,
on B, wait (repeated while any conflict copy is left). Then both libraries must hold the same notes: every
note added and not deleted, no deleted one, the latest value of each field, a value that lost to a later
edit kept and reported, and no conflict copy left. Convergence times and counts are printed (``-s``); no
test asserts a time (the waits are only bounds, generous for a busy machine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reader.core.articles.loader import load_article
from reader.core.library.conflict_copies import find_conflict_copies

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "library"
SYNCTHING = shutil.which("syncthing")
FOLDER_ID = "library"
#: The longest one wait for convergence may take before the test fails (a bound, not a measurement).
CONVERGE_BOUND = 120.0
STIGNORE = (
    "// the reader's transient files (a save's lock, an atomic write's temporary file)\n.*.lock\n.*.tmp\n"
)

pytestmark = pytest.mark.skipif(SYNCTHING is None, reason="syncthing is not installed (.ci/run installs it)")

TIMINGS: dict[str, float] = {}
#: Conflict copies of sidecars merged (or renamed into place) after each scenario.
COPIES: dict[str, int] = {}
#: Seconds after each write of one device in the concurrent scenario (see the comment there).
PACE = 2.0


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Device:
    """One Syncthing instance with its library and its own reader data folder."""

    name: str
    home: Path
    folder: Path
    data: Path
    listen_port: int
    gui_port: int
    api_key: str
    device_id: str = ""
    peer: Device | None = None
    process: subprocess.Popen[bytes] | None = None
    merge_outputs: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ REST
    def api(self, method: str, path: str, **params: str) -> Any:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.gui_port}{path}{query}",
            method=method,
            headers={"X-API-Key": self.api_key},
            data=b"" if method == "POST" else None,
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body.strip() else None

    def scan(self) -> None:
        self.api("POST", "/rest/db/scan", folder=FOLDER_ID)

    def in_sync(self) -> bool:
        assert self.peer is not None
        status = self.api("GET", "/rest/db/status", folder=FOLDER_ID)
        completion = self.api("GET", "/rest/db/completion", folder=FOLDER_ID, device=self.peer.device_id)
        return (
            status["state"] == "idle"
            and status["needTotalItems"] == 0
            and completion["completion"] == 100
            and completion["needItems"] == 0
        )

    def connected(self) -> bool:
        assert self.peer is not None
        connections = self.api("GET", "/rest/system/connections")["connections"]
        return bool(connections.get(self.peer.device_id, {}).get("connected"))

    def pause_peer(self) -> None:
        assert self.peer is not None
        self.api("POST", "/rest/system/pause", device=self.peer.device_id)

    def resume_peer(self) -> None:
        assert self.peer is not None
        self.api("POST", "/rest/system/resume", device=self.peer.device_id)

    # ------------------------------------------------------------------ the reader
    def reader(self, *args: str, check: bool = True) -> str:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["READER_DATA_DIR"] = str(self.data)
        done = subprocess.run(
            [sys.executable, "-m", "reader", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"{self.name}: reader {' '.join(args)}: {done.stderr}"
        return done.stdout if done.returncode == 0 else "error: " + done.stderr

    def change(self, *args: str) -> bool:
        """``notes edit|delete …``. A note this device made may for a while be only in a conflict copy (the
        sync tool kept the other device's sidecar under the name): then merge the copies, as the window does
        after each scan, and try once more. Returns whether the change was made."""
        for _ in range(2):
            out = self.reader("notes", *args, check=False)
            if not out.startswith("error: "):
                return True
            assert "no annotation with id" in out, out
            self.merge_outputs.append(self.reader("notes", "merge-conflicts", str(self.folder), check=False))
        return False

    def add(self, article: str, quote: str, note: str) -> str:
        return self.reader(
            "notes", "add", str(self.folder / article), "--quote", quote, "--note", note
        ).strip()

    def notes(self) -> dict[str, dict[str, Any]]:
        records = json.loads(self.reader("notes", "list", "--json", str(self.folder)))
        return {r["id"]: r for r in records}


def _configure(me: Device, peer: Device) -> None:
    """Edit the generated config.xml: loopback only, nothing announced or reported, one shared folder."""
    path = me.home / "config.xml"
    tree = ET.parse(path)
    root = tree.getroot()
    own = root.find("device")
    assert own is not None
    me.device_id = own.get("id", "")
    for element in root.findall("device"):
        root.remove(element)
    for device, port in ((me, me.listen_port), (peer, peer.listen_port)):
        node = ET.SubElement(root, "device", id=device.device_id, name=device.name, compression="metadata")
        ET.SubElement(node, "address").text = f"tcp://127.0.0.1:{port}"
        ET.SubElement(node, "paused").text = "false"
    folder = ET.Element(
        "folder",
        id=FOLDER_ID,
        label=FOLDER_ID,
        path=str(me.folder),
        type="sendreceive",
        rescanIntervalS="2",
        fsWatcherEnabled="true",
        fsWatcherDelayS="1",
        ignorePerms="false",
        autoNormalize="true",
    )
    ET.SubElement(folder, "filesystemType").text = "basic"
    for device in (me, peer):
        ET.SubElement(folder, "device", id=device.device_id)
    ET.SubElement(folder, "minDiskFree", unit="%").text = "0"
    ET.SubElement(folder, "maxConflicts").text = "-1"
    root.insert(0, folder)
    gui = root.find("gui")
    assert gui is not None
    gui.find("address").text = f"127.0.0.1:{me.gui_port}"  # type: ignore[union-attr]
    gui.find("apikey").text = me.api_key  # type: ignore[union-attr]
    options = root.find("options")
    assert options is not None
    settings = {
        "listenAddress": f"tcp://127.0.0.1:{me.listen_port}",
        "globalAnnounceEnabled": "false",
        "localAnnounceEnabled": "false",
        "relaysEnabled": "false",
        "natEnabled": "false",
        "urAccepted": "-1",
        "autoUpgradeIntervalH": "0",
        "crashReportingEnabled": "false",
        "startBrowser": "false",
        "reconnectionIntervalS": "1",
        "setLowPriority": "false",
    }
    for name, value in settings.items():
        element = options.find(name)
        if element is None:
            element = ET.SubElement(options, name)
        element.text = value
    options.find("minHomeDiskFree").text = "0"  # type: ignore[union-attr]
    tree.write(path)


def _wait(what: str, ready: Any, bound: float = CONVERGE_BOUND) -> float:
    start = time.monotonic()
    while not ready():
        if time.monotonic() - start > bound:
            raise AssertionError(f"not {what} after {bound:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - start


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Device, Device]]:
    base = tmp_path_factory.mktemp("syncthing")
    ports = _free_ports(4)
    a = Device("a", base / "home-a", base / "lib-a", base / "data-a", ports[0], ports[1], "key-a-0123456789")
    b = Device("b", base / "home-b", base / "lib-b", base / "data-b", ports[2], ports[3], "key-b-0123456789")
    a.peer, b.peer = b, a
    shutil.copytree(SAMPLE, a.folder)
    b.folder.mkdir()
    for device in (a, b):
        (device.folder / ".stfolder").mkdir()
        (device.folder / ".stignore").write_text(STIGNORE, encoding="utf-8")
        subprocess.run(
            [SYNCTHING, "generate", f"--home={device.home}", "--no-default-folder", "--skip-port-probing"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        device.device_id = ET.parse(device.home / "config.xml").getroot().find("device").get("id")  # type: ignore[union-attr]
    for device in (a, b):
        _configure(device, device.peer)  # type: ignore[arg-type]
    env = dict(os.environ, STNOUPGRADE="1", STNORESTART="1", HOME=str(base))
    try:
        for device in (a, b):
            device.process = subprocess.Popen(
                [
                    SYNCTHING,
                    "serve",
                    f"--home={device.home}",
                    f"--logfile={device.home / 'syncthing.log'}",
                    "--no-browser",
                    "--no-restart",
                    "--no-upgrade",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        for device in (a, b):
            _wait(f"{device.name} answering", lambda d=device: _answers(d), 60)
        TIMINGS["connect"] = _wait("connected", lambda: a.connected() and b.connected(), 60)
        TIMINGS["initial copy"] = converge(a, b)
        yield a, b
    finally:
        for device in (a, b):
            if device.process is not None:
                device.process.terminate()
        for device in (a, b):
            if device.process is not None:
                try:
                    device.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    device.process.kill()
                    device.process.wait(timeout=20)
        print("\nsyncthing timings (s):", json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))
        print("conflict copies merged:", json.dumps(COPIES))


def _answers(device: Device) -> bool:
    try:
        device.api("GET", "/rest/system/ping")
    except OSError:
        return False
    return True


def _tree(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = path.read_bytes()
    return files


def converge(a: Device, b: Device) -> float:
    """Wait until both folders hold the same files and both Syncthings are idle with nothing to exchange
    (twice in a row, half a second apart). Returns the seconds it took."""
    stable = [0]
    last_scan = [0.0]

    def ready() -> bool:
        if time.monotonic() - last_scan[0] > 2:  # a puller that met a file being written waits for a scan
            a.scan()
            b.scan()
            last_scan[0] = time.monotonic()
        same = _tree(a.folder) == _tree(b.folder) and a.in_sync() and b.in_sync()
        stable[0] = stable[0] + 1 if same else 0
        if same:
            time.sleep(0.25)
        return stable[0] >= 2

    return _wait("in sync", ready)


def settle(a: Device, b: Device, label: str) -> None:
    """Converge, then merge conflict copies on A, converge, on B, converge; again while copies are left."""
    start = time.monotonic()
    converge(a, b)
    for _ in range(4):
        if not (find_conflict_copies(a.folder) or find_conflict_copies(b.folder)):
            break
        for device in (a, b):
            device.merge_outputs.append(device.reader("notes", "merge-conflicts", str(device.folder)))
            converge(a, b)
    TIMINGS[label] = time.monotonic() - start
    COPIES[label] = sum(
        line.count(": merged into") + line.count(": became")
        for out in a.merge_outputs + b.merge_outputs
        for line in out.splitlines()
    ) - sum(COPIES.values())
    assert find_conflict_copies(a.folder) == [] and find_conflict_copies(b.folder) == []
    # (Syncthing's own hidden temporaries, ``.syncthing.….tmp``, may stay a while after a pull it gave up.)
    for device in (a, b):
        assert not [p.name for p in device.folder.rglob("*") if "conflict" in p.name and p.name[0] != "."]


def _phrases(article: Path, count: int) -> list[str]:
    """``count`` three-word phrases that occur once in the article's text (quotes to highlight)."""
    text = load_article(article, article.parent).text
    found: list[str] = []
    for match in re.finditer(r"\b[A-Za-z]{4,} [A-Za-z]{2,} [A-Za-z]{4,}\b", text):
        phrase = match.group(0)
        if text.count(phrase) == 1 and not any(phrase in p or p in phrase for p in found):
            found.append(phrase)
        if len(found) == count:
            return found
    raise AssertionError(f"not enough phrases in {article.name}")


def _trace(a: Device, b: Device, article: str, missing: set[str]) -> str:
    """What each side's sidecar, .bak and merge outputs say, and where the missing notes are (for a failure
    message)."""
    lines = []
    for device in (a, b):
        for path in sorted([*device.folder.rglob("*"), *device.data.rglob("*")]):
            if path.is_file() and path.suffix in (".json", ".bak", ".tmp"):
                text = path.read_text(encoding="utf-8", errors="replace")
                found = [note for note in missing if f'"note": "{note}"' in text]
                if found:
                    lines.append(f"{found} in {path}")
    for device in (a, b):
        for name in (article + ".notes.json", article + ".notes.json.bak"):
            path = device.folder / name
            if path.exists():
                data = json.loads(path.read_text(encoding="utf-8"))
                notes = sorted(x["note"] for x in data["annotations"])
                lines.append(f"{device.name}/{name}: {notes} deleted={len(data.get('deleted', []))}")
        lines.append(f"{device.name} merges: {device.merge_outputs}")
    return "\n".join(lines)


def _same_notes(a: Device, b: Device, article: str) -> dict[str, dict[str, Any]]:
    notes_a = {i: r for i, r in a.notes().items() if r["path"] == article}
    notes_b = {i: r for i, r in b.notes().items() if r["path"] == article}
    assert notes_a == notes_b
    return notes_a


def test_concurrent_adds_edits_and_deletes(devices):
    a, b = devices
    article = sorted(p.name for p in SAMPLE.glob("*.txt"))[0]
    phrases = _phrases(a.folder / article, 10)
    added: dict[str, dict[str, str]] = {"a": {}, "b": {}}  # side -> note text -> id
    expected_tags: dict[str, list[str]] = {}
    deleted: list[str] = []
    unseen: list[str] = []  # edits and deletions not made: the note was not in this device's sidecar yet
    errors: list[BaseException] = []

    def work(device: Device, mine: list[str]) -> None:
        # Each write is followed by a pause, while the other side's changes arrive. More than a second:
        # Syncthing names a conflict copy by the second (…sync-conflict-YYYYMMDD-HHMMSS-DEVICE) and renames
        # over an existing copy, so two conflicts of one file from one device within a second lose the first
        # copy (seen here with writes 0.3 s apart). And Syncthing checks a file is unchanged and then renames
        # its pulled version over it: a write landing between the two is lost without a conflict copy (seen
        # about once in eight runs with a write every 1.1 s on a loaded machine). Both are limits of the sync
        # tool (it takes no lock); a person does not save notes of one article on two devices every second.
        try:
            for i, phrase in enumerate(mine):
                text = f"{device.name}-{i}"
                added[device.name][text] = device.add(article, phrase, text)
                time.sleep(PACE)
                if i >= 1:
                    previous = added[device.name][f"{device.name}-{i - 1}"]
                    tag = f"{device.name}-edited-{i - 1}"
                    if device.change("edit", str(device.folder / article), previous, "--tag", tag):
                        expected_tags[previous] = [tag]
                    else:
                        unseen.append(previous)
                    time.sleep(PACE)
            first = added[device.name][f"{device.name}-0"]
            if device.change("delete", str(device.folder / article), first):
                deleted.append(first)
            else:
                unseen.append(first)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(a, phrases[0::2])),
        threading.Thread(target=work, args=(b, phrases[1::2])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    settle(a, b, "concurrent edits: converged and merged")

    notes = _same_notes(a, b, article)
    alive = {i for side in added.values() for i in side.values()} - set(deleted)
    texts = {i: text for side in added.values() for text, i in side.items()}
    missing = {texts[i] for i in alive - set(notes)}
    back = {notes[i]["note"] for i in set(notes) - alive}
    assert not missing and not back, f"lost: {missing}; back: {back}; {_trace(a, b, article, missing)}"
    for annotation_id, tags in expected_tags.items():
        if annotation_id in alive:
            assert notes[annotation_id]["tags"] == tags
    print(
        f"\nconcurrent: {len(alive)} notes on both, {len(deleted)} deletions held, "
        f"{len(expected_tags)} edits won, {len(unseen)} changes found their note only in a conflict copy"
    )


def test_paused_link_same_note_edited_and_different_notes_deleted(devices):
    a, b = devices
    article = sorted(p.name for p in SAMPLE.glob("*.txt"))[1]
    phrases = _phrases(a.folder / article, 4)
    ids = [a.add(article, phrase, f"base {i}") for i, phrase in enumerate(phrases)]
    settle(a, b, "paused: baseline")
    shared, gone_on_a, gone_on_b, untouched = ids
    a.pause_peer()
    b.pause_peer()
    _wait("disconnected", lambda: not a.connected() and not b.connected(), 60)
    file_a, file_b = str(a.folder / article), str(b.folder / article)
    a.reader("notes", "edit", file_a, shared, "--note", "A's words, written first")
    a.reader("notes", "delete", file_a, gone_on_a)
    b.reader("notes", "delete", file_b, gone_on_b)
    b.reader("notes", "edit", file_b, shared, "--note", "B's words, written last", "--color", "green")
    a.resume_peer()
    b.resume_peer()
    _wait("connected again", lambda: a.connected() and b.connected(), 60)
    settle(a, b, "paused: resumed, converged and merged")

    notes = _same_notes(a, b, article)
    assert set(notes) == {shared, untouched}
    assert notes[shared]["note"] == "B's words, written last" and notes[shared]["color"] == "green"
    kept = [(c["field"], c["value"]) for c in notes[shared]["conflicts"]]
    assert kept == [("note", "A's words, written first")]
    reported = "".join(a.merge_outputs + b.merge_outputs)
    assert "conflict to review" in reported
    print(f"\npaused: 2 notes on both, 2 deletions held, {len(kept)} conflicting value kept and reported")


def test_a_deletion_the_other_side_has_not_seen_is_held(devices):
    a, b = devices
    article = sorted(p.name for p in SAMPLE.glob("*.txt"))[2]
    phrases = _phrases(a.folder / article, 3)
    first, second = (a.add(article, phrase, f"kept {i}") for i, phrase in enumerate(phrases[:2]))
    settle(a, b, "unseen deletion: baseline")
    a.pause_peer()
    b.pause_peer()
    _wait("disconnected", lambda: not a.connected() and not b.connected(), 60)
    a.reader("notes", "delete", str(a.folder / article), first)
    added_on_b = b.add(article, phrases[2], "added on B, which never saw the deletion")
    a.resume_peer()
    b.resume_peer()
    _wait("connected again", lambda: a.connected() and b.connected(), 60)
    settle(a, b, "unseen deletion: converged and merged")

    notes = _same_notes(a, b, article)
    assert set(notes) == {second, added_on_b}
    sidecar = article + ".notes.json"
    assert (a.folder / sidecar).read_bytes() == (b.folder / sidecar).read_bytes()
    assert first in (a.folder / sidecar).read_text(encoding="utf-8")  # its tombstone
