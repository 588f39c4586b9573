"""What a script and a helper read from the command line: exit statuses that say what kind of
problem it was, diagnostics with nobody's personal data, and an erasure that is never an
accident. Real processes, real SQLite files, a real terminal (a pty) to type at."""

from __future__ import annotations

import datetime as dt
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from ffmot import __version__
from ffmot.cli import EXIT_STATUSES
from ffmot.core import codes
from ffmot.services import records as R
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.cli.test_cli import assert_refused, ffmot
from tests.helpers import screened_visit

ROOT = Path(__file__).resolve().parents[2]


def _one_line(p: subprocess.CompletedProcess[str], status: int, *words: str) -> str:
    assert p.returncode == status, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ffmot: "), p.stderr
    assert "Traceback" not in p.stderr and "unexpected problem" not in p.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_a_database_out_of_reach_or_damaged_is_status_3_and_a_usage_mistake_2(tmp_path):
    _one_line(ffmot("--db", "postgresql://x@127.0.0.1:1/db", "events"), 3, "cannot reach")
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    _one_line(ffmot("--db", str(damaged), "participants"), 3, str(damaged))
    assert_refused(ffmot("--db", str(tmp_path / "new.db"), "events", "--no-such-option"))


def test_the_exit_statuses_are_in_the_help_and_the_readme():
    help_text = ffmot("--help").stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "exit status:" in help_text
    for status, words in EXIT_STATUSES:
        assert f"  {status:<5}{words.split()[0]}" in help_text, status
        assert f"| {status} | {' '.join(words.split()[:3])}" in readme, status


def _person(path: Path) -> tuple[str, str]:
    """A real SQLite file with one person, one visit and one result; their code and id."""
    db = connect(str(path))
    try:
        actor = Actor("Sam Tester", "Station 1")
        e = R.create_event(db, actor, "MOT day", dt.date(2026, 5, 1))
        p, v = screened_visit(
            db, actor, e.id, "Eileen", "Coursewell", dt.date(1948, 3, 2), "female"
        )
        R.save_result(db, actor, v.id, "grip", [(22.0, "left 1")])
        return p.code, p.id
    finally:
        db.close()


def _still_there(path: Path, code: str) -> bool:
    db = connect(str(path))
    try:
        return any(r.code == code for r in R.search_participants(db, "Coursewell"))
    finally:
        db.close()


def _erase_at_a_terminal(path: Path, code: str, typed: bytes) -> subprocess.CompletedProcess[str]:
    """`ffmot erase CODE` with a terminal as its input, and `typed` typed at it."""
    leader, follower = pty.openpty()
    try:
        os.write(leader, typed)
        env = {k: v for k, v in os.environ.items() if k != "FFMOT_DEBUG"}
        return subprocess.run(
            [sys.executable, "-m", "ffmot", "--db", str(path), "erase", codes.display(code)],
            stdin=follower, capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)


def test_erase_shows_who_and_erases_only_when_erase_is_typed(tmp_path):
    path = tmp_path / "day.db"
    code, _pid = _person(path)
    p = _erase_at_a_terminal(path, code, b"yes\n")
    assert p.returncode == 2, p.stderr
    assert "Eileen Coursewell, born 02/03/1948" in p.stderr and codes.display(code) in p.stderr
    assert "1 visit(s) and 1 result(s)" in p.stderr and "Type ERASE to confirm" in p.stderr
    assert "nothing was erased" in p.stderr and "erased" not in p.stdout
    assert _still_there(path, code)
    p = _erase_at_a_terminal(path, code, b"ERASE\n")
    assert p.returncode == 0, p.stderr
    assert f"erased {codes.display(code)}" in p.stdout
    assert not _still_there(path, code)


def test_erasing_from_a_script_needs_yes(tmp_path):
    path = tmp_path / "day.db"
    code, _pid = _person(path)
    for args in (("erase", code), ("retention", "--apply")):
        p = subprocess.run(
            [sys.executable, "-m", "ffmot", "--db", str(path), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        _one_line(p, 2, "add --yes")
        assert p.stdout == ""
    assert _still_there(path, code)


@pytest.mark.parametrize("kind", ["file", "server"])
def test_diagnostics_say_the_versions_and_the_database_and_no_one_in_the_log(tmp_path, kind):
    home = tmp_path / "home"
    logs = tmp_path / "state" / "ffmot" / "log"
    logs.mkdir(parents=True)
    # The log as an older ffmot, or a record from before scrubbing, could have left it.
    (logs / "ffmot.log").write_text(
        "2026-12-01 09:00:01,000 INFO [gui] ffmot started\n"
        "2026-12-01 09:10:00,000 ERROR [gui] unexpected problem while saving for Eileen "
        "Coursewell (HW8U-PSR), born 1948-03-02, phone 07700 900123\n"
        "Traceback (most recent call last):\n"
        '  File "ffmot/gui/views/station.py", line 12, in save\n'
        "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed\n"
        "[parameters: ('Eileen', 'Coursewell', '1948-03-02', 'G4 0BA')]\n"
        "2026-12-01 09:12:00,000 WARNING [gui] could not print for Siân Tutor-Pryce, "
        "eileen@example.org\n",
        encoding="utf-8",
    )
    if kind == "file":
        db = home / "MOT days" / "ffmot.db"
        db.parent.mkdir(parents=True)
        db.write_bytes(b"SQLite format 3\x00" + bytes(100))
        where = ["--db", str(db)]
    else:
        where = ["--db", "postgresql+psycopg://sam.station:s3cret@hall.example.org:5433/ffmot"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FFMOT_", "XDG_"))}
    env.update(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"))
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
    p = subprocess.run(
        [sys.executable, "-m", "ffmot", *where, "diagnostics"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert p.returncode == 0 and p.stderr == "", p.stderr
    out = p.stdout
    assert f"ffmot: {__version__}" in out and "Python: 3." in out and "System: " in out
    if kind == "file":
        assert "NOT encrypted (plain SQLite): ~/MOT days/ffmot.db" in out, out
        assert str(home) not in out
    else:
        assert "Database: PostgreSQL" in out
        for secret in ("sam.station", "s3cret", "hall.example.org", "5433"):
            assert secret not in out, secret
    assert "IntegrityError" in out and "[parameters: hidden]" in out
    assert "ERROR [gui] unexpected problem while saving" in out and "WARNING" in out
    assert "ffmot started" not in out  # warnings and errors only
    personal = ("Eileen", "Coursewell", "HW8U-PSR", "1948-03-02", "07700 900123", "G4 0BA",
                "Siân", "Tutor-Pryce", "eileen@example.org")  # fmt: skip
    for item in personal:
        assert item not in out, (item, out)
