"""The persona matrix: unusual people, each with what their sheet must and must not say.

Every persona is a real visit in a real SQLite file, built through the services the app uses
(tests/report/personas.py); every sheet is rendered and read back with pdfplumber, as a
participant's printed page. `python -m tests.report.personas OUT_DIR` writes them as PNGs."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pdfplumber
import pytest

from ffmot.report.sheet import MAX_PAGES, render_sheet
from ffmot.services.overview import Overview, load_overview
from ffmot.store.db import connect
from tests.report import personas as P
from tests.report.conftest import flat, page_texts, reading_ease, stream_text

TARGET_WORDS = ("150 minutes", "2 days a week", "next steps you could try")


@dataclass
class Sheet:
    o: Overview
    pdf: bytes
    pages: int
    text: str


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Sheet]]:
    db = connect(str(tmp_path_factory.mktemp("personas") / "personas.db"))
    visits = P.build(db)
    out = {}
    for name, vid in visits.items():
        o = load_overview(db, vid)
        r = render_sheet(o)
        out[name] = Sheet(o, r.pdf, r.pages, flat(stream_text(r.pdf)))
    yield out
    db.close()


def test_at_least_twenty_personas_and_every_one_has_a_sheet(sheets):
    assert len(sheets) >= 20
    for name, s in sheets.items():
        assert 1 <= s.pages <= MAX_PAGES, name
        assert s.o.participant.name in s.text


def test_no_character_under_12_points_and_plain_english_on_every_sheet(sheets):
    for name, s in sheets.items():
        with pdfplumber.open(io.BytesIO(s.pdf)) as doc:
            for page in doc.pages:
                upright = [c for c in page.chars if abs(c["matrix"][1]) < 1e-6]
                assert min(c["size"] for c in upright) >= 12 - 1e-6, name
        for n, page in enumerate(page_texts(s.pdf), start=1):
            assert reading_ease(page) >= 70, (name, n, reading_ease(page))


def _no_targets(s: Sheet) -> None:
    for words in TARGET_WORDS:
        assert words not in s.text, words
    assert "Local activities" not in s.text


@pytest.mark.parametrize("name", ["Blood Pressure", "Doctor Said"])
def test_screened_out_gets_one_page_the_reason_and_the_gp_and_no_targets(sheets, name):
    s = sheets[name]
    assert s.pages == 1 and s.o.says.mode == "screened_out"
    assert "we did not do the fitness tests today" in s.text
    assert "Please talk to your GP or practice nurse before you start any new" in s.text
    assert "take this sheet with you" in s.text and "not a judgement" in s.text
    _no_targets(s)
    assert "Not done" not in s.text  # no rows of tests "not offered"
    reason = "185/95" if name == "Blood Pressure" else "a doctor has told you not to exercise"
    assert reason in s.text


def test_an_unfinished_screening_gives_no_exercises(sheets):
    s = sheets["Not Finished"]
    assert s.o.assessment.screening.outcome == "incomplete"
    assert "We did not do the fitness tests today" in s.text
    assert "next steps you could try" not in s.text


def test_a_recent_fall_is_followed_up_and_balance_starts_supported(sheets):
    s = sheets["Recent Fall"]
    assert "You told us you have had a fall or an injury lately" in s.text
    assert "Please tell your GP or practice nurse" in s.text
    levels = {w.focus: w.level for w in s.o.says.work_on}
    assert levels.get("balance") in ("seated", "supported")
    assert "Stand on one leg while you wait for the kettle" not in s.text  # the standard step


def test_cannot_stand_rules_out_standing_tests_and_steps_are_seated(sheets):
    s = sheets["Cannot Stand"]
    excluded = set(s.o.assessment.screening.excluded_tests)
    assert {"chair_stand", "up_and_go", "single_leg_stance", "step_2min", "back_scratch"} <= (
        excluded
    )
    assert s.o.says.work_on and all(w.level == "seated" for w in s.o.says.work_on)
    for standing in ("Stand up from a chair", "Stand at the kitchen", "Carry your shopping"):
        assert standing not in s.text


def test_cannot_walk_rules_out_the_one_leg_stand(sheets):
    s = sheets["Cannot Walk"]
    assert "single_leg_stance" in s.o.assessment.screening.excluded_tests
    assert "up_and_go" in s.o.assessment.screening.excluded_tests


def test_arms_used_is_not_compared_and_gets_the_supported_level(sheets):
    s = sheets["Arms Used"]
    chair = s.o.says.tests["chair_stand"]
    assert chair.verdict == "not_compared" and not chair.band
    assert "You used your arms to stand up" in s.text
    assert "0 stands: below" not in s.text and "10 times, twice a day" not in s.text
    leg = next(w for w in s.o.says.work_on if w.focus == "leg_strength")
    assert leg.level == "supported" and "hands on its arms" in " ".join(leg.steps)


def test_a_walking_aid_is_not_compared(sheets):
    s = sheets["Walking Aid"]
    assert s.o.says.tests["up_and_go"].verdict == "not_compared"
    assert "You used your walking aid" in s.text
    assert "Slower than the usual range" not in s.text


def test_stopped_for_chest_pain_says_so_and_sets_no_targets(sheets):
    s = sheets["Chest Pain"]
    assert s.o.says.mode == "symptom_stop"
    assert "We stopped this test because you had chest pain" in s.text
    assert "talk to your GP or practice nurse about this" in s.text
    _no_targets(s)


def test_stopped_for_a_slip_is_not_a_health_matter(sheets):
    s = sheets["Slipped Foot"]
    assert s.o.says.mode == "full"
    assert "for a reason that was not about your health" in s.text
    assert "chest pain" not in s.text and "keep you safe" not in s.text


def test_all_above_gets_strengths_and_no_work_on(sheets):
    s = sheets["All Above"]
    assert not s.o.says.work_on
    assert "Your strengths:" in s.text and "something to work on" not in s.text
    assert "You meet the UK activity guidelines" in s.text


def test_all_below_gets_at_most_three_things_with_steps_in_priority_order(sheets):
    s = sheets["All Below"]
    work = [w.focus for w in s.o.says.work_on]
    assert work == ["balance", "leg_strength", "stamina"]
    for w in s.o.says.work_on:
        assert f"{w.title}: next steps you could try" in s.text
    assert "Flexibility: below the usual range" in s.text  # lower, but not a fourth heading
    assert s.text.count("something to work on") <= 3
    assert "at risk" not in s.text.lower() and "poor" not in s.text.lower()


def test_all_usual_is_not_called_strong(sheets):
    s = sheets["All Usual"]
    assert "Your muscles are strong for your age" not in s.text
    assert "in the usual range" in s.text
    assert not s.o.says.work_on


def test_far_below_on_stamina_and_inactive_gets_gentle_things_first(sheets):
    s = sheets["Far Below Step"]
    stamina = next(w for w in s.o.says.work_on if w.focus == "stamina")
    assert stamina.level == "supported"
    assert all(a.intensity == "gentle" for a in s.o.says.activities)
    assert "Strong and steady gym session" not in s.text


def test_inactive_is_not_told_nothing_stands_out(sheets):
    s = sheets["Inactive"]
    assert "Nothing stands out" not in s.text and "Keep doing what you do" not in s.text
    assert "Build up to 150 minutes a week" in s.text


def test_already_doing_strength_is_told_so_and_not_sent_to_a_strength_only_class(sheets):
    s = sheets["Strength Doer"]
    assert "You already do strength activities on 3 days a week" in s.text
    for a in s.o.says.activities:
        assert set(a.components) != {"strength"}


def test_strong_legs_and_low_grip_work_on_grip_not_chair_stands(sheets):
    s = sheets["Strong Legs Low Grip"]
    assert [w.focus for w in s.o.says.work_on] == ["grip"]
    assert "Stand up from a chair and sit down" not in s.text
    assert "Squeeze a soft ball" in s.text
    assert "Chair-based exercise" not in s.text  # a seated class is not for him


def test_sex_not_stated_is_compared_with_both_where_they_agree(sheets):
    s = sheets["Sex Not Stated"]
    assert s.o.says.tests["chair_stand"].verdict == "below"  # below both women's and men's
    assert s.o.says.tests["grip"].verdict == "not_compared"  # between them
    assert "You did not tell us whether to compare you with women or men" in s.text
    assert "below the usual range (for women and men)" in s.text.lower()


@pytest.mark.parametrize(("name", "words"), [("Age Fifty Five", "start at age 60")])
def test_outside_the_norms_ages_still_get_a_useful_sheet(sheets, name, words):
    s = sheets[name]
    assert words in s.text
    assert "We do not have published figures to compare with for you" in s.text
    assert "Build up to 150 minutes a week" in s.text  # the guidelines still guide
    assert "Your activity and the UK guidelines" in s.text


def test_age_97_gets_their_results_and_the_guidelines(sheets):
    s = sheets["Age Ninety Seven"]
    assert "the published figures stop at age" in s.text
    assert "6 stands" in s.text and "Your activity and the UK guidelines" in s.text


def test_big_changes_are_weighed_against_day_to_day_differences(sheets):
    s = sheets["Big Changes"]
    t = s.o.says.tests
    assert t["grip"].change_kind == "worse" and "7 kg weaker" in t["grip"].change
    assert "more than a day-to-day difference" in t["grip"].change
    assert t["chair_stand"].change_kind == "better" and "4 more stands" in t["chair_stand"].change
    assert "you reached 11 cm less far" in t["sit_and_reach"].change.lower()
    assert "1 second faster" in t["up_and_go"].change  # not "1 seconds"
    assert "Results vary" not in s.text and not re.search(r"(?<![\d.])1 seconds", s.text)


def test_small_changes_are_called_normal(sheets):
    s = sheets["Small Changes"]
    for tid in ("chair_stand", "grip"):
        assert s.o.says.tests[tid].change_kind == "small"
    assert "a normal day-to-day difference" in s.text


def test_low_grip_is_a_calm_gp_item(sheets):
    s = sheets["Low Grip"]
    assert "Worth talking about with your GP" in s.text
    assert "This is not a diagnosis" in s.text


@pytest.mark.parametrize(
    ("name", "gp"),
    [
        ("Waist High Woman", False),
        ("Waist Very High Woman", True),
        ("Waist High Man", False),
        ("Waist Very High Man", True),
    ],
)
def test_waist_gets_a_gp_item_only_at_the_very_high_level(sheets, name, gp):
    s = sheets[name]
    assert ("Your waist measurement is above" in s.text) is gp
    assert "If your family comes from a South Asian" in s.text  # the cut-offs' limits


def test_an_ordinary_one_leg_stand_is_not_something_to_work_on(sheets):
    s = sheets["One Leg Nearly Full"]
    assert s.o.says.tests["single_leg_stance"].verdict == "usual"
    assert not s.o.says.work_on


def test_a_very_short_one_leg_stand_gets_supported_balance_and_a_class(sheets):
    s = sheets["One Leg Very Short"]
    bal = next(w for w in s.o.says.work_on if w.focus == "balance")
    assert bal.level == "supported"
    assert "Steady Steps" in s.text  # the class for people who feel unsteady comes first
    assert "A balance check is worth talking about" in s.text


def test_printed_ranges_never_contradict_the_verdict(sheets):
    """Every "below" value prints below the printed lower edge, and so on."""
    number = re.compile(r"[-−]?\d+(?:\.\d+)?")
    for s in sheets.values():
        for c in s.o.components:
            for i in c.items:
                t = i.says
                if not t.band or i.test.cap is not None:
                    continue
                lo, hi = (float(x.replace("−", "-")) for x in number.findall(t.range_text)[:2])
                v = float(number.findall(i.value_text)[0].replace("−", "-"))
                good = {"below": v < lo, "usual": lo <= v <= hi, "above": v > hi}
                if i.test.direction == "lower":
                    good = {"below": v > hi, "usual": lo <= v <= hi, "above": v < lo}
                assert good[t.verdict], (i.test.id, v, t.range_text, t.verdict)


def _data_on_the_sheet(o: Overview) -> list[str]:
    """What a sheet prints as it was given, in no language: the person, the day, the local
    activities directory, the practitioner's notes, the norms' sources and version."""
    from ffmot.report.sheet import plain_source

    e, p = o.event, o.participant
    found = [p.name, p.given_name, e.name, e.venue or "", e.organisation or "", o.norm_set]
    cited = [plain_source(x) for x in o.sources]
    found += [o.notes, o.goals, *cited, *(x.split(",")[0] for x in cited), *o.sources, "ffmot"]
    for a in o.activities:
        found += [a.name, a.venue, a.town, a.day, a.time, a.suits, a.cost, a.contact]
    found += [line.strip() for text in (o.notes, o.goals) for line in text.splitlines()]
    return [x for x in found if x]


def test_every_persona_sheet_made_from_a_complete_catalogue_has_every_word_translated(
    tmp_path_factory, monkeypatch
):
    """A catalogue made from the template (resources/locale/ffmot.pot), every message given
    its pseudo-language form: a translator's complete .po file. Every persona's sheet made in
    it must have no plain word left (a message formatted before it was looked up, or missing
    from the template, would stay in English) and no message cut off (a bracket left open: a
    box too small for a language a third longer)."""
    from ffmot.core import i18n
    from tests.report.languages import complete_catalogue, outside_brackets, untranslated

    res = complete_catalogue(tmp_path_factory.mktemp("res"))
    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(res))
    i18n._load.cache_clear()
    assert i18n.available() == {"en": "English", "xx": "Pseudo"}

    db = connect(str(tmp_path_factory.mktemp("pseudo") / "personas.db"))
    try:
        for name, vid in P.build(db).items():
            o = load_overview(db, vid, language="xx")
            r = render_sheet(o)
            assert 1 <= r.pages <= MAX_PAGES, name
            text = "\n".join(page_texts(r.pdf))
            assert untranslated(text, _data_on_the_sheet(o)) == [], (name, text)
            assert outside_brackets(" ".join(text.split()))[1] == 0, (name, text)
            assert "\x00" not in text, name  # every accented letter is in the font
    finally:
        db.close()
        i18n._load.cache_clear()


def test_a_catalogue_missing_a_message_is_not_offered(tmp_path, monkeypatch):
    from ffmot.core import i18n
    from ffmot.core.paths import resources_dir

    (tmp_path / "locale").mkdir()
    pot = resources_dir() / "locale" / "ffmot.pot"
    (tmp_path / "locale" / "ffmot.pot").write_bytes(pot.read_bytes())
    (tmp_path / "locale" / "cy.po").write_text(
        'msgid ""\nmsgstr "Language-Name: Cymraeg\\n"\n\nmsgid "Your code"\nmsgstr "Eich cod"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(tmp_path))
    i18n._load.cache_clear()
    try:
        cat = i18n.catalogue("cy")
        assert cat.name == "Cymraeg" and cat.lookup("Your code") == "Eich cod"
        assert len(i18n.missing(cat)) == len(i18n.read_po(pot)) - 2  # all but header and one
        assert i18n.available() == {"en": "English"}
    finally:
        i18n._load.cache_clear()


def test_the_catalogue_template_holds_every_message_of_the_code_and_the_data():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, str(root / "tools" / "extract-messages"), "--check"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
