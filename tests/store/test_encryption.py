"""Encryption at rest (ffmot/store/keys.py, ffmot/store/encryption.py): what a finder of the
files can read (nothing), who can open them (a practitioner's PIN, the recovery code), what a
wrong or hostile key file does, and encrypting a file made before."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ffmot.core.errors import FfmotError
from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store import keys
from ffmot.store.db import connect
from ffmot.store.errors import StoreError
from tests.helpers import plain_database_file, raw_sqlite

ACTOR = Actor("Sam Tester", "Station 1")
SECRETS = (b"Quilliam", b"Rosalind", b"01632 960123", b"rq@example.org", b"Knee replaced")


def _fill(db) -> str:  # type: ignore[no-untyped-def]
    e = R.create_event(db, ACTOR, "Keswick MOT day", dt.date(2026, 5, 1))
    p = R.register_participant(
        db, ACTOR, "Rosalind", "Quilliam", dt.date(1950, 3, 14), "female",
        phone="01632 960123", email="rq@example.org", notes="Knee replaced",
        consents={"keep_results": True},
    )  # fmt: skip
    v = R.check_in(db, ACTOR, p.id, e.id)
    from ffmot.core import screening

    R.record_screening(db, ACTOR, v.id, screening.answers_with())
    R.save_result(db, ACTOR, v.id, "grip", [(24, "right 1")])
    return p.code


def _everything_beside(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FFMOT_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "ffmot", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _pin_file(folder: Path, name: str, pin: str) -> Path:
    f = folder / name
    f.write_text(pin + "\n")
    f.chmod(0o600)
    return f


def test_a_protected_database_leaves_a_finder_nothing_readable(tmp_path):
    """The folder of a laptop left on a bus, read byte by byte: the database, its -wal, the
    key file and the lock hold no name, contact, note or practitioner; without a PIN nothing
    opens it, and the sqlite3 tool sees no tables."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    _fill(db)
    P.first_data_lead(db, "Dana Leadbetter", "482913")
    assert not keys.is_open_to_device(path)
    blob = _everything_beside(path)  # open, with its -wal
    for s in (*SECRETS, b"Dana", b"Leadbetter", b"Keswick"):
        assert s not in blob, s
    db.close()
    keys.forget(path)
    blob = _everything_beside(path)
    for s in (*SECRETS, b"Dana", b"Leadbetter", b"Keswick"):
        assert s not in blob, s
    assert stat.S_IMODE(keys.keyfile(path).stat().st_mode) == 0o600
    with pytest.raises(keys.Locked, match="sign in"):
        connect(str(path))
    import sqlite3

    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    # Dana's PIN opens it; the wrong one does not, and says so in the same words.
    with pytest.raises(FfmotError, match="do not match"):
        P.unlock(path, "Dana Leadbetter", "000111", "Office")
    P.unlock(path, "dana leadbetter", "482913", "Office")
    db = connect(str(path))
    assert [p.name for p in R.search_participants(db, "quilliam")] == ["Rosalind Quilliam"]
    db.close()


def test_wrong_pins_before_opening_lock_the_name_and_reach_the_audit(tmp_path):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    P.add_practitioner(db, dana, "Sam Station", "station", "730146")
    db.close()
    keys.forget(path)
    for _ in range(5):
        with pytest.raises(FfmotError, match="do not match"):
            P.unlock(path, "Sam Station", "999111", "Station 3")
    with pytest.raises(FfmotError, match="do not match"):  # locked now: even the right PIN
        P.unlock(path, "Sam Station", "730146", "Station 3")
    with pytest.raises(FfmotError, match="do not match"):
        P.unlock(path, "Nobody Atall", "730146", "Station 3")
    kept = keys.keyfile(path).read_text()
    assert "Sam" not in kept and "Nobody" not in kept  # refusals are kept without names
    P.unlock(path, "Dana Lead", "482913", "Office")
    db = connect(str(path))
    P.sign_in(db, "Dana Lead", "482913", "Office")
    with raw_sqlite(path) as c:
        rows = c.execute(
            "SELECT actor, detail FROM audit WHERE action = 'sign_in_refused' ORDER BY seq"
        ).fetchall()
    db.close()
    assert [a for a, _ in rows].count("Sam Station") == 6
    assert any("locked for 15 minutes" in d for _, d in rows)
    assert ("unknown", rows[-1][1]) == rows[-1] and "no such practitioner" in rows[-1][1]
    assert json.loads(keys.keyfile(path).read_text())["refused"] == []  # moved, not copied


def test_the_recovery_code_opens_it_even_without_the_key_file(tmp_path):
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    code = _fill(db)
    P.first_data_lead(db, "Dana Lead", "482913")
    recovery = P.recovery_code(db)
    db.close()
    keys.forget(path)
    assert len(recovery) == 64 and recovery.count("-") == 12
    keys.keyfile(path).unlink()  # lost with a broken stick
    with pytest.raises(keys.Locked, match="recovery code"):
        connect(str(path))
    with pytest.raises(keys.KeyRefused, match="not a recovery code"):
        keys.recover(path, "ABCD-EFGH")
    typo = recovery[:-1] + ("A" if recovery[-1] != "A" else "B")
    keys.recover(path, typo)  # with no .keys file the database itself is the check
    with pytest.raises(StoreError, match="does not open it"):
        connect(str(path))
    keys.forget(path)
    r = _cli("--db", str(path), "db", "recover", "--recovery-file",
             str(_pin_file(tmp_path, "code", recovery.lower().replace("-", " "))))  # fmt: skip
    assert r.returncode == 0, r.stderr
    new_pin = _pin_file(tmp_path, "pin", "615243")
    r = _cli("--db", str(path), "--user", "Dana Lead", "db", "recover", "--recovery-file",
             str(tmp_path / "code"), "--new-pin-file", str(new_pin))  # fmt: skip
    assert r.returncode == 0 and "new PIN" in r.stdout, r.stderr
    r = _cli("--db", str(path), "--user", "Dana Lead", "--pin-file", str(new_pin),
             "participants")  # fmt: skip
    assert r.returncode == 0 and code in r.stdout.replace("-", ""), r.stderr
    r = _cli("--db", str(path), "--user", "Dana Lead", "--pin-file", str(new_pin),
             "audit", "list")  # fmt: skip
    assert "recover_access" in r.stdout, r.stdout


def test_a_plain_file_is_encrypted_in_place_and_its_plain_bytes_are_gone(tmp_path):
    path = plain_database_file(tmp_path / "ffmot.db")
    db = connect(str(path))
    assert db.plain_file and not db.encrypted
    code = _fill(db)
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    P.add_practitioner(db, dana, "Colin Coord", "coordinator", "730146")
    db.close()
    assert b"Quilliam" in path.read_bytes()
    pin = _pin_file(tmp_path, "pin", "482913")
    r = _cli("--db", str(path), "--user", "Dana Lead", "--pin-file", str(pin), "db", "encrypt")
    assert r.returncode == 0, r.stderr
    assert "now encrypted" in r.stdout and "Colin Coord" in r.stdout  # needs a new PIN
    recovery = r.stdout.split("recovery code:")[1].split()[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ffmot.db", "ffmot.db.keys", "pin"]
    blob = _everything_beside(path)
    for s in SECRETS:
        assert s not in blob, s
    r = _cli("--db", str(path), "participants")
    assert r.returncode == 2 and "--user" in r.stderr  # only Dana's PIN opens it now
    r = _cli("--db", str(path), "--user", "Dana Lead", "--pin-file", str(pin), "participants")
    assert r.returncode == 0 and code in r.stdout.replace("-", ""), r.stderr
    keys.forget(path)
    keys.recover(path, recovery)
    db = connect(str(path))
    assert db.encrypted and len(R.search_participants(db, "quilliam")) == 1
    db.close()


@pytest.mark.hostile("database file")
@pytest.mark.parametrize(
    "device",
    ["/dev/zero", "fifo", "/etc/passwd", "folder", "../../../../etc/shadow", "other key"],
)
def test_a_hostile_key_file_never_hangs_never_opens_the_wrong_file_and_is_never_written(
    tmp_path, device
):
    """The .keys file is on the same stick as the database: anyone can edit it. Whatever its
    device path names, ffmot never waits on it, never reads more than a key's worth, never
    overwrites it, and never takes a key that is not this database's."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    db.close()
    keys.forget(path)
    env = json.loads(keys.keyfile(path).read_text())
    target = device
    if device == "fifo":
        target = str(tmp_path / "pipe")
        os.mkfifo(target)
    elif device == "folder":
        target = str(tmp_path)
    elif device == "other key":
        other = connect(str(tmp_path / "other.db"))
        other.close()
        target = json.loads(keys.keyfile(tmp_path / "other.db").read_text())["device"]
    env["device"] = target
    keys.keyfile(path).write_text(json.dumps(env))
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    outcome: list[object] = []

    def attempt() -> None:
        try:
            outcome.append(connect(str(path)))
        except BaseException as e:
            outcome.append(e)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "opening hung on the key file"
    (got,) = outcome
    assert isinstance(got, keys.Locked), got
    assert "sign in" in str(got) and "Traceback" not in str(got)
    assert {p: p.read_bytes() for p in before} == before  # nothing written or shredded
