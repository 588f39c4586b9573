"""The screening and stop reasons as the store keeps them: nothing entered without a finished
screening, a stopped test says why, and old answers are turned round on upgrade."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from ffmot.core import screening
from ffmot.core.errors import InputError
from ffmot.services import records as R
from ffmot.store.db import connect, current_revision, known_revisions, upgrade_to


def _visit(db, actor):  # type: ignore[no-untyped-def]
    e = R.create_event(db, actor, "MOT day", dt.date(2026, 6, 1))
    p = R.register_participant(
        db,
        actor,
        "Ada",
        "Sampleton",
        dt.date(1950, 3, 14),
        "female",
        consents={"keep_results": True},
    )
    return R.check_in(db, actor, p.id, e.id)


def test_no_result_without_a_finished_screening(db, actor):
    v = _visit(db, actor)
    with pytest.raises(InputError, match="not been screened yet"):
        R.save_result(db, actor, v.id, "grip", [(20, "left 1")])
    a = R.record_screening(db, actor, v.id, {"chest_pain": False})
    assert a.screening.outcome == "incomplete" and len(a.screening.unanswered) == 8
    with pytest.raises(InputError, match="not finished"):
        R.save_result(db, actor, v.id, "grip", [(20, "left 1")])
    R.record_screening(db, actor, v.id, screening.answers_with())
    assert R.save_result(db, actor, v.id, "grip", [(20, "left 1")]).value == 20


def test_a_stopped_test_records_why(db, actor):
    v = _visit(db, actor)
    R.record_screening(db, actor, v.id, screening.answers_with())
    with pytest.raises(InputError, match="say why the test was stopped"):
        R.mark_not_done(db, actor, v.id, "step_2min", "stopped_by_tester")
    with pytest.raises(InputError, match="only with a test stopped by the tester"):
        R.mark_not_done(db, actor, v.id, "step_2min", "declined", stop_reason="pain")
    r = R.mark_not_done(db, actor, v.id, "step_2min", "stopped_by_tester", stop_reason="chest_pain")
    assert (r.reason, r.stop_reason) == ("stopped_by_tester", "chest_pain")
    assert R.get_assessment(db, v.id).result("step_2min").stop_reason == "chest_pain"


def test_upgrade_turns_old_answers_round_and_works_out_outcomes_again(db_url):
    db = connect(db_url, upgrade=False)
    upgrade_to(db, "0002")
    t = "2026-05-01 10:00:00+00:00"
    old_clear_but_unfinished = {"chest_pain": False}
    old_cannot_walk = {q: False for q in screening.QUESTION_IDS if not q.startswith("cannot")}
    old_cannot_walk |= {"can_stand_from_chair": True, "can_walk_safely": False}
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO participant (id, code, given_name, family_name, search_given, "
                "search_family, date_of_birth, sex, notes, created_at, updated_at, version) VALUES "
                "('p1', 'K7PM4QX', 'Ada', 'Sampleton', 'ada', 'sampleton', '1950-03-14', 'female', "
                "'', :t, :t, 1), ('p2', 'M3RQ7TZ', 'Bert', 'Demoworth', 'bert', 'demoworth', "
                "'1944-01-02', 'male', '', :t, :t, 1)"
            ),
            {"t": t},
        )
        c.execute(
            text(
                "INSERT INTO event (id, name, date, venue, organisation, tests_offered, "
                "norm_set_version, activities_directory, training, created_at, updated_at, "
                "version) VALUES ('e1', 'Old day', '2026-05-01', '', '', :tests, '2026.11-1', "
                "'', false, :t, :t, 1)"
            ),
            {"t": t, "tests": json.dumps(["grip", "up_and_go", "single_leg_stance"])},
        )
        for n, (pid, answers) in enumerate(
            (("p1", old_clear_but_unfinished), ("p2", old_cannot_walk)), start=1
        ):
            c.execute(
                text(
                    "INSERT INTO assessment (id, participant_id, event_id, practitioner, station, "
                    "assessed_on, notes, goals, created_at, updated_at, version) VALUES "
                    f"('a{n}', :p, 'e1', '', '', '2026-05-01', '', '', :t, :t, 1)"
                ),
                {"p": pid, "t": t},
            )
            c.execute(
                text(
                    "INSERT INTO screening (id, assessment_id, answers, outcome, excluded_tests, "
                    f"recorded_at, recorded_by) VALUES ('s{n}', 'a{n}', :a, 'clear', '[]', :t, 'x')"
                ),
                {"a": json.dumps(answers), "t": t},
            )
    db.close()
    db = connect(db_url)  # upgrades on first use
    assert current_revision(db) == known_revisions()[1]
    ada, bert = R.get_assessment(db, "a1"), R.get_assessment(db, "a2")
    assert ada.screening.outcome == "incomplete"  # was "clear to test" with 8 questions unasked
    assert bert.screening.outcome == "care"
    assert bert.screening.answers["cannot_walk_safely"] is True
    assert bert.screening.answers["cannot_stand_safely"] is False
    assert set(bert.screening.excluded_tests) == {"up_and_go", "single_leg_stance"}
    db.close()


def test_nothing_more_is_recorded_after_consent_to_keep_results_is_withdrawn(db, actor):
    v = _visit(db, actor)
    R.record_screening(db, actor, v.id, screening.answers_with())
    R.save_result(db, actor, v.id, "grip", [(20, "left 1")])
    R.record_consent(db, actor, v.participant_id, "keep_results", False)
    for attempt in (
        lambda: R.save_result(db, actor, v.id, "arm_curl", [(14, "")]),
        lambda: R.mark_not_done(db, actor, v.id, "arm_curl", "declined"),
        lambda: R.save_measurements(
            db,
            actor,
            v.id,
            R.get_assessment(db, v.id).measurements,
            R.get_assessment(db, v.id).version,
        ),
    ):
        with pytest.raises(InputError, match="not agreed to keep their results"):
            attempt()
    assert R.get_assessment(db, v.id).result("arm_curl") is None
