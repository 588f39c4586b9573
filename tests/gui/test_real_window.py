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

from tests.gui.real_app import RealApp, prepare_day
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
