"""Writing a synthetic MOT day (ffmot.demo) into a database, fast enough for 50,000 people.

Demo MOT days are always marked as training, so synthetic people are never taken for real ones.
"""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from ffmot.core import codes, screening
from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.demo import DemoArrival, DemoDataset, TrainingDay
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import (
    Assessment,
    Consent,
    Event,
    NameWord,
    Participant,
    Result,
    Screening,
    Trial,
    name_word_rows,
    search_columns,
    utcnow,
)

CHUNK = 5000


@dataclass(frozen=True)
class DemoSummary:
    events: int
    participants: int
    visits: int
    results: int
    event_ids: tuple[str, ...]


# What `ffmot demo` holds at its peak, measured (2026-12-02, /usr/bin/time's maximum resident
# size): 152 MB for 2,000 people and 303 MB for 8,000, so about 25 KB a person over about
# 100 MB for ffmot itself. The generator builds the whole dataset before it is written.
DEMO_BASE_BYTES = 100 * 2**20
DEMO_BYTES_PER_PERSON = 26_000
MEMORY_SHARE = 0.8  # of the memory free now: the rest is the computer's


def available_memory() -> int | None:
    """The memory free for a new program now (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MB"


def check_room(participants: int, available: int | None = None) -> None:
    """Refuses, before anything is made or opened, a demo too big for the memory free now
    (`available`: bytes, else measured), saying how many people would fit."""
    have = available if available is not None else available_memory()
    if have is None:
        return
    need = DEMO_BASE_BYTES + participants * DEMO_BYTES_PER_PERSON
    room = have * MEMORY_SHARE
    if need <= room:
        return
    most = max(0, int((room - DEMO_BASE_BYTES) // DEMO_BYTES_PER_PERSON))
    raise InputError(
        _(
            "a demo of {n} people needs about {need} of memory, and this computer has {have} "
            "free: ask for {most} people or fewer (--participants)",
            n=participants,
            need=_size(need),
            have=_size(have),
            most=most,
        )
    )


def load_demo(
    db: Database,
    actor: Actor,
    data: DemoDataset,
    seed: int = 1,
    norms: NormSet | None = None,
    *,
    arrivals: tuple[DemoArrival, ...] = (),
    printed: tuple[str, ...] = (),
) -> DemoSummary:
    """`arrivals`: visits checked in and not screened yet; `printed`: the assessment keys whose
    sheet has been printed (after everything in them was saved)."""
    ns = norms or default_norm_set()
    rng = random.Random(f"ffmot-demo-ids-{seed}")

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    now = utcnow()
    with db.transaction() as s:
        taken = set(s.scalars(select(Participant.code)))
        event_ids = {e.key: uid() for e in data.events}
        if data.events and s.get(Event, event_ids[data.events[0].key]) is not None:
            raise InputError(
                _(
                    "the demo with seed {seed} is already in this database: choose another "
                    "--seed, or a new database",
                    seed=seed,
                )
            )
        person_ids = {p.key: uid() for p in data.participants}
        visit_ids = {a.key: uid() for a in data.assessments}
        events = [
            dict(
                id=event_ids[e.key],
                name=e.name,
                date=e.date,
                venue=e.venue,
                organisation=e.organisation,
                tests_offered=list(e.tests_offered),
                norm_set_version=ns.version,
                activities_directory="",
                training=True,
                created_at=now,
                updated_at=now,
                version=1,
            )
            for e in data.events
        ]
        people, consents = [], []
        for p in data.participants:
            code = codes.new_code(rng)
            while code in taken:
                code = codes.new_code(rng)
            taken.add(code)
            pid = person_ids[p.key]
            people.append(
                dict(
                    id=pid,
                    code=code,
                    given_name=p.given_name,
                    family_name=p.family_name,
                    **search_columns(p.given_name, p.family_name),
                    date_of_birth=p.dob,
                    sex=p.sex,
                    phone=p.phone,
                    email=p.email,
                    postcode_district=p.postcode_district,
                    notes="",
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            consents += [
                dict(
                    id=uid(),
                    participant_id=pid,
                    purpose=k,
                    granted=v,
                    recorded_at=now,
                    recorded_by=actor.name,
                )
                for k, v in p.consents.items()
            ]
        visits, screenings, results, trials = [], [], [], []
        by_event = {e.key: e for e in data.events}
        # Someone who did not agree to keep their results has none kept, as at a station
        # (records.keeps_results): their visit and screening are there, their results are not.
        keeps = {p.key for p in data.participants if p.consents.get("keep_results", False)}
        for a in data.assessments:
            aid = visit_ids[a.key]
            visits.append(
                dict(
                    id=aid,
                    participant_id=person_ids[a.participant_key],
                    event_id=event_ids[a.event_key],
                    previous_id=visit_ids[a.previous_key] if a.previous_key else None,
                    practitioner=a.practitioner,
                    station=a.station,
                    assessed_on=a.assessed_on,
                    height_cm=a.height_cm,
                    weight_kg=a.weight_kg,
                    waist_cm=a.waist_cm,
                    moderate_minutes=a.moderate_minutes,
                    strength_days=a.strength_days,
                    balance_days=a.balance_days,
                    sitting_hours=a.sitting_hours,
                    notes=a.notes,
                    goals="",
                    printed_at=now if a.key in printed else None,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            sc = a.screening
            out = screening.assess(
                sc.answers, sc.systolic, sc.diastolic, tuple(by_event[a.event_key].tests_offered)
            )
            screenings.append(
                dict(
                    id=uid(),
                    assessment_id=aid,
                    answers=dict(sc.answers),
                    systolic=sc.systolic,
                    diastolic=sc.diastolic,
                    outcome=out.outcome,
                    excluded_tests=list(out.excluded_tests),
                    recorded_at=now,
                    recorded_by=a.practitioner,
                )
            )
            for r in a.results if a.participant_key in keeps else ():
                rid = uid()
                results.append(
                    dict(
                        id=rid,
                        assessment_id=aid,
                        test_id=r.test,
                        done=r.done,
                        reason=r.reason,
                        stop_reason=r.stop_reason,
                        value=r.value,
                        unit=r.unit,
                        modifications=list(r.modifications),
                        recorded_by=a.practitioner,
                        station=a.station,
                        recorded_at=now,
                        updated_at=now,
                        version=1,
                    )
                )
                trials += [
                    dict(
                        id=uid(), result_id=rid, n=i + 1, value=t.value, unit=r.unit, label=t.label
                    )
                    for i, t in enumerate(r.trials)
                ]
        for arrival in arrivals:  # ids drawn last: the rest are as without arrivals
            visits.append(
                dict(
                    id=uid(),
                    participant_id=person_ids[arrival.participant_key],
                    event_id=event_ids[arrival.event_key],
                    previous_id=None,
                    practitioner=arrival.practitioner,
                    station=arrival.station,
                    assessed_on=arrival.assessed_on,
                    height_cm=None,
                    weight_kg=None,
                    waist_cm=None,
                    moderate_minutes=None,
                    strength_days=None,
                    balance_days=None,
                    sitting_hours=None,
                    notes="",
                    goals="",
                    printed_at=None,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
        name_words = [
            word
            for row in people
            for word in name_word_rows(
                str(row["id"]), str(row["given_name"]), str(row["family_name"])
            )
        ]
        for model, rows in (
            (Event, events),
            (Participant, people),
            (NameWord, name_words),
            (Consent, consents),
            (Assessment, _previous_first(visits)),
            (Screening, screenings),
            (Result, results),
            (Trial, trials),
        ):
            _bulk(s, model, rows)
        audit(
            s,
            actor,
            "demo",
            "database",
            "",
            f"{len(people)} synthetic participants, {len(results)} results",
        )
    return DemoSummary(
        len(events),
        len(people),
        len(visits),
        len(results),
        tuple(event_ids[e.key] for e in data.events),
    )


def load_training_day(db: Database, actor: Actor, day: TrainingDay, seed: int = 1) -> DemoSummary:
    """Training mode's sandbox (ffmot.demo.training_day): earlier MOT days, and today's
    with people printed, ready, part-way, checked in and not screened, and not yet arrived."""
    return load_demo(db, actor, day.data, seed, arrivals=day.arrivals, printed=day.printed)


def _bulk(s: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        s.execute(insert(model), rows[i : i + CHUNK])


def _previous_first(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(visits, key=lambda v: v["previous_id"] is not None)


# The practice team of the training sandbox: names and PINs printed on the course handout, for
# trainees to practise signing in. They exist only in the sandbox (View ▸ Practise signing
# in), never in a real database: the sandbox is a file of its own, reset at will.
PRACTICE_TEAM = (
    ("Sam Station", "station", "485213"),
    ("Cora Coordinator", "coordinator", "371946"),
    ("Tess Trainer", "data_lead", "264819"),
)


def add_practice_team(db: Database) -> None:
    """Protects the training sandbox with the practice team: from now on it opens only when one
    of them signs in with their practice PIN, as a real database does."""
    from ffmot.services import practitioners as P

    lead_name, _role, lead_pin = PRACTICE_TEAM[-1]
    P.first_data_lead(db, lead_name, lead_pin)
    lead = P.sign_in(db, lead_name, lead_pin, "training")
    for name, role, pin in PRACTICE_TEAM[:-1]:
        P.add_practitioner(db, lead, name, role, pin)


def practice_team_words() -> str:
    return "; ".join(
        _("{name}, PIN {pin}", name=name, pin=pin) for name, _role, pin in PRACTICE_TEAM
    )
