"""The command line uses the database chosen in the desktop app's Settings when neither --db
nor FFMOT_DATABASE_URL names one: the practitioner's window and their commands read and write
the same records."""

from __future__ import annotations

import os
from pathlib import Path

from ffmot.core.paths import config_dir
from tests.cli.test_cli import ffmot


def test_the_database_chosen_in_settings_is_the_command_lines_too(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.db"
    made = ffmot("--db", str(chosen), "demo", "--participants", "12", "--seed", "5")
    assert made.returncode == 0, made.stderr
    ini = config_dir() / "ffmot.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    before = ini.read_bytes() if ini.exists() else None
    saved_env = os.environ.pop("FFMOT_DATABASE_URL", None)
    try:
        ini.write_text(f"[database]\nurl={chosen}\n", encoding="utf-8")
        listed = ffmot("participants")
        assert listed.returncode == 0, listed.stderr
        assert len(listed.stdout.strip().splitlines()) >= 12  # the chosen database's people
        # --db still wins over Settings: an empty database of its own lists nobody.
        other = ffmot("--db", str(tmp_path / "other.db"), "participants")
        assert other.returncode == 0, other.stderr
        assert len(other.stdout.strip().splitlines()) < 12
    finally:
        if saved_env is not None:
            os.environ["FFMOT_DATABASE_URL"] = saved_env
        if before is None:
            ini.unlink(missing_ok=True)
        else:
            ini.write_bytes(before)
