"""The sheet language chosen at registration, from the keyboard, and the sheet printed in it."""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
from PySide6.QtCore import Qt

from ffmot.core import i18n, screening
from ffmot.services import records as R
from tests.helpers import CEILING_MS


def _register(qtbot, ci, given: str) -> None:  # type: ignore[no-untyped-def]
    ci.start_new()
    ci.given.setText(given)  # (QTest types ASCII only; a keyboard with Welsh letters types these)
    ci.family.setText("Ŵyn")
    qtbot.keyClicks(ci.dob, "02/02/1946")
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    ci.new_consents["keep_results"].setChecked(True)


def test_with_only_english_there_is_no_language_to_choose(open_app, qtbot):
    ci = open_app().window.checkin
    ci.start_new()
    assert not ci.language.isVisibleTo(ci) and ci.language.currentData() == "en"


def test_a_language_chosen_at_registration_is_the_one_their_sheet_is_printed_in(
    open_app, qtbot, tmp_path, monkeypatch
):
    from tests.report.languages import complete_catalogue

    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(complete_catalogue(tmp_path, "xx", "Pseudo")))
    i18n._load.cache_clear()
    try:
        s = open_app()
        s.window.show_view("check-in")
        ci = s.window.checkin
        _register(qtbot, ci, "Siân")
        assert ci.language.isVisibleTo(ci)
        s.window.activateWindow()
        qtbot.waitUntil(s.window.isActiveWindow, timeout=CEILING_MS)
        ci.dob.setFocus()
        qtbot.keyClick(ci.dob, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Sheet &language
        assert ci.language.hasFocus()
        qtbot.keyClick(ci.language, Qt.Key.Key_Down)  # English, then Pseudo
        assert ci.language.currentData() == "xx"
        qtbot.keyClick(ci.dob, Qt.Key.Key_Return)
        assert ci.person is not None and R.get_participant(s.ctx.db, ci.person.id).language == "xx"

        e = R.create_event(s.ctx.db, s.ctx.actor, "MOT day", dt.date.today())
        v = R.check_in(s.ctx.db, s.ctx.actor, ci.person.id, e.id)
        R.record_screening(s.ctx.db, s.ctx.actor, v.id, screening.answers_with())
        s.ctx.set_event(R.get_event(s.ctx.db, e.id))
        view = s.window.overview
        view.show_visit(v.id)
        qtbot.waitUntil(lambda: view.overview is not None)
        assert view.overview.language == "en"  # the screen: the practitioner's language
        with pdfplumber.open(io.BytesIO(view._sheet())) as doc:
            text = doc.pages[0].extract_text()
        assert "Ýöûŕ Fûñçţîöñåĺ Fîţñéšš MÖŢ" in text and "Siân Ŵyn" in text
    finally:
        i18n._load.cache_clear()
