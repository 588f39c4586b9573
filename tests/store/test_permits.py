"""On a protected database the record services themselves check who asks: a name alone (an
Actor made without signing in) can change nothing, a signed-in practitioner can do what their
role allows, as the database holds it, and a disabled one nothing more. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from ffmot.core import screening
from ffmot.core.access import NotAllowed
from ffmot.services import practitioners as P
from ffmot.services import records as R
from ffmot.services.types import Actor


@pytest.fixture
def team(db):
    P.first_data_lead(db, "Dana Lead", "482913")
    dana = P.sign_in(db, "Dana Lead", "482913", "Office")
    P.add_practitioner(db, dana, "Sam Station", "station", "615820")
    P.add_practitioner(db, dana, "Colin Coord", "coordinator", "730146")
    return {
        "dana": dana,
        "sam": P.sign_in(db, "Sam Station", "615820", "Station 1"),
        "colin": P.sign_in(db, "Colin Coord", "730146", "Results table"),
    }


def test_a_name_alone_changes_nothing(db, team):
    forged = Actor("Dana Lead", "Office")  # the right name, no sign-in
    with pytest.raises(NotAllowed, match="signed in with their own name and PIN"):
        R.create_event(db, forged, "Day", dt.date.today())
    stolen_id = Actor("Mallory", "Office", practitioner_id="not-a-practitioner")
    with pytest.raises(NotAllowed):
        R.register_participant(db, stolen_id, "Ann", "Other", dt.date(1950, 1, 1), "female")
    assert R.list_events(db) == []


def test_each_role_does_what_it_may(db, team):
    with pytest.raises(NotAllowed, match="station practitioner: setting up MOT days needs"):
        R.create_event(db, team["sam"], "Day", dt.date.today())
    e = R.create_event(db, team["colin"], "Day", dt.date.today())
    p = R.register_participant(
        db,
        team["sam"],
        "Ann",
        "Keep",
        dt.date(1950, 1, 1),
        "female",
        consents={"keep_results": True},
    )
    v = R.check_in(db, team["sam"], p.id, e.id)
    R.record_screening(db, team["sam"], v.id, screening.answers_with())
    r = R.save_result(db, team["sam"], v.id, "grip", [(22.0, "kg")])
    assert r.value == 22.0
    with pytest.raises(NotAllowed, match="correcting a person's details needs a coordinator"):
        R.update_participant(db, team["sam"], p.id, p.version, family_name="Changed")


def test_a_disabled_practitioner_can_do_nothing_more(db, team):
    e = R.create_event(db, team["colin"], "Day", dt.date.today())
    P.disable(db, team["dana"], "Colin Coord")
    with pytest.raises(NotAllowed):
        R.create_event(db, team["colin"], "Another day", dt.date.today())
    assert [x.id for x in R.list_events(db)] == [e.id]


def test_a_role_taken_away_takes_effect_at_once(db, team):
    P.set_role(db, team["dana"], "Colin Coord", "station")
    with pytest.raises(NotAllowed, match="station practitioner"):
        R.create_event(db, team["colin"], "Day", dt.date.today())


def test_a_letter_to_the_gp_needs_a_coordinator(db, team):
    from ffmot.services.gp_letter import make_gp_letter

    e = R.create_event(db, team["colin"], "Day", dt.date.today())
    p = R.register_participant(
        db, team["sam"], "Ann", "Letter", dt.date(1950, 1, 1), "female",
        consents={"keep_results": True, "share_gp": True},
    )  # fmt: skip
    v = R.check_in(db, team["sam"], p.id, e.id)
    R.record_screening(db, team["sam"], v.id, screening.answers_with())
    with pytest.raises(NotAllowed, match="writing a letter to a person's GP needs a coordinator"):
        make_gp_letter(db, team["sam"], p.code)
    assert make_gp_letter(db, team["colin"], p.code).assessment_id == v.id
