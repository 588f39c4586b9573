"""Named practitioners on the command line: a data lead protects an open database; from then on
a command signs in by name and PIN (a prompt, or a PIN file only its owner can read), the
role kept in the database decides what may be done, wrong PINs lock the name, and every step
is audited. A name in FFMOT_USER gives no rights. Real processes, real files."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.cli.test_cli import assert_refused
from tests.helpers import raw_sqlite, screened_visit

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("FFMOT_")}
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ffmot", *args],
        capture_output=True,
        text=True,
        env=e,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def pin_file(folder: Path, name: str, pin: str) -> Path:
    path = folder / f"{name}.pin"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.write(fd, (pin + "\n").encode())
    os.close(fd)
    return path


@pytest.fixture
def protected(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A day with one person, protected by Dana (data lead), with Colin (coordinator) and
    Sam (station); returns the database and each one's PIN file."""
    path = tmp_path / "ffmot.db"
    db = connect(str(path))
    e = R.create_event(db, Actor("setup"), "MOT day", dt.date.today())
    p, _ = screened_visit(
        db, Actor("setup"), e.id, "Maureen", "Keep", dt.date(1950, 1, 1), "female"
    )
    pins = {
        "Dana Lead": pin_file(tmp_path, "dana", "482913"),
        "Colin Coord": pin_file(tmp_path, "colin", "730146"),
        "Sam Station": pin_file(tmp_path, "sam", "615820"),
    }
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "set-up")
    P.add_practitioner(db, dana, "Colin Coord", "coordinator", "730146")
    P.add_practitioner(db, dana, "Sam Station", "station", "615820")
    db.close()
    (tmp_path / "code").write_text(p.code)
    return path, pins


def test_an_open_database_says_so_to_a_person_at_a_terminal(tmp_path):
    import pty

    path = tmp_path / "open.db"
    db = connect(str(path))
    e = R.create_event(db, Actor("setup"), "MOT day", dt.date.today())
    p, _ = screened_visit(db, Actor("setup"), e.id, "Ann", "Open", dt.date(1950, 1, 1), "female")
    db.close()
    args = ("--db", str(path), "sheet", p.code, "--out", str(tmp_path / "x.pdf"))
    leader, follower = pty.openpty()  # stderr a terminal, as for a person typing
    try:
        r = subprocess.run(
            [sys.executable, "-m", "ffmot", *args],
            stdout=subprocess.PIPE,
            stderr=follower,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            timeout=120,
        )
        os.close(follower)
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: all read
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(leader)
    assert r.returncode == 0
    text = said.decode()
    assert "no named practitioners yet" in text and "first-lead" in text
    quiet = run(*args)  # a script (no terminal) gets only its own output
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_once_protected_a_command_needs_a_name_and_the_right_pin(protected, tmp_path):
    path, pins = protected
    code = (tmp_path / "code").read_text()
    out = tmp_path / "sa"
    no_name = run("--db", str(path), "subject-access", code, "--out", str(out))
    assert_refused(no_name, "--user")
    env_only = run("--db", str(path), "subject-access", code, "--out", str(out),
                   env={"FFMOT_USER": "Dana Lead"})  # fmt: skip
    assert_refused(env_only, "--user")
    wrong = pin_file(tmp_path, "wrong", "999111")
    bad = run("--db", str(path), "--user", "Dana Lead", "--pin-file", str(wrong),
              "subject-access", code, "--out", str(out))  # fmt: skip
    assert_refused(bad, "do not match")
    assert not out.exists()
    good = run("--db", str(path), "--user", "dana lead", "--pin-file", str(pins["Dana Lead"]),
               "subject-access", code, "--out", str(out))  # fmt: skip
    assert good.returncode == 0, good.stderr
    with raw_sqlite(path) as c:
        rows = c.execute(
            "SELECT actor, action FROM audit WHERE action IN "
            "('sign_in', 'sign_in_refused', 'subject_access') ORDER BY at"
        ).fetchall()
    assert ("Dana Lead", "sign_in_refused") in rows
    assert rows[-2:] == [("Dana Lead", "sign_in"), ("Dana Lead", "subject_access")]


def test_the_role_in_the_database_decides(protected, tmp_path):
    path, pins = protected
    code = (tmp_path / "code").read_text()
    as_sam = ["--db", str(path), "--user", "Sam Station", "--pin-file", str(pins["Sam Station"])]
    r = run(*as_sam, "subject-access", code, "--out", str(tmp_path / "sa"))
    assert_refused(r, "station practitioner", "needs a data lead")
    r = run(*as_sam, "sheet", code, "--out", str(tmp_path / "s.pdf"))
    assert_refused(r, "needs a coordinator or data lead")
    as_colin = ["--db", str(path), "--user", "Colin Coord", "--pin-file", str(pins["Colin Coord"])]
    r = run(*as_colin, "practitioners", "add", "Eve", "--role", "data_lead",
            "--new-pin-file", str(pins["Sam Station"]))  # fmt: skip
    assert_refused(r, "coordinator", "needs a data lead")


def test_five_wrong_pins_lock_the_name_and_the_right_one_waits(protected, tmp_path):
    path, pins = protected
    code = (tmp_path / "code").read_text()
    wrong = pin_file(tmp_path, "wrong", "999111")
    for _ in range(5):
        r = run("--db", str(path), "--user", "Sam Station", "--pin-file", str(wrong),
                "sheet", code, "--out", str(tmp_path / "s.pdf"))  # fmt: skip
        assert r.returncode == 2
    r = run("--db", str(path), "--user", "Sam Station", "--pin-file", str(pins["Sam Station"]),
            "sheet", code, "--out", str(tmp_path / "s.pdf"))  # fmt: skip
    assert_refused(r, "do not match")  # the same words: a guesser learns nothing
    # The file could not be opened to record them: they reach the audit at the next sign-in.
    r = run("--db", str(path), "--user", "Dana Lead", "--pin-file", str(pins["Dana Lead"]),
            "practitioners", "list")  # fmt: skip
    assert r.returncode == 0, r.stderr
    with raw_sqlite(path) as c:
        details = [
            d for (d,) in c.execute("SELECT detail FROM audit WHERE action = 'sign_in_refused'")
        ]
    assert any("locked for 15 minutes" in d for d in details)


def test_a_pin_file_others_can_read_is_refused(protected, tmp_path):
    path, pins = protected
    os.chmod(pins["Dana Lead"], 0o644)
    r = run("--db", str(path), "--user", "Dana Lead", "--pin-file", str(pins["Dana Lead"]),
            "practitioners", "list")  # fmt: skip
    assert_refused(r, "can be read by others", "chmod 600")


def test_the_first_lead_only_once_and_the_last_data_lead_stays(protected, tmp_path):
    path, pins = protected
    code = (tmp_path / "code").read_text()
    r = run("--db", str(path), "practitioners", "first-lead", "Mallory",
            "--new-pin-file", str(pins["Sam Station"]))  # fmt: skip
    assert_refused(r, "opens only for its practitioners")  # locked: nothing to make it in
    as_dana = ["--db", str(path), "--user", "Dana Lead", "--pin-file", str(pins["Dana Lead"])]
    r = run(*as_dana, "practitioners", "disable", "Dana Lead")
    assert_refused(r, "only data lead")
    r = run(*as_dana, "practitioners", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Colin Coord\tcoordinator",
        "Dana Lead\tdata lead",
        "Sam Station\tstation practitioner",
    ]
    r = run(*as_dana, "practitioners", "disable", "Sam Station")
    assert r.returncode == 0, r.stderr
    r = run("--db", str(path), "--user", "Sam Station", "--pin-file", str(pins["Sam Station"]),
            "sheet", code, "--out", str(tmp_path / "s.pdf"))  # fmt: skip
    assert_refused(r, "do not match")


def test_pins_are_kept_only_as_argon2id_hashes(protected):
    path, _ = protected
    with raw_sqlite(path) as c:
        secrets = [s for (s,) in c.execute("SELECT secret FROM practitioner")]
    assert len(secrets) == 3 and all(s.startswith("$argon2id$") for s in secrets)
    data = path.read_bytes()
    for pin in (b"482913", b"730146", b"615820"):
        assert pin not in data
