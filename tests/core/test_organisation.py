"""An organisation's folder: its name, logo, wording, activities and norms, each checked when
the folder is chosen, a broken file named with its line, and nothing changed by a bad folder."""

from __future__ import annotations

import os
import shutil

import pytest

from ffmot.core import organisation as org
from ffmot.core.errors import InputError
from ffmot.core.paths import resources_dir


def png(width: int = 60, height: int = 20) -> bytes:
    """A real PNG picture (a blue block), made here: no binary file in the repository."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x20\x50\xc0" * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


PNG = png()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.delenv(org.ENV, raising=False)
    f = tmp_path / "cumbria"
    f.mkdir()
    (f / "organisation.toml").write_text(
        'name = "Cumbria  Community Health"\nlogo = "logo.png"\n', encoding="utf-8"
    )
    (f / "logo.png").write_bytes(PNG)
    shutil.copy(resources_dir() / "advice.toml", f / "advice.toml")
    (f / "activities.csv").write_text("name\n", encoding="utf-8")
    return f


def test_a_whole_folder_is_read_and_passed_on_to_workers(folder):
    found = org.use(folder)
    assert found.name == "Cumbria Community Health"
    assert found.logo == folder / "logo.png" and found.advice == folder / "advice.toml"
    assert found.activities == folder / "activities.csv" and found.norms is None
    assert os.environ[org.ENV] == str(folder) and org.current() == found
    assert org.use("") == org.Organisation() and org.ENV not in os.environ


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda f: (f / "organisation.toml").write_text('name = "A\n'), r"line 1"),
        (
            lambda f: (f / "organisation.toml").write_text('name = "A"\ncolour = "red"\n'),
            "'colour' is not a setting here",
        ),
        (lambda f: (f / "logo.png").write_bytes(b"GIF89a"), "logo.png is not a PNG picture"),
        (
            lambda f: (f / "logo.png").write_bytes(PNG[:40]),
            "logo.png cannot be read as a picture",
        ),
        (
            lambda f: (f / "organisation.toml").write_text('logo = "../logo.png"\n'),
            "must be a file in",
        ),
        (
            lambda f: (f / "organisation.toml").write_text('logo = "logo.gif"\n'),
            "must be a .png or .jpg file",
        ),
        (lambda f: (f / "logo.png").unlink(), "logo.png is not in"),
        (
            lambda f: (f / "advice.toml").write_text("[bands]\nabove = \n"),
            r"advice.toml is not valid TOML: .*line 2",
        ),
        (lambda f: (f / "advice.toml").write_text("[bands]\n"), r"advice.toml: .*compare it"),
        (
            lambda f: ((f / "advice.toml").unlink(), (f / "advice.toml").mkdir()),
            "is not a regular file",
        ),
        (lambda f: (f / "norms").write_text("x"), "must be a folder holding a norm set"),
        (lambda f: shutil.rmtree(f), "does not exist or is not a folder"),
    ],
    ids=[
        "broken-toml",
        "unknown-setting",
        "logo-not-png",
        "logo-damaged",
        "logo-outside",
        "logo-gif",
        "logo-missing",
        "advice-broken-line",
        "advice-incomplete",
        "advice-a-folder",
        "norms-a-file",
        "no-folder",
    ],
)
def test_a_broken_folder_is_refused_naming_the_file_and_the_one_in_use_stays(
    folder, tmp_path, change, says
):
    good = tmp_path / "good"
    shutil.copytree(folder, good)
    org.use(good)
    change(folder)
    with pytest.raises(InputError, match=says):
        org.use(folder)
    assert os.environ[org.ENV] == str(good)  # nothing half-applied
    org.use(None)
