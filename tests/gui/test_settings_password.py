"""A shared database's password never lands in ffmot's settings file: it goes to PostgreSQL's
own password file, owner-only, where the real client library finds it when connecting."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ffmot.gui.settings import Settings
from ffmot.gui.settings_dialog import SettingsDialog
from ffmot.gui.tasks import InlineRunner


@pytest.fixture
def pgpass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home" / ".pgpass"
    monkeypatch.setenv("PGPASSFILE", str(path))  # where libpq itself will look
    return path


def test_a_password_typed_in_settings_goes_to_the_password_file(tmp_path, pgpass, pg_url, qtbot):
    u = make_url(pg_url)
    with_password = u.set(password="s3cret:with\\odd").render_as_string(hide_password=False)
    settings = Settings(tmp_path / "config" / "ffmot.ini")
    dialog = SettingsDialog(settings, InlineRunner())
    qtbot.addWidget(dialog)
    dialog.url.setText(with_password)
    dialog.save()
    ini = (tmp_path / "config" / "ffmot.ini").read_text(encoding="utf-8")
    assert "s3cret" not in ini and u.host in ini
    assert "s3cret" not in settings.database_url
    assert "s3cret" not in dialog.url.text()
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600
    # The real client library finds the password for the address kept in the settings.
    kept = make_url(settings.database_url)
    with psycopg.connect(
        host=kept.host, port=kept.port, dbname=kept.database, user=kept.username
    ) as conn:
        assert conn.info.password == "s3cret:with\\odd"


def test_a_password_kept_by_an_older_version_is_moved_out_when_read(tmp_path, pgpass):
    ini = tmp_path / "config" / "ffmot.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text(
        "[database]\nurl=postgresql+psycopg://sam:hunter2@hall.example:5433/ffmot\n",
        encoding="utf-8",
    )
    settings = Settings(ini)
    assert settings.database_url == "postgresql+psycopg://sam@hall.example:5433/ffmot"
    assert "hunter2" not in ini.read_text(encoding="utf-8")
    assert pgpass.read_text(encoding="utf-8") == "hall.example:5433:ffmot:sam:hunter2\n"


def test_a_new_password_replaces_the_old_one_and_keeps_other_servers(tmp_path, pgpass):
    pgpass.parent.mkdir(parents=True)
    pgpass.write_text("other:5432:*:amy:keepme\nhall:5432:ffmot:sam:old\n", encoding="utf-8")
    settings = Settings(tmp_path / "config" / "ffmot.ini")
    settings.database_url = "postgresql+psycopg://sam:new@hall/ffmot"
    assert pgpass.read_text(encoding="utf-8").splitlines() == [
        "other:5432:*:amy:keepme",
        "hall:5432:ffmot:sam:new",
    ]


def test_a_password_without_a_user_is_refused_in_the_dialog(tmp_path, pgpass, qtbot):
    settings = Settings(tmp_path / "config" / "ffmot.ini")
    dialog = SettingsDialog(settings, InlineRunner())
    qtbot.addWidget(dialog)
    dialog.url.setText("postgresql+psycopg://:pw@hall/ffmot")
    dialog.save()
    assert "Not saved" in dialog.test_result.text() and "user name" in dialog.test_result.text()
    assert settings.database_url == ""
    assert not pgpass.exists()


def test_a_local_file_or_an_address_without_a_password_is_kept_as_given(tmp_path, pgpass):
    settings = Settings(tmp_path / "config" / "ffmot.ini")
    settings.database_url = str(tmp_path / "day.db")
    assert settings.database_url == str(tmp_path / "day.db")
    settings.database_url = "postgresql+psycopg://sam@hall/ffmot"
    assert settings.database_url == "postgresql+psycopg://sam@hall/ffmot"
    assert not pgpass.exists()
