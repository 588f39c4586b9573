"""Measuring k on an anonymised export as written, and joining it back to the database.

`measure_k` reads the file (CSV or XLSX) back and groups it by the quasi-identifier columns
(MOT day, date, age band, sex), counting distinct PEOPLE (the `export_id`, one per person in a
file), never rows. It also groups each person by everything their rows say together (sex and
the set of their visits' MOT day, date and age band), since one id ties their rows. `reidentify`
is the motivated intruder: for every row, how many people in the database (everyone who came,
consenting or not) fit its quasi-identifiers.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from ffmot.core.ages import age_on
from ffmot.core.anonymity import QUASI_IDENTIFIERS
from ffmot.store.db import Database
from ffmot.store.models import Assessment, Event, Participant


def read_export(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True)["results"]
        table = [
            ["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)
        ]
        return [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def measure_k(path: Path) -> int:
    """The fewest people sharing any combination of quasi-identifiers in the file, by row and by
    person, and the fewest sharing how a test went within a group. 0 for an empty file."""
    rows = read_export(path)
    if not rows:
        return 0
    by_row: dict[tuple[str, ...], set[str]] = defaultdict(set)
    how: dict[tuple[str, ...], set[str]] = defaultdict(set)
    visits: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    sex: dict[str, str] = {}
    for r in rows:
        qi = tuple(r[c] for c in QUASI_IDENTIFIERS)
        by_row[qi].add(r["export_id"])
        adapted = "adapted" if r["modifications"] else ""
        how[(*qi, r["test"], r["done"], r["reason"], adapted)].add(r["export_id"])
        visits[r["export_id"]].add((r["event"], r["event_date"], r["age_band"]))
        assert sex.setdefault(r["export_id"], r["sex"]) == r["sex"]
    by_person: dict[tuple[object, ...], int] = defaultdict(int)
    for person, seen in visits.items():
        by_person[(sex[person], tuple(sorted(seen)))] += 1
    return min(
        min(len(g) for g in by_row.values()),
        min(by_person.values()),
        min(len(g) for g in how.values()),
    )


def assert_k_anonymous(path: Path, k: int) -> int:
    """Asserts the written file is k-anonymous; returns the k measured."""
    measured = measure_k(path)
    assert measured >= k, f"{path.name}: a group of only {measured} people (k={k})"
    text = path.read_bytes()
    for rare in (b"felt_unsafe", b"stopped_by_tester", b"walking_aid", b"arms_used"):
        assert rare not in text
    return measured


def _in_band(age: int, band: str) -> bool:
    if band == "under 60":
        return age < 60
    if band.endswith(" and over"):
        return age >= int(band.split()[0])
    lo, hi = band.split("-")
    return int(lo) <= age <= int(hi)


def _in_period(date: dt.date, period: str) -> bool:
    return date.isoformat().startswith(period)


def reidentify(db: Database, path: Path) -> int:
    """Joins every row back to the database by its quasi-identifiers; returns the fewest people
    any row fits. A day named "MOT day n" is taken as the n-th of the database's days in date
    order, as the exporter numbers them when every day has someone consenting with a result."""
    rows = read_export(path)
    with db.transaction() as s:
        visits = [
            (p.id, p.sex, age_on(p.date_of_birth, a.assessed_on), e.id, e.date)
            for a, p, e in s.execute(
                select(Assessment, Participant, Event)
                .join(Participant, Assessment.participant_id == Participant.id)
                .join(Event, Assessment.event_id == Event.id)
            )
        ]
        days = [e.id for e in s.scalars(select(Event).order_by(Event.date, Event.id))]
    fewest = None
    for r in rows:
        day = days[int(r["event"].split()[-1]) - 1] if r["event"] else None
        fits = {
            pid
            for pid, sex, age, eid, date in visits
            if sex == r["sex"]
            and _in_band(age, r["age_band"])
            and _in_period(date, r["event_date"])
            and (day is None or eid == day)
        }
        assert fits, f"a row fits no one: {r}"
        fewest = len(fits) if fewest is None else min(fewest, len(fits))
    return fewest or 0
