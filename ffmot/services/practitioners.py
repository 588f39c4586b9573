"""Named practitioners: who may sign in, with which role, and checking what they ask for.

A database is *protected* once its first data lead is made (the app asks for one when it first
opens a new database). From then on every practitioner signs in by name and their own PIN or
password, and each service that reads or changes records asks `permit` first: the role comes
from the database, never from what the caller says, so a name typed into a setting or an
environment variable gives no rights at all.

PINs are kept only as Argon2id hashes (memory-hard, from a maintained library). Wrong PINs in a
row lock the name for a while (resources/access.toml); every sign-in, failure, lock, new
practitioner and change of role is audited.

A database with no practitioners yet is *open*, as every database was before: anything may be
done, and the app and the command line say so on every start until a data lead is made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ffmot.core import access
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import N_, _
from ffmot.core.names import fold
from ffmot.services.permits import check, permit, protected
from ffmot.services.records import _clean_name, audit
from ffmot.services.types import Actor
from ffmot.store import keys
from ffmot.store.db import Database
from ffmot.store.models import Practitioner

__all__ = ["check", "permit"]

_HASHER = PasswordHasher()  # Argon2id with the library's recommended costs

OPEN_WARNING = N_(  # (N_: translated where shown, `_(OPEN_WARNING)`)
    "this database has no named practitioners yet, so anyone who can start ffmot can see and "
    "change everything in it. Make its data lead now: File ▸ Practitioners in the app, or "
    "'ffmot practitioners first-lead NAME'"
)


class SignInRefused(FfmotError):
    """Wrong name or PIN, a locked or disabled name: said without telling which."""


@dataclass(frozen=True)
class PractitionerInfo:
    id: str
    name: str
    role: str
    active: bool
    locked_until: dt.datetime | None


def _info(p: Practitioner) -> PractitionerInfo:
    return PractitionerInfo(p.id, p.name, p.role, p.disabled_at is None, p.locked_until)


def is_protected(db: Database) -> bool:
    with db.transaction() as s:
        return _protected(s)


_protected = protected


def list_practitioners(db: Database) -> list[PractitionerInfo]:
    with db.transaction() as s:
        return [_info(p) for p in s.scalars(select(Practitioner).order_by(Practitioner.fold))]


def _new(s: Session, by: Actor, name: str, role: str, secret: str) -> Practitioner:
    clean = _clean_name(name, N_("name"))
    access.check_role(role)
    access.check_secret(secret)
    if s.scalar(select(Practitioner).where(Practitioner.fold == fold(clean))) is not None:
        raise InputError(_("there is already a practitioner called {name}", name=clean))
    p = Practitioner(name=clean, fold=fold(clean), role=role, secret=_HASHER.hash(secret))
    s.add(p)
    s.flush()
    audit(s, by, "add_practitioner", "practitioner", p.id, f"role {role}")
    return p


def first_data_lead(db: Database, name: str, secret: str) -> PractitionerInfo:
    """Protects an open database: its first practitioner, a data lead. Refused once it has
    any practitioner (then only a data lead may add people). On an encrypted file their PIN
    then unlocks it, and this computer account no longer keeps its key (store/keys.py): the
    recovery code (`recovery_code`) is the only other way in."""
    with db.transaction() as s:
        if _protected(s):
            raise InputError(
                _("this database already has practitioners: a data lead adds new ones")
            )
        clean = _clean_name(name, N_("name"))
        access.check_secret(secret)
        _seal(db, clean, secret)  # before the commit: a crash leaves the device key too
        p = _new(s, Actor(clean, "set-up"), name, "data_lead", secret)
        info = _info(p)
    if db.encrypted and db.path is not None:
        keys.drop_device_key(db.path)
    return info


def recovery_code(db: Database) -> str:
    """The encrypted database's recovery code (store/keys.py), "" for one not encrypted."""
    return keys.recovery_code(db.key) if db.key is not None else ""


def encrypted_now(db: Database, by: Actor) -> list[str]:
    """After `ffmot db encrypt`: the signed-in data lead's PIN opens the file (they were sealed
    by signing in) and this computer account's key is dropped; returns the other active
    practitioners, who need a new PIN from a data lead before they can sign in. An open
    database keeps its key on this computer account until its data lead is made."""
    with db.transaction() as s:
        audit(s, by, "encrypt_database", "database", "", "plain file encrypted")
        if not _protected(s):
            return []
        others = s.scalars(
            select(Practitioner.name).where(
                Practitioner.disabled_at.is_(None), Practitioner.id != by.practitioner_id
            )
        ).all()
    if db.path is not None and db.key is not None and by.practitioner_id:
        keys.drop_device_key(db.path)
    return [n for n in others if db.path is None or not keys.has_seal(db.path, fold(n))]


def recover_access(db: Database, name: str, secret: str) -> PractitionerInfo:
    """With the database opened by its recovery code (store/keys.py): a data lead who forgot
    their PIN, or whose seal was lost with the .keys file, is given a new one. Whoever holds the
    recovery code holds the key itself, so this asks nothing more; it is audited."""
    if db.key is None or db.path is None:
        raise InputError(_("only an encrypted database file is opened with a recovery code"))
    with db.transaction() as s:
        p = _by_name(s, name)
        if p.role != "data_lead" or p.disabled_at is not None:
            raise InputError(
                _(
                    "{name} is not an active data lead: give a data lead's name; they can then "
                    "give everyone else new PINs",
                    name=p.name,
                )
            )
        access.check_secret(secret)
        p.secret = _HASHER.hash(secret)
        p.failures = 0
        p.locked_until = None
        audit(s, Actor(p.name, "recovery"), "recover_access", "practitioner", p.id)
        _seal(db, p.name, secret)
        info = _info(p)
    keys.drop_device_key(db.path)
    return info


def _seal(db: Database, name: str, secret: str) -> None:
    """Lets this practitioner's PIN unlock an encrypted database file."""
    if db.key is not None and db.path is not None:
        keys.seal(db.path, db.key, fold(name), secret)


def add_practitioner(
    db: Database, by: Actor, name: str, role: str, secret: str
) -> PractitionerInfo:
    with db.transaction() as s:
        permit(s, by, "manage_practitioners")
        info = _info(_new(s, by, name, role, secret))
        _seal(db, info.name, secret)
        return info


def set_role(db: Database, by: Actor, name: str, role: str) -> PractitionerInfo:
    with db.transaction() as s:
        permit(s, by, "manage_practitioners")
        p = _by_name(s, name)
        access.check_role(role)
        if p.role == "data_lead" and role != "data_lead":
            _keep_a_data_lead(s, p)
        audit(s, by, "set_role", "practitioner", p.id, f"{p.role} to {role}")
        p.role = role
        return _info(p)


def disable(db: Database, by: Actor, name: str) -> PractitionerInfo:
    """They can no longer sign in; what they did stays theirs in the audit."""
    with db.transaction() as s:
        permit(s, by, "manage_practitioners")
        p = _by_name(s, name)
        if p.role == "data_lead":
            _keep_a_data_lead(s, p)
        p.disabled_at = dt.datetime.now(dt.UTC)
        audit(s, by, "disable_practitioner", "practitioner", p.id)
        info = _info(p)
    if db.path is not None and db.key is not None:
        keys.remove_seal(db.path, p.fold)  # their PIN no longer opens the file
    return info


def change_secret(db: Database, by: Actor, name: str, secret: str) -> None:
    """A practitioner changes their own PIN, or a data lead sets a new one for someone who
    forgot theirs (which also unlocks the name)."""
    with db.transaction() as s:
        p = _by_name(s, name)
        if p.id != by.practitioner_id:
            permit(s, by, "manage_practitioners")
        access.check_secret(secret)
        p.secret = _HASHER.hash(secret)
        p.failures = 0
        p.locked_until = None
        audit(s, by, "change_pin", "practitioner", p.id)
        if p.disabled_at is None:
            _seal(db, p.name, secret)  # the new PIN opens the file; the old one no longer


def _keep_a_data_lead(s: Session, leaving: Practitioner) -> None:
    others = s.scalar(
        select(func.count())
        .select_from(Practitioner)
        .where(
            Practitioner.role == "data_lead",
            Practitioner.disabled_at.is_(None),
            Practitioner.id != leaving.id,
        )
    )
    if not others:
        raise InputError(
            _(
                "{name} is the only data lead: make someone else data lead first, or "
                "nobody could add practitioners or give out records",
                name=leaving.name,
            )
        )


def _by_name(s: Session, name: str) -> Practitioner:
    p = s.scalar(select(Practitioner).where(Practitioner.fold == fold(name.strip())))
    if p is None:
        raise InputError(_("no practitioner is called {name}", name=name.strip()))
    return p


def unlock(path: Path, name: str, secret: str, station: str) -> bytes:
    """Opens an encrypted file that opens only with a practitioner's PIN (store/keys.py), with
    the sign-in policy of resources/access.toml: the same lock after wrong PINs in a row, and
    the same words, as `sign_in`. The refusal reaches the audit at the next sign-in."""
    policy = access.rules().policy
    try:
        key = keys.unseal(
            path,
            fold(name.strip()),
            secret,
            station,
            policy.lock_after_failures,
            policy.lock_minutes,
        )
    except keys.KeyRefused as e:
        raise SignInRefused(str(e)) from None
    _PROVEN.add(_proof(path, name, secret))
    return key


# Name and PIN pairs that just opened their seal in this process: the PIN is proven, so the
# sign-in that follows need not spend another Argon2 hash on it (half the wait). Kept as a
# one-way hash, and used once.
_PROVEN: set[bytes] = set()


def _proof(path: Path, name: str, secret: str) -> bytes:
    import hashlib

    return hashlib.sha256(f"{path}\0{fold(name.strip())}\0{secret}".encode()).digest()


def _bring_in_refusals(s: Session, db: Database) -> None:
    """Sign-ins refused before the file was unlocked, from its .keys file into the audit."""
    if db.path is None or db.key is None:
        return
    folds = {f: n for f, n in s.execute(select(Practitioner.fold, Practitioner.name))}
    for r in keys.take_refusals(db.path, folds):
        who = r.get("name") or "unknown"
        detail = f"{r.get('detail', '')}, before the database was opened, at {r.get('at', '')}"
        audit(s, Actor(who, r.get("station", "")), "sign_in_refused", "practitioner", "", detail)


def sign_in(db: Database, name: str, secret: str, station: str) -> Actor:
    """The practitioner, checked against their PIN: an Actor the services will trust. A
    refusal never says whether the name or the PIN was wrong. A failure is saved (and
    audited) before the refusal is raised, so wrong PINs count towards the lock."""
    now = dt.datetime.now(dt.UTC)
    policy = access.rules().policy
    signed: Actor | None = None
    with db.transaction() as s:
        _bring_in_refusals(s, db)
        p = s.scalar(select(Practitioner).where(Practitioner.fold == fold(name.strip())))
        if p is None:
            _HASHER.hash(secret or "x")  # the same work as a real check: no timing tell
            audit(s, Actor("unknown", station), "sign_in_refused", "practitioner", "")
        else:
            locked = p.locked_until
            if locked is not None and locked.tzinfo is None:
                locked = locked.replace(tzinfo=dt.UTC)
            if p.disabled_at is not None or (locked is not None and locked > now):
                why = "disabled" if p.disabled_at is not None else "locked"
                audit(s, Actor(p.name, station), "sign_in_refused", "practitioner", p.id, why)
            elif not _proven(db, p.name, secret) and not _matches(p.secret, secret):
                p.failures += 1
                detail = f"wrong PIN ({p.failures} in a row)"
                if p.failures >= policy.lock_after_failures:
                    p.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
                    p.failures = 0
                    detail += f"; locked for {policy.lock_minutes} minutes"
                audit(s, Actor(p.name, station), "sign_in_refused", "practitioner", p.id, detail)
            else:
                p.failures = 0
                p.locked_until = None
                if _HASHER.check_needs_rehash(p.secret):
                    p.secret = _HASHER.hash(secret)
                audit(s, Actor(p.name, station), "sign_in", "practitioner", p.id)
                signed = Actor(p.name, station, practitioner_id=p.id)
                # A practitioner made before the file was encrypted gets their seal now.
                if (
                    db.path is not None
                    and db.key is not None
                    and not keys.has_seal(db.path, p.fold)
                ):
                    _seal(db, p.name, secret)
    if signed is None:
        raise SignInRefused(
            _(
                "that name and PIN do not match a practitioner who may sign in here. Check both "
                "and try again, or ask your data lead"
            )
        )
    return signed


def _proven(db: Database, name: str, secret: str) -> bool:
    if db.path is None or db.key is None:
        return False
    proof = _proof(db.path, name, secret)
    if proof in _PROVEN:
        _PROVEN.discard(proof)
        return True
    return False


def _matches(stored: str, secret: str) -> bool:
    try:
        return _HASHER.verify(stored, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
