"""Disagreements found when station files were brought in, and settling them.

A conflict is two different values of one fact (a test's result, a visit's measurement, a
person's details) recorded in two places. Both versions are kept (services/merge.py) until a
practitioner chooses one: the choice is written to the record and to the audit. Until then the
board shows the person as waiting for it, and their sheet is held.

Why one room: finding a disagreement and settling it read and write the same facts, and a settled
conflict must be found again exactly as it was found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ffmot.core import codes, lineage
from ffmot.core.ages import age_on
from ffmot.core.battery import REASON_WORDS
from ffmot.core.entry import measurement_fields
from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, _, long_date
from ffmot.core.norms import default_norm_set
from ffmot.core.vocabulary import sex_words
from ffmot.services.records import _saving, audit, index_names
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import Assessment, MergeConflict, Participant, Result, Trial, utcnow

KEEP = ("here", "there")  # this database's version, or the station file's
# A visit's facts in words: the measurements as the battery names them, then notes and goals
# (English here, translated where shown: the battery's words are in the catalogue too).
MEASURE_WORDS = {
    **{
        key: (f.label, f.unit)
        for key, f in measurement_fields(default_norm_set().battery.values()).items()
    },
    "notes": (N_("Notes"), ""),
    "goals": (N_("Goals"), ""),
}
# A person's details in words, in the order a practitioner reads them.
DETAIL_WORDS = {
    "given_name": N_("First name"),
    "family_name": N_("Family name"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "postcode_district": N_("Postcode district"),
    "notes": N_("Notes"),
}
# A person's sex in words (the stored value is data: "not_stated" is shown as "not stated").


def _word(text: str) -> str:
    """A word from a table above or the battery, in the current language ('' stays '')."""
    return _(text) if text else ""


def _and(items: Iterable[str]) -> str:
    """'A and B and C', in the current language."""
    out = ""
    for item in items:
        out = _("{first} and {second}", first=out, second=item) if out else item
    return out


@dataclass(frozen=True)
class ConflictInfo:
    id: str
    entity: str  # result, assessment, participant...
    visit_id: str | None
    who: str  # "Ada Sampleton (ABCD-EFG)"
    what: str  # "Grip strength", "Height and weight", "Participant details"
    here: str  # this database's version, in words
    there: str  # the station file's version, in words
    here_from: str  # "Station 2 at 10:42"
    there_from: str
    source: str  # the file it came from


def _at(rec: dict[str, Any], other: dict[str, Any]) -> str:
    """Where and when this version was saved: its station, or (for a person's details, which
    have none) the stations that changed it since the two versions parted."""
    when = rec.get("updated_at") or rec.get("recorded_at") or ""
    try:
        t = dt.datetime.fromisoformat(str(when)).astimezone()
        clock = f"{t:%H:%M}"
    except ValueError:
        clock = ""
    where = rec.get("station")
    if not where:
        mine, theirs = lineage.clean(rec.get("lineage")), lineage.clean(other.get("lineage"))
        where = _and(sorted(k for k, n in mine.items() if n > theirs.get(k, 0)))
    station = str(where or _("an unknown station"))
    return _("{station} at {time}", station=station, time=clock) if clock else station


def _result_words(rec: dict[str, Any]) -> str:
    if not rec.get("done"):
        code = str(rec.get("reason") or "")
        reason = _(REASON_WORDS[code]).lower() if code in REASON_WORDS else code.replace("_", " ")
        return _("not done ({reason})", reason=reason) if reason else _("not done")
    ns = default_norm_set()
    unit = str(rec.get("unit") or "")
    try:
        test = ns.test(str(rec.get("test_id")))
        label = _word(test.label(unit))
    except Exception:  # an unknown test in an older file: say the raw unit
        label = unit
    v = rec.get("value")
    if v is None:
        return "—"
    if rec.get("modifications"):
        return _("{value:g} {unit} (done with help)", value=v, unit=label)
    return f"{v:g} {label}"


def _band(rec: dict[str, Any], sex: str, age: int | None) -> str:
    """'in the usual range' and the like, for a done, unaided result with norms."""
    from ffmot.core import interpret, scoring

    if not rec.get("done") or rec.get("value") is None or rec.get("modifications") or age is None:
        return ""
    try:
        test = default_norm_set().test(str(rec.get("test_id")))
        s = scoring.score(test.id, sex, age, float(rec["value"]), str(rec.get("unit") or ""))
    except Exception:  # no norms for that age, or an older file's unit: the value alone
        return ""
    words = interpret.band_words(interpret.default_rules(), test, s.band)
    return f"{words[0].lower()}{words[1:]}" if words else ""


def _with_band(said: str, band: str) -> str:
    """A result in words with what it would say on the sheet, if anything."""
    return _("{result}: {band}", result=said, band=band) if band else said


def _visit_words(rec: dict[str, Any], keys: Iterable[str]) -> str:
    parts = []
    for k in keys:
        words, unit = MEASURE_WORDS.get(k, (k, ""))
        v = rec.get(k)
        shown = (
            "—"
            if v in (None, "")
            else (f"{v:g} {_word(unit)}".strip() if isinstance(v, float | int) else str(v))
        )
        parts.append(_("{what}: {value}", what=_word(words), value=shown))
    return "; ".join(parts)


def _differing(c: MergeConflict) -> list[str]:
    """The visit's facts in disagreement (the station's version is kept with only those)."""
    return [k for k in MEASURE_WORDS if c.local.get(k) != c.incoming.get(k)]


def _details_differing(c: MergeConflict) -> list[str]:
    return [k for k in DETAIL_WORDS if c.local.get(k) != c.incoming.get(k)]


def _details_words(rec: dict[str, Any], keys: Iterable[str]) -> str:
    def shown(k: str) -> str:
        v = rec.get(k)
        if v in (None, ""):
            return "—"
        if k == "date_of_birth":
            try:
                return long_date(dt.date.fromisoformat(str(v)))
            except ValueError:
                return str(v)
        if k == "sex":
            return sex_words(str(v))
        return str(v).replace("_", " ")

    return "; ".join(_("{what}: {value}", what=_(DETAIL_WORDS[k]), value=shown(k)) for k in keys)


def open_conflicts(db: Database, event_id: str | None = None) -> list[ConflictInfo]:
    """Every conflict not settled yet (for one MOT day, if given), oldest first."""
    out = []
    with db.transaction() as s:
        rows = s.scalars(
            select(MergeConflict)
            .where(MergeConflict.resolved_at.is_(None))
            .order_by(MergeConflict.detected_at, MergeConflict.id)
        ).all()
        ns = default_norm_set()
        for c in rows:
            visit_id = _visit_of(c)
            if c.entity in ("participant", "erasure") and event_id is not None:
                visit_id = s.scalar(
                    select(Assessment.id).where(
                        Assessment.participant_id == c.entity_id, Assessment.event_id == event_id
                    )
                )
            a = s.get(Assessment, visit_id) if visit_id else None
            if event_id is not None and (a is None or a.event_id != event_id):
                continue
            pid = a.participant_id if a is not None else c.local.get("participant_id", c.entity_id)
            p = s.get(Participant, pid) if pid else None
            who = (
                f"{p.given_name} {p.family_name} ({codes.display(p.code)})"
                if p is not None
                else _("someone")
            )
            if c.entity == "result":
                try:
                    what = _(ns.test(str(c.local.get("test_id"))).name)
                except Exception:
                    what = str(c.local.get("test_id"))
                here, there = _result_words(c.local), _result_words(c.incoming)
                if p is not None and a is not None:  # what each value would say on the sheet
                    age = age_on(p.date_of_birth, a.assessed_on)
                    here = _with_band(here, _band(c.local, p.sex, age))
                    there = _with_band(there, _band(c.incoming, p.sex, age))
            elif c.entity == "erasure":
                what = _("Erased at another station")
                here = _("Still here, with their results")
                there = _("Erased: everything about them removed")
            elif c.entity == "assessment":
                keys = _differing(c) or ["height_cm"]
                what = _and(_word(MEASURE_WORDS[k][0]) for k in keys)
                here, there = _visit_words(c.local, keys), _visit_words(c.incoming, keys)
            else:
                keys = _details_differing(c)
                what = _(
                    "Their details: {details}",
                    details=", ".join(_(DETAIL_WORDS[k]).lower() for k in keys),
                )
                here, there = _details_words(c.local, keys), _details_words(c.incoming, keys)
            out.append(
                ConflictInfo(
                    c.id,
                    c.entity,
                    visit_id,
                    who,
                    what,
                    here,
                    there,
                    _at(c.local, c.incoming),
                    _at(c.incoming, c.local),
                    c.source,
                )
            )
    return out


def _visit_of(c: MergeConflict) -> str | None:
    if c.entity == "assessment":
        return c.entity_id
    value = c.local.get("assessment_id")
    return str(value) if value else None


def visits_with_conflicts(db: Database, visit_ids: Iterable[str]) -> set[str]:
    """Which of these visits have a conflict not settled yet."""
    wanted = set(visit_ids)
    if not wanted:
        return set()
    found = set()
    with db.transaction() as s:
        for c in s.scalars(select(MergeConflict).where(MergeConflict.resolved_at.is_(None))):
            if c.entity in ("participant", "erasure"):  # every visit of theirs waits
                found |= wanted & set(
                    s.scalars(select(Assessment.id).where(Assessment.participant_id == c.entity_id))
                )
                continue
            v = _visit_of(c)
            if v in wanted:
                found.add(v)
    return found


def settle(db: Database, actor: Actor, conflict_id: str, keep: str) -> None:
    """Keeps this database's version ("here") or the station file's ("there"); audited. For an
    erasure made at a station, "there" erases the person here too."""
    if keep not in KEEP:
        raise InputError(_("keep must be one of {choices}", choices=", ".join(KEEP)))
    with _saving(db) as s:
        c = s.get(MergeConflict, conflict_id)
        if c is None or c.resolved_at is not None:
            raise InputError(_("that disagreement has been settled already"))
        erase_code = None
        if c.entity == "erasure":
            p = s.get(Participant, c.entity_id)
            erase_code = p.code if keep == "there" and p is not None else None
        elif keep == "there":
            _take_theirs(s, c, actor)
        _seen_both(s, c, actor)
        c.resolved_at = utcnow()
        s.flush()
        _settle_agreeing(s, _visit_of(c))
        audit(
            s,
            actor,
            "settle",
            c.entity,
            c.entity_id,
            "kept this database's version" if keep == "here" else f"kept {c.source[-120:]}",
        )
    if erase_code is not None:  # the practitioner confirmed the erasure: it erases here too
        from ffmot.services.erase import erase_participant

        erase_participant(db, actor, erase_code)


def _settle_agreeing(s: Any, visit_id: str | None) -> None:
    """A result that now agrees with the other station's (a BMI worked out again from a settled
    height) is settled with it."""
    if visit_id is None:
        return
    for other in s.scalars(
        select(MergeConflict).where(
            MergeConflict.resolved_at.is_(None), MergeConflict.entity == "result"
        )
    ):
        if _visit_of(other) != visit_id:
            continue
        r = s.get(Result, other.entity_id)
        theirs = other.incoming
        if r is not None and (r.done, r.value, r.unit) == (
            bool(theirs.get("done")),
            theirs.get("value"),
            theirs.get("unit"),
        ):
            r.lineage = lineage.join(_vector(r), lineage.clean(theirs.get("lineage")))
            other.resolved_at = utcnow()


def _vector(r: Result | Participant) -> lineage.Vector:
    return lineage.of(r.lineage, getattr(r, "station", None), r.version)


def _seen_both(s: Any, c: MergeConflict, actor: Actor) -> None:
    """Once settled, the value kept has seen both versions: later copies of either station's
    file are older than it and raise nothing again, while a new change at a station still
    does (ffmot.core.lineage)."""
    theirs = c.incoming.get("lineage")
    if c.entity in ("result", "participant"):
        rec = s.get(Result if c.entity == "result" else Participant, c.entity_id)
        if rec is not None:
            seen = lineage.join(_vector(rec), lineage.clean(theirs))
            rec.lineage = lineage.bump(seen, actor.station)
    elif c.entity == "assessment":
        a = s.get(Assessment, c.entity_id)
        if a is not None:
            here = dict(a.lineage or {})
            there = theirs if isinstance(theirs, dict) else {}
            for k in _differing(c):
                seen = lineage.join(lineage.clean(here.get(k)), lineage.clean(there.get(k)))
                here[k] = lineage.bump(seen, actor.station)
            a.lineage = here


def _take_theirs(s: Any, c: MergeConflict, actor: Actor) -> None:
    theirs = c.incoming
    if c.entity == "result":
        r = s.get(Result, c.entity_id)
        if r is None:
            raise InputError(_("the result has gone (erased): nothing to settle"))
        r.done, r.reason, r.value = (
            bool(theirs.get("done")),
            theirs.get("reason"),
            theirs.get("value"),
        )
        r.unit, r.modifications = (
            str(theirs.get("unit") or r.unit),
            list(theirs.get("modifications") or []),
        )
        r.stop_reason = theirs.get("stop_reason")
        r.station, r.recorded_by = (
            str(theirs.get("station") or ""),
            str(theirs.get("recorded_by") or ""),
        )
        r.updated_at = utcnow()
        r.trials.clear()
        s.flush()
        for t in theirs.get("trials") or []:
            r.trials.append(
                Trial(n=t["n"], value=t["value"], unit=t["unit"], label=t.get("label") or "")
            )
        return
    if c.entity == "assessment":
        a = s.get(Assessment, c.entity_id)
        if a is None:
            raise InputError(_("the visit has gone (erased): nothing to settle"))
        for k in _differing(c):
            setattr(a, k, theirs.get(k))
        a.updated_at = utcnow()
        from ffmot.services.records import _sync_body_results

        _sync_body_results(a, actor, {"bmi", "waist", "activity"})
        return
    if c.entity == "participant":
        p = s.get(Participant, c.entity_id)
        if p is None:
            raise InputError(_("that person has gone (erased): nothing to settle"))
        for k in _details_differing(c):
            v = theirs.get(k)
            setattr(p, k, dt.date.fromisoformat(v) if k == "date_of_birth" and v else v)
        p.updated_at = utcnow()
        s.flush()
        index_names(s, p.id, p.given_name, p.family_name)
        return
    raise InputError(_("a disagreement about {entity} cannot be settled here", entity=c.entity))


def held_for_conflicts(db: Database, overviews: Iterable[Any]) -> None:
    """Refuses the sheets of people whose results disagree between stations: a sheet must not
    show a value a practitioner has not chosen yet."""
    wanted = {o.assessment.id: o for o in overviews}
    held = visits_with_conflicts(db, wanted)
    if held:
        who = ", ".join(sorted(codes.display(wanted[v].participant.code) for v in held))
        raise InputError(
            _(
                "the stations' results for {who} disagree: settle them first (File > Settle "
                "disagreements), then make the sheet",
                who=who,
            )
        )
