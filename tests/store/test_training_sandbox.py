"""Training mode's sandbox as the database holds it: today's practice day on the board as the
README's handout table says, with the same people and card codes after every reset."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ffmot.core import codes
from ffmot.demo import training_day
from ffmot.services import records as R
from ffmot.services.board import board
from ffmot.services.demo_load import load_training_day

README = Path(__file__).resolve().parents[2] / "README.md"
ON_BOARD = {  # the README's "where they are", as the board says it
    "sheet printed": "printed",
    "ready to print": "ready",
    "testing": "testing",
    "checked in, not screened": "screening",
    "booked, not arrived": None,  # not on the board: not checked in
}


def handout() -> dict[str, tuple[str, str]]:
    """name -> (card code, where they are), from the README's training table."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| who (card code) |") :].split("\n\n", 1)[0].splitlines()[2:]
    people = {}
    for line in table:
        who, where = (c.strip() for c in line.strip("|").split("|")[:2])
        for name, code in re.findall(r"([^,(]+?) \(([0-9A-Z]{4}-[0-9A-Z]{3})\)", who):
            people[name.strip()] = (code, where.split(", screened")[0])
    return people


def test_the_board_and_the_codes_are_as_the_handout_says(db, actor):
    day = training_day(1, 60, today=dt.date.today())
    load_training_day(db, actor, day, seed=1)
    people = handout()
    assert sorted(people) == sorted(c.name for c in day.cast)
    event = next(e for e in R.list_events(db) if e.date == dt.date.today())
    assert event.training
    rows = {r.name: r for r in board(db, event.id)}
    for name, (code, where) in people.items():
        found = R.search_participants(db, name)
        assert [codes.display(p.code) for p in found] == [code], name
        status = ON_BOARD[where]
        if status is None:
            assert name not in rows and R.find_visit(db, found[0].id, event.id) is None
        else:
            assert rows[name].status == status, name
    assert len(rows) == sum(1 for _c, w in people.values() if ON_BOARD[w] is not None)


def test_a_booked_person_checks_in_and_the_returning_one_is_a_retest(db, actor):
    day = training_day(1, 60, today=dt.date.today())
    load_training_day(db, actor, day, seed=1)
    event = next(e for e in R.list_events(db) if e.date == dt.date.today())
    gwen = R.search_participants(db, "gwen tryalldale")[0]
    visit = R.check_in(db, actor, gwen.id, event.id)
    assert visit.previous_id is not None
    earlier = R.get_assessment(db, visit.previous_id)
    assert earlier.assessed_on <= dt.date.today() - dt.timedelta(weeks=8)
    row = next(r for r in board(db, event.id) if r.name == "Gwen Tryalldale")
    assert row.status == "screening"
