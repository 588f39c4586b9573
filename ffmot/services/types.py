"""What the services hand back: plain frozen data, safe to keep in a widget or a thread."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ffmot.core.i18n import N_

BOARD_STATUS_WORDS = {  # (N_: translated where shown)
    "screening": N_("Needs screening"),
    "testing": N_("Testing"),
    "ready": N_("Ready to print"),
    "reprint": N_("Changed since printed"),
    "printed": N_("Printed"),
    "conflict": N_("Stations disagree: settle first"),
}


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    granted: bool
    recorded_at: dt.datetime
    recorded_by: str


@dataclass(frozen=True)
class ParticipantInfo:
    id: str
    code: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    phone: str | None
    email: str | None
    postcode_district: str | None
    notes: str
    version: int
    consents: dict[str, ConsentState] = field(default_factory=dict)
    language: str = "en"  # the language their sheet is made in (ffmot/core/i18n.py)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def consented(self, purpose: str) -> bool:
        c = self.consents.get(purpose)
        return bool(c and c.granted)


@dataclass(frozen=True)
class ParticipantRow:
    id: str
    code: str
    name: str
    date_of_birth: dt.date
    age: int
    last_assessed: dt.date | None


@dataclass(frozen=True)
class EventInfo:
    id: str
    name: str
    date: dt.date
    venue: str
    organisation: str
    tests_offered: tuple[str, ...]
    norm_set_version: str
    activities_directory: str
    training: bool
    participants: int
    version: int


@dataclass(frozen=True)
class TrialInfo:
    n: int
    value: float
    unit: str
    label: str


@dataclass(frozen=True)
class ResultInfo:
    id: str
    test_id: str
    done: bool
    reason: str | None
    value: float | None
    unit: str
    trials: tuple[TrialInfo, ...]
    modifications: tuple[str, ...]
    recorded_by: str
    station: str
    recorded_at: dt.datetime
    version: int
    stop_reason: str | None = None  # with reason "stopped_by_tester": why (STOP_REASONS)


@dataclass(frozen=True)
class ScreeningInfo:
    outcome: str
    reasons: tuple[str, ...]
    excluded_tests: tuple[str, ...]
    answers: dict[str, bool]
    systolic: int | None
    diastolic: int | None
    recorded_at: dt.datetime
    recorded_by: str
    unanswered: tuple[str, ...] = ()  # questions still to ask (outcome "incomplete")
    plain: tuple[str, ...] = ()  # the reasons in the participant's words
    recent_fall: bool = False


@dataclass(frozen=True)
class Measurements:
    height_cm: float | None = None
    weight_kg: float | None = None
    waist_cm: float | None = None
    moderate_minutes: float | None = None
    strength_days: int | None = None
    balance_days: int | None = None
    sitting_hours: float | None = None


@dataclass(frozen=True)
class AssessmentInfo:
    id: str
    participant_id: str
    event_id: str
    previous_id: str | None
    practitioner: str
    station: str
    assessed_on: dt.date
    age: int
    measurements: Measurements
    notes: str
    goals: str
    printed_at: dt.datetime | None
    version: int
    results: tuple[ResultInfo, ...]
    screening: ScreeningInfo | None

    def result(self, test_id: str) -> ResultInfo | None:
        return next((r for r in self.results if r.test_id == test_id), None)


@dataclass(frozen=True)
class Actor:
    """Who is doing something, for the audit trail. `practitioner_id` is set only by signing
    in (services/practitioners.py): on a protected database it is what the services trust,
    looking up the role it has there; a name alone carries no rights."""

    name: str
    station: str = ""
    practitioner_id: str = ""
