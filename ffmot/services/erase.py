"""Erasure on request: the participant's personal data and results go, for good."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Text, cast, delete, func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ffmot.core import codes
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import _
from ffmot.core.paths import config_dir
from ffmot.services.permits import permit
from ffmot.services.records import audit
from ffmot.services.types import Actor
from ffmot.store.db import Database, explain
from ffmot.store.errors import StoreError
from ffmot.store.keys import open_draft
from ffmot.store.models import (
    Assessment,
    AuditEntry,
    MergeConflict,
    MergedRecord,
    Participant,
    Result,
    Tombstone,
    tombstone_key,
)


@dataclass(frozen=True)
class Erased:
    visits: int
    results: int
    # Why the space the records used has not been overwritten yet ("" when it has): the
    # records are gone either way; `ffmot db scrub` finishes the job once the cause is fixed.
    unfinished: str = ""


@dataclass(frozen=True)
class ToErase:
    """Who an erasure would erase, for the person erasing to check before it happens."""

    code: str
    name: str
    date_of_birth: str
    visits: int
    results: int


def to_erase(db: Database, actor: Actor, code_text: str) -> ToErase:
    """Who `erase_participant` would erase and how much of theirs; asks the same permission, so
    only someone who may erase sees the name."""
    code = codes.normalise(code_text)
    with db.transaction() as s:
        p = _to_erase(s, actor, code)
        visits = select(Assessment.id).where(Assessment.participant_id == p.id)
        results = s.scalar(
            select(func.count()).select_from(Result).where(Result.assessment_id.in_(visits))
        )
        return ToErase(
            code,
            f"{p.given_name} {p.family_name}".strip(),
            p.date_of_birth.strftime("%d/%m/%Y"),
            len(list(s.scalars(visits))),
            int(results or 0),
        )


def _to_erase(s: Session, actor: Actor, code: str) -> Participant:
    """The person with `code`, for someone allowed to erase; else a refusal in plain words."""
    permit(s, actor, "erase")
    p = s.scalar(select(Participant).where(Participant.code == code))
    if p is None:
        raise InputError(_("no participant has the code {code}", code=codes.display(code)))
    return p


def erase_participant(db: Database, actor: Actor, code_text: str, scrub_now: bool = True) -> Erased:
    """Deletes the participant, their consent, screening, visits, results and trials, and any
    merge conflict holding a copy of them; remembers only a hash of their id so a merge cannot
    bring them back. On SQLite the freed space is overwritten as it is freed, so no
    recoverable bytes remain (`scrub`), without rewriting the file; on PostgreSQL the tables
    are vacuumed, without the lock that would stop other stations."""
    code = codes.normalise(code_text)
    with db.transaction() as s:
        pid = _to_erase(s, actor, code).id
        visit_ids = list(s.scalars(select(Assessment.id).where(Assessment.participant_id == pid)))
        result_ids = list(s.scalars(select(Result.id).where(Result.assessment_id.in_(visit_ids))))
        n_results = len(result_ids)
        s.execute(
            delete(MergeConflict).where(MergeConflict.entity_id.in_([pid, *visit_ids, *result_ids]))
        )
        # Conflicts about this person's consent, screening or trials name the participant or
        # visit inside their JSON; remove any conflict mentioning the ids.
        for ident in [pid, *visit_ids]:
            s.execute(
                delete(MergeConflict).where(
                    or_(
                        cast(MergeConflict.local, Text).contains(ident),
                        cast(MergeConflict.incoming, Text).contains(ident),
                    )
                )
            )
        s.execute(delete(Participant).where(Participant.id == pid))  # cascades to the rest
        # Earlier audit entries stay (what was done, when, by whom) but no longer point at the
        # erased records; the tombstone keeps only a one-way hash of the id.
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.entity_id.in_([pid, *visit_ids, *result_ids]))
            .values(entity_id="")
        )
        s.add(Tombstone(id=tombstone_key(pid)))
        # Records once merged into theirs: a station file still holding one must not bring it
        # back either, so each gets a tombstone, and the link goes.
        merged = list(
            s.scalars(
                select(MergedRecord.old_id).where(
                    MergedRecord.kept_id.in_([pid, *visit_ids]),
                    MergedRecord.entity == "participant",
                )
            )
        )
        for old in merged:
            if s.get(Tombstone, tombstone_key(old)) is None:
                s.add(Tombstone(id=tombstone_key(old)))
        s.execute(delete(MergedRecord).where(MergedRecord.kept_id.in_([pid, *visit_ids])))
        audit(
            s,
            actor,
            "erase",
            "participant",
            "",
            f"erased on request: {len(visit_ids)} visit(s), {n_results} result(s)",
        )
    forget_leftovers(code, [pid, *visit_ids, *result_ids], key=db.key)
    if not scrub_now:  # several erased together: the caller overwrites once at the end
        return Erased(len(visit_ids), n_results)
    try:
        scrub(db)
    except StoreError as e:  # the rows are gone either way; say what did not finish
        return Erased(len(visit_ids), n_results, str(e))
    return Erased(len(visit_ids), n_results)


def forget_leftovers(
    code: str,
    ids: list[str],
    drafts: Path | None = None,
    log_folder: Path | None = None,
    key: bytes | None = None,
) -> int:
    """What ffmot keeps about the person outside the database goes too: a draft of an entry
    being typed for them (kept so a crash loses nothing) and any line of the log, its rotated
    copies included, naming their code or a record of theirs. Returns how many drafts and lines
    went. Exports, sheets and files written elsewhere are the data lead's to delete: the audit
    says which were written."""
    from ffmot.core import logs

    drafts = drafts if drafts is not None else config_dir() / "drafts"
    gone = 0
    try:
        names = sorted(drafts.glob("*.json"))
    except OSError:
        names = []
    for draft in names:
        try:
            data = json.loads(draft.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "sealed" in data:  # sealed with the database's key
                opened = open_draft(key, data["sealed"]) if key is not None else None
                data = json.loads(opened) if opened is not None else {}
            theirs = codes.normalise(str(data.get("code") or "")) == code
        except (OSError, ValueError, AttributeError, FfmotError):
            continue
        if theirs:
            logs.overwrite_and_remove(draft)
            gone += 1
    return gone + logs.forget({code, codes.display(code), *ids}, log_folder)


# The tables that can hold a person (the audit's old row versions kept their ids).
PERSONAL_TABLES = (
    "participant", "consent", "assessment", "screening", "result", "trial", "name_word",
    "merge_conflict", "merged_record", "audit",
)  # fmt: skip


def scrub(db: Database) -> None:
    """Leaves no byte of the erased records in the database's files, without rewriting them or
    stopping another station.

    SQLite: every connection runs with `secure_delete` (ffmot/store/db.py), so a deleted row's
    bytes, and a freed page, are overwritten with zeros as they go, in the table, its indexes
    and any overflow pages. What remains is the write-ahead log: it is checkpointed into the
    file (which then holds the zeroed pages) and truncated to nothing. A station reading at that
    moment holds the old log open: it is waited for, then said.

    PostgreSQL: a plain VACUUM of the tables that held them, which takes no lock that stops
    another station reading or writing. Old row versions in the server's own write-ahead log,
    archives, replicas and backups are the server's (docs/information-governance.md).

    Raises StoreError saying why if it cannot finish (a full disk, say); run again once that is
    fixed (`ffmot db scrub`)."""
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            if db.kind == "sqlite":
                # Waits (busy_timeout, 10 s) for a reader to finish with the old log.
                busy, _frames, _copied = c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                if not busy:
                    return
                raise StoreError(
                    _(
                        "the erased records are deleted, but another window was reading the "
                        "database, so its log could not be emptied yet: run 'ffmot db scrub' "
                        "when it is closed"
                    )
                )
            for table in PERSONAL_TABLES:
                c.execute(text(f'VACUUM "{table}"'))
    except SQLAlchemyError as e:
        raise explain(db, e) from None
