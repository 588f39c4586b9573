"""The results screen and its print path: preview, print to a PDF printer, save as PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QGroupBox, QLabel

from ffmot.gui.printing import a4_printer, paint_pdf, write_pdf
from ffmot.services import records as R
from ffmot.services.types import Measurements
from tests.gui.test_printing import wait_shown_and_painted


def results(day, qtbot):
    ada, visit = day.people["Ada"]
    db, actor = day.ctx.db, day.ctx.actor
    R.save_result(db, actor, visit.id, "chair_stand", [(8, "")])  # below 10-15
    R.save_result(db, actor, visit.id, "grip", [(15, "left 1")])  # low grip flag (< 16 kg)
    R.save_result(db, actor, visit.id, "up_and_go", [(4.8, "")])  # fast: above average
    R.mark_not_done(db, actor, visit.id, "back_scratch", "declined")
    a = R.get_assessment(db, visit.id)
    R.save_measurements(db, actor, visit.id, Measurements(158, 60, 82, 90, 1, 0, 7), a.version)
    day.window.overview.code.setText(ada.code)
    day.window.overview.lookup()
    return day.window.overview, visit


def test_the_conversation_screen(day, qtbot):
    ov, visit = results(day, qtbot)
    o = ov.overview
    assert o is not None and o.participant.name == "Ada Sampleton"
    titles = [c.title for c in o.components]
    assert titles.index("Balance and getting about") < titles.index("Strength")  # strengths first
    strength = ov.body.findChild(QGroupBox, "component_strength")
    assert "something to work on" in strength.title()
    flags = ov.body.findChild(QGroupBox, "flags")
    assert flags is not None
    assert "not a diagnosis" in " ".join(w.text() for w in flags.findChildren(QLabel))
    text = " ".join(w.text() for w in ov.body.findChildren(QLabel))
    assert "Not done: you chose not to do it today" in text
    assert "Room to do more" in text  # 90 of 150 minutes
    ov.notes.setPlainText("Walks the dog daily")
    ov.goals.setPlainText("Try the Tai Chi class")
    ov.save_notes()
    a = R.get_assessment(day.ctx.db, visit.id)
    assert (a.notes, a.goals) == ("Walks the dog daily", "Try the Tai Chi class")
    assert ov.goals.toPlainText() == "Try the Tai Chi class"  # the page redraws with them


def test_notes_from_another_station_are_never_overwritten(day, qtbot):
    ov, visit = results(day, qtbot)
    a = R.get_assessment(day.ctx.db, visit.id)
    # the BMI station saves meanwhile: another part of the same visit, not a conflict
    R.save_measurements(day.ctx.db, day.ctx.actor, visit.id, a.measurements, a.version)
    ov.notes.setPlainText("Walks the dog daily")
    ov.save_notes()
    assert R.get_assessment(day.ctx.db, visit.id).notes == "Walks the dog daily"
    # the results table at another station adds a note; this screen still shows the old one
    other = "Knee replaced in 2019"
    R.save_notes(
        day.ctx.db,
        day.ctx.actor,
        visit.id,
        other,
        "",
        seen_notes="Walks the dog daily",
        seen_goals="",
    )
    ov.notes.setPlainText("Walks the dog daily. Keen on Tai Chi")
    ov.save_notes()
    assert R.get_assessment(day.ctx.db, visit.id).notes == other  # kept
    assert "another station changed" in ov.message.text().lower()
    assert ov.notes.toPlainText() == "Walks the dog daily. Keen on Tai Chi"  # still on screen


def test_print_preview_print_and_save(day, qtbot, tmp_path):
    ov, visit = results(day, qtbot)
    ov.print_sheet()
    dialog = ov.findChild(QPrintPreviewDialog, "printPreview")
    assert dialog is not None
    wait_shown_and_painted(qtbot, dialog)  # the event loop runs: visible, painted, printer alive
    dialog.accept()  # the Print button: the visit is marked printed
    assert R.get_assessment(day.ctx.db, visit.id).printed_at is not None
    pdf = ov._sheet()
    printer = a4_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    paint_pdf(printer, pdf)
    reader = PdfReader(printed)
    assert len(reader.pages) == len(PdfReader(io.BytesIO(pdf)).pages)
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2  # A4
    saved = write_pdf(tmp_path / "sheet", pdf)
    assert saved.suffix == ".pdf" and saved.read_bytes() == pdf
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    text = PdfReader(saved).pages[0].extract_text()
    assert "Ada" in text


def test_the_summary_box_says_each_thing_once(day, qtbot):
    _ada, visit = day.people["Ada"]
    R.mark_not_done(
        day.ctx.db, day.ctx.actor, visit.id, "step_2min", "stopped_by_tester", stop_reason="pain"
    )
    ov, _ = results(day, qtbot)
    box = ov.body.findChild(QGroupBox, "summaryBox")
    lines = [w.text() for w in box.findChildren(QLabel)]
    assert any("because you had pain" in t for t in lines)
    assert len(lines) == len(set(lines)), lines


def test_saving_the_sheet_as_a_pdf_is_audited_with_its_file_name(day, qtbot, tmp_path):
    """A sheet saved as a PDF has left the database: the audit says which file, so the data
    lead can have it deleted if the person is erased. The real Save dialog is answered."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog
    from sqlalchemy import select

    from ffmot.store.models import AuditEntry

    ov, visit = results(day, qtbot)
    target = tmp_path / "ada-take-home.pdf"
    answered: list[bool] = []

    def answer() -> None:
        d = QApplication.activeModalWidget()
        if isinstance(d, QFileDialog) and not answered:
            answered.append(True)
            d.selectFile(str(target))
            d.accept()

    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(20)  # looks for the dialog until it is there; the wait is for that event
    ov.save_sheet()
    timer.stop()
    assert answered and target.exists()
    with day.ctx.db.transaction() as s:
        saved = s.scalars(select(AuditEntry).where(AuditEntry.action == "save_pdf")).all()
    assert [(e.entity_id, e.detail) for e in saved] == [(visit.id, "sheet to ada-take-home.pdf")]
