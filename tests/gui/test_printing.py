"""The print previews as dialogs on screen: each comes up, runs in the event loop, paints the page,
and only then is used or closed. A dialog accepted without the event loop proves nothing: the
print preview once passed that way while the real app crashed every time, because the QPrinter
it painted with had been freed under it (see also tests/gui/test_real_window.py)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrintPreviewWidget
from PySide6.QtWidgets import QGraphicsView

from ffmot.core import codes
from ffmot.gui.printing import PdfPreviewDialog, open_previews, print_pdf
from ffmot.report.card import card_pdf
from ffmot.services import records as R

CEILING_MS = 60_000  # generous: a loaded machine; each wait ends as soon as its event comes


class PaintCounter(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def shows_a_page(image: QImage) -> bool:
    """At least a tenth of the picture paper white, and some ink on it (sampled)."""
    img = image.convertToFormat(QImage.Format.Format_Grayscale8)
    white = dark = total = 0
    for y in range(0, img.height(), 3):
        for x in range(0, img.width(), 3):
            v = img.pixelColor(x, y).value()
            total += 1
            white += v >= 250
            dark += v < 80
    return total > 0 and white / total > 0.10 and dark > 0


def wait_shown_and_painted(qtbot, dialog: PdfPreviewDialog) -> None:  # type: ignore[no-untyped-def]
    """Runs the event loop until the preview is on screen and its page view has been painted,
    then a little longer with Python's garbage collected, as in a real session."""
    view = dialog.findChild(QGraphicsView)
    assert view is not None, "the preview has no page view"
    counter = PaintCounter()
    view.viewport().installEventFilter(counter)
    view.viewport().update()  # painted now, even if it had been before
    qtbot.waitUntil(dialog.isVisible, timeout=CEILING_MS)
    qtbot.waitUntil(lambda: counter.paints > 0, timeout=CEILING_MS)
    gc.collect()
    qtbot.wait(200)
    view.viewport().removeEventFilter(counter)
    assert dialog.isVisible()
    assert shows_a_page(view.viewport().grab().toImage()), "the preview shows no page"
    printer = dialog.printer()  # the one Qt paints with: alive, and still set up
    assert printer.docName() and printer.pageLayout().pageSize().id().name == "A4"


def redraw(qtbot, dialog: PdfPreviewDialog) -> None:  # type: ignore[no-untyped-def]
    """The preview draws the PDF again with its printer, later, as when the page setup is
    changed: the printer and the PDF must still be there."""
    preview = dialog.findChild(QPrintPreviewWidget)
    assert preview is not None
    gc.collect()
    preview.updatePreview()
    assert preview.pageCount() >= 1
    wait_shown_and_painted(qtbot, dialog)


def wait_released(qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not open_previews(), timeout=CEILING_MS)


def results_for(day):  # type: ignore[no-untyped-def]
    ada, visit = day.people["Ada"]
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "chair_stand", [(12, "")])
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "grip", [(22, "left 1")])
    return ada, visit


def test_the_sheet_preview_paints_and_prints_from_the_results_screen(day, qtbot):
    ada, visit = results_for(day)
    w = day.window
    # A shortcut reaches only the active window: wait until it is, on a busy machine (waitActive
    # can return before the offscreen platform has made it the application's active window).
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=CEILING_MS)
    qtbot.keyClick(w, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    ov = w.overview
    qtbot.waitUntil(lambda: w.current_view() is ov)
    qtbot.keyClicks(ov.code, ada.code)
    qtbot.keyClick(ov.code, Qt.Key.Key_Return)
    assert ov.overview is not None
    qtbot.keyClick(ov.code, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P
    dialog = ov.findChild(PdfPreviewDialog, "printPreview")
    assert dialog is not None
    assert dialog.windowTitle() == f"Print preview — ffmot-{ada.code}"
    wait_shown_and_painted(qtbot, dialog)
    room = dialog.screen().availableGeometry()
    assert dialog.width() >= 0.8 * room.width() and dialog.height() >= 0.8 * room.height()
    redraw(qtbot, dialog)
    dialog.accept()  # the Print button: the visit is marked printed
    assert R.get_assessment(day.ctx.db, visit.id).printed_at is not None
    wait_released(qtbot)
    assert ov.findChild(PdfPreviewDialog) is None  # deleted, not left hidden


def test_the_card_preview_paints_and_closes_from_check_in(day, qtbot):
    ada, _visit = day.people["Ada"]
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    ci = w.checkin
    assert w.current_view() is ci
    ci.search.setFocus()
    qtbot.keyClicks(ci.search, ada.code)
    qtbot.keyClick(ci.search, Qt.Key.Key_Return)
    assert ci.person is not None and ci.card_button.isEnabled()
    qtbot.mouseClick(ci.card_button, Qt.MouseButton.LeftButton)
    dialog = ci.findChild(PdfPreviewDialog, "printPreview")
    assert dialog is not None
    assert dialog.windowTitle() == f"Print preview — card-{ada.code}"
    wait_shown_and_painted(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=CEILING_MS)
    wait_released(qtbot)
    assert ci.findChild(PdfPreviewDialog) is None


def test_a_preview_without_a_parent_is_kept_until_it_is_closed(qtbot):
    """Nothing holds the dialog but ffmot itself: the caller drops it at once."""
    code = codes.new_code()
    print_pdf(None, card_pdf(code, "Ada Sampleton", "MOT day"), f"card-{code}")
    gc.collect()
    (dialog,) = open_previews()
    wait_shown_and_painted(qtbot, dialog)
    redraw(qtbot, dialog)
    dialog.reject()
    wait_released(qtbot)


def test_several_previews_each_keep_their_own_printer(qtbot):
    """Two open at once (two people's cards): each paints with its own printer and PDF."""
    ada, bert = codes.new_code(), codes.new_code()
    first = print_pdf(None, card_pdf(ada, "Ada Sampleton"), f"card-{ada}")
    second = print_pdf(None, card_pdf(bert, "Bert Demoworth"), f"card-{bert}")
    assert first.printer() is not second.printer()
    for dialog in (first, second):
        wait_shown_and_painted(qtbot, dialog)
    assert first.printer().docName() == f"card-{ada}"
    assert second.printer().docName() == f"card-{bert}"
    first.reject()
    qtbot.waitUntil(lambda: open_previews() == [second], timeout=CEILING_MS)
    wait_shown_and_painted(qtbot, second)  # the other one is untouched
    second.reject()
    wait_released(qtbot)
