"""ffmot's log holds what went wrong and never who it happened to: the file read back as anyone
who opens it would, after real errors naming a person went through the real logger."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Date, MetaData, String, Table, create_engine, insert
from sqlalchemy.exc import IntegrityError

from ffmot.core import logs
from tests.helpers import log_handlers_kept

# One person, as a failed statement and a local message might carry them.
PERSONAL = (
    "Eileen", "Coursewell", "1948-03-02", "HW8U-PSR", "HW8UPSR", "G4 0BA",
    "eileen.coursewell@example.org", "07700 900123", "Siân", "Tutor-Pryce",
)  # fmt: skip


@pytest.fixture
def log_folder(tmp_path: Path) -> Iterator[Path]:
    """The real set-up, into a folder of this test's own; the logger as it was afterwards."""
    folder = tmp_path / "log"
    with log_handlers_kept():
        assert logs.setup("cli", folder=folder) == folder / "ffmot.log"
        yield folder


def _integrity_error(path: Path) -> IntegrityError:
    """A real IntegrityError from a real SQLite file, its parameters shown (an engine without
    ffmot's hide_parameters, as a library or an older ffmot might make)."""
    engine = create_engine(f"sqlite:///{path}")
    md = MetaData()
    person = Table(
        "person", md,
        Column("code", String, primary_key=True), Column("given", String),
        Column("family", String), Column("born", Date), Column("postcode", String),
        Column("email", String), Column("phone", String),
    )  # fmt: skip
    md.create_all(engine)
    import datetime as dt

    row = dict(
        code="HW8UPSR", given="Eileen", family="Coursewell", born=dt.date(1948, 3, 2),
        postcode="G4 0BA", email="eileen.coursewell@example.org", phone="07700 900123",
    )  # fmt: skip
    try:
        with engine.begin() as c:
            c.execute(insert(person).values(**row))
            c.execute(insert(person).values(**row))  # the same person again
    except IntegrityError as e:
        assert "Coursewell" in str(e)  # what SQLAlchemy itself would have written
        return e
    finally:
        engine.dispose()
    raise AssertionError("no IntegrityError")


def _save_for(name: str) -> None:
    local = f"could not save the result of {name}, born 1948-03-02 (card HW8U-PSR)"
    raise ValueError(local)


def test_the_log_keeps_the_kind_of_error_and_none_of_the_person(log_folder, tmp_path):
    error = _integrity_error(tmp_path / "other.db")
    log = logging.getLogger("ffmot.station")
    try:
        raise error
    except IntegrityError:
        log.exception("saving failed")
    try:
        _save_for("Eileen Coursewell")
    except ValueError:
        log.error("unexpected problem while saving the result", exc_info=True)
    log.warning("could not print for Siân Tutor-Pryce (%s, %s)", "G4 0BA", "07700 900123")
    text = (log_folder / "ffmot.log").read_text(encoding="utf-8")
    for item in PERSONAL:
        assert item not in text, (item, text)
    assert "IntegrityError" in text and "UNIQUE constraint failed: person.code" in text
    assert "ValueError: could not save the result of" in text and "_save_for" in text
    assert "[parameters: hidden]" in text and text.count("Traceback") >= 2
    assert " ERROR [cli] saving failed" in text
    # and Copy diagnostics reads them back, still scrubbed, the kind of error kept
    problems = logs.recent_problems(20, log_folder)
    assert len(problems) == 3 and "IntegrityError" in problems[0] and "WARNING" in problems[2]


def test_every_file_of_the_log_is_its_owners_only_rotated_ones_too(tmp_path):
    old = os.umask(0o022)  # a careless mask: the files are private anyway
    try:
        path = tmp_path / "ffmot.log"
        handler = logs.PrivateRotatingHandler(path, maxBytes=300, backupCount=2)
        record = logging.LogRecord("ffmot", logging.ERROR, __file__, 1, "x" * 120, (), None)
        for _ in range(10):
            handler.emit(record)
        handler.close()
    finally:
        os.umask(old)
    files = logs.log_files(tmp_path)
    assert [p.name for p in files] == ["ffmot.log", "ffmot.log.1", "ffmot.log.2"]
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_an_older_ffmots_log_is_brought_in_scrubbed_and_its_file_removed(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))  # where platformdirs puts the data folder
    earlier = logs.earlier_log()
    earlier.parent.mkdir(parents=True)
    earlier.write_text("2026-01-05 10:00:00,000 ERROR could not save Eileen Coursewell HW8U-PSR\n")
    with log_handlers_kept():
        logs.setup("gui", eager=True, folder=tmp_path / "log")
    assert not earlier.exists()
    text = (tmp_path / "log" / "ffmot.log").read_text()
    assert "could not save" in text and "Eileen" not in text and "HW8U-PSR" not in text
