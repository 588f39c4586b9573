"""Help in a real window, with real key presses: F1 brings the guide up beside the work, a word
typed and Enter find it, Esc puts the guide away, Ctrl+/ shows the keys; ffmot lives on."""

from __future__ import annotations

from pathlib import Path

from tests.gui.real_app import RealApp, prepare_day
from tests.xserver import x_display


def test_f1_then_find_then_esc_and_ctrl_slash_in_a_real_window(tmp_path: Path):
    with x_display(tmp_path / "x", size="1024x768") as display:
        day = prepare_day(tmp_path / "day")
        with RealApp(tmp_path / "app", display, day, large_print=True) as app:
            main = app.wait_for_main_window()
            for keys, title in (("F1", "practitioner's guide"), ("ctrl+slash", "shortcuts")):
                app.xdo("windowactivate", "--sync", main)
                new = app.press_for_new_window(app.windows(), keys)
                dialog = app.wait_for_window(lambda name, t=title: t in name, title)
                assert dialog in new
                app.wait_for(lambda d=dialog: app.active() == d, f"the {title} to take the keys")
                if keys == "F1":  # the find box has the focus: type, Enter finds
                    before = app.settled(dialog)
                    app.type("stick")
                    app.key("Return")
                    app.settled(dialog, changed_from=before)
                app.assert_alive(f"with the {title} open")
                app.key("Escape")
                app.wait_for(lambda d=dialog: not app.is_mapped(d), f"Esc to close the {title}")
                app.assert_alive(f"after closing the {title}")
