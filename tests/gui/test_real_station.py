"""The flows a day depends on, in a real window (Xvfb and openbox) with real key presses
(xdotool): the BMI station by Enter alone, a card scanned while a search is still listed, an
entry that comes back after ffmot was killed, and one person from check-in to the print
preview at large print on a 1024x768 projector. What is checked is what was saved; the waits
are for the screen to show the change (as a practitioner waits to see the name), never fixed
sleeps."""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from ffmot.services import records as R
from ffmot.services.types import Actor, AssessmentInfo, ParticipantInfo
from ffmot.store.db import connect
from tests.gui.real_app import Day, RealApp, prepare_day
from tests.xserver import x_display

HERE = Actor("real-window test", station="Station 1")


def register(day: Day, given: str, family: str) -> ParticipantInfo:
    """Someone booked for the day who has not arrived yet."""
    db = connect(str(day.db))
    try:
        return R.register_participant(
            db, HERE, given, family, dt.date(1950, 5, 5), "female", consents={"keep_results": True}
        )
    finally:
        db.close()


def visit_of(day: Day, code: str) -> AssessmentInfo | None:
    db = connect(str(day.db))
    try:
        p = R.find_by_code(db, code)
        return R.find_visit(db, p.id, day.event_id)
    finally:
        db.close()


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[tuple[str, Day]]:
    with x_display(tmp_path / "x") as display:
        yield display, prepare_day(tmp_path / "day")


def test_the_bmi_station_by_enter_alone(screen, tmp_path: Path):
    display, day = screen
    with RealApp(tmp_path / "app", display, day) as app:
        main = app.wait_for_main_window()
        app.key("ctrl+3")
        app.key("alt+t")  # This station's test
        app.type("Body")  # Body mass index
        app.key("Tab")  # on to the card code
        app.scan(day.code, main)  # their name is on screen
        for value in ("160", "62", "84"):
            app.type(value)
            app.key("Return")

        def saved() -> AssessmentInfo | None:
            v = visit_of(day, day.code)
            return v if v is not None and v.measurements.waist_cm is not None else None

        v = app.wait_for(saved, "the measurements to be saved")
        m = v.measurements
        assert (m.height_cm, m.weight_kg, m.waist_cm) == (160, 62, 84)
        assert v.result("bmi").value == 24.2
        app.assert_alive("after the BMI station")


def test_a_card_scanned_while_a_search_is_listed_checks_in_the_scanned_person(
    screen, tmp_path: Path
):
    display, day = screen
    listed = register(day, "Adaline", "Searchley")
    scanned = register(day, "Bertha", "Scanwell")
    with RealApp(tmp_path / "app", display, day) as app:
        main = app.wait_for_main_window()
        app.key("ctrl+2")
        app.key("ctrl+f")
        before = app.settled(main)
        app.type("Adaline")
        app.settled(main, changed_from=before)  # Adaline is listed and chosen
        app.key("ctrl+f")  # the search box, its text selected: the scan replaces it
        app.type(scanned.code)
        app.key("Return")
        app.key("alt+i")  # at once, before anything else is seen
        app.wait_for(lambda: visit_of(day, scanned.code), "the scanned person checked in")
        assert visit_of(day, listed.code) is None  # never the person listed before
        app.assert_alive("after checking in by a scan")


def test_an_entry_typed_when_ffmot_was_killed_comes_back_and_saves(screen, tmp_path: Path):
    display, day = screen
    folder = tmp_path / "app"
    with RealApp(folder, display, day) as app:
        main = app.wait_for_main_window()
        app.key("ctrl+3")  # the chair stand station (the first test of the day)
        app.scan(day.code, main)
        app.type("15")  # replaces the 12 already saved: not saved yet
        drafts = folder / "config" / "ffmot" / "drafts"
        app.wait_for(  # sealed with the database's key: kept, and not readable on disk
            lambda: any("sealed" in p.read_text() for p in drafts.glob("*.json")) or None,
            "the entry to be kept on disk",
        )
        assert not any('"15"' in p.read_text() for p in drafts.glob("*.json"))
        os.kill(app.proc.pid, signal.SIGKILL)  # a crash, or the power going
        app.proc.wait(30)
    with RealApp(folder, display, day) as again:
        main = again.wait_for_main_window()
        before = again.settled(main)  # the status line says where the entry waits
        again.key("ctrl+3")  # the station, the entry restored into it
        again.settled(main, changed_from=before)
        again.key("Return")  # check it, then save
        again.wait_for(
            lambda: (visit_of(day, day.code).result("chair_stand").value == 15) or None,
            "the restored entry to be saved",
        )
        again.assert_alive("after saving the restored entry")


def test_one_person_from_check_in_to_the_print_preview_at_large_print_on_a_projector(
    tmp_path: Path,
):
    with x_display(tmp_path / "x", "1024x768") as display:
        day = prepare_day(tmp_path / "day")
        person = register(day, "Gwen", "Keyboardby")
        with RealApp(tmp_path / "app", display, day, large_print=True) as app:
            main = app.wait_for_main_window()
            app.key("ctrl+2")
            app.key("ctrl+f")
            before = app.scan(person.code, main)
            app.key("alt+i")  # check in: the focus goes to the first screening question
            app.wait_for(lambda: visit_of(day, person.code), "them to be checked in")
            app.settled(main, changed_from=before)
            for n in range(9):
                app.type("N")
                if n < 8:
                    app.key("Tab")
            app.key("alt+r")
            app.wait_for(
                lambda: visit_of(day, person.code).screening or None, "the screening saved"
            )
            app.key("ctrl+3")  # chair stand
            app.scan(person.code, main)
            app.type("13")
            app.key("Return")
            app.wait_for(
                lambda: visit_of(day, person.code).result("chair_stand") or None,
                "the chair stand saved",
            )
            assert visit_of(day, person.code).result("chair_stand").value == 13
            app.preview_of(person.code, tmp_path / "large-print-preview.png")
            app.assert_alive("after the whole person")


def test_an_unusual_value_saves_on_the_second_enter(screen, tmp_path: Path):
    """'Press Enter again to save it as it is': the second Enter saves, not a third."""
    display, day = screen
    with RealApp(tmp_path / "app", display, day) as app:
        main = app.wait_for_main_window()
        app.key("ctrl+3")  # chair stand: typical 0 to 30 stands
        before = app.scan(day.code, main)
        app.type("40")
        app.key("Return")  # asks
        app.settled(main, changed_from=before)
        assert visit_of(day, day.code).result("chair_stand").value == 12  # not yet
        app.key("Return")  # saves
        app.wait_for(
            lambda: (visit_of(day, day.code).result("chair_stand").value == 40) or None,
            "the unusual value saved on the second Enter",
        )


def test_every_dialog_opens_by_key_and_closes_on_escape(screen, tmp_path: Path):
    """Each dialog a practitioner opens by keys comes up, and Escape closes it, with ffmot
    alive throughout: the guide (F1), Settings (Ctrl+,), About, signing in as someone else,
    and at check-in correcting details and merging two records."""
    display, day = screen
    with RealApp(tmp_path / "app", display, day) as app:
        main = app.wait_for_main_window()

        def opens_and_closes(what: str, title: str, *keys: str, menu: str = "") -> None:
            """Keys open a window whose title holds `title` (from the `menu` opened first by
            its key, once it shows); Escape closes it."""
            app.xdo("windowactivate", "--sync", main)
            before = app.windows()
            if menu:
                app.key(menu)
                app.wait_for(
                    lambda: [w for w in app.windows() - before if app.is_mapped(w)] or None,
                    "the menu",
                )

            def dialog() -> str | None:
                new = (w for w in app.windows() - before if title in app.window_name(w))
                return next((w for w in new if app.is_mapped(w)), None)

            app.key(*keys)
            window = app.wait_for(dialog, f"the {what} dialog")
            app.screenshot(tmp_path / f"{what}.png")
            app.xdo("windowactivate", "--sync", window)
            app.key("Escape")
            app.wait_for(lambda: not app.is_mapped(window) or None, f"the {what} to close")
            app.assert_alive(f"after the {what} dialog")

        opens_and_closes("guide", "practitioner's guide", "F1")
        opens_and_closes("settings", "ffmot settings", "ctrl+comma")
        opens_and_closes("about", "About ffmot", "a", menu="alt+h")
        opens_and_closes("sign-in", "Sign in for today", "o", menu="alt+f")
        opens_and_closes("export", "Export results", "e", menu="alt+f")
        opens_and_closes("export-anonymised", "Export anonymised results", "a", menu="alt+f")
        opens_and_closes("import", "Import results", "i", menu="alt+f")
        opens_and_closes("save-work", "Save this station's work to", "w", menu="alt+f")
        opens_and_closes("bring-in", "Bring in station work", "b", menu="alt+f")
        opens_and_closes("bring-in-shared", "shared database's work", "h", menu="alt+f")
        opens_and_closes("settle", "Settle disagreements", "d", menu="alt+f")
        app.key("ctrl+2")
        app.key("ctrl+f")
        app.scan(day.code, main)
        opens_and_closes("correct-details", "Correct the details of", "alt+d")
        opens_and_closes("merge", "Merge two records of", "alt+m")
        app.key("ctrl+4")
        app.key("alt+c")
        app.scan(day.code, main)
        opens_and_closes("save-pdf", "Save as PDF", "alt+d")


def test_a_card_scanned_while_a_search_is_still_running_checks_in_the_scanned_person(
    screen, tmp_path: Path
):
    """No waiting at all: a name typed, then at once a card scanned over it and Alt+I, while
    the search for the name may still be on its way."""
    display, day = screen
    listed = register(day, "Adaline", "Hastley")
    scanned = register(day, "Bertha", "Quickscan")
    with RealApp(tmp_path / "app", display, day) as app:
        app.wait_for_main_window()
        app.key("ctrl+2")
        app.key("ctrl+f")
        app.type("Adaline")
        app.key("ctrl+f")
        app.type(scanned.code)
        app.key("Return")
        app.key("alt+i")

        def checked_in() -> AssessmentInfo | None:
            v = visit_of(day, scanned.code)
            if v is None:
                app.key("alt+i")  # pressed before the person was shown: press it again
            return v

        app.wait_for(checked_in, "the scanned person checked in")
        assert visit_of(day, listed.code) is None
        app.assert_alive("after a scan over a running search")


def test_the_timer_runs_by_f5_while_the_result_is_typed_on_a_projector(tmp_path: Path):
    """At the chair stand on a 1024x768 projector at large print: F5 starts the timer, the
    result is typed and saved while it runs, F5 stops it; the screen is kept to look at."""
    with x_display(tmp_path / "x", "1024x768") as display:
        day = prepare_day(tmp_path / "day")
        with RealApp(tmp_path / "app", display, day, large_print=True) as app:
            main = app.wait_for_main_window()
            app.key("ctrl+3")  # chair stand
            before = app.scan(day.code, main)
            app.key("F5")
            app.settled(main, changed_from=before)  # the digits run
            app.type("14")
            app.key("Return")
            app.wait_for(
                lambda: (visit_of(day, day.code).result("chair_stand").value == 14) or None,
                "the chair stand typed while the timer ran, saved",
            )
            app.key("F5")
            app.screenshot(tmp_path / "timer-projector.png")
            app.assert_alive("after timing a test")
