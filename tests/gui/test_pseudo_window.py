"""Every word on the window's screens and in its menus goes through translation: opened in the
pseudo-language, with a day and a person on it, no screen shows a word of plain English."""

from __future__ import annotations

import datetime as dt

import pytest

from ffmot.core import i18n, screening
from ffmot.gui.main_window import VIEWS
from ffmot.services import records as R
from tests.gui.pseudo_walk import menu_texts, plain_words, texts

DATA = ["Lowthwaite MOT day", "Fellside Hall", "Ada", "Sampleton", "Station 1", "Sam Tester"]


@pytest.fixture
def pseudo_window(open_app, settings, qtbot):  # type: ignore[no-untyped-def]
    settings.screen_language = i18n.PSEUDO  # (set in the settings file: never offered)
    try:
        s = open_app()
        ctx = s.ctx
        day = R.create_event(ctx.db, ctx.actor, DATA[0], dt.date.today(), DATA[1])
        ada = R.register_participant(
            ctx.db, ctx.actor, "Ada", "Sampleton", dt.date(1949, 3, 14), "female",
            consents={"keep_results": True},
        )  # fmt: skip
        visit = R.check_in(ctx.db, ctx.actor, ada.id, day.id)
        R.record_screening(ctx.db, ctx.actor, visit.id, screening.answers_with())
        ctx.set_event(R.get_event(ctx.db, day.id))
        yield s.window
    finally:
        i18n.use_default(None)


def test_no_screen_or_menu_shows_a_word_that_was_not_translated(pseudo_window, qtbot):
    w = pseudo_window
    left = {"menus": plain_words(menu_texts(w), DATA)}
    for name in VIEWS:
        w.show_view(name)
        qtbot.waitUntil(lambda name=name: w.current_view() is w.view(name))
        left[name] = plain_words(texts(w.view(name)), DATA)
    assert {k: v for k, v in left.items() if v} == {}
    assert "[&Fîĺé ~~]" in menu_texts(w)  # it really was the pseudo-language
