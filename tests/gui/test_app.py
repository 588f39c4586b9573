"""Training mode, large print, settings, closing with unsaved work, screenshots, lost links."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from ffmot.gui.app import training_db_path
from ffmot.gui.settings_dialog import SettingsDialog
from ffmot.gui.widgets import TrainingBanner
from ffmot.services import records as R
from tests.helpers import ready_visit


def test_training_mode_is_a_marked_sandbox_that_resets(open_app, qtbot):
    s = open_app(training=True)
    assert s.ctx.training and training_db_path().exists()
    assert s.window.findChild(TrainingBanner) is not None
    assert "TRAINING" in s.window.windowTitle()
    events = R.list_events(s.ctx.db)
    assert events and all(e.training for e in events)
    assert s.ctx.current_event is not None  # opens a busy demo day, ready to show
    # Practise: register someone, then reset in one action.
    import datetime as dt

    R.register_participant(
        s.ctx.db,
        s.ctx.actor,
        "Practice",
        "Personby",
        dt.date(1950, 1, 1),
        "female",
        consents={"keep_results": True},
    )
    controller = s.controller
    controller.reset_training()  # asks first
    box = s.window.reset_box
    qtbot.waitUntil(box.isVisible)
    assert controller.session is s and "Real data are not touched" in box.text()
    box.button(QMessageBox.StandardButton.Reset).click()
    fresh = controller.session
    assert fresh is not None and fresh is not s and fresh.ctx.training
    assert not s.window.isVisible()  # the old window went with the old sandbox
    assert R.search_participants(fresh.ctx.db, "personby") == []
    assert R.list_events(fresh.ctx.db)
    fresh.window.close()
    fresh.ctx.db.close()


def test_large_print_makes_everything_bigger(open_app, settings):
    small = open_app().window.font().pointSizeF()
    settings.large_print = True
    big = open_app().window.font().pointSizeF()
    assert big >= small * 1.3


def test_settings_with_a_connection_test(open_app, qtbot, settings, tmp_path):
    s = open_app()
    dialog = SettingsDialog(settings, s.ctx.runner, s.window)
    qtbot.addWidget(dialog)
    dialog.url.setText("postgresql+psycopg://nobody@127.0.0.1:1/none")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert (
        dialog.test_result.text().startswith("Cannot connect")
        and "cannot reach" in dialog.test_result.text()
    )
    dialog.url.setText(str(tmp_path / "shared.db"))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert dialog.test_result.text().startswith("Connected to")
    dialog.station.setText("Grip station")
    dialog.save()
    assert settings.station == "Grip station" and dialog.needs_restart
    assert settings.database_url.endswith("shared.db")


def test_a_settings_error_is_shown_whole_at_large_print(open_app, qtbot, settings, tmp_path):
    settings.large_print = True
    s = open_app()
    dialog = SettingsDialog(settings, s.ctx.runner, s.window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    folder = tmp_path / "a folder, not a database file"
    folder.mkdir()
    dialog.url.setText(str(folder))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    label = dialog.test_result
    qtbot.waitUntil(lambda: label.text().startswith("Cannot connect"))
    qtbot.wait(20)  # laid out
    assert "Traceback" not in label.text() and "sqlalchemy" not in label.text().lower()
    needed = label.heightForWidth(label.width())
    assert label.height() >= needed, "the message is cut off"
    bottom = label.mapTo(dialog, label.rect().bottomLeft()).y()
    assert bottom <= dialog.height()


def test_closing_with_unsaved_work_asks(day, qtbot):
    w = day.window
    st = w.station
    w.show_view("station")
    st.test_combo.setCurrentIndex(st.test_combo.findData("grip"))
    st.code.setText(day.people["Ada"][0].code)
    st.lookup()
    qtbot.keyClicks(st.fields[0], "25")
    answers = []

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and "not been saved" in box.text()
        answers.append(button)
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Cancel))
    assert not w.close()  # cancelled: the window stays, the entry too
    assert st.fields[0].text() == "25"
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Close))
    assert w.close()
    assert answers == [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Close]


def test_a_lost_shared_database_gives_a_message_and_loses_nothing(open_app, qtbot, pg_url):

    from sqlalchemy import create_engine, text

    s = open_app(pg_url)
    ctx = s.ctx
    _, p, visit = ready_visit(ctx, "Shared day")
    st = s.window.station
    s.window.show_view("station")
    st.test_combo.setCurrentIndex(st.test_combo.findData("chair_stand"))
    st.code.setText(p.code)
    st.lookup()
    qtbot.keyClicks(st.fields[0], "12")
    from sqlalchemy.engine import make_url

    name = make_url(pg_url).database
    admin = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def link(up: bool) -> None:
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(up).lower()}'))
            if not up:
                c.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )

    link(False)  # the network to the shared database drops
    try:
        qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)
        assert "Cannot reach the shared database" in st.problem.text()
        assert st.fields[0].text() == "12"  # what was typed is still there
    finally:
        link(True)
    qtbot.keyClick(st.fields[0], Qt.Key.Key_Return)  # the link is back: save again
    assert R.get_assessment(ctx.db, visit.id).result("chair_stand").value == 12
    admin.dispose()


def test_screenshot_command_renders_every_view(tmp_path):
    for view in ("events", "check-in", "station", "overview", "board"):
        out = tmp_path / f"{view}.png"
        p = subprocess.run(
            [sys.executable, "-m", "ffmot", "gui", "--screenshot", str(out), "--view", view],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **__import__("os").environ,
                "QT_QPA_PLATFORM": "offscreen",
                "XDG_DATA_HOME": str(tmp_path / "d"),
                "XDG_CONFIG_HOME": str(tmp_path / "c"),
            },
        )
        assert p.returncode == 0, p.stderr
        img = QImage(str(out))
        assert img.width() >= 1200 and img.height() >= 800
        colours = {
            img.pixel(x, y) for x in range(0, img.width(), 37) for y in range(0, img.height(), 37)
        }
        assert len(colours) > 5, f"{view} looks blank"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "ffmot",
            "gui",
            "--screenshot",
            str(tmp_path / "x.png"),
            "--view",
            "nowhere",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2 and "invalid choice" in p.stderr


def test_export_import_and_merge_from_the_window(day, qtbot, tmp_path, open_app):
    from ffmot.gui import data_actions as data

    w = day.window
    _, visit = day.people["Ada"]
    R.save_result(day.ctx.db, day.ctx.actor, visit.id, "grip", [(22, "left 1")])
    out = tmp_path / "day.xlsx"
    data.run_export(day.ctx, w, out, anonymised=False)
    box = w.findChild(QMessageBox, "infoBox")
    # Ada's grip, and Bert's visit with nothing recorded yet (a visit-only row)
    assert out.exists() and "Wrote 2 rows for 2 participant" in box.text()
    box.close()
    other = open_app(str(tmp_path / "other.db"))
    data.import_(other.ctx, other.window, out)
    ask = other.window.findChild(QMessageBox, "consentBox")  # consents in the file: asked first
    assert ask is not None and "Consent is each person's own decision" in ask.text()
    qtbot.mouseClick(ask.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(
            "Imported 1 results" in b.text()
            for b in other.window.findChildren(QMessageBox, "infoBox")
        )
    )
    assert R.search_participants(other.ctx.db, "sampleton")
    bad = tmp_path / "bad.csv"
    bad.write_text("hello\n1\n")
    data.import_(other.ctx, other.window, bad)
    boxes = other.window.findChildren(QMessageBox)
    assert any("not an ffmot export" in b.text() for b in boxes)
    data.run_merge(other.ctx, other.window, str(day.ctx.db.path))
    texts = [b.text() for b in other.window.findChildren(QMessageBox, "infoBox")]
    assert any("added" in t and "conflicts 0" in t for t in texts)
    assert R.search_participants(other.ctx.db, "demoworth")


def test_bringing_in_several_station_files_one_bad(day, qtbot, tmp_path, open_app):
    from ffmot.gui import data_actions as data
    from ffmot.services.station_file import save_station_work

    stick = tmp_path / "stick"
    stick.mkdir()
    saved = save_station_work(day.ctx.db, stick, "Station 2")
    junk = tmp_path / "notes.db"
    junk.write_text("not a database")
    hub = open_app(str(tmp_path / "hub.db"))
    data.run_merge(hub.ctx, hub.window, str(junk), str(saved))
    qtbot.waitUntil(lambda: bool(hub.window.findChildren(QMessageBox, "infoBox")))
    text = hub.window.findChild(QMessageBox, "infoBox").text()
    assert "notes.db: not brought in" in text and "added" in text
    assert R.search_participants(hub.ctx.db, "sampleton")
    assert "Save this station's &work…" in [
        a.text() for a in hub.window.menuBar().actions()[0].menu().actions()
    ]


def _threaded(settings, db_url):  # type: ignore[no-untyped-def]
    from ffmot.gui.app import Controller
    from ffmot.gui.tasks import ThreadRunner

    c = Controller(settings, ThreadRunner(QApplication.instance()), db_url=db_url)
    s = c.open()
    s.window.show()
    return c, s


def test_the_window_shows_at_once_and_fills_in_when_the_database_opens(settings, tmp_path, qtbot):
    import datetime as dt

    from ffmot.services.types import Actor
    from ffmot.store.db import connect

    url = str(tmp_path / "day.db")
    db = connect(url)
    actor = Actor("Sam Tester", "Station 1")
    e = R.create_event(db, actor, "Lowthwaite MOT day", dt.date.today(), "Fellside Hall")
    R.register_participant(
        db,
        actor,
        "Ada",
        "Sampleton",
        dt.date(1949, 3, 14),
        "female",
        consents={"keep_results": True},
    )
    db.close()
    settings.last_event = e.id

    _c, s = _threaded(settings, url)
    try:
        # Not open yet: the window is up and says so, and typing is not lost.
        assert not s.ctx.is_ready
        assert "Opening the database" in s.window.where.text()
        s.window.show_view("check-in")
        qtbot.keyClicks(s.window.checkin.search, "samp")
        qtbot.waitUntil(lambda: s.ctx.is_ready, timeout=20000)
        assert s.ctx.current_event is not None and s.ctx.current_event.id == e.id
        assert "Lowthwaite MOT day" in s.window.windowTitle()
        assert str(tmp_path / "day.db") in s.window.where.text()
        qtbot.waitUntil(
            lambda: [r.name for r in s.window.checkin.model.rows] == ["Ada Sampleton"],
            timeout=5000,
        )
        qtbot.waitUntil(lambda: s.window.events.model.rowCount() == 1, timeout=5000)
    finally:
        s.ctx.runner.wait()  # type: ignore[attr-defined]
        s.window.close()
        s.ctx.db.close()


def test_a_database_that_cannot_be_opened_is_said_plainly_and_left_alone(settings, tmp_path, qtbot):
    bad = tmp_path / "broken.db"
    bad.write_bytes(b"this is not a database file, it is a shopping list" * 100)
    before = bad.read_bytes()
    _c, s = _threaded(settings, str(bad))
    try:
        qtbot.waitUntil(lambda: s.window.findChild(QMessageBox, "openFailedBox") is not None)
        box = s.window.findChild(QMessageBox, "openFailedBox")
        qtbot.waitUntil(box.isVisible)
        assert "cannot open its database" in box.text() and "Settings" in box.text()
        assert "Traceback" not in box.text()
        assert not s.ctx.is_ready and "cannot open its database" in s.window.where.text()
        box.close()
        # Searching now explains itself rather than failing.
        s.window.show_view("check-in")
        s.window.checkin.search.setText("ada")
        qtbot.waitUntil(lambda: "cannot open" in s.window.checkin.found.text())
    finally:
        s.ctx.runner.wait()  # type: ignore[attr-defined]
        s.window.close()
    assert bad.read_bytes() == before


def test_a_save_still_running_when_the_window_closes_is_finished(settings, tmp_path, qtbot):
    """Quitting straight after pressing save: the app waits for the save before it ends."""
    import datetime as dt
    import time

    from ffmot.gui.app import _finish_work
    from ffmot.services.types import Actor

    c, s = _threaded(settings, str(tmp_path / "ffmot.db"))
    qtbot.waitUntil(lambda: s.ctx.is_ready, timeout=20000)
    db = s.ctx.db

    def slow_save() -> None:
        time.sleep(0.3)  # a slow disk
        R.register_participant(
            db,
            Actor("Sam Tester", "Station 1"),
            "Lastly",
            "Quitterby",
            dt.date(1950, 1, 1),
            "male",
            consents={"keep_results": True},
        )

    s.ctx.runner.run(slow_save)
    s.window.close()
    _finish_work(c)
    try:
        assert [p.name for p in R.search_participants(db, "quitterby")] == ["Lastly Quitterby"]
    finally:
        db.close()


def test_the_window_fits_the_screen_is_remembered_and_rebuilds_keep_the_view(
    qtbot, settings, tmp_path
):
    from PySide6.QtGui import QGuiApplication

    from ffmot.gui.app import Controller
    from ffmot.gui.tasks import InlineRunner

    free = QGuiApplication.primaryScreen().availableGeometry()
    c = Controller(settings, InlineRunner(), db_url=str(tmp_path / "w.db"))
    s = c.open()
    s.window.show()
    qtbot.waitExposed(s.window)
    inner = s.window.geometry()
    assert inner.width() <= free.width() and inner.height() <= free.height()
    s.window.showMaximized()
    qtbot.waitUntil(s.window.isMaximized)
    s.window.show_view("board")
    c.toggle_large_print()  # a rebuild: still maximised, on the same view
    s2 = c.session
    assert s2 is not None and s2.window is not s.window
    assert s2.window.current_view() is s2.window.board
    assert s2.window.isMaximized()
    s2.window.close()
    assert settings.window_geometry  # remembered for the next start
    s2.ctx.db.close()


def test_a_practitioner_signs_in_for_the_day_and_their_name_is_recorded(qtbot, tmp_path):
    import datetime as dt

    from PySide6.QtWidgets import QDialog

    from ffmot.gui.app import Controller
    from ffmot.gui.settings import Settings
    from ffmot.gui.tasks import InlineRunner
    from tests.helpers import ready_visit

    fresh = Settings(tmp_path / "fresh" / "ffmot.ini")
    fresh.station = "Station 4"
    assert not fresh.signed_in_today
    c = Controller(fresh, InlineRunner(), db_url=str(tmp_path / "s.db"))
    s = c.open()
    s.window.show()
    assert s.ctx.actor.name == "not signed in"  # never the computer's login
    qtbot.waitUntil(lambda: getattr(s.window, "sign_in_dialog", None) is not None)
    dialog = s.window.sign_in_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.wait(50)  # painted, with the event loop running
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # cannot be dismissed unsigned
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.name, "Morag Keyworth")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert fresh.signed_in_today and "Morag Keyworth" in s.window.windowTitle()
    _e, _p, v = ready_visit(s.ctx)
    R.save_result(s.ctx.db, s.ctx.actor, v.id, "grip", [(20, "left 1")])
    r = R.get_assessment(s.ctx.db, v.id).result("grip")
    assert (r.recorded_by, r.station) == ("Morag Keyworth", "Station 4")
    # the next day, the name is asked for again
    fresh._set("station/signed_in_on", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert not fresh.signed_in_today and s.ctx.actor.name == "not signed in"
    s.window.close()
    s.ctx.db.close()


def test_an_error_with_no_window_behind_it_is_shown_and_the_same_one_is_not_piled_up(qtbot):
    import gc

    from ffmot.gui.context import show_error
    from ffmot.store.errors import StoreError

    said = "the shared database cannot be reached"

    def boxes():  # type: ignore[no-untyped-def]  # ours: other tests may have left theirs
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and said in w.text()
        ]

    for _ in range(3):  # the server went away: three saves fail the same way
        show_error(None, StoreError(said), "saving")
    gc.collect()
    qtbot.wait(50)  # the event loop runs; a freed box would be gone
    assert len(boxes()) == 1
    boxes()[0].accept()
    qtbot.waitUntil(lambda: not boxes())
    show_error(None, StoreError(said), "saving")
    assert len(boxes()) == 1  # closed, so the next one shows again
    boxes()[0].accept()


def test_f1_opens_the_guide_about_says_where_things_are_and_ctrl_comma_opens_settings(day, qtbot):
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QDialog, QTextBrowser

    from ffmot import __version__

    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_F1)
    guide = w.guide_dialog
    qtbot.waitUntil(guide.isVisible)
    qtbot.wait(50)  # painted, with the event loop running
    assert "Check-in (Ctrl+2)" in guide.findChild(QTextBrowser, "guideText").toPlainText()
    guide.reject()
    w.findChild(QAction, "action_about").trigger()
    about = w.findChild(QDialog, "aboutBox")
    qtbot.waitUntil(about.isVisible)
    said = about.text()
    assert __version__ in said and day.ctx.norms.version in said
    assert str(day.ctx.db.path) in said and "ffmot.log" in said and "Sam Tester" in said
    about.accept()
    assert QKeySequence("Ctrl+,") in w.findChild(QAction, "action_settings").shortcuts()


def test_a_database_in_a_cloud_sync_folder_is_warned_about_in_the_window(open_app, tmp_path):
    folder = tmp_path / "OneDrive - Council"
    folder.mkdir()
    s = open_app(str(folder / "day.db"))
    said = s.window.where.text()
    assert said.startswith("WARNING: the database is in a cloud-sync folder"), said
    assert "OneDrive keeps in step" in s.window.where.toolTip()
    plain = open_app(str(tmp_path / "day.db"))
    assert "cloud-sync" not in plain.window.where.text()
    assert plain.window.where.text().endswith(f"Database: {tmp_path / 'day.db'}")


def test_the_anonymised_export_from_the_window_is_k_anonymous(day, qtbot, tmp_path):
    """Too few people: refused in words, no file. Enough: written, and the box says how."""
    import datetime as dt

    from ffmot.core import screening
    from ffmot.gui import data_actions as data
    from tests.k_anonymity import assert_k_anonymous

    w, ctx = day.window, day.ctx
    _, visit = day.people["Ada"]
    R.save_result(ctx.db, ctx.actor, visit.id, "grip", [(22, "left 1")])
    out = tmp_path / "anon.csv"
    data.run_export(ctx, w, out, anonymised=True)
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "errorBox") is not None)
    assert "cannot write an anonymised export" in w.findChild(QMessageBox, "errorBox").text()
    assert not out.exists()
    w.findChild(QMessageBox, "errorBox").close()
    for i in range(5):  # five more women of Ada's age at the day
        p = R.register_participant(
            ctx.db,
            ctx.actor,
            f"Person{i}",
            "Crowdley",
            dt.date(1949, 5, 1 + i),
            "female",
            consents={"keep_results": True, "anonymous_reports": True},
        )
        v = R.check_in(ctx.db, ctx.actor, p.id, visit.event_id)
        R.record_screening(ctx.db, ctx.actor, v.id, screening.answers_with())
        R.save_result(ctx.db, ctx.actor, v.id, "grip", [(20 + i, "right 1")])
    data.run_export(ctx, w, out, anonymised=True)
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "infoBox") is not None)
    text = w.findChild(QMessageBox, "infoBox").text()
    assert "Wrote 6 rows for 6 participant(s)" in text
    assert "At least 5 people share every MOT day, date, age band and sex written" in text
    assert assert_k_anonymous(out, 5) == 6
