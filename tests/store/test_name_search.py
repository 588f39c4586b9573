"""Finding people as practitioners type their names: accents, case and punctuation aside, by
the start of any word, on SQLite and PostgreSQL, through an index."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from ffmot.core.names import fold, words
from ffmot.services import records as R
from ffmot.store.db import connect, current_revision, known_revisions, upgrade_to

PEOPLE = (
    ("Siân", "Ó Briain"),
    ("Zoë", "Llewellyn-Jones"),
    ("Seán", "O'Brien"),
    ("Ada", "Sampleton"),
)


@pytest.fixture
def named(db, actor):  # type: ignore[no-untyped-def]
    for given, family in PEOPLE:
        R.register_participant(
            db, actor, given, family, dt.date(1950, 1, 2), "female", consents={"keep_results": True}
        )
    return db


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Sian", "Siân Ó Briain"),
        ("o briain", "Siân Ó Briain"),
        ("briain", "Siân Ó Briain"),
        ("Siân Ó Briain", "Siân Ó Briain"),
        ("SIAN BRI", "Siân Ó Briain"),
        ("zoe", "Zoë Llewellyn-Jones"),
        ("jones", "Zoë Llewellyn-Jones"),
        ("llewellyn jones", "Zoë Llewellyn-Jones"),
        ("obrien", "Seán O'Brien"),
        ("sean", "Seán O'Brien"),
        ("samp", "Ada Sampleton"),
    ],
)
def test_what_is_typed_finds_what_was_written(named, typed, found):
    assert [r.name for r in R.search_participants(named, typed)] == [found]


def test_every_word_typed_must_match_and_nothing_else_comes_back(named):
    assert R.search_participants(named, "sian zoe") == []
    assert R.search_participants(named, "xyz") == []
    assert len(R.search_participants(named, "")) == len(PEOPLE)


def test_a_corrected_name_is_found_by_its_new_words_only(named, actor):
    p = R.search_participants(named, "samp")[0]
    info = R.get_participant(named, p.id)
    R.update_participant(named, actor, p.id, info.version, family_name="Nic Ambróis")
    assert [r.name for r in R.search_participants(named, "ambrois")] == ["Ada Nic Ambróis"]
    assert R.search_participants(named, "samp") == []
    with named.engine.connect() as c:  # the folded names that order the lists follow too
        row = c.execute(
            text("SELECT search_given, search_family FROM participant WHERE id = :id"),
            {"id": p.id},
        ).one()
    assert tuple(row) == ("ada", fold("Nic Ambróis"))
    with named.engine.connect() as c:  # and the name words' own copy of them
        copies = c.execute(
            text(
                "SELECT DISTINCT search_given, search_family, search_words FROM name_word"
                " WHERE participant_id = :id"
            ),
            {"id": p.id},
        ).all()
    assert [tuple(r) for r in copies] == [("ada", fold("Nic Ambróis"), "ada ambrois nic")]


def test_folding():
    assert fold("  Siân  Ó-Briain ") == "sian o briain"
    assert fold("O’Brien") == "obrien" and fold("Strauß") == "strauss"
    assert words("Zoë", "Llewellyn-Jones") == {"zoe", "llewellyn", "jones"}


def test_upgrade_folds_the_names_already_there(db_url):
    db = connect(db_url, upgrade=False)
    upgrade_to(db, "0003")
    t = "2026-05-01 10:00:00+00:00"
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO participant (id, code, given_name, family_name, search_given, "
                "search_family, date_of_birth, sex, notes, created_at, updated_at, version) "
                "VALUES ('p1', 'K7PM4QX', 'Siân', 'Ó Briain', 'siân', 'ó briain', '1950-03-14', "
                "'female', '', :t, :t, 1)"
            ),
            {"t": t},
        )
    db.close()
    db = connect(db_url)
    assert current_revision(db) == known_revisions()[1]
    assert [r.name for r in R.search_participants(db, "sian briain")] == ["Siân Ó Briain"]
    db.close()


def test_likely_duplicates_share_the_date_of_birth_and_a_name_word(named):
    same = R.likely_duplicates(named, "Sian", "O Briain", dt.date(1950, 1, 2))
    assert [r.name for r in same] == ["Siân Ó Briain"]
    assert R.likely_duplicates(named, "Sian", "O Briain", dt.date(1950, 1, 3)) == []
    assert R.likely_duplicates(named, "Morag", "Keyworth", dt.date(1950, 1, 2)) == []


def test_upgrade_marks_the_later_name_words_already_there(db_url):
    # Before 0014 every name word was just a word; the search now reads later words (not the
    # first of the given or family name) through their own index, so the upgrade marks them.
    from sqlalchemy import select

    from ffmot.store.models import NameWord, name_word_rows

    db = connect(db_url, upgrade=False)
    upgrade_to(db, "0013")
    t = "2026-05-01 10:00:00+00:00"
    people = [("p1", "K7PM4QX", "Mary Anne", "Jones-Smith"), ("p2", "K7PM4QY", "Anne", "Smith")]
    with db.engine.begin() as c:
        for pid, code, given, family in people:
            c.execute(
                text(
                    "INSERT INTO participant (id, code, given_name, family_name, search_given, "
                    "search_family, date_of_birth, sex, notes, created_at, updated_at, version) "
                    "VALUES (:id, :code, :g, :f, :sg, :sf, '1950-03-14', 'female', '', :t, :t, 1)"
                ),
                {"id": pid, "code": code, "g": given, "f": family, "t": t}
                | {"sg": fold(given), "sf": fold(family)},
            )
            for w in sorted(words(given, family)):
                c.execute(
                    text("INSERT INTO name_word (participant_id, word) VALUES (:p, :w)"),
                    {"p": pid, "w": w},
                )
    db.close()
    db = connect(db_url)
    with db.transaction() as s:
        stored = {
            (r.participant_id, r.word, r.later, r.search_family, r.search_given, r.search_words)
            for r in s.scalars(select(NameWord))
        }
    KEYS = ("participant_id", "word", "later", "search_family", "search_given", "search_words")
    expected = {  # (0015: each with its person's search columns and all their words)
        tuple(r[k] for k in KEYS)
        for pid, _code, given, family in people
        for r in name_word_rows(pid, given, family)
    }
    assert stored == expected
    words_p1 = "anne jones mary smith"
    assert ("p1", "smith", True, "jones smith", "mary anne", words_p1) in stored
    stored = {row[:3] for row in stored}
    assert ("p1", "anne", True) in stored and ("p2", "anne", False) in stored
    found = [r.name for r in R.search_participants(db, "an")]
    assert found == ["Mary Anne Jones-Smith", "Anne Smith"]  # by family name: jones, smith
    db.close()
