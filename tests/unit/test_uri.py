"""``research-reader://`` links: the parser refuses hostile links, ``open --dry-run`` opens nothing, and the
desktop entry that registers the scheme."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reader.__main__ import main
from reader.commands.install_desktop import desktop_entry
from reader.core.library.links import LinkError, OpenTarget, make_uri, parse_uri

ARTICLE = "sub dir/연구 노트.md"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    (root / "sub dir").mkdir(parents=True)
    (root / ARTICLE).write_text("# Title\n\nText.\n", encoding="utf-8")
    (root / "a.txt").write_text("Text.\n", encoding="utf-8")
    (root / "a.txt.notes.json").write_text("{}", encoding="utf-8")
    (root / ".hidden.txt").write_text("x", encoding="utf-8")
    (root / "data.json").write_text("{}", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    (root / "link.txt").symlink_to(outside)
    return root


def _known(library: Path):
    return lambda path: path == library.resolve()


def test_round_trip(library):
    uri = make_uri(library, ARTICLE, "3f2a-b")
    assert uri.startswith("research-reader://open?library=") and " " not in uri
    assert parse_uri(uri, _known(library)) == OpenTarget(library.resolve(), ARTICLE, "3f2a-b")
    assert parse_uri(make_uri(library, "a.txt"), _known(library)).annotation is None


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("garbage", "not a research-reader: link"),
        ("https://open?library=/&path=a.txt", "not a research-reader: link"),
        ("research-reader://delete?library={lib}&path=a.txt", "unknown action"),
        ("research-reader://open?path=a.txt", "has no library"),
        ("research-reader://open?library={lib}", "has no path"),
        ("research-reader://open?library={lib}&path=a.txt&path=b.txt", "more than one path"),
        ("research-reader://open?library={lib}&path=a.txt&exec=rm", "unknown parameter"),
        ("research-reader://open?library=relative/lib&path=a.txt", "not an absolute folder"),
        ("research-reader://open?library=/no/such/folder&path=a.txt", "no library folder"),
        ("research-reader://open?library={other}&path=secret.txt", "unknown library"),
        ("research-reader://open?library={lib}&path=/etc/passwd.txt", "absolute"),
        ("research-reader://open?library={lib}&path=../secret.txt", "climbs out"),
        ("research-reader://open?library={lib}&path=sub%20dir/../../secret.txt", "climbs out"),
        ("research-reader://open?library={lib}&path=link.txt", "leads outside the library"),
        ("research-reader://open?library={lib}&path=.hidden.txt", "hidden file"),
        ("research-reader://open?library={lib}&path=a.txt.notes.json", "hidden file, a sidecar"),
        ("research-reader://open?library={lib}&path=data.json", "not an article"),
        ("research-reader://open?library={lib}&path=missing.txt", "no article missing.txt"),
        ("research-reader://open?library={lib}&path=a.txt%00.md", "control characters"),
        ("research-reader://open?library={lib}&path=a.txt&annotation=%3Cscript%3E", "not a valid id"),
        ("research-reader://open?library={lib}&path=a.txt\n", "control characters"),
        ("research-reader://open?library={lib}&path=" + "a" * 9000, "too long"),
    ],
)
def test_hostile_links_open_nothing(library, tmp_path, uri, reason):
    text = uri.format(lib=library, other=tmp_path)
    with pytest.raises(LinkError) as caught:
        parse_uri(text, _known(library))
    message = str(caught.value)
    assert reason in message and "\n" not in message


def test_unknown_library_by_default_and_known_once_listed(library, capsys):
    uri = make_uri(library, "a.txt", "x1")
    assert main(["open", uri, "--dry-run"]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("error: link not opened: unknown library") and err.count("\n") == 1
    assert main(["list", str(library)]) == 0  # the reader has now seen the library
    capsys.readouterr()
    before = sorted(p.name for p in library.iterdir())
    assert main(["open", uri, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert out == f"would open a.txt at annotation x1 in the library {library.resolve()}\n"
    assert sorted(p.name for p in library.iterdir()) == before  # nothing written


def test_desktop_entry(tmp_path, capsys):
    entry = desktop_entry("/opt/my python/bin/python3")
    lines = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    assert entry.startswith("[Desktop Entry]\n")
    assert lines["MimeType"] == "x-scheme-handler/research-reader;"
    assert lines["Exec"] == '"/opt/my python/bin/python3" -m reader open %u'
    assert lines["Icon"] == "research-notes-reader" and lines["Type"] == "Application"
    status = main(["install-desktop", "--data-home", str(tmp_path / "share"), "--no-register"])
    assert status == 0
    desktop = tmp_path / "share" / "applications" / "research-notes-reader.desktop"
    assert "MimeType=x-scheme-handler/research-reader;" in desktop.read_text(encoding="utf-8")
    icon = tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "research-notes-reader.svg"
    assert icon.read_bytes().lstrip().startswith(b"<")
    assert not [p for p in desktop.parent.iterdir() if p.name != desktop.name]  # no temporary files left
    assert os.access(desktop, os.R_OK)
