"""Who is running a command: signing in on the command line, and the `practitioners` verbs.

On a protected database (one with named practitioners) every command that opens it signs in:
`--user NAME`, and the PIN typed at a prompt, or read from `--pin-file FILE` for scheduled
jobs (a file only its owner can read, so the PIN is never in the command line, the shell's
history or the environment). A name in FFMOT_USER alone gives no rights there. On an open
database the name is taken as given, with a warning that anyone can do anything.

Why one room: signing in and the practitioners' verbs share the PIN prompts, the lock-out and the
audit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ffmot.core.errors import InputError
from ffmot.core.i18n import N_, _, _n, month_name
from ffmot.services.types import Actor

if TYPE_CHECKING:  # the database's code loads only for a command that opens one
    from ffmot.store.db import Database

STATION = "command line"

# Shown as _(RECOVERY_WARNING, code=...), in the language of the moment.
RECOVERY_WARNING = N_("""
The database is encrypted, and now opens only with a practitioner's PIN. Its recovery code:

    {code}

Write it down now and keep it locked away, apart from this computer. If every data lead
forgets their PIN, or the .keys file beside the database is lost, this code is the only way
to open the records: without it nobody, not even ffmot's makers, can get them back.
""")


def connect_as(args: argparse.Namespace, upgrade: bool = True) -> Database:
    """Opens the database the command names. An encrypted file locked behind its
    practitioners' PINs (store/keys.py) is unlocked first by --user and the PIN, which
    `sign_in` then checks against the database as for any protected database."""
    from ffmot.store import keys
    from ffmot.store.db import connect

    try:
        return connect(args.db, upgrade=upgrade)
    except keys.Locked as e:
        if not keys.keyfile(e.path).exists():
            raise
        user = (getattr(args, "user", None) or "").strip()
        if not user:
            raise InputError(
                _(
                    "{path} is encrypted and opens only for its practitioners: give --user YOUR "
                    "NAME (the PIN is asked for, or read from --pin-file)",
                    path=e.path,
                )
            ) from None
        from ffmot.services.practitioners import unlock

        unlock(e.path, user, _pin(args), STATION)
    return connect(args.db, upgrade=upgrade)


def sign_in(db: Database, args: argparse.Namespace) -> Actor:
    """The actor a command runs as (see the module's notes)."""
    from ffmot.services.practitioners import OPEN_WARNING, is_protected
    from ffmot.services.practitioners import sign_in as check_pin

    user = (getattr(args, "user", None) or "").strip()
    if not is_protected(db):
        # Said to a person at a terminal, every time; a script's output stays its own.
        if getattr(args, "command", "") != "practitioners" and _to_a_person():
            warning = _("warning: {warning}", warning=_(OPEN_WARNING))
            sys.stderr.write("ffmot: " + warning + "\n")
        return Actor(user or _login_name(), STATION)
    if not user:
        raise InputError(
            _(
                "this database has named practitioners: give --user YOUR NAME (the PIN is asked "
                "for, or read from --pin-file)"
            )
        )
    return check_pin(db, user, _pin(args), STATION)


def _to_a_person() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (OSError, ValueError):
        return False


def _login_name() -> str:
    try:
        return os.environ.get("FFMOT_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _pin(args: argparse.Namespace) -> str:
    """The PIN, asked for (or read) once per command."""
    given = getattr(args, "pin_given", None)
    if given is None:
        given = args.pin_given = _read_pin(args)
    return str(given)


def _read_pin(args: argparse.Namespace) -> str:
    path = getattr(args, "pin_file", None)
    if path:
        return read_pin_file(Path(path))
    if not sys.stdin or not sys.stdin.isatty():
        raise InputError(
            _(
                "no PIN: type it at the prompt (run from a terminal), or give --pin-file FILE "
                "(a file only you can read)"
            )
        )
    return getpass.getpass(_("PIN or password: "))


def read_pin_file(path: Path) -> str:
    try:
        st = os.stat(path)
    except OSError as e:
        raise InputError(
            _("cannot read the PIN file {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(_("the PIN file {path} is not a regular file", path=path))
    if hasattr(os, "getuid") and (st.st_mode & 0o077 or st.st_uid != os.getuid()):
        raise InputError(
            _(
                "the PIN file {path} can be read by others: make it yours alone "
                "(chmod 600 {path}) and set a new PIN, as the old one may have been seen",
                path=path,
            )
        )
    if st.st_size > 1024:
        raise InputError(_("the PIN file {path} is too long to be a PIN file", path=path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(
            _("cannot read the PIN file {path}: {problem}", path=path, problem=e)
        ) from None
    return text.rstrip("\r\n")


CONFIRM_WORD = "ERASE"


def check_can_confirm(args: argparse.Namespace) -> None:
    """Before anything is opened: an erasure is confirmed by a person typing ERASE at a
    terminal, or given --yes. A script without --yes is refused, so it never erases by mistake."""
    if getattr(args, "yes", False):
        return
    if not _at_a_terminal():
        raise InputError(
            _(
                "'ffmot {command}' erases people for good and asks first, but there is no "
                "terminal to ask at: add --yes to erase without asking",
                command=args.command,
            )
        )


def confirm_erasure(args: argparse.Namespace, what: str) -> None:
    """Shows `what` will be erased and asks for ERASE to be typed; anything else (an Enter, a
    "y", the end of the input) refuses, and nothing is erased. --yes: no question."""
    if getattr(args, "yes", False):
        return
    ask = _(
        "This cannot be undone. Type {word} to confirm (anything else stops here): ",
        word=CONFIRM_WORD,
    )
    sys.stderr.write(what + "\n" + ask)
    sys.stderr.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    if answer.strip() != CONFIRM_WORD:
        raise InputError(_("{word} was not typed: nothing was erased", word=CONFIRM_WORD))


def _at_a_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):
        return False


def new_pin(args: argparse.Namespace) -> str:
    if getattr(args, "new_pin_file", None):
        return read_pin_file(Path(args.new_pin_file))
    if not sys.stdin or not sys.stdin.isatty():
        raise InputError(_("give the new PIN in --new-pin-file FILE, or run from a terminal"))
    first = getpass.getpass(_("New PIN or password: "))
    if getpass.getpass(_("Again: ")) != first:
        raise InputError(_("the two PINs were not the same: nothing was changed"))
    return first


def run(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """`ffmot practitioners first-lead|add|list|role|disable|pin`."""
    from ffmot.core.access import rules
    from ffmot.services import practitioners as P

    what = args.what
    if what == "first-lead":
        if not args.name:
            raise InputError(_("give the data lead's name"))
        p = P.first_data_lead(db, args.name, new_pin(args))
        said = _(
            "{name} is this database's data lead. From now on everyone signs in with their "
            "own name and PIN; add them with 'ffmot practitioners add'",
            name=p.name,
        )
        out.write(said + "\n")
        code = P.recovery_code(db)
        if code:
            out.write(_(RECOVERY_WARNING, code=code))
        return 0
    actor = sign_in(db, args)
    if what == "list":
        P.check(db, actor, "manage_practitioners")
        labels = rules().labels
        for p in P.list_practitioners(db):
            state = "" if p.active else " (disabled)"
            out.write(f"{p.name}\t{labels.get(p.role, p.role)}{state}\n")
        return 0
    if not args.name:
        raise InputError(_("give the name of the practitioner to {verb}", verb=what))
    if what == "add":
        if not args.role:
            raise InputError(_("give --role station, coordinator or data_lead"))
        p = P.add_practitioner(db, actor, args.name, args.role, new_pin(args))
        out.write(_("added {name} as a {role}", name=p.name, role=rules().labels[p.role]) + "\n")
    elif what == "role":
        if not args.role:
            raise InputError(_("give --role station, coordinator or data_lead"))
        p = P.set_role(db, actor, args.name, args.role)
        out.write(_("{name} is now a {role}", name=p.name, role=rules().labels[p.role]) + "\n")
    elif what == "disable":
        p = P.disable(db, actor, args.name)
        said = _(
            "{name} can no longer sign in; what they did stays theirs in the audit", name=p.name
        )
        out.write(said + "\n")
    elif what == "pin":
        P.change_secret(db, actor, args.name, new_pin(args))
        out.write(_("the PIN of {name} is changed", name=args.name.strip()) + "\n")
    return 0


def run_audit(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """`ffmot audit verify`: is the chain of this database's own entries whole? `ffmot audit
    list`: the newest entries, those brought in from station files marked as theirs."""
    from ffmot.services import audit_log

    actor = sign_in(db, args)
    if args.what == "verify":
        v = audit_log.verify(db, actor)
        if v.brought_in:
            said = _n(
                "{count} entry in this database's chain; {brought_in} brought in from station "
                "files, kept apart",
                "{count} entries in this database's chain; {brought_in} brought in from station "
                "files, kept apart",
                v.entries,
                brought_in=v.brought_in,
            )
        else:
            said = _n(
                "{count} entry in this database's chain",
                "{count} entries in this database's chain",
                v.entries,
            )
        out.write(said + "\n")
        if v.problem:
            said = _("the audit is not whole: {problem}", problem=v.problem)
            sys.stderr.write("ffmot: " + said + "\n")
            return 2
        said = _(
            "the chain is whole. Its head is {head}: note it down; a later check that shows "
            "a different chain up to this entry means the audit was rewritten",
            head=v.head,
        )
        out.write(said + "\n")
        return 0
    for e in audit_log.entries(db, actor, args.last):
        where = f" [{e.origin}]" if e.origin else ""
        number = f"{e.seq:>6}" if e.seq is not None else "     -"
        out.write(
            f"{number}  {e.at:%Y-%m-%d %H:%M}  {e.actor} ({e.station})  {e.action} {e.entity}"
            f"{': ' + e.detail if e.detail else ''}{where}\n"
        )
    return 0


def run_retention(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """`ffmot retention [--set-months N] [--apply]`: a data lead's."""
    from ffmot.services import retention

    actor = sign_in(db, args)
    if args.set_months is not None:
        retention.set_period(db, actor, args.set_months)
        said = _n(
            "records are kept for {count} month after a person was last seen",
            "records are kept for {count} months after a person was last seen",
            args.set_months,
        )
        out.write(said + "\n")
        if not args.apply:
            return 0
    if args.apply:
        d = retention.due(db, actor)
        if d.codes:
            confirm_erasure(
                args,
                _n(
                    "{count} person last seen before {date} will be erased: their personal "
                    "details, consent, screening, visits and results",
                    "{count} people last seen before {date} will be erased: their personal "
                    "details, consent, screening, visits and results",
                    len(d.codes),
                    date=_cutoff(d.cutoff),
                ),
            )
        d, unfinished = retention.apply(db, actor)
        said = _n(
            "erased {count} person last seen before {date}",
            "erased {count} people last seen before {date}",
            len(d.codes),
            date=_cutoff(d.cutoff),
        )
        out.write(said + "\n")
        if unfinished:
            sys.stderr.write("ffmot: " + not_yet_overwritten(unfinished) + "\n")
            return 2
        return 0
    d = retention.due(db, actor)
    if d.months is None:
        said = _(
            "no retention period is set: nothing is ever erased for age. A data lead sets one "
            "with 'ffmot retention --set-months N'"
        )
        out.write(said + "\n")
        return 0
    period = _n("{count} month", "{count} months", d.months)
    if d.codes:
        said = _n(
            "records are kept for {period}: {count} person last seen before {date} (run "
            "'ffmot retention --apply' to erase them)",
            "records are kept for {period}: {count} people last seen before {date} (run "
            "'ffmot retention --apply' to erase them)",
            len(d.codes),
            period=period,
            date=_cutoff(d.cutoff),
        )
    else:
        said = _n(
            "records are kept for {period}: {count} person last seen before {date}",
            "records are kept for {period}: {count} people last seen before {date}",
            len(d.codes),
            period=period,
            date=_cutoff(d.cutoff),
        )
    out.write(said + "\n")
    return 0


def _cutoff(day: dt.date | None) -> str:
    """A date as "03 March 2025" (two-digit day, as strftime's %d), its month in the
    language of the moment rather than the computer's locale."""
    assert day is not None, "a retention cut-off is set whenever a period is"
    return _(
        "{day} {month} {year}",
        context="date",
        day=f"{day.day:02d}",
        month=month_name(day.month),
        year=day.year,
    )


def not_yet_overwritten(problem: object) -> str:
    """What is said when erased records' space could not be overwritten (a sentence for
    stderr, after "ffmot: ")."""
    return _(
        "the space those records used is not yet overwritten: {problem}. When that is fixed, "
        "run 'ffmot db scrub' to finish",
        problem=problem,
    )


def add_arguments(sub: argparse._SubParsersAction[Any]) -> None:
    rt = sub.add_parser(
        "retention",
        help=_(
            "how long records are kept after a person was last seen (a data lead's): shows who "
            "is past it; --set-months N sets it; --apply erases them"
        ),
    )
    rt.add_argument("--set-months", type=int, metavar="N")
    rt.add_argument(
        "--apply", action="store_true", help=_("erase them (shows how many, asks first)")
    )
    rt.add_argument(
        "--yes", action="store_true", help=_("with --apply: do not ask (needed without a terminal)")
    )
    au = sub.add_parser(
        "audit",
        help=_(
            "the audit log (a data lead's): verify checks its hash chain is whole; list shows "
            "the newest entries"
        ),
    )
    au.add_argument("what", choices=["verify", "list"])
    au.add_argument("--last", type=int, default=50, metavar="N", help=_("with list: how many"))

    pr = sub.add_parser(
        "practitioners",
        help=_(
            "named practitioners and their roles: first-lead NAME protects an open database; "
            "add, role, disable, pin and list need a data lead (a practitioner may change their "
            "own PIN)"
        ),
    )
    pr.add_argument("what", choices=["first-lead", "add", "list", "role", "disable", "pin"])
    pr.add_argument("name", nargs="?", metavar="NAME")
    pr.add_argument("--role", choices=["station", "coordinator", "data_lead"])
    pr.add_argument(
        "--new-pin-file",
        metavar="FILE",
        help=_("the new PIN, read from a file only you can read (else asked for twice)"),
    )
