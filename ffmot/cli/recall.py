"""`ffmot recall` and `ffmot recall-mark`: the retest recall on the command line (the people:
services/recall.py; the paper: report/recall.py).

    ffmot recall --from YYYY-MM-DD --to YYYY-MM-DD (--out FILE.csv | --letters FILE.pdf)
                 [--weeks N] [--event ID]
    ffmot recall-mark CODE invited|booked [--weeks N]

Every argument is checked before any work; a mistake is one line and exit status 2. Files are
owner-only. Letters mark each person in them "invited"; a day to invite them to must exist
(`--event`, or the first MOT day on or after each one's due date), or nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ffmot.core import codes
from ffmot.core.ages import parse_date
from ffmot.core.errors import InputError
from ffmot.core.i18n import _, _n

if TYPE_CHECKING:
    from ffmot.store.db import Database


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rc = sub.add_parser(
        "recall",
        help=_(
            "who is due for a retest in a date range (only those who agreed to be contacted): "
            "a CSV for phoning, or invitation letters (which mark them invited)"
        ),
    )
    rc.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    rc.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    rc.add_argument(
        "--weeks", type=int, default=12, metavar="N", help=_("weeks after a visit (default 12)")
    )
    what = rc.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", metavar="FILE.csv", help=_("the list, for phoning round"))
    what.add_argument("--letters", metavar="FILE.pdf", help=_("a large-print letter each"))
    rc.add_argument(
        "--event",
        metavar="ID",
        help=_("the MOT day to invite them to (default: the first on or after each due date)"),
    )
    rm = sub.add_parser(
        "recall-mark", help=_("mark someone on the recall list as invited, or as booked")
    )
    rm.add_argument("code", metavar="CODE")
    rm.add_argument("state", choices=("invited", "booked"))
    rm.add_argument("--weeks", type=int, default=12, metavar="N")


def run(args: argparse.Namespace, out: TextIO) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ffmot.cli.access import connect_as, sign_in
    from ffmot.services.permits import check as permitted
    from ffmot.store.db import explain

    if args.command == "recall":
        _check(args)
    else:
        codes.normalise(args.code)
    db = connect_as(args)
    if db.warning:
        sys.stderr.write("ffmot: " + _("warning: {warning}", warning=db.warning) + "\n")
    try:
        args.actor = sign_in(db, args)
        permitted(db, args.actor, "recall")
        return _recall(db, args, out) if args.command == "recall" else _mark(db, args, out)
    except SQLAlchemyError as e:
        raise explain(db, e) from None
    finally:
        db.close()


def _check(args: argparse.Namespace) -> None:
    from ffmot.cli.report import _file
    from ffmot.services.recall import check_range

    args.start_date = parse_date(args.start, "--from")
    args.end_date = parse_date(args.end, "--to")
    check_range(args.start_date, args.end_date, args.weeks)
    if args.out:
        _file(args.out, ".csv", "--out")
    else:
        _file(args.letters, ".pdf", "--letters")
    if args.event is not None and args.out:
        raise InputError(_("--event goes with --letters"))


def _recall(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.report.files import write_private
    from ffmot.services.recall import due, mark, record

    rows = due(db, args.start_date, args.end_date, args.weeks)
    span = _("{start} to {end}", start=args.start_date.isoformat(), end=args.end_date.isoformat())
    if args.out:
        from ffmot.report.recall import recall_csv

        write_private(Path(args.out), recall_csv(rows))
        record(db, args.actor, rows, "list")
        said = _n(
            "wrote {count} person due for a retest from {span} to {path}",
            "wrote {count} people due for a retest from {span} to {path}",
            len(rows),
            span=span,
            path=args.out,
        )
        out.write(said + "\n")
        return 0
    from ffmot.cli.report import find_event
    from ffmot.report.recall import recall_letters_pdf, retest_days
    from ffmot.services.recall import CAME, DUE, INVITED
    from ffmot.services.records import list_events

    # Letters go to those not yet booked or back; someone invited before is invited again.
    wanted = [r for r in rows if r.state in (DUE, INVITED)]
    if not wanted:
        raise InputError(
            _("nobody due for a retest from {span} is still to invite: no letters were made",
              span=span)
        )  # fmt: skip
    chosen = find_event(db, args.event) if args.event else None
    today = dt.date.today()
    if chosen is not None and chosen.date < today:
        raise InputError(
            _(
                "{event} was on {date}, in the past: give the retest day (see 'ffmot events'); "
                "no letters were made",
                event=chosen.name,
                date=chosen.date.isoformat(),
            )
        )
    days, missing = retest_days(wanted, list_events(db), today, chosen)
    if missing:
        first = max(min(d.due_on for d in missing), today)
        raise InputError(
            _n(
                "no MOT day is set up on or after {date} for {count} person due by then: set up "
                "the retest day first, or give --event; no letters were made",
                "no MOT day is set up on or after {date} for {count} people due by then: set up "
                "the retest day first, or give --event; no letters were made",
                len(missing),
                date=first.isoformat(),
            )
        )
    pdf, pages = recall_letters_pdf(wanted, days, args.weeks)
    write_private(Path(args.letters), pdf)
    marked = mark(db, args.actor, wanted, INVITED)
    said = _n(
        "wrote {count} invitation letter ({pages}) to {path}",
        "wrote {count} invitation letters ({pages}) to {path}",
        len(wanted),
        pages=_n("{count} page", "{count} pages", pages),
        path=args.letters,
    )
    out.write(said + "\n")
    left = len(rows) - len(wanted)
    came = sum(r.state == CAME for r in rows)
    out.write(
        _(
            "{marked} newly marked invited; {left} already booked or back ({came} came back)",
            marked=marked,
            left=left,
            came=came,
        )
        + "\n"
    )
    return 0


def _mark(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.services.recall import find, mark

    row = find(db, codes.normalise(args.code), args.weeks)
    marked = mark(db, args.actor, [row], args.state)
    shown = codes.display(row.code)
    if marked:
        said = _(
            "marked {code} {state} for the retest due {date}",
            code=shown,
            state=_(args.state),
            date=row.due_on.isoformat(),
        )
    else:
        said = _("{code} was already marked {state}", code=shown, state=_(args.state))
    out.write(said + "\n")
    return 0
