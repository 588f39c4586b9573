"""The command-line verbs that work on the database.

Why one room: each database verb is a short function over one service; they share how a command
opens, signs in to and closes the database.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from ffmot.core import codes
from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.core.vocabulary import sex_words
from ffmot.services.types import Actor
from ffmot.store.db import Database, current_revision, describe, explain, upgrade_schema

# What each verb needs the signed-in practitioner's role to allow, where its service does not
# check for itself (erase, correct, export and import do).
_ACTIONS = {
    "db": "manage_practitioners",
    "demo": "manage_days",
    "participants": "view_day",
    "events": "view_day",
    "merge": "merge",
    "merge-people": "merge_people",
    "save-work": "save_work",
}

# A person's sex in words, as `ffmot correct` says it (the stored value is data).


def run(args: argparse.Namespace, out: TextIO) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ffmot.cli.access import connect_as, sign_in
    from ffmot.services.permits import check

    if args.command == "erase":
        from ffmot.cli.access import check_can_confirm

        check_can_confirm(args)
    if args.command == "db" and args.action == "recover":
        _recover(args)
    if args.command == "demo":  # before the database is opened (or made)
        from ffmot.services.demo_load import check_room

        check_room(args.participants)
    db = connect_as(args, upgrade=args.command != "db")
    if db.warning:
        sys.stderr.write("ffmot: " + _("warning: {warning}", warning=db.warning) + "\n")
    try:
        if getattr(args, "recovered", False):  # the recovery code is the key itself
            args.actor = Actor("recovery code", "command line")
        elif args.command == "db" and not _has_practitioners_table(db):
            args.actor = Actor("schema upgrade", "command line")  # older than practitioners
        else:
            args.actor = sign_in(db, args)
            if args.command in _ACTIONS:
                check(db, args.actor, _ACTIONS[args.command])
        return _VERBS[args.command](db, args, out)
    except SQLAlchemyError as e:
        raise explain(db, e) from None
    finally:
        db.close()


def _has_practitioners_table(db: Database) -> bool:
    from sqlalchemy import inspect

    with db.engine.connect() as c:
        return inspect(c).has_table("practitioner")


def _recover(args: argparse.Namespace) -> None:
    """Unlocks an encrypted file with its recovery code, before it is opened (see `_db`)."""
    import getpass

    from ffmot.cli.access import read_pin_file
    from ffmot.store import keys
    from ffmot.store.db import resolve_url

    url = resolve_url(args.db)
    if not url.startswith("sqlite:///"):
        raise InputError(_("only a database file on this computer has a recovery code"))
    path = Path(url.removeprefix("sqlite:///"))
    if args.recovery_file:
        code = read_pin_file(Path(args.recovery_file))
    elif sys.stdin is not None and sys.stdin.isatty():
        code = getpass.getpass(_("Recovery code: "))
    else:
        raise InputError(
            _("give the recovery code in --recovery-file FILE, or run from a terminal")
        )
    key = keys.recover(path, code)
    if keys.read_envelope(path) is None:
        keys.rebuild_envelope(path, key)
    args.recovered = True


def _db(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "recover":
        return _recovered(db, args, out)
    if args.action == "encrypt":
        return _encrypt(db, args, out)
    if args.action == "scrub":
        from ffmot.services.erase import scrub

        scrub(db)
        said = _(
            "{database}: the space of erased records is overwritten", database=describe(db.url)
        )
        out.write(said + "\n")
        return 0
    before = current_revision(db)
    changed = upgrade_schema(db)
    after = current_revision(db)
    where = describe(db.url)
    if changed and before:
        said = _(
            "{database}: schema upgraded from {old} to {new}", database=where, old=before, new=after
        )
    elif changed:
        said = _("{database}: schema upgraded from empty to {new}", database=where, new=after)
    else:
        said = _("{database}: schema {revision} is up to date", database=where, revision=after)
    out.write(said + "\n")
    return 0


def _recovered(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.cli.access import new_pin
    from ffmot.services.practitioners import recover_access

    where = describe(db.url)
    if not args.user:
        said = _(
            "{database}: the recovery code opens it. To sign in again, run this again with "
            "--user and a data lead's name: they are given a new PIN",
            database=where,
        )
        out.write(said + "\n")
        return 0
    p = recover_access(db, args.user, new_pin(args))
    said = _(
        "{database}: {name} has a new PIN and can sign in again; they can now give everyone "
        "else new PINs ('ffmot practitioners pin NAME')",
        database=where,
        name=p.name,
    )
    out.write(said + "\n")
    return 0


def _encrypt(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.services.practitioners import encrypted_now
    from ffmot.store.db import connect
    from ffmot.store.encryption import encrypt_file

    where = describe(db.url)
    if db.path is not None and db.encrypted:
        out.write(_("{database} is already encrypted", database=where) + "\n")
        return 0
    encrypt_file(db)
    new = connect(args.db)
    try:
        from ffmot.cli.access import sign_in

        if args.actor.practitioner_id:  # signed in again: their PIN now opens the file
            args.actor = sign_in(new, args)
        others = encrypted_now(new, args.actor)
    finally:
        new.close()
    said = _("{database} is now encrypted; the plain copy was overwritten", database=where)
    out.write(said + "\n")
    if args.actor.practitioner_id:
        from ffmot.cli.access import RECOVERY_WARNING
        from ffmot.services.practitioners import recovery_code

        reopened = connect(args.db)
        try:
            out.write(_(RECOVERY_WARNING, code=recovery_code(reopened)))
        finally:
            reopened.close()
    if others:
        said = _(
            "These practitioners need a new PIN from a data lead before they can sign in "
            "('ffmot practitioners pin NAME'): {names}",
            names=", ".join(others),
        )
        out.write(said + "\n")
    return 0


def _demo(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.demo import generate
    from ffmot.services.demo_load import load_demo

    if args.participants < 1:
        raise InputError(_("--participants must be at least 1"))
    data = generate(participants=args.participants, seed=args.seed, station=args.station)
    s = load_demo(db, args.actor, data, seed=args.seed)
    said = _(
        "{database}: added {participants} synthetic participants, {visits} visits and "
        "{results} results at {days} training MOT day(s)",
        database=describe(db.url),
        participants=s.participants,
        visits=s.visits,
        results=s.results,
        days=s.events,
    )
    out.write(said + "\n")
    return 0


def _participants(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.services.records import record_given_out, search_participants

    rows = search_participants(db, args.search, limit=args.limit)
    shown = f"{len(rows)} shown" + (" for a search" if args.search else "")
    record_given_out(db, args.actor, "list", "participant", "", shown)
    # The heading is for people (a script skips the first line); the columns are data.
    out.write(f"{_('code'):<9} {_('name'):<32} {_('age'):>3}  {_('last assessed')}\n")
    for r in rows:
        last = r.last_assessed.isoformat() if r.last_assessed else "-"
        out.write(f"{codes.display(r.code):<9} {r.name[:32]:<32} {r.age:>3}  {last}\n")
    if not rows:
        out.write(_("(nobody found)") + "\n")
    return 0


def _events(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.services.records import list_events

    events = list_events(db)
    if args.json:
        json.dump(
            [
                {
                    "id": e.id,
                    "name": e.name,
                    "date": e.date.isoformat(),
                    "venue": e.venue,
                    "organisation": e.organisation,
                    "participants": e.participants,
                    "training": e.training,
                    "tests_offered": list(e.tests_offered),
                    "norm_set_version": e.norm_set_version,
                }
                for e in events
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return 0
    names = [_("{name} (training)", name=e.name) if e.training else e.name for e in events]
    # The heading is for people (a script skips the first line, or asks for --json).
    heading = _("name")
    width = max([len(heading), *map(len, names)])
    out.write(
        f"{_('id'):<8}  {_('date'):<10}  {_('people'):>6}  {heading:<{width}}  {_('venue')}\n"
    )
    for e, name in zip(events, names, strict=True):
        out.write(
            f"{e.id[:8]:<8}  {e.date.isoformat():<10}  {e.participants:>6}  {name:<{width}}  "
            f"{e.venue}\n"
        )
    if not events:
        out.write(_("(no MOT days yet)") + "\n")
    return 0


def _export(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.core.anonymity import DEFAULT_K
    from ffmot.services.export import export_file
    from ffmot.services.records import get_event

    if args.k is not None and not args.anonymised:
        raise InputError(_("--k goes with --anonymised"))
    event_id = get_event(db, args.event).id if args.event else None
    path = Path(args.out)
    k = DEFAULT_K if args.k is None else args.k
    s = export_file(
        db, args.actor, path, args.format, anonymised=args.anonymised, event_id=event_id, k=k
    )
    if args.anonymised and s.left_out:
        said = _(
            "wrote {rows} anonymised rows for {participants} participant(s) to {path}; "
            "{left_out} participant(s) left out (no consent to anonymous use)",
            rows=s.rows,
            participants=s.participants,
            path=path,
            left_out=s.left_out,
        )
    elif args.anonymised:
        said = _(
            "wrote {rows} anonymised rows for {participants} participant(s) to {path}",
            rows=s.rows,
            participants=s.participants,
            path=path,
        )
    else:
        said = _(
            "wrote {rows} rows for {participants} participant(s) to {path}",
            rows=s.rows,
            participants=s.participants,
            path=path,
        )
    if s.k_anonymity is not None:
        said += "".join("\n" + line for line in s.k_anonymity.lines())
    out.write(said + "\n")
    return 0


def _import(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.services.transfer import import_file

    s = import_file(
        db,
        args.actor,
        Path(args.file),
        update=args.update,
        take_consents=args.take_consents,
    )
    # Whole clauses, each its own message, joined by "; " as before.
    said = [
        _(
            "imported {results} results: {participants} new participant(s), {days} MOT day(s), "
            "{visits} visit(s); {already_there} result(s) already there",
            results=s.results,
            participants=s.participants,
            days=s.events,
            visits=s.visits,
            already_there=s.already_there,
        )
    ]
    if s.updated:
        said.append(_("{results} result(s) changed to the file's value", results=s.updated))
    if s.consents:
        said.append(
            _(
                "{decisions} consent decision(s) for {participants} participant(s) taken from "
                "the file",
                decisions=s.consents,
                participants=s.consent_people,
            )
        )
    if s.consents_not_taken:
        said.append(s.consents_not_taken_note())
    out.write("; ".join(said) + "\n")
    return 0


def _merge(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """Each file in turn; one that cannot be brought in is named, and the rest still come in.
    Exit 2 when a file, or a record in one, could not come in."""
    from ffmot.core.errors import FfmotError
    from ffmot.services.merge import merge

    failed = 0
    for spec in args.sources:
        try:
            report = merge(db, args.actor, spec)
        except FfmotError as e:
            failed += 1
            sys.stderr.write(f"ffmot: {spec}: {e}\n")
            continue
        out.write(report.line() + "\n")
        failed += bool(report.bad)  # the rest came in, but someone must look at these
    return 2 if failed else 0


def _save_work(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from ffmot.services.station_file import save_station_work

    path = save_station_work(db, Path(args.out).expanduser(), args.station)
    said = _("saved this station's work to {path} (bring it in at the results table)", path=path)
    out.write(said + "\n")
    return 0


def _erase(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """Shows who, asks for ERASE (unless --yes), erases."""
    from ffmot.cli.access import confirm_erasure
    from ffmot.services.erase import erase_participant, to_erase

    code = codes.normalise(args.code)
    if not args.yes:
        who = to_erase(db, args.actor, code)
        confirm_erasure(
            args,
            _(
                "{code}: {name}, born {born}; {visits} visit(s) and {results} result(s) will be "
                "erased, with their personal details, consent and screening",
                code=codes.display(who.code),
                name=who.name,
                born=who.date_of_birth,
                visits=who.visits,
                results=who.results,
            ),
        )
    e = erase_participant(db, args.actor, code)
    said = _(
        "erased {code}: personal details, {visits} visit(s) and {results} result(s); the "
        "audit log keeps only that an erasure happened",
        code=codes.display(code),
        visits=e.visits,
        results=e.results,
    )
    out.write(said + "\n")
    if e.unfinished:
        from ffmot.cli.access import not_yet_overwritten

        sys.stderr.write("ffmot: " + not_yet_overwritten(e.unfinished) + "\n")
        return 2
    return 0


def _correct(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """A participant's details put right (the sex and date of birth decide the norms); the
    audit log records who changed which fields, not the values."""
    from ffmot.core.ages import parse_date
    from ffmot.services import records as R

    changes: dict[str, object] = {}
    if args.given is not None:
        changes["given_name"] = args.given
    if args.family is not None:
        changes["family_name"] = args.family
    if args.dob is not None:
        changes["date_of_birth"] = parse_date(args.dob, "--dob")
    if args.sex is not None:
        changes["sex"] = args.sex
    if args.language is not None:
        changes["language"] = args.language
    if not changes:
        raise InputError(_("say what to correct: --given, --family, --dob, --sex or --language"))
    p = R.find_by_code(db, args.code)
    q = R.update_participant(db, args.actor, p.id, p.version, **changes)
    said = _(
        "corrected {code}: {name}, born {born}, {sex}, sheet in {language}",
        code=codes.display(q.code),
        name=q.name,
        born=q.date_of_birth.isoformat(),
        sex=sex_words(q.sex),
        language=q.language,
    )
    out.write(said + "\n")
    return 0


def _merge_people(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """Two records of one person made one: shows both and what will move, asks, merges."""
    import sys

    from ffmot.services import people as P
    from ffmot.services import records as R

    keep = R.find_by_code(db, args.keep)
    other = R.find_by_code(db, args.other)
    plan = P.plan_merge(db, keep.id, other.id)
    out.write(_("keep:   {person}", person=P.person_line(plan.keep)) + "\n")
    for v in plan.keep_visits:
        out.write(f"          {v.line()}\n")
    out.write(_("merge:  {person}", person=P.person_line(plan.other)) + "\n")
    for v in plan.other_visits:
        out.write(f"          {v.line()}\n")
    if plan.clashes:
        raise InputError(
            _(
                "these records cannot be merged yet, nothing was changed: {problems}",
                problems="; ".join(plan.clashes),
            )
        )
    if plan.differences and not args.accept_different_details:
        kept = codes.display(plan.keep.code)
        if len(plan.differences) == 1:
            raise InputError(
                _(
                    "the records differ in {difference}. These decide the norms, and the merged "
                    "record keeps {code}'s: correct the wrong record first ('ffmot correct'), or "
                    "add --accept-different-details if the kept record's are right. Nothing was "
                    "changed",
                    difference=plan.differences[0],
                    code=kept,
                )
            )
        # Two at most: the sex and the date of birth.
        raise InputError(
            _(
                "the records differ in {difference} and in {other_difference}. These decide the "
                "norms, and the merged record keeps {code}'s: correct the wrong record first "
                "('ffmot correct'), or add --accept-different-details if the kept record's are "
                "right. Nothing was changed",
                difference=" and in ".join(plan.differences[:-1]),
                other_difference=plan.differences[-1],
                code=kept,
            )
        )
    out.write(plan.moves() + "\n")
    if not args.yes:
        out.write(_("Merge them? Type {word} to go ahead: ", word="yes"))
        out.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            out.write("\n" + _("nothing was merged") + "\n")
            return 2  # not done as asked (see EXIT_STATUSES in ffmot/cli/main.py)
    p = P.merge_participants(
        db,
        args.actor,
        plan.keep.id,
        plan.other.id,
        accept_different_details=args.accept_different_details,
    )
    said = _(
        "merged {other} into {code} ({name}); the card {other} no longer works",
        other=codes.display(plan.other.code),
        code=codes.display(p.code),
        name=p.name,
    )
    out.write(said + "\n")
    return 0


_VERBS = {
    "correct": _correct,
    "merge-people": _merge_people,
    "db": _db,
    "demo": _demo,
    "participants": _participants,
    "events": _events,
    "export": _export,
    "import": _import,
    "merge": _merge,
    "save-work": _save_work,
    "erase": _erase,
}
