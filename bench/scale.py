"""A big database, as people use it: find as you type, open a visit, the day's summary.

Search: for a sample of participants, every prefix of what someone would type to find them
(their family name; their given and family names; their card code with its dash; their date of
birth as dd/mm/yyyy), each prefix one call of records.search_participants(limit=200, as the
check-in screen asks). Open: services.overview.load_overview for a sample of visits (first
visits and retests). Summary: services.summary.summary_data for the summary benchmark day.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from bench.common import percentile


def typing_sequences(db: Any, people: int, seed: int = 7) -> list[tuple[str, str, list[str]]]:
    """(participant id, what is typed, the prefixes typed to find them)."""
    from sqlalchemy import select

    from ffmot.core import codes
    from ffmot.store.models import Participant

    with db.transaction() as s:
        rows = s.execute(
            select(
                Participant.id,
                Participant.given_name,
                Participant.family_name,
                Participant.code,
                Participant.date_of_birth,
            ).order_by(Participant.id)
        ).all()
    rng = random.Random(seed)
    out = []
    for r in rng.sample(rows, min(people, len(rows))):
        typed = {
            "family name": r.family_name,
            "given and family name": f"{r.given_name} {r.family_name}",
            "card code": codes.display(r.code),
            "date of birth": r.date_of_birth.strftime("%d/%m/%Y"),
        }
        for what, text in typed.items():
            out.append((r.id, what, [text[:k] for k in range(1, len(text) + 1)]))
    return out


def search(db: Any, people: int) -> dict[str, Any]:
    from ffmot.services.records import search_participants

    seqs = typing_sequences(db, people)
    search_participants(db, "a", limit=200)  # warm: the first query prepares the connection
    samples: list[float] = []
    by_code = found = 0
    for pid, what, prefixes in seqs:
        rows: list[Any] = []
        for p in prefixes:
            t = time.perf_counter()
            rows = search_participants(db, p, limit=200)
            samples.append(time.perf_counter() - t)
        if what == "card code":
            by_code += 1
            found += any(r.id == pid for r in rows)
    ms = [x * 1000 for x in samples]
    return {
        "queries": len(ms),
        "people": len(seqs) // 4,
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
        "found_by_full_code": f"{found} of {by_code}",
    }


def open_visits(db: Any, visits: int, seed: int = 11) -> dict[str, Any]:
    from sqlalchemy import select

    from ffmot.services.overview import load_overview
    from ffmot.store.models import Assessment

    with db.transaction() as s:
        firsts = list(s.scalars(select(Assessment.id).where(Assessment.previous_id.is_(None))))
        retests = list(s.scalars(select(Assessment.id).where(Assessment.previous_id.isnot(None))))
    rng = random.Random(seed)
    ids = rng.sample(firsts, min(len(firsts), visits - visits // 4))
    ids += rng.sample(retests, min(len(retests), visits // 4))
    load_overview(db, ids[0])  # warm
    ms = []
    for i in ids:
        t = time.perf_counter()
        load_overview(db, i)
        ms.append((time.perf_counter() - t) * 1000)
    return {
        "visits": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
    }


def summary(db: Any, event_id: str) -> dict[str, Any]:
    try:
        from ffmot.services.summary import summary_data
    except ImportError:
        return {"note": "ffmot.services.summary.summary_data is not there"}
    from ffmot.services.records import get_event

    e = get_event(db, event_id)
    t = time.perf_counter()
    d = summary_data(db, event_id)
    elapsed = time.perf_counter() - t
    return {"seconds": round(elapsed, 2), "visits": e.participants, "counted": d.people.n}


def usual_day_summary(db: Any, skip: str) -> dict[str, Any]:
    """The summary of the busiest ordinary demo day, for scale: what a coordinator waits."""
    from ffmot.services.records import list_events

    days = [e for e in list_events(db) if e.name != skip]
    if not days:
        return {}
    return summary(db, max(days, key=lambda e: e.participants).id)


def run(url: str, people: int, visits: int, event_id: str | None) -> dict[str, Any]:
    from ffmot.store.db import connect

    db = connect(url)
    try:
        out: dict[str, Any] = {"search": search(db, people), "open": open_visits(db, visits)}
        if event_id:
            out["summary"] = summary(db, event_id)
        from bench.datasets import SUMMARY_DAY

        out["usual_day_summary"] = usual_day_summary(db, SUMMARY_DAY)
        return out
    finally:
        db.close()
