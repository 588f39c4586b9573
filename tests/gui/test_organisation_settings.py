"""The organisation's folder in Settings: checked whole before it is kept, put in use at once
(new MOT days start with its name and activities), and a broken one said in the window without
stopping the day."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QLabel

from ffmot.core import organisation
from ffmot.gui.settings_dialog import SettingsDialog
from tests.core.test_organisation import PNG


def _folder(tmp_path):  # type: ignore[no-untyped-def]
    f = tmp_path / "cumbria"
    f.mkdir()
    (f / "organisation.toml").write_text('name = "Cumbria Health"\nlogo = "logo.png"\n', "utf-8")
    (f / "logo.png").write_bytes(PNG)
    (f / "activities.csv").write_text("name\n", encoding="utf-8")
    return f


def test_a_folder_chosen_in_settings_is_checked_kept_and_used_by_new_mot_days(
    open_app, settings, qtbot, tmp_path, monkeypatch
):
    monkeypatch.delenv(organisation.ENV, raising=False)
    folder = _folder(tmp_path)
    s = open_app()
    dialog = SettingsDialog(settings, s.ctx.runner, s.window)
    qtbot.addWidget(dialog)
    label = next(x for x in dialog.findChildren(QLabel) if "Organisation folder" in x.text())
    assert label.buddy() is dialog.organisation  # Alt+O, and no "&" shown
    (folder / "organisation.toml").write_text('name = "Cumbria Health\n', encoding="utf-8")
    dialog.organisation.setText(str(folder))
    dialog.save()
    assert "Not saved" in dialog.test_result.text() and "line 1" in dialog.test_result.text()
    assert settings.organisation_folder == ""  # nothing kept

    (folder / "organisation.toml").write_text('name = "Cumbria Health"\n', encoding="utf-8")
    dialog.save()
    assert settings.organisation_folder == str(folder) and dialog.needs_restart

    s.controller._rebuild()  # what Save does in the app: a new window on the new settings
    w = s.controller.session.window
    assert os.environ[organisation.ENV] == str(folder)
    assert w.events.organisation.text() == "Cumbria Health"
    assert w.events.directory.text() == str(folder / "activities.csv")
    assert w.findChild(QLabel, "organisationProblem") is None
    organisation.use(None)


def test_a_broken_folder_is_said_in_the_window_and_ffmots_own_is_used(
    open_app, settings, tmp_path, monkeypatch
):
    monkeypatch.delenv(organisation.ENV, raising=False)
    folder = _folder(tmp_path)
    settings.organisation_folder = str(folder)
    (folder / "logo.png").write_bytes(b"not a picture")
    w = open_app().window
    said = w.findChild(QLabel, "organisationProblem")
    assert said is not None and said.isVisible()
    assert "not in use" in said.text() and "logo.png" in said.text()
    assert organisation.ENV not in os.environ and w.events.organisation.text() == ""
