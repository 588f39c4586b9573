"""The shapes of the demo and training data: plain records, loaded into a database by
ffmot/services/demo_load.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoTrial:
    value: float
    label: str  # "trial 1", "left 1", "right leg", "usual week"


@dataclass(frozen=True, slots=True)
class DemoResult:
    test: str  # battery test id
    done: bool
    reason: str | None  # one of NOT_DONE_REASONS when not done, else None
    value: float | None  # the value that counts, in the test's default unit; None when not done
    unit: str  # the test's default unit
    trials: tuple[DemoTrial, ...]  # every trial; value == TestDef.best_of(trial values)
    modifications: tuple[str, ...]  # ("arms_used",), ("walking_aid",)
    stop_reason: str | None = None  # with "stopped_by_tester": one of STOP_REASONS


@dataclass(frozen=True, slots=True)
class DemoScreening:
    answers: dict[str, bool]  # every screening.QUESTION_IDS key
    systolic: int | None
    diastolic: int | None


@dataclass(frozen=True, slots=True)
class DemoParticipant:
    key: str
    given_name: str
    family_name: str
    dob: dt.date
    sex: str  # "female", "male" or "not_stated"
    phone: str  # "" when not given
    email: str  # "" when not given
    postcode_district: str
    consents: dict[str, bool]  # purpose -> granted, every CONSENT_PURPOSES key


@dataclass(frozen=True, slots=True)
class DemoEvent:
    key: str
    name: str
    date: dt.date
    venue: str
    organisation: str
    tests_offered: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoAssessment:
    key: str
    participant_key: str
    event_key: str
    practitioner: str
    station: str
    assessed_on: dt.date
    previous_key: str | None  # the earlier assessment of this person, for a 12-week retest
    screening: DemoScreening
    height_cm: float | None
    weight_kg: float | None
    waist_cm: float | None
    moderate_minutes: float | None
    strength_days: int | None
    balance_days: int | None
    sitting_hours: float | None
    results: tuple[DemoResult, ...]
    notes: str


@dataclass(frozen=True, slots=True)
class DemoDataset:
    events: tuple[DemoEvent, ...]
    participants: tuple[DemoParticipant, ...]
    assessments: tuple[DemoAssessment, ...]
