"""The board and the results screen for someone who withdrew consent to keep their results."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ffmot.core import codes
from ffmot.gui.printing import open_previews
from ffmot.services import records as R


def test_the_board_shows_a_withdrawal_calmly_and_never_as_ready(day, qtbot):
    ada, _visit = day.people["Ada"]
    db, actor = day.ctx.db, day.ctx.actor
    R.record_consent(db, actor, ada.id, "keep_results", False)
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    w.board.refresh()
    model = w.board.model
    rows = {model.index(r, 1).data(): r for r in range(model.rowCount())}
    row = rows["Ada Sampleton"]
    status = model.index(row, 5).data()
    assert status == "⊘ Consent withdrawn: do not test or print"
    assert model.index(row, 4).data() == "—"  # nothing still to test
    assert "Ready to print" not in status
    summary = w.board.summary.text()
    assert "Consent withdrawn: do not test or print: 1" in summary and "Testing: 1" in summary


def test_the_results_screen_says_so_and_no_sheet_is_made(day, qtbot):
    ada, visit = day.people["Ada"]
    db, actor = day.ctx.db, day.ctx.actor
    R.save_result(db, actor, visit.id, "chair_stand", [(12, "")])
    ov = day.window.overview
    ov.code.setText(ada.code)
    ov.lookup()
    assert ov.overview is not None and ov.print_button.isEnabled()
    # meanwhile, at check-in, Ada withdraws: this screen still shows her results
    R.record_consent(db, actor, ada.id, "keep_results", False)
    before = len(open_previews())
    ov.print_sheet()  # Ctrl+P on the page as it was shown
    assert len(open_previews()) == before  # no preview, no sheet
    assert "withdrawn consent to keep their results" in ov.message.text()
    assert codes.display(ada.code) in ov.message.text()
    assert R.get_assessment(db, visit.id).printed_at is None
    ov.lookup()  # shown again: it says why, and the print buttons are off
    assert "withdrawn consent" in ov.message.text()
    assert not ov.print_button.isEnabled() and not ov.save_pdf_button.isEnabled()
