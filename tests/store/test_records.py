"""Participants, consent, visits, screening and results, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.services.types import Actor, Measurements
from ffmot.store.db import connect
from ffmot.store.errors import ConflictError
from ffmot.store.models import AuditEntry

D = dt.date


def setup_visit(db, actor, **kw):
    e = R.create_event(db, actor, "Lowthwaite MOT day", D(2026, 5, 1), "Fellside Hall")
    p = R.register_participant(
        db,
        actor,
        kw.get("given", "Ada"),
        kw.get("family", "Sampleton"),
        kw.get("dob", D(1950, 3, 14)),
        kw.get("sex", "female"),
        consents={"keep_results": True},
    )
    v = R.check_in(db, actor, p.id, e.id)
    R.record_screening(db, actor, v.id, screening.answers_with())
    return e, p, v


def test_register_and_find(db, actor):
    p = R.register_participant(
        db,
        actor,
        "  Ada ",
        "Sampleton",
        D(1950, 3, 14),
        "female",
        phone="01632 960001",
        postcode_district="ca12",
        consents={"keep_results": True, "share_gp": False},
    )
    assert p.given_name == "Ada" and p.postcode_district == "CA12" and p.version == 1
    assert len(p.code) == 7 and not set(p.code) & set("01IO")
    assert p.consented("keep_results") and not p.consented("share_gp")
    assert R.find_by_code(db, p.code.lower()).id == p.id
    R.register_participant(
        db, actor, "Bert", "Demoworth", D(1944, 1, 2), "male", consents={"keep_results": True}
    )
    names = lambda q: [r.name for r in R.search_participants(db, q, today=D(2026, 5, 1))]  # noqa: E731
    assert names("sam") == ["Ada Sampleton"]
    assert names("ad sa") == ["Ada Sampleton"]
    assert names("ber demo") == ["Bert Demoworth"]
    assert names("14/03/1950") == ["Ada Sampleton"] and names("1944-01-02") == ["Bert Demoworth"]
    assert names(p.code[:4]) == ["Ada Sampleton"]
    assert names("") == ["Bert Demoworth", "Ada Sampleton"]
    assert names("qo") == []  # "o" is never in a code, so this is a name search only
    row = R.search_participants(db, "sam", today=D(2026, 5, 1))[0]
    assert row.age == 76 and row.last_assessed is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"given_name": ""}, "given name is empty"),
        ({"sex": "x"}, "sex must be"),
        ({"date_of_birth": D(2090, 1, 1)}, "in the future"),
        ({"postcode_district": "CA12 4TR"}, "first half only"),
    ],
)
def test_bad_participant_details_are_refused(db, actor, kwargs, match):
    args = {
        "given_name": "Ada",
        "family_name": "Sampleton",
        "date_of_birth": D(1950, 3, 14),
        "sex": "female",
        **kwargs,
    }
    with pytest.raises(InputError, match=match):
        R.register_participant(db, actor, **args)


def test_consent_withdrawal_is_recorded_and_acted_on(db, actor):
    p = R.register_participant(
        db,
        actor,
        "Ada",
        "Sampleton",
        D(1950, 3, 14),
        "female",
        consents={"anonymous_reports": True},
    )
    p = R.record_consent(db, actor, p.id, "anonymous_reports", False)
    assert not p.consented("anonymous_reports")
    assert p.consents["anonymous_reports"].recorded_by == "Sam Tester"
    with db.transaction() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.at))]
    assert actions == ["create", "consent", "withdraw"]
    with pytest.raises(InputError, match="unknown consent purpose"):
        R.record_consent(db, actor, p.id, "marketing", True)


def test_results_trials_and_the_value_that_counts(db, actor):
    _, _, a = setup_visit(db, actor)
    r = R.save_result(db, actor, a.id, "grip", [(20, "left 1"), (24.5, "right 1"), (22, "left 2")])
    assert r.value == 24.5 and [t.label for t in r.trials] == ["left 1", "right 1", "left 2"]
    u = R.save_result(db, actor, a.id, "up_and_go", [(6.1, "trial 1"), (5.8, "trial 2")])
    assert u.value == 5.8
    s = R.save_result(
        db, actor, a.id, "sit_and_reach", [(-2, "right leg"), (1, "right leg")], unit="cm"
    )
    assert s.value == 1 and s.unit == "cm"
    c = R.save_result(db, actor, a.id, "chair_stand", [(9, "")], modifications=["arms_used"])
    assert c.modifications == ("arms_used",)
    n = R.mark_not_done(db, actor, a.id, "step_2min", "declined")
    assert not n.done and n.reason == "declined" and n.value is None
    a = R.get_assessment(db, a.id)
    assert {r.test_id for r in a.results} == {
        "grip",
        "up_and_go",
        "sit_and_reach",
        "chair_stand",
        "step_2min",
    }
    with pytest.raises(InputError, match="plausible range"):
        R.save_result(db, actor, a.id, "arm_curl", [(99, "")])
    with pytest.raises(InputError, match="at most 2"):
        R.save_result(
            db, actor, a.id, "up_and_go", [(6, ""), (6, ""), (6, "")], expected_version=u.version
        )
    with pytest.raises(InputError, match="reason must be"):
        R.mark_not_done(db, actor, a.id, "arm_curl", "bored")


def test_measurements_become_bmi_waist_and_activity_results(db, actor):
    _, _, a = setup_visit(db, actor)
    a = R.save_measurements(
        db,
        actor,
        a.id,
        Measurements(165, 70, 85, 120, 2, 1, 6),
        a.version,
        notes="Walks the dog daily",
        goals="Join Tai Chi",
    )
    values = {r.test_id: r.value for r in a.results}
    assert values == {"bmi": 25.7, "waist": 85, "activity": 120}
    assert a.notes == "Walks the dog daily" and a.goals == "Join Tai Chi"
    with pytest.raises(InputError, match=r"height 1\.65 is outside"):
        R.save_measurements(db, actor, a.id, Measurements(height_cm=1.65), a.version)


def test_screening_blocks_excluded_tests(db, actor):
    _, _, a = setup_visit(db, actor)
    a = R.record_screening(db, actor, a.id, screening.answers_with("osteoporosis_or_back_pain"))
    assert a.screening.outcome == "care" and a.screening.excluded_tests == ("sit_and_reach",)
    with pytest.raises(InputError, match="screening rules this test out"):
        R.save_result(db, actor, a.id, "sit_and_reach", [(3, "right leg")])
    R.save_result(db, actor, a.id, "grip", [(20, "left 1")])
    a = R.record_screening(db, actor, a.id, screening.answers_with("chest_pain"), 150, 90)
    assert a.screening.outcome == "do_not_test"
    with pytest.raises(InputError, match="not to test today"):
        R.save_result(db, actor, a.id, "chair_stand", [(10, "")])
    R.mark_not_done(db, actor, a.id, "chair_stand", "not_offered")
    a = R.record_screening(db, actor, a.id, screening.answers_with(), 170, 95)
    assert a.screening.outcome == "do_not_test" and "160/100" in a.screening.reasons[0]


def test_retest_links_to_the_previous_visit(db, actor):
    _, p, a1 = setup_visit(db, actor)
    e2 = R.create_event(db, actor, "Lowthwaite retest", D(2026, 7, 24), "Fellside Hall")
    a2 = R.check_in(db, actor, p.id, e2.id)
    R.record_screening(db, actor, a2.id, screening.answers_with())
    assert a2.previous_id == a1.id and a1.previous_id is None
    assert R.check_in(db, actor, p.id, e2.id).id == a2.id  # checking in twice: one visit
    assert [(e.name, e.participants) for e in R.list_events(db)] == [
        ("Lowthwaite retest", 1),
        ("Lowthwaite MOT day", 1),
    ]


def test_two_stations_saving_the_same_result_lose_nothing(db_url, actor):
    one, two = connect(db_url), connect(db_url)
    try:
        _, _, a = setup_visit(one, actor)
        first = R.save_result(one, actor, a.id, "grip", [(20, "left 1")])
        # Both stations open the visit and see version 1.
        seen_by_two = R.get_assessment(two, a.id).result("grip").version
        R.save_result(one, actor, a.id, "grip", [(26, "right 1")], expected_version=first.version)
        with pytest.raises(ConflictError, match="reload"):
            R.save_result(
                two,
                Actor("Kim", "Station 2"),
                a.id,
                "grip",
                [(30, "left 1")],
                expected_version=seen_by_two,
            )
        final = R.get_assessment(one, a.id).result("grip")
        assert final.value == 26 and final.version == 2
        # Both new: the second station to create the same test's result is told, not ignored.
        R.save_result(one, actor, a.id, "arm_curl", [(15, "")])
        with pytest.raises(ConflictError):
            R.save_result(two, Actor("Kim", "Station 2"), a.id, "arm_curl", [(12, "")])
        assert R.get_assessment(two, a.id).result("arm_curl").value == 15
        # Measurements and notes carry their own version too.
        v = R.get_assessment(one, a.id).version
        R.save_measurements(one, actor, a.id, Measurements(waist_cm=90), v)
        with pytest.raises(ConflictError, match="changed on another station"):
            R.save_measurements(two, actor, a.id, Measurements(waist_cm=80), v)
    finally:
        one.close()
        two.close()


def test_every_change_is_audited_without_personal_data(db, actor):
    _, p, a = setup_visit(db, actor, given="Zebedee", family="Fictionby")
    R.save_result(db, actor, a.id, "grip", [(20, "left 1")])
    R.update_participant(db, actor, p.id, 1, phone="01632 960123")
    with db.transaction() as s:
        entries = list(s.scalars(select(AuditEntry)))
    assert {(e.action, e.entity) for e in entries} >= {
        ("create", "participant"),
        ("create", "event"),
        ("create", "assessment"),
        ("create", "result"),
        ("update", "participant"),
    }
    text = " ".join(f"{e.detail} {e.entity_id}" for e in entries)
    for personal in ("Zebedee", "Fictionby", "1950", "01632", p.code):
        assert personal not in text


def test_a_modification_the_test_cannot_have_is_refused(db, actor):
    _, _, a = setup_visit(db, actor)
    with pytest.raises(InputError, match="cannot be recorded as 'walking_aid'"):
        R.save_result(
            db, actor, a.id, "chair_stand", [(12, "")], "count", modifications=["walking_aid"]
        )
    assert R.get_assessment(db, a.id).result("chair_stand") is None


def test_one_mot_day_is_found_by_its_key_and_counted_alone(db, actor):
    """Finding one MOT day (for a sheet, a visit, a day's export, the summary) reads that day
    and counts that day's visits only: it used to list every day and count every visit in the
    database with a GROUP BY, a cost that grew with the database, not the day."""
    from sqlalchemy import event

    days = [R.create_event(db, actor, f"Day {n}", dt.date(2026, 5, n + 1)) for n in range(3)]
    for n in range(3):
        p = R.register_participant(db, actor, "Ada", f"Countwell{n}", dt.date(1950, 1, 1), "female")
        R.check_in(db, actor, p.id, days[0 if n < 2 else 1].id)
    said: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        said.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        first = R.get_event(db, days[0].id)
        second = R.get_event(db, days[1].id[:8].upper())  # the start, as 'ffmot events' shows
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert (first.name, first.participants) == ("Day 0", 2)
    assert (second.name, second.participants) == ("Day 1", 1)
    assert not any("GROUP BY" in s.upper() for s in said), said
    with pytest.raises(InputError, match="no MOT day has the id"):
        R.get_event(db, "%%%%")  # a wildcard is a character, not a pattern
    with pytest.raises(InputError, match="no MOT day has the id"):
        R.get_event(db, "ab")  # too short to be anyone's
