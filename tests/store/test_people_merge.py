"""One person registered twice, made one: on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ffmot.core import codes, screening
from ffmot.core.errors import InputError
from ffmot.services import people as P
from ffmot.services import records as R
from ffmot.services.types import Measurements
from ffmot.store.errors import StoreError
from ffmot.store.models import AuditEntry, Consent, NameWord, Participant, Result

D = dt.date
DOB = D(1950, 2, 3)


def person(db, actor, given, family, dob=DOB, sex="female", **consents):
    return R.register_participant(
        db, actor, given, family, dob, sex, consents={"keep_results": True, **consents}
    )


def visit(db, actor, p, event, answers=None):
    v = R.check_in(db, actor, p.id, event.id)
    R.record_screening(db, actor, v.id, answers or screening.answers_with())
    return v


def count(db, table) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(table))


def snapshot(db):
    """Everything that a refused merge must leave as it was."""
    with db.transaction() as s:
        return (
            sorted(s.execute(select(Participant.id, Participant.version)).all()),
            sorted(s.execute(select(Result.id, Result.assessment_id, Result.version)).all()),
            sorted(s.execute(select(Consent.id, Consent.participant_id)).all()),
            s.scalar(select(func.count()).select_from(AuditEntry)),
        )


@pytest.fixture
def days(db, actor):
    march = R.create_event(db, actor, "Spring MOT day", D(2026, 3, 2), "Fellside Hall")
    june = R.create_event(db, actor, "Summer MOT day", D(2026, 6, 1), "Fellside Hall")
    return march, june


def test_every_visit_result_and_consent_moves_and_the_other_record_goes(db, actor, days):
    march, june = days
    keep = person(db, actor, "Sian", "Obrien")
    other = R.register_participant(
        db,
        actor,
        "Siân",
        "Ó Briain",
        DOB,
        "female",
        phone="01632 960123",
        consents={"keep_results": True, "share_gp": False, "retest_contact": True},
    )
    R.record_consent(db, actor, keep.id, "share_gp", True)  # later than the other's "no"
    kv = visit(db, actor, keep, march)
    R.save_result(db, actor, kv.id, "chair_stand", [(12, "")])
    ov_march = visit(db, actor, other, march)  # the same day, at another station
    R.save_result(db, actor, ov_march.id, "arm_curl", [(15, "")])
    R.save_result(db, actor, ov_march.id, "grip", [(22, ""), (24, "")])
    R.save_measurements(db, actor, ov_march.id, Measurements(height_cm=160), ov_march.version)
    ov_june = visit(db, actor, other, june)
    R.save_result(db, actor, ov_june.id, "chair_stand", [(14, "")])
    results_before = count(db, Result)

    plan = P.plan_merge(db, keep.id, other.id)
    assert (plan.visits_moved, plan.visits_combined) == (1, 1)
    assert plan.results_moved == 3 and not plan.clashes and not plan.differences
    assert "share_gp" in plan.withdrawn

    merged = P.merge_participants(db, actor, keep.id, other.id)
    assert merged.id == keep.id and merged.code == keep.code
    assert merged.phone == "01632 960123"  # what the kept record lacked
    # a "no" on either record stays a "no"; a yes given on one is kept
    assert not merged.consented("share_gp")
    assert merged.consented("retest_contact") and merged.consented("keep_results")
    assert count(db, Result) == results_before  # every result kept

    # the other record is gone and cannot be found
    with pytest.raises(StoreError):
        R.get_participant(db, other.id)
    with pytest.raises(InputError):
        R.find_by_code(db, other.code)
    assert R.search_participants(db, "briain") == []
    assert [r.id for r in R.search_participants(db, "sian")] == [keep.id]
    with db.transaction() as s:
        assert s.scalar(select(NameWord).where(NameWord.participant_id == other.id)) is None

    spring = R.find_visit(db, keep.id, march.id)
    summer = R.find_visit(db, keep.id, june.id)
    assert spring is not None and summer is not None
    assert {r.test_id: r.value for r in spring.results} == {
        "chair_stand": 12,
        "arm_curl": 15,
        "grip": 24,
    }
    assert spring.result("grip").trials[0].value == 22  # the trials travel too
    assert spring.measurements.height_cm == 160
    assert summer.result("chair_stand").value == 14
    assert summer.previous_id == spring.id  # the retest compares with the spring visit

    with db.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).all()
    text = " ".join(e.detail for e in entries)
    assert codes.display(keep.code) in text and codes.display(other.code) in text
    assert "Siân" not in text and "Briain" not in text  # no personal data in the audit


@pytest.mark.parametrize("direction", ["keep the first", "keep the second"])
def test_two_different_results_for_one_test_are_refused_and_nothing_changes(
    db, actor, days, direction
):
    march, _ = days
    a = person(db, actor, "Sian", "Obrien")
    b = person(db, actor, "Siân", "Ó Briain")
    va, vb = visit(db, actor, a, march), visit(db, actor, b, march)
    R.save_result(db, actor, va.id, "chair_stand", [(12, "")])
    R.save_result(db, actor, vb.id, "chair_stand", [(14, "")])
    R.save_result(db, actor, vb.id, "grip", [(20, "")])
    keep, other = (a, b) if direction == "keep the first" else (b, a)
    before = snapshot(db)
    with pytest.raises(InputError) as e:
        P.merge_participants(db, actor, keep.id, other.id)
    msg = str(e.value)
    assert "Chair stand" in msg and "nothing was changed" in msg
    assert codes.display(keep.code) in msg and codes.display(other.code) in msg
    assert "12 count" in msg and "14 count" in msg and "Correct one" in msg
    assert snapshot(db) == before
    assert P.plan_merge(db, keep.id, other.id).clashes  # shown before anything is done
    # made the same at the station: then they merge, keeping both tests
    R.save_result(
        db,
        actor,
        vb.id,
        "chair_stand",
        [(12, "")],
        expected_version=R.get_assessment(db, vb.id).result("chair_stand").version,
    )
    merged = P.merge_participants(db, actor, keep.id, other.id)
    v = R.find_visit(db, merged.id, march.id)
    assert v is not None
    assert v.result("chair_stand").value == 12 and v.result("grip").value == 20


@pytest.mark.parametrize("direction", ["keep the first", "keep the second"])
def test_different_measurements_or_screening_at_one_day_are_refused(db, actor, days, direction):
    march, _ = days
    a = person(db, actor, "Sian", "Obrien")
    b = person(db, actor, "Siân", "Ó Briain")
    va = visit(db, actor, a, march)
    vb = visit(db, actor, b, march, screening.answers_with("cannot_walk_safely"))
    R.save_measurements(db, actor, va.id, Measurements(height_cm=160), va.version)
    R.save_measurements(db, actor, vb.id, Measurements(height_cm=166), vb.version)
    keep, other = (a, b) if direction == "keep the first" else (b, a)
    before = snapshot(db)
    with pytest.raises(InputError) as e:
        P.merge_participants(db, actor, keep.id, other.id)
    msg = str(e.value)
    assert "height" in msg and "160 cm" in msg and "166 cm" in msg
    assert "screened" in msg and "Record the screening again" in msg
    assert snapshot(db) == before


def test_the_same_record_twice_is_refused(db, actor):
    a = person(db, actor, "Sian", "Obrien")
    with pytest.raises(InputError, match="same record twice"):
        P.merge_participants(db, actor, a.id, a.id)


def test_a_different_sex_or_date_of_birth_needs_the_callers_word(db, actor, days):
    march, _ = days
    a = person(db, actor, "Sian", "Obrien")
    b = person(db, actor, "Siân", "Ó Briain", dob=D(1950, 3, 2), sex="not_stated")
    R.save_result(db, actor, visit(db, actor, b, march).id, "grip", [(20, "")])
    before = snapshot(db)
    with pytest.raises(InputError) as e:
        P.merge_participants(db, actor, a.id, b.id)
    msg = str(e.value)
    assert "03/02/1950" in msg and "02/03/1950" in msg
    assert "female" in msg and "sex not stated" in msg and "decide the norms" in msg
    assert snapshot(db) == before
    merged = P.merge_participants(db, actor, a.id, b.id, accept_different_details=True)
    assert (merged.date_of_birth, merged.sex) == (DOB, "female")  # the kept record's
    v = R.find_visit(db, a.id, march.id)
    assert v is not None and v.result("grip").value == 20


def test_a_withdrawal_on_either_record_survives_whatever_its_date(db, actor, days):
    march, _ = days
    a = person(db, actor, "Sian", "Obrien", anonymous_reports=True)
    b = person(db, actor, "Siân", "Ó Briain")
    R.save_result(db, actor, visit(db, actor, b, march).id, "grip", [(20, "")])
    R.record_consent(db, actor, a.id, "keep_results", False)  # withdrawn on the kept record
    R.record_consent(db, actor, b.id, "anonymous_reports", False)
    R.record_consent(db, actor, b.id, "keep_results", True)  # a later yes on the other one
    merged = P.merge_participants(db, actor, a.id, b.id)
    assert not merged.consented("keep_results") and not merged.consented("anonymous_reports")
    with db.transaction() as s:
        assert not R.keeps_results(s, a.id)
        history = s.scalar(
            select(func.count()).select_from(Consent).where(Consent.participant_id == a.id)
        )
    assert history == 7  # every decision kept, and the withdrawal restated last
    v = R.find_visit(db, a.id, march.id)
    assert v is not None and v.result("grip").value == 20  # their results are still theirs


def test_a_record_merged_away_cannot_be_merged_again(db, actor):
    a = person(db, actor, "Sian", "Obrien")
    b = person(db, actor, "Siân", "Ó Briain")
    P.merge_participants(db, actor, a.id, b.id)
    with pytest.raises(StoreError, match="no longer in the database"):
        P.merge_participants(db, actor, a.id, b.id)
