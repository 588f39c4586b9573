"""The safety screening: one way round, nothing assumed, exclusions that follow ability."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffmot.core import screening as S
from ffmot.core.errors import InputError, NormDataError

ALL = (
    "chair_stand",
    "arm_curl",
    "grip",
    "up_and_go",
    "single_leg_stance",
    "step_2min",
    "walk_6min",
    "sit_and_reach",
    "back_scratch",
    "bmi",
    "waist",
    "activity",
)
STANDING = {
    "chair_stand",
    "up_and_go",
    "single_leg_stance",
    "step_2min",
    "walk_6min",
    "back_scratch",
}


def test_nothing_answered_is_not_clear_and_rules_out_every_test():
    out = S.assess({}, all_tests=ALL)
    assert out.outcome == S.INCOMPLETE and set(out.excluded_tests) == set(ALL)
    assert set(out.unanswered) == set(S.QUESTION_IDS)


def test_one_question_left_unasked_is_still_not_finished():
    answers = S.answers_with()
    del answers["cannot_walk_safely"]
    out = S.assess(answers, all_tests=ALL)
    assert out.outcome == S.INCOMPLETE and out.unanswered == ("cannot_walk_safely",)


def test_every_no_is_clear():
    assert S.assess(S.answers_with(), all_tests=ALL) == S.ScreeningOutcome(S.CLEAR, (), ())


def test_every_question_is_yes_for_risk():
    for q in S.QUESTIONS:
        assert (q.stop_if, q.care_if) in ((True, None), (None, True)), q.id
        assert not q.text.startswith("Can you"), q.text


@pytest.mark.parametrize("qid", [q.id for q in S.QUESTIONS if q.stop_if])
def test_a_stop_answer_stops_testing_even_before_the_rest(qid):
    out = S.assess({qid: True}, all_tests=ALL)
    assert out.outcome == S.DO_NOT_TEST and set(out.excluded_tests) == set(ALL)
    assert out.plain and out.reasons


def test_high_blood_pressure_stops_testing_and_half_a_reading_is_refused():
    out = S.assess(S.answers_with(), 185, 95, ALL)
    assert out.outcome == S.DO_NOT_TEST and "185/95" in out.plain[0]
    assert S.assess(S.answers_with(), 160, 100, ALL).outcome == S.CLEAR  # at the limit: fine
    with pytest.raises(InputError, match="both blood pressure numbers"):
        S.assess(S.answers_with(), 150, None, ALL)


def test_cannot_stand_rules_out_every_standing_test():
    out = S.assess(S.answers_with("cannot_stand_safely"), all_tests=ALL)
    assert out.outcome == S.CARE and set(out.excluded_tests) == STANDING


def test_cannot_walk_rules_out_the_walking_and_balance_tests():
    out = S.assess(S.answers_with("cannot_walk_safely"), all_tests=ALL)
    assert set(out.excluded_tests) == {"up_and_go", "walk_6min", "step_2min", "single_leg_stance"}


def test_a_recent_fall_is_care_and_known_as_a_fall():
    out = S.assess(S.answers_with("recent_fall_or_injury"), all_tests=ALL)
    assert out.outcome == S.CARE and out.recent_fall and out.excluded_tests == ()


def test_old_answers_are_turned_round():
    old = {"can_stand_from_chair": False, "can_walk_safely": True, "chest_pain": False}
    assert S.upgrade_answers(old) == {
        "cannot_stand_safely": True,
        "cannot_walk_safely": False,
        "chest_pain": False,
    }


def test_an_unknown_question_is_refused():
    with pytest.raises(InputError, match="unknown screening question 'bored'"):
        S.assess({"bored": True})
    with pytest.raises(InputError):
        S.answers_with("bored")


def test_a_broken_rules_file_names_the_problem(tmp_path: Path):
    bad = tmp_path / "screening.toml"
    bad.write_text(
        'blood_pressure_limit = [160, 100]\nblood_pressure_plain = "x"\n'
        '[abilities]\nstanding = "standing up"\n[[questions]]\nid = "q"\n'
        'text = "Q?"\nplain = "q"\neffect = "care"\nrules_out = ["flying"]\n'
    )
    with pytest.raises(NormDataError, match="unknown ability 'flying'"):
        S.load_rules(bad)
    bad.write_text(  # the lists of tests an ability once held are now each test's `needs`
        'blood_pressure_limit = [160, 100]\nblood_pressure_plain = "x"\n'
        '[abilities]\nstanding = ["chair_stand"]\n'
    )
    with pytest.raises(NormDataError, match=r"each of \[abilities\] must be words"):
        S.load_rules(bad)
    bad.write_text("not = [toml")
    with pytest.raises(NormDataError, match="not valid TOML"):
        S.load_rules(bad)


def test_a_test_is_ruled_out_by_what_it_needs():
    """Which tests an answer rules out follows from each test's `needs` in the battery: the
    shipped tests, and a test whose needs name no known ability is refused when read."""
    from ffmot.core.norms import default_norm_set

    battery = default_norm_set().battery
    standing = S.QUESTION_BY_ID["cannot_stand_safely"]
    assert standing.rules_out == ("standing",)
    assert set(standing.excludes) == {t.id for t in battery.values() if "standing" in t.needs}
    assert "chair_stand" in standing.excludes and "grip" not in standing.excludes
    bending = S.QUESTION_BY_ID["osteoporosis_or_back_pain"]
    assert bending.excludes == ("sit_and_reach",)
    out = S.assess({q.id: q is standing for q in S.QUESTIONS})
    assert out.outcome == S.CARE and out.excluded_tests == standing.excludes
