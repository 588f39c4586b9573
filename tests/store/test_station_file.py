"""A station's work saved as one file for the results table: whole (the recent work in the
'-wal' included), owner-only, checked by its sum when it is brought in."""

from __future__ import annotations

import datetime as dt
import shutil
import stat

import pytest

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.merge import merge
from ffmot.services.station_file import SUFFIX, save_station_work
from ffmot.services.types import Actor
from ffmot.store.db import connect

SAM = Actor("Sam", "Station 2")


def busy_station(tmp_path):  # type: ignore[no-untyped-def]
    """A station's database with a result just saved and ffmot still running (the file open)."""
    db = connect(str(tmp_path / "ffmot.db"))
    e = R.create_event(db, SAM, "MOT day", dt.date(2026, 5, 1))
    p = R.register_participant(
        db, SAM, "Ada", "Sampleton", dt.date(1950, 3, 14), "female",
        consents={"keep_results": True},
    )  # fmt: skip
    a = R.check_in(db, SAM, p.id, e.id)
    R.record_screening(db, SAM, a.id, screening.answers_with())
    R.save_result(db, SAM, a.id, "grip", [(24, "right 1")])
    return db, a


def test_the_saved_file_holds_the_latest_work_a_raw_copy_may_not(tmp_path, actor):
    station, a = busy_station(tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    saved = save_station_work(station, stick, "Station 2", dt.datetime(2026, 5, 1, 10, 30))
    assert saved.name == "ffmot-Station-2-20260501-103000.db"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert (stick / (saved.name + SUFFIX)).read_text().split()[1] == saved.name
    assert not list(stick.glob("*.part")) and not list(stick.glob("*-wal"))
    hub = connect(str(tmp_path / "hub.db"))
    assert merge(hub, actor, str(saved)).warning == ""
    assert R.get_assessment(hub, a.id).result("grip").value == 24
    # Dragging ffmot.db alone while ffmot runs: its recent work is in the -wal beside it.
    wal = tmp_path / "ffmot.db-wal"
    assert wal.exists() and wal.stat().st_size > 0  # ffmot still running: work in the -wal
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(tmp_path / "ffmot.db", raw / "ffmot.db")
    hub2 = connect(str(tmp_path / "hub2.db"))
    # Alone, the copy is ciphertext: nothing comes in, and the message says what to bring.
    with pytest.raises(InputError, match=r"encrypted copy .* its key is not here"):
        merge(hub2, actor, str(raw / "ffmot.db"))
    assert R.find_visit(hub2, a.participant_id, a.event_id) is None
    # With its .keys file, on the account that keeps its key, it is read, with the warning.
    shutil.copy(tmp_path / "ffmot.db.keys", raw / "ffmot.db.keys")
    try:
        report = merge(hub2, actor, str(raw / "ffmot.db"))
        assert "is a copy of a station's database, not its saved work" in report.line()
        got = R.find_visit(hub2, a.participant_id, a.event_id)
        assert got is None or got.result("grip") is None  # the raw copy lacked it
    except InputError as e:
        assert "holds no ffmot records" in str(e)  # or every table
    hub2.close()
    hub.close()
    station.close()


def test_a_file_changed_on_the_way_is_refused_and_changes_nothing(tmp_path, actor):
    station, _a = busy_station(tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    saved = save_station_work(station, stick, "Station 2")
    station.close()
    with saved.open("r+b") as f:  # one byte changed on the stick
        f.seek(200)
        b = f.read(1)
        f.seek(200)
        f.write(bytes([b[0] ^ 0xFF]))
    hub = connect(str(tmp_path / "hub.db"))
    with pytest.raises(InputError, match="not the file its station saved"):
        merge(hub, actor, str(saved))
    assert R.search_participants(hub, "") == []
    hub.close()


def test_saving_needs_a_folder_and_a_station_file(tmp_path, pg_url):
    station, _a = busy_station(tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        save_station_work(station, tmp_path / "no such stick", "Station 2")
    station.close()
    shared = connect(pg_url)
    with pytest.raises(InputError, match="uses a shared database"):
        save_station_work(shared, tmp_path, "Station 2")
    shared.close()


def test_a_raw_copy_later_in_the_day_comes_in_with_a_warning_and_no_harm(tmp_path, actor):
    station, a = busy_station(tmp_path)
    station.close()  # ffmot closed at lunch: the -wal folded into ffmot.db
    station = connect(str(tmp_path / "ffmot.db"))
    R.save_result(station, SAM, a.id, "chair_stand", [(12, "")])  # in the -wal for now
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(tmp_path / "ffmot.db", raw / "ffmot.db")
    shutil.copy(tmp_path / "ffmot.db.keys", raw / "ffmot.db.keys")  # the folder, less its -wal
    hub = connect(str(tmp_path / "hub.db"))
    report = merge(hub, actor, str(raw / "ffmot.db"))
    assert "is a copy of a station's database, not its saved work" in report.line()
    assert "Save this station's work" in report.warning
    got = R.get_assessment(hub, a.id)
    assert got.result("grip").value == 24 and got.result("chair_stand") is None
    stick = tmp_path / "stick"
    stick.mkdir()
    later = merge(hub, actor, str(save_station_work(station, stick, "Station 2")))
    assert later.warning == "" and R.get_assessment(hub, a.id).result("chair_stand").value == 12
    hub.close()
    station.close()
