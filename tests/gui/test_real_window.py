"""The real ffmot program, in a real X window (Xvfb and openbox), driven by real key presses
(xdotool): what a practitioner does, and what offscreen tests cannot see.

Print preview once crashed the app (SIGSEGV) every time: the QPrinter lived in a local variable
of the function that opened the non-modal preview, and Python freed it while the dialog painted
with it. An offscreen test that accepted the dialog without running the event loop passed.
Here each dialog must come up, show the sheet, stay up with ffmot alive, and close on Escape
with ffmot still alive and able to do it again.

Every wait is on an event (a window appears, shows the page, is destroyed; the process exits),
each with a generous ceiling for a loaded two-core machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui.real_app import NotYet, RealApp, prepare_day
from tests.helpers import raw_sqlite
from tests.xserver import x_display


@pytest.fixture
def app(tmp_path: Path) -> Iterator[RealApp]:
    """ffmot on its own virtual screen, with a private home, reopening a prepared MOT day."""
    with x_display(tmp_path / "x") as display:
        day = prepare_day(tmp_path / "day")
        with RealApp(tmp_path / "app", display, day) as real:
            yield real


def preview_comes_up_and_goes(app: RealApp, main: str, keys: str, title: str, shot: Path) -> None:
    """Presses keys (which open a print preview), checks the preview shows the page with ffmot
    alive, closes it with Escape and checks ffmot lives on once Qt has deleted it."""
    app.xdo("windowactivate", "--sync", main)
    before = app.windows()
    app.press_for_new_window(before, *keys.split())

    def previews() -> list[str]:
        return sorted(w for w in app.windows() - before if title in app.window_name(w))

    dialog = app.wait_for(previews, f"a window titled '{title}'")[0]
    app.wait_for(lambda: app.is_mapped(dialog), "the preview to be mapped")
    app.wait_for(
        lambda: app.shows_a_page(dialog, shot.with_name(shot.stem + "-dialog.png")),
        "the sheet painted in the preview",
    )
    app.screenshot(shot)
    app.assert_alive("with the print preview on screen")

    # Escape closes it; Qt then deletes it (its X window is destroyed), and with it goes
    # everything it painted with. ffmot must live through both.
    for window in previews():  # two if a key press was repeated while the first was coming
        app.xdo("windowactivate", "--sync", window)
        app.key("Escape")
        app.wait_for(lambda w=window: not app.is_mapped(w), "the preview to close on Escape")
        app.wait_for(lambda w=window: not app.exists(w), "Qt to delete the closed preview")
    app.assert_alive("after the print preview was closed")


def quits_cleanly(app: RealApp, main: str) -> None:
    app.xdo("windowactivate", "--sync", main)
    app.key("ctrl+q")
    code = app.wait_for_exit()
    assert code == 0, f"ffmot did not quit cleanly: {app.why_gone()}"


def test_print_preview_of_the_sheet_from_the_results_screen(app: RealApp, tmp_path: Path):
    main = app.wait_for_main_window()
    app.xdo("mousemove", "--sync", "1365", "767")  # off the window: no tooltips to appear
    app.key("ctrl+4")  # Results
    app.key("alt+c")  # "Show &card:", the card code box
    app.type(app.day.code)
    app.key("Return")
    title = f"Print preview — ffmot-{app.day.code}"
    preview_comes_up_and_goes(app, main, "ctrl+p", title, tmp_path / "sheet-preview.png")
    # And again: the first preview's release must leave the next one working.
    preview_comes_up_and_goes(app, main, "ctrl+p", title, tmp_path / "sheet-preview-2.png")
    quits_cleanly(app, main)


def test_print_card_from_check_in(app: RealApp, tmp_path: Path):
    main = app.wait_for_main_window()
    app.xdo("mousemove", "--sync", "1365", "767")  # off the window: no tooltips to appear
    app.key("ctrl+2")  # Check-in
    app.key("ctrl+f")  # the search box, wherever the focus was
    app.type(app.day.code)  # as the card scanner types it
    app.key("Return")  # a card code opens that person
    title = f"Print preview — card-{app.day.code}"
    preview_comes_up_and_goes(app, main, "alt+c", title, tmp_path / "card-preview.png")
    quits_cleanly(app, main)


def test_training_left_on_says_so_at_start_and_a_booked_person_is_checked_in_by_keyboard(
    tmp_path: Path,
):
    """Left in training mode last time: ffmot says so at start and asks (it never carries on
    silently); kept, every window's title says TRAINING, dialogs too, and someone booked for
    the practice day but not arrived yet can be found and checked in with the keyboard."""

    with x_display(tmp_path / "x") as display:
        day = prepare_day(tmp_path / "day")
        with RealApp(tmp_path / "app", display, day, training=True) as app:
            box = app.wait_for_window(
                lambda name: name == "ffmot — TRAINING", "the 'still in training mode' question"
            )
            app.xdo("windowactivate", "--sync", box)
            app.wait_for(lambda: app.active() == box, "the question to take the focus")
            app.key("alt+k")  # Keep practising
            app.wait_for(lambda: not app.is_mapped(box), "the question to close")

            main = app.wait_for_window(
                lambda name: "MOT day" in name and name.endswith("— TRAINING"),
                "the main window, on the practice MOT day, titled TRAINING",
            )
            assert "Real window MOT day" not in app.window_name(main)  # not the real day
            app.xdo("windowactivate", "--sync", main)
            app.wait_for(lambda: app.active() == main, "main window to take the focus")
            app.xdo("mousemove", "--sync", "1365", "767")  # off the window: no tooltips
            app.screenshot(tmp_path / "training-window.png", main)

            # A dialog's title is marked too (Qt adds the display name to it).
            before = app.windows()
            app.key("alt+h")
            app.key("a")  # Help ▸ About ffmot
            about = app.wait_for_window(
                lambda name: name.startswith("About ffmot"), "the About box"
            )
            assert app.window_name(about) == "About ffmot — TRAINING"
            assert about not in before
            app.xdo("windowactivate", "--sync", about)
            app.key("Escape")
            app.wait_for(lambda: not app.is_mapped(about), "the About box to close")

            # Niamh is booked for the practice day and has not arrived: find her and check in.
            con = raw_sqlite(f"file:{app.training_db}?mode=ro", uri=True)

            def visits() -> int:
                return int(
                    con.execute(
                        "select count(*) from assessment a join participant p "
                        "on p.id = a.participant_id join event e on e.id = a.event_id "
                        "where p.family_name = 'Runthwaite' and e.date = date('now', 'localtime')"
                    ).fetchone()[0]
                )

            assert visits() == 0
            app.xdo("windowactivate", "--sync", main)
            app.key("ctrl+2")  # Check-in
            app.key("ctrl+f")
            app.type("Runthwaite")
            app.key("Return")  # the first found: her
            # Alt+I checks in once her record is on screen; pressed again if it came before.
            patience = 2.0
            while True:
                app.key("alt+i")
                try:
                    app.wait_for(visits, "Niamh's check-in in the sandbox", ceiling_s=patience)
                    break
                except NotYet:
                    if patience > 60:
                        raise
                    patience *= 2
            assert visits() == 1
            con.close()
            app.screenshot(tmp_path / "training-check-in.png", main)
            app.assert_alive("after checking in")
            quits_cleanly(app, main)

        # The real day's file was not touched by the practice.
        real = raw_sqlite(f"file:{day.db}?mode=ro", uri=True)
        try:
            names = [r[0] for r in real.execute("select family_name from participant")]
        finally:
            real.close()
        assert names == ["Sampleton"]
