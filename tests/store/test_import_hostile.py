"""Import of files made or changed by hand: nothing wrong gets in, every bad row is named by its
line with how to put it right, and nothing is half-imported. Real SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from ffmot.core import codes, screening
from ffmot.services import records as R
from ffmot.services.export import export_file
from ffmot.services.file_format import COLUMNS
from ffmot.services.transfer import ImportRefused, import_file
from ffmot.store.db import Database

D = dt.date

pytestmark = pytest.mark.hostile("import files")


def two_people(db: Database, actor) -> dict[str, str]:
    """Maureen and Dennis, each at a spring and an autumn MOT day, grip recorded."""
    spring = R.create_event(db, actor, "Spring MOT", D(2026, 3, 10), "Fellside Hall")
    autumn = R.create_event(db, actor, "Autumn MOT", D(2026, 9, 15), "Fellside Hall")
    ids: dict[str, str] = {"spring": spring.id, "autumn": autumn.id}
    for name, family, dob, sex, grip in (
        ("Maureen", "Sampleton", D(1950, 3, 14), "female", 20.0),
        ("Dennis", "Demoworth", D(1944, 1, 2), "male", 34.0),
    ):
        p = R.register_participant(
            db, actor, name, family, dob, sex, consents={"keep_results": True}
        )
        ids[name] = p.id
        ids[name + "_code"] = p.code
        for day, event in (("spring", spring), ("autumn", autumn)):
            v = R.check_in(db, actor, p.id, event.id)
            ids[f"{name}_{day}"] = v.id
            R.record_screening(db, actor, v.id, screening.answers_with())
            r = R.save_result(db, actor, v.id, "grip", [(grip, "right 1")])
            ids[f"{name}_{day}_grip"] = r.id
    return ids


def exported(db: Database, actor, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "export.csv"
    export_file(db, actor, out, "csv")
    with out.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path: Path, rows: list[dict[str, str]], columns=COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


def row_of(rows, assessment_id, test="grip"):
    return next(r for r in rows if r["assessment_id"] == assessment_id and r["test"] == test)


def refused(db, actor, path, **kw) -> list[str]:
    with pytest.raises(ImportRefused) as err:
        import_file(db, actor, path, **kw)
    return err.value.problems


def grips(db, visit_id) -> list[float | None]:
    return [r.value for r in R.get_assessment(db, visit_id).results if r.test_id == "grip"]


# --- 1. ownership and history ---------------------------------------------------------------


def test_a_row_cannot_put_a_result_under_another_persons_visit(db, actor, tmp_path):
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)
    maureen = dict(row_of(rows, ids["Maureen_spring"]))
    maureen["test"], maureen["value"], maureen["trials"] = "chair_stand", "11", "11"
    maureen["unit"], maureen["result_id"] = "reps", str(uuid.uuid4())
    maureen["assessment_id"] = ids["Dennis_spring"]  # Dennis's visit, Maureen's row
    problems = refused(db, actor, write(tmp_path / "x.csv", [maureen]))
    assert len(problems) == 1 and problems[0].startswith("line 2: the visit ")
    assert f"{ids['Dennis_code'][:3]}" in problems[0] and "not " in problems[0]
    assert [r.test_id for r in R.get_assessment(db, ids["Dennis_spring"]).results] == ["grip"]


def test_two_peoples_rows_cannot_share_a_visit_in_one_file(db, actor, tmp_path):
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)
    new_visit = str(uuid.uuid4())
    a, b = dict(row_of(rows, ids["Maureen_spring"])), dict(row_of(rows, ids["Dennis_spring"]))
    for r in (a, b):
        r["assessment_id"], r["result_id"] = new_visit, str(uuid.uuid4())
    problems = refused(db, actor, write(tmp_path / "x.csv", [a, b]))
    assert problems == [
        f"line 3: the visit {new_visit[:8]} (assessment_id) is another person's visit "
        "(line 2): give this person's own visit"
    ]


def test_the_previous_visit_must_be_the_same_persons_and_earlier(db, actor, tmp_path):
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)
    autumn = row_of(rows, ids["Maureen_autumn"])
    assert autumn["previous_assessment_id"] == ids["Maureen_spring"]

    def as_new_visit(previous: str) -> dict[str, str]:
        r = dict(autumn)
        r["assessment_id"], r["result_id"] = str(uuid.uuid4()), str(uuid.uuid4())
        r["event_id"] = str(uuid.uuid4())
        r["event"] = "Winter MOT"
        r["event_date"] = r["assessment_date"] = "2026-12-01"
        r["previous_assessment_id"] = previous
        r["screening_id"] = str(uuid.uuid4())  # screened at this visit too
        return r

    someone_else = as_new_visit(ids["Dennis_autumn"])
    problems = refused(db, actor, write(tmp_path / "a.csv", [someone_else]))
    assert len(problems) == 1 and "previous_assessment_id" in problems[0]
    assert problems[0].startswith("line 2:") and "own earlier visit" in problems[0]

    itself = as_new_visit("")
    itself["previous_assessment_id"] = itself["assessment_id"]
    problems = refused(db, actor, write(tmp_path / "b.csv", [itself]))
    assert len(problems) == 1 and "names itself as its previous visit" in problems[0]

    later = as_new_visit("")
    later["event_date"] = later["assessment_date"] = "2026-01-05"
    later["previous_assessment_id"] = ids["Maureen_autumn"]
    problems = refused(db, actor, write(tmp_path / "c.csv", [later]))
    assert len(problems) == 1 and "not before this visit on 2026-01-05" in problems[0]

    # A cycle in the file itself: each visit names the other as its previous one.
    x, y = as_new_visit(""), as_new_visit("")
    y["event_id"], y["event"] = x["event_id"], x["event"]
    x["previous_assessment_id"] = y["assessment_id"]
    y["previous_assessment_id"] = x["assessment_id"]
    y["participant_id"] = x["participant_id"]
    problems = refused(db, actor, write(tmp_path / "d.csv", [x, y]))
    assert problems and all("previous_assessment_id" in p for p in problems)
    assert R.get_participant(db, ids["Maureen"]) is not None
    assert len(R.list_events(db)) == 2  # nothing came in

    fine = as_new_visit(ids["Maureen_autumn"])
    s = import_file(db, actor, write(tmp_path / "e.csv", [fine]))
    assert (
        s.visits == 1
        and R.get_assessment(db, fine["assessment_id"]).previous_id == (ids["Maureen_autumn"])
    )


# --- 2. a changed value under a result already here ------------------------------------------


def test_a_changed_value_is_refused_by_line_unless_asked_to_update(db, actor, tmp_path):
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)
    grip = row_of(rows, ids["Maureen_spring"])
    grip["value"], grip["trials"] = "25", "25 (right 1)"
    f = write(tmp_path / "x.csv", rows)
    line = 2 + rows.index(grip)
    problems = refused(db, actor, f)
    assert problems == [
        f"line {line}: the grip result {ids['Maureen_spring_grip'][:8]} is already here as "
        "20 kg [trials 20 (right 1)]; the file says 25 kg [trials 25 (right 1)]. To replace the "
        "stored result with the file's, import it with 'ffmot import --update'; to keep it, "
        "put the stored value back in the file"
    ]
    assert grips(db, ids["Maureen_spring"]) == [20]

    s = import_file(db, actor, f, update=True)
    assert (s.updated, s.results, s.already_there) == (1, 0, len(rows) - 1)
    r = R.get_assessment(db, ids["Maureen_spring"]).result("grip")
    assert r.value == 25 and [t.value for t in r.trials] == [25] and r.recorded_by == actor.name
    with db.transaction() as session:
        from sqlalchemy import select

        from ffmot.store.models import AuditEntry

        trail = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == ids["Maureen_spring_grip"])
        ).all()
        assert [(e.action, e.actor) for e in trail][-1] == ("update", actor.name)
        assert "x.csv" in trail[-1].detail
    again = import_file(db, actor, f)  # the same file again: nothing changes now
    assert again.updated == 0 and again.already_there == len(rows)


def test_a_second_result_for_a_test_a_visit_holds_is_refused(db, actor, tmp_path):
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)
    grip = dict(row_of(rows, ids["Maureen_spring"]))
    grip["result_id"] = str(uuid.uuid4())
    problems = refused(db, actor, write(tmp_path / "x.csv", [grip]))
    assert len(problems) == 1 and problems[0].startswith("line 2: the visit ")
    assert "already has a grip result here" in problems[0]
    twice = dict(grip, result_id=str(uuid.uuid4()))
    problems = refused(db, actor, write(tmp_path / "y.csv", [grip, twice]))
    assert any(p.startswith("line 3:") and "second grip result" in p for p in problems)


# --- 3. an apostrophe of the person's own ------------------------------------------------------


def test_a_hand_made_files_own_apostrophe_stays(db, actor, tmp_path):
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)
    row = dict(row_of(rows, ids["Maureen_spring"]))
    new_person = str(uuid.uuid4())
    row |= {
        "participant_id": new_person,
        "participant_code": "",
        "given_name": "Kees",
        "family_name": "'t Hooft",
        "visit_notes": "'Fine' she said",
        "assessment_id": str(uuid.uuid4()),
        "result_id": str(uuid.uuid4()),
        "previous_assessment_id": "",
        "screening_id": str(uuid.uuid4()),
    }
    for c in COLUMNS:
        if c.startswith("consent_") and not c.startswith("consent_keep_results"):
            row[c] = ""
    row["participant_code"] = codes.new_code()
    import_file(db, actor, write(tmp_path / "x.csv", [row]), take_consents=True)
    p = R.get_participant(db, new_person)
    assert (p.given_name, p.family_name) == ("Kees", "'t Hooft")
    assert R.get_assessment(db, row["assessment_id"]).notes == "'Fine' she said"
    # and it goes out and comes back the same
    again = exported(db, actor, tmp_path)
    back = next(r for r in again if r["participant_id"] == new_person)
    assert back["family_name"] == "''t Hooft"  # export's own apostrophe: taken off on import
    import_file(db, actor, tmp_path / "export.csv")
    assert R.get_participant(db, new_person).family_name == "'t Hooft"


# --- 4. consent decisions come in only when asked ----------------------------------------------


def test_consents_in_a_file_are_taken_only_when_asked(db, actor, tmp_path):
    from ffmot.services.transfer import ConsentsInFile
    from ffmot.store.db import connect

    ids = two_people(db, actor)
    R.record_consent(db, actor, ids["Maureen"], "share_gp", False)
    rows = exported(db, actor, tmp_path)
    f = write(tmp_path / "x.csv", rows)
    target = connect(str(tmp_path / "target.db"))
    with pytest.raises(ConsentsInFile) as err:
        import_file(target, actor, f)
    assert err.value.people == 2
    assert err.value.problems == [
        "line 2: the file holds consent decisions (the consent_ columns) for 2 participant(s) "
        "new here. Consent is each person's own decision: to take these as the file records "
        "them, import again with --take-consents (File > Import asks); otherwise empty the "
        "consent columns and ask each person at check-in"
    ]
    assert R.search_participants(target, "") == []  # nothing came in
    s = import_file(target, actor, f, take_consents=True)
    assert (s.participants, s.consents, s.consent_people) == (2, 3, 2)
    m = R.get_participant(target, ids["Maureen"])
    assert m.consents["share_gp"].granted is False
    assert m.consents["keep_results"].recorded_by == actor.name  # as the file records it
    # A file of visits without consent decisions needs no asking.
    visits = [dict(r) for r in rows]
    for r in visits:
        for c in COLUMNS:
            if c.startswith("consent_") or c in RESULT_COLUMNS:
                r[c] = ""
    plain = connect(str(tmp_path / "plain.db"))
    s = import_file(plain, actor, write(tmp_path / "y.csv", visits))
    assert s.participants == 2 and s.visits == 4 and s.consents == 0
    assert R.get_participant(plain, ids["Maureen"]).consents == {}
    target.close()
    plain.close()


RESULT_COLUMNS = (
    "test",
    "value",
    "unit",
    "band",
    "percentile",
    "done",
    "reason",
    "trials",
    "modifications",
    "result_id",
    "stop_reason",
    "result_recorded_by",
    "result_station",
    "result_recorded_at",
    "result_updated_at",
)


def test_consents_in_a_file_for_someone_already_here_are_not_taken_and_said(db, actor, tmp_path):
    """Consent is recorded with the person at check-in: a file cannot undo a withdrawal (or
    change any decision) for someone already here, even with take_consents, and the import
    says how many decisions it did not take and why."""
    ids = two_people(db, actor)
    rows = exported(db, actor, tmp_path)  # both agreed to keep their results
    R.record_consent(db, actor, ids["Maureen"], "keep_results", False)  # withdrawn since
    for r in rows:
        if r["participant_id"] == ids["Maureen"]:
            r["consent_share_gp"] = "yes"  # a decision she never made here
    f = write(tmp_path / "x.csv", rows)
    for take in (False, True):
        s = import_file(db, actor, f, take_consents=take)
        assert (s.consents_not_taken, s.consents_not_taken_people) == (2, 1), s
        assert s.consents == 0
        assert s.consents_not_taken_note() == (
            "2 consent decision(s) in the file for 1 participant(s) already here were not "
            "taken: consent is recorded with the person at check-in, not taken from a file for "
            "someone already here"
        )
        m = R.get_participant(db, ids["Maureen"])
        assert m.consents["keep_results"].granted is False  # still withdrawn
        assert "share_gp" not in m.consents
    # The same decisions as here are nothing to take, and nothing is said.
    again = import_file(db, actor, write(tmp_path / "y.csv", exported(db, actor, tmp_path)))
    assert again.consents_not_taken == 0 and again.consents_not_taken_note() == ""


def test_a_result_for_someone_who_has_not_agreed_to_keep_results_is_refused(db, actor, tmp_path):
    row = one_new_person(db, actor, tmp_path)
    for c in COLUMNS:
        if c.startswith("consent_"):
            row[c] = ""
    problems = refused(db, actor, write(tmp_path / "x.csv", [row]))
    who = codes.display(codes.normalise(row["participant_code"]))
    assert problems == [
        f"line 2: the grip result cannot be imported: {who} has not agreed to keep their "
        "results (or had withdrawn it when it was saved), so nothing can be recorded for them. "
        "Take their rows out of the file; if they agree, tick 'Keep my results' at check-in "
        "first"
    ]
    assert len(R.search_participants(db, "")) == 2  # nothing came in
    row["consent_keep_results"] = "no"
    problems = refused(db, actor, write(tmp_path / "y.csv", [row]), take_consents=True)
    assert len(problems) == 1 and "has not agreed to keep their results" in problems[0]
    row["consent_keep_results"] = "yes"
    assert import_file(db, actor, write(tmp_path / "z.csv", [row]), take_consents=True).results


def test_a_result_saved_after_a_withdrawal_is_refused_one_saved_before_comes_in(
    db, actor, tmp_path
):
    ids = two_people(db, actor)
    R.record_consent(db, actor, ids["Maureen"], "keep_results", False)
    rows = exported(db, actor, tmp_path)
    # Another copy of her spring visit, chair stand saved after she withdrew: refused.
    late = dict(row_of(rows, ids["Maureen_spring"]))
    late |= {"test": "chair_stand", "value": "11", "trials": "11", "unit": "reps"}
    late["result_id"] = str(uuid.uuid4())
    late["result_recorded_at"] = late["result_updated_at"] = ""  # saved now, as it comes in
    problems = refused(db, actor, write(tmp_path / "x.csv", [*rows, late]))
    assert len(problems) == 1 and problems[0].startswith(f"line {len(rows) + 2}: the chair ")
    assert "has not agreed to keep their results" in problems[0]
    assert [r.test_id for r in R.get_assessment(db, ids["Maureen_spring"]).results] == ["grip"]
    # Her results saved before she withdrew come into an empty database, as in a merge.
    from ffmot.store.db import connect

    copy = connect(str(tmp_path / "copy.db"))
    s = import_file(copy, actor, write(tmp_path / "y.csv", rows), take_consents=True)
    assert s.results == 4 and grips(copy, ids["Maureen_spring"]) == [20]
    copy.close()


def test_an_update_for_someone_who_has_withdrawn_is_refused(db, actor, tmp_path):
    """The station cannot change a result once they withdrew; nor can `--update`."""
    ids = two_people(db, actor)
    R.record_consent(db, actor, ids["Maureen"], "keep_results", False)
    rows = exported(db, actor, tmp_path)
    grip = row_of(rows, ids["Maureen_spring"])
    grip["value"], grip["trials"] = "25", "25 (right 1)"
    problems = refused(db, actor, write(tmp_path / "x.csv", rows), update=True)
    assert len(problems) == 1 and "has not agreed to keep their results" in problems[0]
    assert grips(db, ids["Maureen_spring"]) == [20]


def test_a_result_the_screening_rules_out_is_refused_by_line(db, actor, tmp_path):
    """The station's rule: screened, the screening finished, the test not ruled out. A test
    recorded as not done is always allowed."""
    base = one_new_person(db, actor, tmp_path)
    care = screening.answers_with("osteoporosis_or_back_pain")
    ruled_out = screening.assess(care).excluded_tests
    assert ruled_out and "grip" not in ruled_out
    out_test = "sit_and_reach" if "sit_and_reach" in ruled_out else ruled_out[0]
    answers = ";".join(f"{k}={'yes' if v else 'no'}" for k, v in care.items())
    cases = {
        "care": (
            {
                "screening_outcome": "care",
                "screening_answers": answers,
                "screening_excluded_tests": ";".join(ruled_out),
                "test": out_test,
                "value": "-3",
                "trials": "",
                "unit": "cm",
                "modifications": "",
            },
            "the safety screening rules this test out. Record it as not done instead",
        ),
        "do_not_test": (
            {"screening_outcome": "do_not_test", "screening_answers": ""},
            "the safety screening says not to test today",
        ),
        "incomplete": (
            {"screening_outcome": "incomplete", "screening_answers": "dizziness=no"},
            "the safety screening is not finished",
        ),
        "none": (
            {c: "" for c in COLUMNS if c.startswith("screening_")},
            "they have not been screened yet",
        ),
    }
    who = codes.display(codes.normalise(base["participant_code"]))
    for name, (changes, words) in cases.items():
        row = base | changes
        if name == "do_not_test" or name == "incomplete":
            row["screening_systolic"] = row["screening_diastolic"] = ""
        problems = refused(db, actor, write(tmp_path / f"{name}.csv", [row]), take_consents=True)
        assert len(problems) == 1 and problems[0].startswith(f"line 2: {who}'s "), problems
        assert words in problems[0], (name, problems)
    assert len(R.search_participants(db, "")) == 2  # nothing came in
    # The same test recorded as not done comes in.
    row = base | cases["care"][0] | {"done": "no", "reason": "declined", "value": "", "unit": ""}
    s = import_file(db, actor, write(tmp_path / "fine.csv", [row]), take_consents=True)
    assert s.results == 1


# --- 5. the screen's rules for every field ------------------------------------------------------


def one_new_person(db, actor, tmp_path) -> dict[str, str]:
    """One row for someone new here: a new person, MOT day, visit and result."""
    ids = two_people(db, actor)
    row = dict(row_of(exported(db, actor, tmp_path), ids["Maureen_spring"]))
    for c in COLUMNS:  # agreed to keep their results, and screened clear: nothing else
        if c.startswith("consent_") and not c.startswith("consent_keep_results"):
            row[c] = ""
    row |= {
        "participant_id": str(uuid.uuid4()),
        "participant_code": codes.new_code(),
        "event_id": str(uuid.uuid4()),
        "assessment_id": str(uuid.uuid4()),
        "result_id": str(uuid.uuid4()),
        "screening_id": str(uuid.uuid4()),
        "previous_assessment_id": "",
    }
    return row


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("given_name", "Ma\x1b[31mureen", "given_name holds a character that cannot be printed"),
        ("family_name", "\u202eSampleton", "family_name holds a hidden direction mark (U+202E)"),
        ("family_name", "x" * 101, "family_name is longer than 100 characters (101)"),
        ("given_name", "   ", "given_name is empty"),
        ("phone", "01632\u2066960001", "phone holds a hidden direction mark"),
        ("email", "a" * 190 + "@example.org", "email is longer than 200 characters"),
        ("postcode_district", "CA12 4XY", "not a postcode district"),
        ("visit_notes", "fine\x00", "visit_notes holds a character that cannot be printed"),
        ("participant_notes", "n" * 4001, "participant_notes is longer than 4000 characters"),
        ("event", "E" * 201, "event is longer than 200 characters"),
        ("practitioner", "Jo\x07", "practitioner holds a character that cannot be printed"),
        ("strength_days", "1e20", "strength activity 1e+20 is outside 0 to 7 days a week"),
        ("sitting_hours", "1e400", "sitting_hours '1e400' is far too large a number"),
        ("screening_systolic", "1e400", "screening_systolic '1e400' is far too large a number"),
        ("value", "-1e400", "value '-1e400' is far too large a number"),
    ],
)
def test_every_field_is_held_to_the_screens_rules(db, actor, tmp_path, column, value, words):
    row = one_new_person(db, actor, tmp_path)
    row[column] = value
    if column == "screening_systolic":
        row |= {"screening_outcome": "clear", "screening_id": str(uuid.uuid4())}
    problems = refused(db, actor, write(tmp_path / "x.csv", [row]))
    assert len(problems) == 1 and problems[0].startswith("line 2: "), problems
    assert words in problems[0], problems[0]
    assert len(R.search_participants(db, "")) == 2  # nothing came in


def test_names_are_tidied_as_at_check_in(db, actor, tmp_path):
    row = one_new_person(db, actor, tmp_path)
    row |= {"given_name": "  Siân\tÓ ", "family_name": "Briain  Jones"}
    import_file(db, actor, write(tmp_path / "x.csv", [row]), take_consents=True)
    p = R.get_participant(db, row["participant_id"])
    assert (p.given_name, p.family_name) == ("Siân Ó", "Briain Jones")


# --- 6. the files Excel writes ---------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_semicolon_or_tab_separated_file_imports(db, actor, tmp_path, delimiter):
    row = one_new_person(db, actor, tmp_path)
    f = tmp_path / "x.csv"
    with f.open("w", newline="", encoding="utf-8") as out:
        w = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=delimiter)
        w.writeheader()
        w.writerow(row)
    s = import_file(db, actor, f, take_consents=True)
    assert s.results == 1 and R.get_participant(db, row["participant_id"]).family_name == (
        "Sampleton"
    )


def test_a_windows_cp1252_file_imports(db, actor, tmp_path):
    row = one_new_person(db, actor, tmp_path)
    row |= {"given_name": "Siân", "family_name": "Ó Briain", "visit_notes": "café – 12°"}
    f = tmp_path / "x.csv"
    with f.open("w", newline="", encoding="cp1252") as out:
        w = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=";")
        w.writeheader()
        w.writerow(row)
    with pytest.raises(UnicodeDecodeError):
        f.read_bytes().decode("utf-8")
    import_file(db, actor, f, take_consents=True)
    p = R.get_participant(db, row["participant_id"])
    assert (p.given_name, p.family_name) == ("Siân", "Ó Briain")
    assert R.get_assessment(db, row["assessment_id"]).notes == "café – 12°"


def test_an_excel_unicode_text_file_imports(db, actor, tmp_path):
    """Excel's "Unicode Text" is tab-separated UTF-16 with a byte order mark: it comes in,
    instead of being called "not an ffmot export"."""
    row = one_new_person(db, actor, tmp_path)
    row |= {"given_name": "Ŵyn", "visit_notes": "café – 12°"}
    f = tmp_path / "x.txt"
    with f.open("w", newline="", encoding="utf-16") as out:
        w = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter="\t")
        w.writeheader()
        w.writerow(row)
    assert f.read_bytes()[:2] == b"\xff\xfe"
    s = import_file(db, actor, f, take_consents=True)
    assert s.results == 1 and R.get_participant(db, row["participant_id"]).given_name == "Ŵyn"
    f.write_bytes(f.read_bytes()[:-1])  # cut mid-character: refused plainly
    from ffmot.core.errors import InputError

    with pytest.raises(InputError, match="it starts as UTF-16 but is damaged"):
        import_file(db, actor, f, take_consents=True)


def test_real_date_cells_in_a_spreadsheet_are_dates(db, actor, tmp_path):
    from openpyxl import Workbook

    row = one_new_person(db, actor, tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    cells: list[object] = [row[c] for c in COLUMNS]
    for c in ("date_of_birth", "assessment_date", "event_date"):
        cells[COLUMNS.index(c)] = dt.datetime.fromisoformat(row[c])  # as Excel stores a date
    cells[COLUMNS.index("value")] = float(row["value"])
    ws.append(cells)
    wb.save(tmp_path / "x.xlsx")
    s = import_file(db, actor, tmp_path / "x.xlsx", take_consents=True)
    assert s.results == 1
    assert R.get_participant(db, row["participant_id"]).date_of_birth == D(1950, 3, 14)

    ws.cell(row=2, column=COLUMNS.index("value") + 1, value="twenty")
    ws.cell(row=2, column=COLUMNS.index("result_id") + 1, value=str(uuid.uuid4()))
    wb.save(tmp_path / "y.xlsx")
    problems = refused(db, actor, tmp_path / "y.xlsx", take_consents=True)
    assert problems == ["line 2: value 'twenty' is not a number"]


# --- 7. limits: nothing hangs, fills the memory or floods the screen --------------------------


def test_a_cell_longer_than_any_column_is_named_by_line(db, actor, tmp_path):
    row = one_new_person(db, actor, tmp_path)
    long = dict(row, visit_notes="n" * 200_000, result_id=str(uuid.uuid4()))
    problems = refused(db, actor, write(tmp_path / "x.csv", [row, long]))
    assert problems == [
        "line 3: a cell is longer than 131,072 characters (the longest column, notes, takes "
        "4,000): the file is damaged or not an export; nothing after it was read"
    ]
    assert len(R.search_participants(db, "")) == 2


@pytest.fixture
def sqlite_db(tmp_path: Path):
    """A real SQLite file: the refusals below come before the store is touched."""
    from ffmot.store.db import connect

    d = connect(str(tmp_path / "ffmot.db"))
    yield d
    d.close()


def test_a_huge_file_is_refused_before_it_is_read(sqlite_db, actor, tmp_path):
    db = sqlite_db
    from ffmot.core.errors import InputError
    from ffmot.services.transfer import MAX_FILE_BYTES

    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: takes no room on the disk
    started = time.monotonic()
    with pytest.raises(InputError, match="more than can be imported at once") as err:
        import_file(db, actor, huge)
    assert time.monotonic() - started < 1
    assert "export one MOT day at a time" in str(err.value)


def bad_rows(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        out.write("x\n" * n)
    return path


def test_a_million_bad_rows_list_twenty_and_count_the_rest(sqlite_db, actor, tmp_path):
    f = bad_rows(tmp_path / "bad.csv", 1_000_000)
    started = time.monotonic()
    with pytest.raises(ImportRefused) as err:
        import_file(sqlite_db, actor, f)
    took = time.monotonic() - started
    e = err.value
    assert len(e.problems) == 20 and e.problems[0].startswith("line 2: given_name is empty")
    assert e.problems[-1].startswith("line 21: ") and e.unchecked == 1_000_000 - 20
    assert str(e) == (
        "20 row(s) up to line 21 cannot be imported, and the 999,980 row(s) after it were not "
        "checked; nothing was imported. Put these right and import again"
    )
    assert took < 10, took


def test_memory_stays_flat_however_many_rows(sqlite_db, actor, tmp_path):
    peaks = []
    for n in (1_000, 100_000):
        f = bad_rows(tmp_path / f"bad{n}.csv", n)
        tracemalloc.start()
        try:
            with pytest.raises(ImportRefused):
                import_file(sqlite_db, actor, f)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < peaks[0] + 1024 * 1024, peaks  # a hundred times the rows, no more memory


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(sqlite_db, actor, tmp_path):
    """A real workbook whose sheet unpacks to 600 MB of rows from well under 2 MB."""
    import zipfile

    from openpyxl import Workbook

    from ffmot.core.errors import InputError

    wb = Workbook()
    wb.active.append(list(COLUMNS))
    wb.save(tmp_path / "base.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    sheet = "xl/worksheets/sheet1.xml"
    with (
        zipfile.ZipFile(tmp_path / "base.xlsx") as base,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z,
    ):
        for item in base.infolist():
            if item.filename != sheet:
                z.writestr(item, base.read(item))
        with z.open(sheet, "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData><row r="1">'
                + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % c.encode() for c in COLUMNS)
                + b"</row>"
            )
            rows = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (1 << 15)
            for _ in range(600 * (1 << 20) // len(rows)):  # 600 MB of rows unpacked
                part.write(rows)
            part.write(b"</sheetData></worksheet>")
    assert bomb.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(InputError, match=r"would unpack to (59[0-9]|6[0-9][0-9]) MB"):
        import_file(sqlite_db, actor, bomb)
    assert time.monotonic() - started < 2


def test_a_workbook_with_too_much_shared_text_is_refused(sqlite_db, actor, tmp_path):
    import zipfile

    from openpyxl import Workbook

    from ffmot.core.errors import InputError

    wb = Workbook()
    wb.active.append(list(COLUMNS))
    wb.save(tmp_path / "base.xlsx")
    bomb = tmp_path / "text.xlsx"
    with (
        zipfile.ZipFile(tmp_path / "base.xlsx") as base,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z,
    ):
        for item in base.infolist():
            if not item.filename.endswith("sharedStrings.xml"):
                z.writestr(item, base.read(item))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            text = b"<si><t>x</t></si>" * (1 << 16)
            for _ in range(80 * (1 << 20) // len(text)):  # 80 MB of text unpacked
                part.write(text)
            part.write(b"</sst>")
    with pytest.raises(InputError, match="would unpack to 79 MB of text"):
        import_file(sqlite_db, actor, bomb)


# --- 8. only regular files ----------------------------------------------------------------------


def test_a_pipe_is_neither_read_nor_replaced(db, actor, tmp_path):
    import os
    import stat

    from ffmot.core.errors import InputError

    two_people(db, actor)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"pipe\.csv is not a regular file"):
        export_file(db, actor, fifo, "csv")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    # (Reading it would block until something writes: the import never opens it.)
    with pytest.raises(InputError, match=r"pipe\.csv is not a regular file"):
        import_file(db, actor, fifo)
