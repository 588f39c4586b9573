"""The screens' language, chosen in Settings: ffmot's words from its catalogue, Qt's own (the
OK and Cancel of its buttons) from Qt's translations, and English when the chosen language is
no longer installed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from ffmot.core import i18n
from ffmot.gui.settings_dialog import SettingsDialog
from tests.gui.pseudo_walk import menu_texts


def test_a_language_chosen_in_settings_speaks_on_every_screen_and_in_qts_buttons(
    open_app, settings, qtbot, tmp_path, monkeypatch
):
    from tests.report.languages import complete_catalogue

    # A translator's complete catalogue for German (its words are the pseudo-language's, so
    # they can be told from English; Qt has its own German for its buttons).
    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(complete_catalogue(tmp_path, "de", "Deutsch")))
    i18n._load.cache_clear()
    try:
        s = open_app()
        dialog = SettingsDialog(settings, s.ctx.runner, s.window)
        qtbot.addWidget(dialog)
        assert dialog.language.isVisibleTo(dialog) and dialog.language.currentData() == "en"
        dialog.language.setCurrentIndex(dialog.language.findData("de"))
        dialog.save()
        assert settings.screen_language == "de" and dialog.needs_restart

        s.controller._rebuild()  # what Save does in the app: a new window in the new language
        w = s.controller.session.window
        assert "[&Fîĺé ~~]" in menu_texts(w)
        again = SettingsDialog(settings, s.ctx.runner, w)
        qtbot.addWidget(again)
        box = again.findChild(QDialogButtonBox)
        cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel.text().replace("&", "") == "Abbrechen"  # Qt's own German
        assert "Ţéšţ çöññéçţîöñ" in again.test_button.text()

        settings.screen_language = "cy"  # chosen once, then its catalogue was removed
        s.controller._rebuild()
        assert "&File" in menu_texts(s.controller.session.window)
    finally:
        i18n.use_default(None)
        i18n._load.cache_clear()
