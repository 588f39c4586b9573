"""The services as a screen uses them: bound once to the database, the norm set and the
practitioner at work, so a view passes only what it knows (a visit, a test, what was typed),
by keyword, and never touches the store.

The desktop app makes one Desk for its window (`AppContext.desk`). Its three parts are read
when each call is made, not when the Desk is made: the database is opened after the window
shows, and the practitioner changes when someone else signs in. Each method is one service
call, run on a worker by the view (`ctx.runner.run(lambda: ctx.desk.check_in(...))`); the
rules live in the services, never here.

The services' modules load SQLAlchemy; they are imported on first use (or by the app's warm-up
on a worker while the database opens), so the window can show before they load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ffmot.services.types import (
    Actor,
    AssessmentInfo,
    EventInfo,
    Measurements,
    ParticipantInfo,
    ParticipantRow,
    ResultInfo,
)
from ffmot.store.errors import ConflictError as ConflictError  # what a view may catch
from ffmot.store.errors import UnreachableError as UnreachableError

if TYPE_CHECKING:
    from ffmot.core.norms import NormSet
    from ffmot.services.board import BoardRow
    from ffmot.services.overview import Overview
    from ffmot.services.people import MergePlan
    from ffmot.store.db import Database


class Desk:
    """Every service a screen calls, with the database, norms and practitioner filled in."""

    def __init__(
        self,
        *,
        db: Callable[[], Database],
        norms: Callable[[], NormSet],
        actor: Callable[[], Actor],
    ) -> None:
        self._db, self._norms, self._actor = db, norms, actor

    # --- the database itself, in words -------------------------------------------------------

    def where(self) -> str:
        """Where the database is, fit to show (no password)."""
        from ffmot.store.db import describe

        return describe(self._db().url)

    def warning(self) -> str:
        """Why the database's place is risky (a cloud-sync folder), or ""."""
        return self._db().warning or ""

    def plain_file(self) -> bool:
        """A database file made before encryption at rest."""
        return bool(self._db().plain_file)

    # --- people ------------------------------------------------------------------------------

    def search(self, text: str, *, limit: int, audit_listing: bool = True) -> list[ParticipantRow]:
        """The people whose names or card code start with `text`. Everyone listed (an empty
        search) is audited as a listing; a search is audited by the person picked."""
        from ffmot.services import records as R

        db = self._db()
        rows = R.search_participants(db, text, limit=limit)
        if audit_listing and not text.strip() and rows:
            R.record_view(db, self._actor(), "participant", "", f"{len(rows)} listed")
        return rows

    def person(self, participant_id: str) -> ParticipantInfo:
        """One person's record, opened by this practitioner (audited)."""
        from ffmot.services import records as R

        return R.get_participant(self._db(), participant_id, seen_by=self._actor())

    def person_by_code(self, code: str, *, audited: bool = True) -> ParticipantInfo:
        """The person with this card code; `audited`: opened by this practitioner."""
        from ffmot.services import records as R

        return R.find_by_code(self._db(), code, seen_by=self._actor() if audited else None)

    def likely_duplicates(self, given: str, family: str, dob: dt.date) -> list[ParticipantRow]:
        from ffmot.services import records as R

        return R.likely_duplicates(self._db(), given, family, dob)

    def register(
        self,
        *,
        given: str,
        family: str,
        dob: dt.date,
        sex: str,
        **details: object,
    ) -> ParticipantInfo:
        """A new participant (`details`: phone, email, postcode_district, notes, consents,
        participant_id, language, as services/records.register_participant takes them)."""
        from ffmot.services import records as R

        return R.register_participant(
            self._db(),
            self._actor(),
            given,
            family,
            dob,
            sex,
            **details,  # type: ignore[arg-type]
        )

    def correct(self, participant_id: str, *, version: int, **changes: object) -> ParticipantInfo:
        from ffmot.services import records as R

        return R.update_participant(self._db(), self._actor(), participant_id, version, **changes)

    def consent(self, participant_id: str, *, purpose: str, granted: bool) -> ParticipantInfo:
        from ffmot.services import records as R

        return R.record_consent(self._db(), self._actor(), participant_id, purpose, granted)

    def plan_merge(self, keep_id: str, *, other_code: str) -> MergePlan:
        """What merging the person with this card code into `keep_id` would do."""
        from ffmot.services import people as P
        from ffmot.services import records as R

        db = self._db()
        other = R.find_by_code(db, other_code)
        return P.plan_merge(db, keep_id, other.id)

    def merge(
        self, keep_id: str, *, other_id: str, accept_different_details: bool
    ) -> ParticipantInfo:
        """Makes the other record part of `keep_id`'s (services/people.merge_participants)."""
        from ffmot.services import people as P

        return P.merge_participants(
            self._db(),
            self._actor(),
            keep_id,
            other_id,
            accept_different_details=accept_different_details,
        )

    # --- MOT days and visits -----------------------------------------------------------------

    def events(self) -> list[EventInfo]:
        from ffmot.services import records as R

        return R.list_events(self._db())

    def create_event(
        self,
        *,
        name: str,
        date: dt.date,
        venue: str,
        organisation: str,
        tests_offered: Sequence[str],
        activities_directory: str = "",
        training: bool = False,
    ) -> EventInfo:
        from ffmot.services import records as R

        return R.create_event(
            self._db(),
            self._actor(),
            name,
            date,
            venue,
            organisation,
            tests_offered=tests_offered,
            activities_directory=activities_directory,
            training=training,
            norms=self._norms(),
        )

    def board(self, event_id: str) -> list[BoardRow]:
        from ffmot.services.board import board

        return board(self._db(), event_id)

    def visit(self, assessment_id: str) -> AssessmentInfo:
        from ffmot.services import records as R

        return R.get_assessment(self._db(), assessment_id)

    def visit_of(self, participant_id: str, *, event_id: str) -> AssessmentInfo | None:
        """The person's visit to this MOT day, if they have checked in."""
        from ffmot.services import records as R

        return R.find_visit(self._db(), participant_id, event_id)

    def card_at_day(
        self, code: str, *, event_id: str
    ) -> tuple[ParticipantInfo, AssessmentInfo | None]:
        """The person a card belongs to and their visit to this day, opened (audited)."""
        from ffmot.services import records as R

        return R.card_at_day(self._db(), code, event_id, seen_by=self._actor())

    def check_in(self, participant_id: str, *, event_id: str) -> AssessmentInfo:
        from ffmot.services import records as R

        return R.check_in(self._db(), self._actor(), participant_id, event_id)

    def screen(
        self,
        assessment_id: str,
        *,
        answers: Mapping[str, bool],
        systolic: int | None = None,
        diastolic: int | None = None,
    ) -> AssessmentInfo:
        from ffmot.services import records as R

        return R.record_screening(
            self._db(), self._actor(), assessment_id, dict(answers), systolic, diastolic
        )

    # --- results -----------------------------------------------------------------------------

    def save_result(
        self,
        assessment_id: str,
        *,
        test_id: str,
        trials: Sequence[tuple[float, str]],
        unit: str,
        modifications: Iterable[str] = (),
        expected_version: int | None,
    ) -> ResultInfo:
        from ffmot.services import records as R

        return R.save_result(
            self._db(),
            self._actor(),
            assessment_id,
            test_id,
            trials,
            unit,
            modifications=modifications,
            expected_version=expected_version,
            norms=self._norms(),
        )

    def not_done(
        self,
        assessment_id: str,
        *,
        test_id: str,
        reason: str,
        stop_reason: str | None = None,
        expected_version: int | None,
    ) -> ResultInfo:
        from ffmot.services import records as R

        return R.mark_not_done(
            self._db(),
            self._actor(),
            assessment_id,
            test_id,
            reason,
            expected_version=expected_version,
            norms=self._norms(),
            stop_reason=stop_reason,
        )

    def save_measurements(
        self,
        assessment_id: str,
        *,
        measurements: Measurements,
        only: Sequence[str],
        seen: Measurements,
        results_seen: dict[str, int | None],
    ) -> AssessmentInfo:
        from ffmot.services import records as R

        return R.save_measurements(
            self._db(),
            self._actor(),
            assessment_id,
            measurements,
            only=only,
            seen=seen,
            results_seen=results_seen,
        )

    def save_notes(
        self, assessment_id: str, *, notes: str, goals: str, seen_notes: str, seen_goals: str
    ) -> AssessmentInfo:
        from ffmot.services import records as R

        return R.save_notes(
            self._db(),
            self._actor(),
            assessment_id,
            notes,
            goals,
            seen_notes=seen_notes,
            seen_goals=seen_goals,
        )

    # --- the sheet ---------------------------------------------------------------------------

    def overview(self, assessment_id: str, *, language: str = "") -> Overview:
        """A visit's results as the screen shows them, opened by this practitioner (audited)."""
        from ffmot.services.overview import load_overview

        return load_overview(
            self._db(), assessment_id, self._norms(), seen_by=self._actor(), language=language
        )

    def overview_for_sheet(self, assessment_id: str, *, language: str = "") -> Overview:
        """The overview a sheet is made from, for someone who may have one."""
        from ffmot.services.overview import load_for_sheet

        return load_for_sheet(self._db(), assessment_id, self._norms(), language=language)

    def printed(self, assessment_id: str) -> None:
        from ffmot.services import records as R

        R.mark_printed(self._db(), self._actor(), assessment_id)

    def given_out(self, *, action: str, entity: str, entity_id: str, detail: str) -> None:
        """A record left the database (a sheet saved as a PDF): the audit says where."""
        from ffmot.services import records as R

        R.record_given_out(self._db(), self._actor(), action, entity, entity_id, detail)
