"""The tables ffmot keeps. UUID keys everywhere, so files from several laptops merge as a union.

Why one room: the tables point at each other (a result at its visit, a visit at its person and
day); the foreign keys, their cascades on erasure and the search columns are read together."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from ffmot.core.battery import NOT_DONE_REASONS
from ffmot.core.names import fold, words

__all__ = ["NOT_DONE_REASONS"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


def tombstone_key(participant_id: str) -> str:
    import hashlib

    return hashlib.sha256(f"ffmot-erased:{participant_id}".encode()).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


def name_word_rows(participant_id: str, given: str, family: str) -> list[dict[str, object]]:
    """The participant's name_word rows: every word of their names, folded, each marked
    `later` unless it is the first word of the given or the family name (those two are found
    through the participant's own search columns; see records.search_participants), with
    the participant's search columns (the order the search shows people in) and every word of
    their names, so that a search for two words tests the other word from the index."""
    folded = {"search_given": fold(given), "search_family": fold(family)}
    first = {n.split()[0] for n in folded.values() if n}
    every = sorted(words(given, family))
    person = {**folded, "search_words": " ".join(every)}
    return [
        {"participant_id": participant_id, "word": w, "later": w not in first, **person}
        for w in every
    ]


def _searched(length: int) -> Any:
    """Text find-as-you-type compares byte by byte, as SQLite does: on PostgreSQL the "C"
    collation, whatever the server's locale (0016), so a prefix is a range of its index."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def search_columns(given: str, family: str) -> dict[str, str]:
    """The derived search columns of a participant row written whole (an insert or update
    without the ORM: a merge, the demo)."""
    return {"search_given": fold(given), "search_family": fold(family)}


class Participant(Base):
    __tablename__ = "participant"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(_searched(12), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    # Derived, never set by hand: the names folded for search (`search_columns`), kept in step
    # by `_fold_names` whenever a name is set, and by `search_columns` for rows written whole.
    # (found through ix_participant_search_order and ix_participant_given_order, which also
    # hold the order shown: an index of the column alone would send SQLite to each row)
    search_given: Mapped[str] = mapped_column(_searched(100))
    search_family: Mapped[str] = mapped_column(_searched(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    postcode_district: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The language their take-home sheet is made in (ffmot/core/i18n.py); added in 0011.
    language: Mapped[str] = mapped_column(String(12), default="en", server_default="en")
    # Who changed the details, counted per station (ffmot.core.lineage); None before 0006.
    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    consents: Mapped[list[Consent]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", passive_deletes=True
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("sex IN ('female', 'male', 'not_stated')", name="sex"),
        # the order find-as-you-type shows people in, walked rather than sorted (0012)
        Index("ix_participant_search_order", "search_family", "search_given", "id"),
        # A given name's people in the order shown (see records._matches_in_order).
        Index("ix_participant_given_order", "search_given", "search_family", "id"),
    )

    @validates("given_name", "family_name")
    def _fold_names(self, key: str, value: str) -> str:
        """A name set here sets its search column too: one rule, in one place."""
        column = "search_given" if key == "given_name" else "search_family"
        setattr(self, column, fold(value or ""))
        return value


_WORD_ORDER = ("search_family", "search_given", "participant_id", "search_words")


class NameWord(Base):
    """Each word of a participant's names, folded (ffmot.core.names): the search finds a
    person by the start of any word, through an index. Derived from the names; erased with
    the person."""

    __tablename__ = "name_word"
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    word: Mapped[str] = mapped_column(_searched(100), primary_key=True)
    # Not the first word of the given or family name (a second given name, the second part of
    # a double-barrelled name): the few words the search finds through this table alone.
    later: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Copies, written with the words (name_word_rows): the person's search columns (the order
    # shown) and every word of their names, so that the index below gives a range of words
    # its people in that order, with all their words, without reading anyone's row.
    search_family: Mapped[str] = mapped_column(_searched(100), server_default="")
    search_given: Mapped[str] = mapped_column(_searched(100), server_default="")
    search_words: Mapped[str] = mapped_column(_searched(250), server_default="")

    # (every word's range: `later IN (false, true)`)
    __table_args__ = (Index("ix_name_word_order", "later", "word", *_WORD_ORDER),)


class Consent(Base):
    """One decision about one purpose; the latest per purpose is in force. Never updated."""

    __tablename__ = "consent"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(30))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))
    participant: Mapped[Participant] = relationship(back_populates="consents")


class Event(Base):
    __tablename__ = "event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    venue: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    tests_offered: Mapped[list[str]] = mapped_column(JSON)
    norm_set_version: Mapped[str] = mapped_column(String(40))
    activities_directory: Mapped[str] = mapped_column(String(500), default="")
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class Assessment(Base):
    """One participant at one MOT day."""

    __tablename__ = "assessment"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # indexed with the date (0015): the search shows each person's last visit from the index
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("event.id", ondelete="RESTRICT"), index=True)
    # indexed (0013): deleting a visit looks for visits naming it, to clear the link
    previous_id: Mapped[str | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL"), index=True
    )
    practitioner: Mapped[str] = mapped_column(String(100), default="")
    station: Mapped[str] = mapped_column(String(100), default="")
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    waist_cm: Mapped[float | None] = mapped_column(Float)
    moderate_minutes: Mapped[float | None] = mapped_column(Float)
    strength_days: Mapped[int | None] = mapped_column(Integer)
    balance_days: Mapped[int | None] = mapped_column(Integer)
    sitting_hours: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Per visit fact (a measurement, notes, goals): who changed it, counted per station.
    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    participant: Mapped[Participant] = relationship(back_populates="assessments")
    results: Mapped[list[Result]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True
    )
    screenings: Mapped[list[Screening]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("participant_id", "event_id", name="uq_assessment_visit"),
        Index("ix_assessment_participant_day", "participant_id", "assessed_on"),
    )


class Screening(Base):
    """Safety screening at one visit; a later screening at the same visit supersedes it."""

    __tablename__ = "screening"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    excluded_tests: Mapped[list[str]] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))


class Result(Base):
    """One test at one visit: done (with its trials and the value that counts) or not done."""

    __tablename__ = "result"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    test_id: Mapped[str] = mapped_column(String(40))
    done: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(30))
    stop_reason: Mapped[str | None] = mapped_column(String(30))  # why the tester stopped it
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))
    modifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    station: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Who changed this result, counted per station (ffmot.core.lineage).
    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    assessment: Mapped[Assessment] = relationship(back_populates="results")
    trials: Mapped[list[Trial]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Trial.n"
    )
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("assessment_id", "test_id", name="uq_result_test"),
        CheckConstraint(
            "(done AND value IS NOT NULL) OR (NOT done AND reason IS NOT NULL)",
            name="done_or_reason",
        ),
    )


class Trial(Base):
    __tablename__ = "trial"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    result_id: Mapped[str] = mapped_column(ForeignKey("result.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(40), default="")


class AuditEntry(Base):
    """Who did what to which record, and when. Never holds personal data."""

    __tablename__ = "audit"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    station: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(36), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    # Empty for an entry made in this database; for one brought in from a station file, that
    # file (never a password), who brought it in and when: the station's record, not ours.
    origin: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The hash chain (ffmot/core/chain.py), for entries made here; None for brought-in ones.
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    entity_key: Mapped[str] = mapped_column(String(64), default="", server_default="")
    link: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The audit chain's last number and link: one row, taken under lock by each new entry."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    link: Mapped[str] = mapped_column(String(64))


class MergeConflict(Base):
    """A record that differs between this database and a merged one: both versions kept."""

    __tablename__ = "merge_conflict"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    source: Mapped[str] = mapped_column(String(500))
    local: Mapped[dict[str, Any]] = mapped_column(JSON)
    incoming: Mapped[dict[str, Any]] = mapped_column(JSON)
    incoming_hash: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("entity_id", "incoming_hash", name="uq_conflict_seen"),)


class MergedRecord(Base):
    """A record made part of another (two registrations of one person, or their two visits
    to one MOT day): a station file that still holds the old record brings its facts to the
    kept one instead of bringing the old record back. Travels with the station files."""

    __tablename__ = "merged_record"
    old_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kept_id: Mapped[str] = mapped_column(String(36), index=True)
    entity: Mapped[str] = mapped_column(String(30))  # participant or assessment
    merged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Tombstone(Base):
    """A one-way hash of an erased participant's id, so a merge never brings them back.

    Not even the random id itself is kept: nothing in the database links to the person.
    """

    __tablename__ = "tombstone"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Practitioner(Base):
    """Someone who may sign in: their name, role and PIN (only as an Argon2id hash). Never
    deleted: a practitioner who leaves is disabled, so the audit still names who did what."""

    __tablename__ = "practitioner"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    fold: Mapped[str] = mapped_column(String(100), unique=True)  # the name as signed in by
    role: Mapped[str] = mapped_column(String(20))
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("role IN ('station', 'coordinator', 'data_lead')", name="role"),
    )


class Setting(Base):
    """A rule a data lead sets for the whole database (the retention period), so that every
    station and the command line follow the same one."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


RECALL_STATES = ("invited", "booked")


class RecallMark(Base):
    """A step of the retest recall for one visit: the person was invited to a retest, or
    booked one (services/recall.py; that they came is their next visit). Erased with them."""

    __tablename__ = "recall_mark"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(100), default="")
    __table_args__ = (
        UniqueConstraint("assessment_id", "state", name="uq_recall_mark_state"),
        CheckConstraint("state IN ('invited', 'booked')", name="recall_state"),
    )
