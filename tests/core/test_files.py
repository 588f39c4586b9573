"""The one way ffmot writes a file of personal data (ffmot/core/files.py): owner-only, whole or
not at all, bytes exactly as given; and the same on Windows, whose branches run here too."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ffmot.core import files

PDF_LIKE = b"%PDF-1.4\r\n\x00\x1a\xff binary \n\r\n%%EOF\r\n"


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_written_whole_owner_only_and_byte_for_byte(tmp_path):
    os.umask(0o022)  # whatever the mask, the file is the owner's only
    path = tmp_path / "sheet.pdf"
    files.write_private(path, PDF_LIKE)
    assert path.read_bytes() == PDF_LIKE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _left(tmp_path) == ["sheet.pdf"]


def test_without_fchmod_as_on_windows_before_python_3_13(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "fchmod", raising=True)
    path = tmp_path / "export.csv"
    with files.replacing(path, text=True) as f:
        f.write("a,b\r\n1,2\r\n")  # line endings as written, never translated
    assert path.read_bytes() == b"a,b\r\n1,2\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    files.write_private(tmp_path / "x.pdf", PDF_LIKE)
    assert (tmp_path / "x.pdf").read_bytes() == PDF_LIKE


def test_a_failure_part_way_leaves_what_was_there_and_no_half_file(tmp_path):
    path = tmp_path / "ffmot.db.keys"
    files.write_private(path, b"the old, whole file")
    with pytest.raises(RuntimeError), files.replacing(path) as f:
        f.write(b"half of a new")
        raise RuntimeError("the disk went away")
    assert path.read_bytes() == b"the old, whole file"
    assert _left(tmp_path) == ["ffmot.db.keys"]


def test_every_writer_of_personal_data_uses_it():
    """No other module opens a file for writing with its own O_CREAT or fchmod, but for the
    database file itself, the window lock and the encrypted copy (each created exclusively)."""
    root = Path(files.__file__).resolve().parents[1]
    allowed = {"core/files.py", "store/db.py", "store/lock.py", "store/encryption.py",
               "services/erase.py"}  # fmt: skip
    found = []
    for p in root.rglob("*.py"):
        rel = p.relative_to(root).as_posix()
        text = p.read_text(encoding="utf-8")
        if rel not in allowed and ("O_CREAT" in text or "os.fchmod(" in text):
            found.append(rel)
    assert found == [], found
