"""`ffmot demo` refuses a size it cannot build in the memory free, before anything is made,
saying how many people would fit (the dataset is built whole before it is written: about 25 KB
a person, measured in services/demo_load.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffmot.core.errors import InputError
from ffmot.services.demo_load import (
    DEMO_BASE_BYTES,
    DEMO_BYTES_PER_PERSON,
    available_memory,
    check_room,
)
from tests.cli.test_cli import assert_refused, ffmot

GB = 2**30


def test_a_demo_too_big_for_the_memory_free_is_refused_naming_what_fits():
    with pytest.raises(InputError) as e:
        check_room(1_000_000, available=8 * GB)
    said = str(e.value)
    fits = int((8 * GB * 0.8 - DEMO_BASE_BYTES) // DEMO_BYTES_PER_PERSON)
    assert "1000000 people needs about 24.3 GB" in said and "8.0 GB free" in said
    assert f"ask for {fits} people or fewer" in said
    check_room(fits, available=8 * GB)  # what it says fits, fits
    with pytest.raises(InputError):
        check_room(fits + 1, available=8 * GB)
    check_room(40, available=512 * 2**20)  # the default demo fits a small machine


def test_the_memory_free_is_read_from_the_system():
    have = available_memory()
    assert have is not None and have > 64 * 2**20


def test_the_command_refuses_before_making_the_database(tmp_path: Path):
    have = available_memory()
    assert have is not None
    too_many = int(have // DEMO_BYTES_PER_PERSON) + 1  # more than fit, on any machine
    if too_many > 1_000_000:  # beyond what the option takes: refused as out of range instead
        p = ffmot("--db", str(tmp_path / "x.db"), "demo", "--participants", str(too_many))
        assert_refused(p, "out of range")
    else:
        p = ffmot("--db", str(tmp_path / "x.db"), "demo", "--participants", str(too_many))
        assert_refused(p, f"a demo of {too_many} people needs about", "--participants")
    assert not (tmp_path / "x.db").exists()
