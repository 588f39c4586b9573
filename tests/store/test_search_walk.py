"""When many people match what is typed (a first letter matches a quarter of everyone), find
as you type walks the participants in the order it shows them and stops at its limit instead of
sorting every match; the people found are exactly those the sort would give."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import event, select, text

from ffmot.services import records as R
from ffmot.store.db import connect
from ffmot.store.models import NameWord, Participant, new_id, search_columns

GIVEN = ("Sam", "Sarah", "Sean", "Sìne", "Mary", "Mark", "Ada", "Jo", "José", "Zoë")
FAMILY = ("Smith", "Sampleton", "Shaw", "Mason", "McAdam", "Jones", "O'Brien", "Ó Briain")


@pytest.fixture
def crowd(db):  # type: ignore[no-untyped-def]
    return _crowd(db)


def _crowd(db, seed=3):  # type: ignore[no-untyped-def]
    """400 people written whole (as an import or the demo does), many sharing first letters."""
    from ffmot.core import codes
    from ffmot.store.models import name_word_rows

    rng = random.Random(seed)
    people, name_words = [], []
    for _ in range(400):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        pid = new_id()
        people.append(
            {
                "id": pid,
                "code": codes.new_code(rng),
                "given_name": given,
                "family_name": family,
                **search_columns(given, family),
                "date_of_birth": dt.date(1940 + rng.randrange(20), 1 + rng.randrange(12), 1),
                "sex": "female",
                "notes": "",
                "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            }
        )
        name_words += name_word_rows(pid, given, family)
    with db.transaction() as s:
        s.execute(Participant.__table__.insert(), people)
        s.execute(NameWord.__table__.insert(), name_words)
    return db


TYPED = ("s", "m", "a", "sa", "sm", "ma", "jo", "o", "s s", "sam s", "z", "q", "01/01/1950")


def test_walking_finds_exactly_what_sorting_finds(crowd, monkeypatch):
    sorted_rows = {t: R.search_participants(crowd, t, limit=25) for t in TYPED}
    monkeypatch.setattr(R, "MANY", 20)  # now most of what is typed counts as many
    walked_rows = {t: R.search_participants(crowd, t, limit=25) for t in TYPED}
    assert walked_rows == sorted_rows
    assert len(sorted_rows["s"]) == 25 and sorted_rows["q"] == []


def test_many_matches_are_walked_in_order_not_sorted(tmp_path, monkeypatch):
    # SQLite's: PostgreSQL's planner makes the same choice from its own statistics.
    crowd = _crowd(connect(str(tmp_path / "crowd.db")))
    monkeypatch.setattr(R, "MANY", 20)
    plans: list[str] = []

    def explain(conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "ORDER BY participant.search_family" in statement and not plans:
            raw = conn.connection.dbapi_connection
            rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            plans.append(" | ".join(r[-1] for r in rows))

    event.listen(crowd.engine, "before_cursor_execute", explain)
    try:
        R.search_participants(crowd, "s", limit=25)
    finally:
        event.remove(crowd.engine, "before_cursor_execute", explain)
    assert "ix_participant_search_order" in plans[0], plans
    assert "TEMP B-TREE FOR ORDER BY" not in plans[0], plans
    with crowd.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM participant")).scalar() == 400
    crowd.close()


def _reference(people: list[dict], text: str, limit: int) -> list[str]:
    """What find-as-you-type must list, worked out in Python from the rule it states: every
    word typed starts a word of the names (one letter: the given or family name itself), or
    starts the code; in the order shown (family, given, id)."""
    from ffmot.core import codes
    from ffmot.core.names import fold, words

    def matches(p: dict, token: str) -> bool:
        folded = fold(token).split()
        names = words(p["given_name"], p["family_name"])
        ok = all(
            (p["search_given"].startswith(t) or p["search_family"].startswith(t))
            if len(t) < 2
            else any(w.startswith(t) for w in names)
            for t in folded
        )
        raw = "".join(ch for ch in token.upper() if ch not in " -_")
        return ok or (codes.looks_like_code(token) and p["code"].startswith(raw))

    found = [p for p in people if all(matches(p, t) for t in text.split())]
    found.sort(key=lambda p: (p["search_family"], p["search_given"], p["id"]))
    return [p["id"] for p in found[:limit]]


def test_two_or_more_letters_list_what_the_rule_says_in_order(db, monkeypatch):
    # Given names that share their start, second given names, double-barrelled family names,
    # names that are both a given and a family name, codes that start like names.
    _lists_what_the_rule_says(db, monkeypatch)


def test_the_order_holds_where_the_server_sorts_text_its_own_way(pg_icu_url, monkeypatch):
    # A PostgreSQL cluster set up in en_GB.UTF-8 (or ICU en-GB) ignores spaces when it sorts:
    # "Mary Jo" came after "Maryann" and "Ó Briain" after "Obi", so the list was not in the
    # order the rule gives, and a range of names ("o b" to "o c") held names it should not.
    # The searched columns compare byte by byte whatever the server's own collation.
    db = connect(pg_icu_url)
    try:
        _lists_what_the_rule_says(db, monkeypatch)
    finally:
        db.close()


def _lists_what_the_rule_says(db, monkeypatch):  # type: ignore[no-untyped-def]
    from ffmot.core import codes
    from ffmot.core.names import words
    from ffmot.store.models import name_word_rows

    rng = random.Random(5)
    given = ("Sam", "Samuel", "Sally Anne", "Anne", "Mary Jo", "Maryann", "Jo", "Joan",
             "Smith", "Mark")  # fmt: skip
    family = ("Smith", "Sampleton", "Jones-Smith", "Ó Briain", "Obi", "Anne", "Mason", "Sam", "Jo")
    people, rows = [], []
    for _ in range(300):
        g, f = rng.choice(given), rng.choice(family)
        pid = new_id()
        p = {
            "id": pid,
            "code": codes.new_code(rng),
            "given_name": g,
            "family_name": f,
            **search_columns(g, f),
            "date_of_birth": dt.date(1950, 1, 1),
            "sex": "female",
            "notes": "",
            "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        }
        people.append(p)
        rows += name_word_rows(pid, g, f)
        assert {r["word"] for r in name_word_rows(pid, g, f)} == words(g, f)
    iona = dict(people[0], id=new_id(), code="K7PM4QX", given_name="Iona", family_name="Smith")
    iona.update(search_columns("Iona", "Smith"))
    people.append(iona)  # found by her code, but with no name word starting "k7p"
    rows += name_word_rows(iona["id"], "Iona", "Smith")
    with db.transaction() as s:
        s.execute(Participant.__table__.insert(), people)
        s.execute(NameWord.__table__.insert(), rows)
    typed = ["sa", "sam", "samu", "sm", "smi", "smith", "jo", "jon", "jones", "an", "anne",
             "ma", "mar", "mary j", "sam sm", "sm sa", "jo sm", "anne sa", "ob", "o b", "bri",
             "zz", "s sm", "sa s", "mary jo", "jo jo", "sa an", "jones-sm", "jo-smith sam",
             "an sam jo", "smith smith", "sal an sm", "zz sa", "sa zz", "o", "m", "s", "mary",
             "o bri", "ob", "maryann"]  # fmt: skip
    typed += [*sorted({p["code"][:3] for p in people[:5]}), people[0]["code"][:2].lower()]
    # codes that start like a name typed with a name: "jo" + a code starting with the letters
    typed += [f"{p['code'][:2]} sa" for p in people[:3]] + [f"sm {people[1]['code'][:3]}"]
    typed += [f"{p['code'][:2]}-{p['search_family'][:2]}" for p in people[:3]]
    # the longest word typed twice, once in a token that could start a code and once in one
    # that cannot (I and O are in no code): those found by code must have it in their names
    typed += [f"{p['code'][:3]} {p['code'][:3].lower()}-io" for p in (people[0], iona)]
    # the word index, then the lists walked when words are too common for it (-1: always)
    for few in (R.FEW, 40, -1):
        monkeypatch.setattr(R, "FEW", few)
        for words_typed in typed:
            for limit in (1, 7, 25, 400):
                got = [r.id for r in R.search_participants(db, words_typed, limit=limit)]
                assert got == _reference(people, words_typed, limit), (words_typed, limit, few)


def _steps(db, typed: str) -> int:
    """SQLite virtual-machine steps (in hundreds) one search takes: the work it does, on
    whichever connection runs each of its statements."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def watch(conn, _cursor, _statement, _parameters, _context, _many):  # type: ignore[no-untyped-def]
        conn.connection.dbapi_connection.set_progress_handler(count, 100)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        R.search_participants(db, typed, limit=25)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert steps[0] > 0
    return steps[0]


@pytest.mark.parametrize("typed", ["sa", "sam", "mar", "jo", "sam s"])
def test_two_letters_take_the_same_work_at_ten_times_the_people(tmp_path, typed):
    # The same names, ten times as many people: sorting every match did seven to eight times
    # the work; what grows now is the few whose code starts with the letters typed.
    small = _crowd(connect(str(tmp_path / "small.db")))
    large = connect(str(tmp_path / "large.db"))
    for seed in range(10):
        _crowd(large, seed)
    try:
        at_400, at_4000 = _steps(small, typed), _steps(large, typed)
    finally:
        small.close()
        large.close()
    assert at_4000 < 4 * at_400, (at_400, at_4000)


def test_searches_on_postgresql_are_planned_for_the_prefix_typed(pg_url):
    # psycopg prepares a statement run five times, and the server then plans it once for any
    # value: `LIKE 'nor%'` planned for any prefix cannot use the word index's range, so every
    # search after the fifth read the whole table. No statement is prepared on the server.
    db = _crowd(connect(pg_url))
    try:
        for typed in ["sa", "sam", "mar", "jo", "ma", "sm", "mas", "jon", "ada", "mc"] * 2:
            R.search_participants(db, typed, limit=25)
        with db.engine.connect() as c:  # (the pool's one connection: the searches' own)
            prepared = c.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        assert prepared == 0
    finally:
        db.close()


def test_the_upgrade_compares_names_byte_by_byte_and_leaves_the_planner_its_statistics(
    pg_icu_url,
):
    # A database made before 0016 on a server that sorts in a language's order: the upgrade
    # makes the searched columns compare byte by byte, and analyses the tables again (changing
    # a column's collation drops its statistics, and without them PostgreSQL took any first
    # letter to start a two-hundredth of the names: it sorted a quarter of everyone for "d").
    from ffmot.store.db import upgrade_to

    db = connect(pg_icu_url, upgrade=False)
    upgrade_to(db, "0015")
    _crowd(db)
    db.close()
    db = connect(pg_icu_url)
    try:
        with db.engine.connect() as c:
            collations = dict(
                c.execute(
                    text(
                        "SELECT table_name || '.' || column_name, collation_name "
                        "FROM information_schema.columns WHERE column_name IN "
                        "('code', 'word', 'search_given', 'search_family', 'search_words')"
                    )
                ).all()
            )
            analysed = c.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
                    "AND relname IN ('participant', 'name_word') ORDER BY relname"
                )
            ).scalars()
            assert list(analysed) == ["name_word", "participant"]
        assert collations == dict.fromkeys(collations, "C") and len(collations) == 7, collations
        with db.transaction() as s:
            people = s.execute(
                select(Participant.search_family, Participant.search_given, Participant.id)
            ).all()
        expected = sorted(p for p in people if "s" in (p[0][0], p[1][0]))[:25]
        assert [r.id for r in R.search_participants(db, "s", limit=25)] == [p[2] for p in expected]
    finally:
        db.close()
