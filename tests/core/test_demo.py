"""The synthetic MOT-day generator: deterministic, plausible, fictional and close to the norms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import statistics
from collections import Counter

import numpy as np
import pytest

from ffmot.core import units
from ffmot.core.ages import age_on
from ffmot.core.norms import SEX_INDEX, default_norm_set
from ffmot.core.scoring import BANDS, bmi, check_value, classify
from ffmot.core.screening import CARE, DO_NOT_TEST, QUESTION_IDS, assess
from ffmot.demo import (
    CONSENT_PURPOSES,
    FAMILY_NAMES,
    NOT_DONE_REASONS,
    RETEST_DAYS,
    DemoAssessment,
    DemoDataset,
    DemoParticipant,
    DemoResult,
    generate,
)
from ffmot.demo.generate import dob_for

TODAY = dt.date(2026, 6, 1)
NS = default_norm_set()
NORMED = (
    "chair_stand",
    "arm_curl",
    "grip",
    "up_and_go",
    "step_2min",
    "walk_6min",
    "sit_and_reach",
    "back_scratch",
)


@pytest.fixture(scope="module")
def big() -> DemoDataset:
    return generate(3000, seed=11, today=TODAY)


@pytest.fixture(scope="module")
def small() -> DemoDataset:
    return generate(40, seed=1, today=TODAY)


def done(ds: DemoDataset, test: str | None = None):
    """(assessment, result) for every done result, optionally of one test."""
    for a in ds.assessments:
        for r in a.results:
            if r.done and (test is None or r.test == test):
                yield a, r


def age_at(ds: DemoDataset, a: DemoAssessment) -> int:
    return age_on(people(ds)[a.participant_key].dob, a.assessed_on)


_PEOPLE: dict[int, tuple[DemoDataset, dict[str, DemoParticipant]]] = {}


def people(ds: DemoDataset) -> dict[str, DemoParticipant]:
    """Participants by key, built once per dataset (which is unhashable: it holds dicts)."""
    cached = _PEOPLE.get(id(ds))
    if cached is None or cached[0] is not ds:  # the dataset is kept, so its id is not reused
        cached = _PEOPLE[id(ds)] = (ds, {p.key: p for p in ds.participants})
    return cached[1]


def bands(ds: DemoDataset, test: str) -> tuple[np.ndarray, np.ndarray]:
    """Band and percentile of every done result of a test, scored with the real engine."""
    t = NS.battery[test]
    sex, age, value = [], [], []
    for a, r in done(ds, test):
        sex.append(SEX_INDEX.get(people(ds)[a.participant_key].sex, -1))
        age.append(age_at(ds, a))
        value.append(units.convert(r.value, r.unit, t.norm_unit))
    c = classify(
        NS.tables[test],
        t,
        np.array(sex, dtype=np.int64),
        np.array(age, dtype=np.int64),
        np.array(value, dtype=np.float64),
    )
    return c.band, c.percentile


# --- determinism and shape -----------------------------------------------------------------------


def test_same_seed_gives_the_same_dataset_and_another_seed_another():
    a = generate(150, seed=5, today=TODAY)
    assert a == generate(150, seed=5, today=TODAY)
    b = generate(150, seed=6, today=TODAY)
    assert [p.dob for p in a.participants] != [p.dob for p in b.participants]
    assert [a.results for a in a.assessments] != [b.results for b in b.assessments]
    assert not {p.key for p in a.participants} & {p.key for p in b.participants}


def test_records_are_frozen_and_use_tuples(small):
    a = small.assessments[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.notes = "changed"  # type: ignore[misc]
    assert isinstance(small.events, tuple) and isinstance(small.participants, tuple)
    assert isinstance(a.results, tuple) and isinstance(a.results[0].trials, tuple)
    assert all(isinstance(e.tests_offered, tuple) for e in small.events)


def test_keys_are_unique_and_references_resolve(big):
    events = {e.key: e for e in big.events}
    assert len(events) == len(big.events)
    assert len(people(big)) == len(big.participants) == 3000
    keys = [a.key for a in big.assessments]
    assert len(set(keys)) == len(keys)
    for a in big.assessments:
        assert a.participant_key in people(big)
        assert events[a.event_key].date == a.assessed_on
        assert [r.test for r in a.results] == list(events[a.event_key].tests_offered)
        assert set(a.screening.answers) == set(QUESTION_IDS)
    assert all(tuple(p.consents) == CONSENT_PURPOSES for p in big.participants)


def test_small_and_empty_datasets():
    empty = generate(0, seed=3, today=TODAY)
    assert empty.participants == () and empty.assessments == () and len(empty.events) == 1
    few = generate(5, seed=3, today=TODAY)
    assert len(few.events) == 1 and len(few.assessments) == 5
    with pytest.raises(ValueError):
        generate(-1)


# --- people --------------------------------------------------------------------------------------


def test_ages_mostly_60_to_94_with_a_few_outside(big):
    first = [age_at(big, a) for a in big.assessments if a.previous_key is None]
    assert len(first) == 3000
    assert min(first) >= 55 and max(first) <= 97
    outside = [x for x in first if not 60 <= x <= 94]
    assert 0.01 <= len(outside) / len(first) <= 0.06
    assert any(x < 60 for x in outside) and any(x > 94 for x in outside)
    assert sum(65 <= x <= 80 for x in first) / len(first) > 0.55
    assert sum(x >= 85 for x in first) > 100  # a spread, not a spike


def test_sexes_include_a_few_not_stated(big):
    sexes = Counter(p.sex for p in big.participants)
    assert set(sexes) == {"female", "male", "not_stated"}
    assert sexes["female"] > sexes["male"] > 10 * sexes["not_stated"] > 0


def test_names_and_contact_details_are_clearly_fictional(big):
    assert len(set(FAMILY_NAMES)) >= 40
    assert {p.family_name for p in big.participants} <= set(FAMILY_NAMES)
    for p in big.participants:
        assert p.phone == "" or re.fullmatch(r"01632 960\d{3}", p.phone), p.phone
        assert p.email == "" or re.fullmatch(r"[a-z.\-]+\d+@example\.org", p.email), p.email
        assert re.fullmatch(r"ZZ\d{1,2}", p.postcode_district) and p.postcode_district != "ZZ99"
    emails = [p.email for p in big.participants if p.email]
    assert len(set(emails)) == len(emails) > 1000


def test_consents_mostly_kept_fewer_for_contact_and_gp(big):
    n = len(big.participants)
    share = {k: sum(p.consents[k] for p in big.participants) / n for k in CONSENT_PURPOSES}
    assert share["keep_results"] > 0.9 and share["anonymous_reports"] > 0.8
    assert share["retest_contact"] < share["anonymous_reports"]
    assert 0.1 < share["share_gp"] < share["retest_contact"]


# --- events and stations -------------------------------------------------------------------------


def test_events_are_in_the_past_with_the_usual_tests(big):
    assert len(big.events) == 3000 // 60
    assert all(e.date < TODAY for e in big.events)
    assert [e.date for e in big.events] == sorted(e.date for e in big.events)
    walk = [e for e in big.events if "walk_6min" in e.tests_offered]
    assert len(walk) == 1 and "step_2min" not in walk[0].tests_offered
    for e in big.events:
        assert e.name.endswith(" MOT day") and ", " in e.venue and e.organisation
        assert {"chair_stand", "grip", "bmi", "waist", "activity"} <= set(e.tests_offered)
        assert set(e.tests_offered) <= set(NS.battery)


def test_stations_default_to_four_or_use_the_one_given(small):
    assert {a.station for a in small.assessments} <= {f"Station {i}" for i in range(1, 5)}
    assert all(a.practitioner.startswith("Practitioner ") for a in small.assessments)
    training = generate(30, seed=2, station="Training", today=TODAY)
    assert {a.station for a in training.assessments} == {"Training"}


# --- results -------------------------------------------------------------------------------------


def test_every_value_passes_check_value_and_lies_in_the_plausible_range(big):
    n = 0
    for _, r in done(big):
        t = NS.battery[r.test]
        assert r.unit == t.unit and r.reason is None and r.value is not None
        check_value(t, r.value, r.unit)
        assert t.plausible[0] <= r.value <= t.plausible[1], (r.test, r.value)
        for trial in r.trials:
            check_value(t, trial.value, r.unit)
        if t.whole_numbers:
            assert float(r.value).is_integer()
        n += 1
    assert n > 30_000


def test_the_value_is_the_best_trial(big):
    for _, r in done(big):
        t = NS.battery[r.test]
        if r.test == "bmi":
            assert r.trials == ()
            continue
        values = [x.value for x in r.trials]
        assert r.value == t.best_of(values), r
        labels = [x.label for x in r.trials]
        if r.test == "grip":
            allowed = {f"{h} {i}" for h in ("left", "right") for i in (1, 2, 3)}
            assert 1 <= len(labels) <= 6 and set(labels) <= allowed
            assert len(set(labels)) == len(labels)
        elif r.test == "single_leg_stance":
            assert 1 <= len(values) <= 3 and max(values) <= 30
        elif r.test == "up_and_go":
            assert len(values) == 2 and r.value == min(values)
        elif r.test == "sit_and_reach":
            assert len(values) == 2 and labels[0] == labels[1] in ("right leg", "left leg")
        elif r.test == "back_scratch":
            assert len(values) == 2
        else:
            assert len(values) == 1 and t.counts == "single"


def test_grip_and_up_and_go_trials_differ_where_they_should(big):
    grip = [r for _, r in done(big, "grip")]
    assert sum(len(r.trials) == 6 for r in grip) / len(grip) > 0.6
    assert any(len({x.value for x in r.trials}) > 2 for r in grip)
    ug = [r for _, r in done(big, "up_and_go")]
    assert sum(r.trials[0].value != r.trials[1].value for r in ug) / len(ug) > 0.5


def test_body_and_activity_results_match_the_assessment(big):
    for a in big.assessments:
        by_test = {r.test: r for r in a.results}
        b, w, act = by_test["bmi"], by_test["waist"], by_test["activity"]
        if b.done:
            assert b.value == bmi(a.height_cm, a.weight_kg)
        else:
            assert a.height_cm is None and a.weight_kg is None
        assert w.value == a.waist_cm
        assert act.value == a.moderate_minutes
        if act.done:
            assert 0 <= a.strength_days <= 7 and 0 <= a.balance_days <= 7
            assert 0 < a.sitting_hours <= 24
        else:
            assert a.strength_days is None and a.sitting_hours is None


def test_modifications_are_the_expected_ones(big):
    mods = Counter((r.test, m) for _, r in done(big) for m in r.modifications)
    assert set(mods) == {("chair_stand", "arms_used"), ("up_and_go", "walking_aid")} | (
        {("walk_6min", "walking_aid")} if ("walk_6min", "walking_aid") in mods else set()
    )
    assert mods[("chair_stand", "arms_used")] > 20 and mods[("up_and_go", "walking_aid")] > 20


# --- not done and screening ----------------------------------------------------------------------


def test_not_done_reasons_are_valid_and_about_6_percent(big):
    results = [r for a in big.assessments for r in a.results]
    missing = [r for r in results if not r.done]
    for r in missing:
        assert r.reason in NOT_DONE_REASONS and r.value is None and r.trials == ()
    assert 0.03 <= len(missing) / len(results) <= 0.12
    assert set(Counter(r.reason for r in missing)) == set(NOT_DONE_REASONS)


def test_screening_is_mostly_clear_and_its_exclusions_are_honoured(big):
    events = {e.key: e for e in big.events}
    outcomes: Counter[str] = Counter()
    checked = 0
    for a in big.assessments:
        s = a.screening
        out = assess(s.answers, s.systolic, s.diastolic, events[a.event_key].tests_offered)
        outcomes[out.outcome] += 1
        by_test = {r.test: r for r in a.results}
        if out.outcome == DO_NOT_TEST:
            assert all(not r.done and r.reason == "not_offered" for r in a.results)
            assert a.height_cm is None and a.waist_cm is None and a.moderate_minutes is None
            continue
        # assess() lists a care answer's exclusions even for tests the event does not offer.
        for t in (t for t in out.excluded_tests if t in by_test):
            assert not by_test[t].done and by_test[t].reason in ("felt_unsafe", "unable")
            checked += 1
        if s.answers["cannot_stand_safely"]:
            assert by_test["chair_stand"].reason == "unable"
        if s.answers["osteoporosis_or_back_pain"]:
            assert by_test["sit_and_reach"].reason == "felt_unsafe"
    n = len(big.assessments)
    assert outcomes["clear"] / n > 0.8
    assert 0.005 < outcomes[DO_NOT_TEST] / n < 0.03
    assert outcomes[CARE] > 0 and checked > 50


# --- retests -------------------------------------------------------------------------------------


def test_retests_are_12_weeks_after_an_earlier_assessment_of_the_same_person(big):
    by_key = {a.key: a for a in big.assessments}
    retests = [a for a in big.assessments if a.previous_key is not None]
    assert 0.1 <= len(retests) / len(big.participants) <= 0.2
    per_person = Counter(a.participant_key for a in big.assessments)
    assert max(per_person.values()) == 2
    for r in retests:
        first = by_key[r.previous_key]
        assert first.participant_key == r.participant_key and first.previous_key is None
        assert (r.assessed_on - first.assessed_on).days == RETEST_DAYS
        assert first.event_key != r.event_key
        p = people(big)[r.participant_key]
        assert p.consents["keep_results"] and p.consents["retest_contact"]


def test_retest_values_are_a_little_better_on_average(big):
    by_key = {a.key: a for a in big.assessments}

    def value(a: DemoAssessment, test: str) -> float | None:
        r: DemoResult = next(r for r in a.results if r.test == test)
        return r.value

    for test, sign in (("chair_stand", 1), ("arm_curl", 1), ("up_and_go", -1)):
        diffs = []
        for a in big.assessments:
            if a.previous_key is None:
                continue
            now, before = value(a, test), value(by_key[a.previous_key], test)
            if now is not None and before is not None:
                diffs.append(sign * (now - before))
        assert len(diffs) > 300
        assert 0 < statistics.mean(diffs) < 3, test


# --- the values sit around the norms -------------------------------------------------------------


def test_about_half_of_each_normed_result_is_in_the_normal_range(big):
    for test in NORMED:
        band, _ = bands(big, test)
        classified = band[band != BANDS.index("not_classified")]
        normal = np.mean(classified == BANDS.index("normal"))
        if test == "walk_6min":  # one event only: a small sample
            assert 0.3 <= normal <= 0.75, (test, normal)
        else:
            assert 0.4 <= normal <= 0.65, (test, normal)
            below = np.mean(classified == BANDS.index("below_average"))
            assert 0.15 <= below <= 0.35, (test, below)


def test_percentiles_centre_on_the_median(big):
    # A value in the wrong unit (inches as cm, yards as metres) or the wrong direction would
    # pull the mean percentile well away from 50.
    for test in NORMED:
        _, pct = bands(big, test)
        mean = float(np.nanmean(pct))
        assert 42 <= mean <= 60, (test, mean)


def test_walking_aid_means_a_slower_up_and_go(big):
    aided, other = [], []
    for _, r in done(big, "up_and_go"):
        (aided if "walking_aid" in r.modifications else other).append(r.value)
    assert statistics.median(aided) > statistics.median(other) + 0.5


def test_one_leg_stand_most_are_in_the_usual_range(big):
    """Values drawn around the published mean: about half reach it, and most are at or above
    the lower edge of the usual range (half the mean, or 5 s from 80)."""
    band, _ = bands(big, "single_leg_stance")
    classified = band[band != BANDS.index("not_classified")]
    assert 0.65 <= np.mean(classified == BANDS.index("normal")) <= 0.9
    capped = [r for _, r in done(big, "single_leg_stance") if r.value == 30]
    assert capped and any(len(r.trials) == 1 for r in capped)


def test_a_date_of_birth_gives_exactly_the_intended_age():
    rng = random.Random(4)
    for on in (dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2025, 3, 1), TODAY):
        for age in (55, 60, 80, 97):
            dobs = [dob_for(rng, on, age) for _ in range(400)]
            assert {age_on(d, on) for d in dobs} == {age}, (on, age)
            assert (max(dobs) - min(dobs)).days > 330  # any day of the year
