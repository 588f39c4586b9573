"""The command-line verbs that print: a participant's sheet, every sheet of an MOT day, and the
anonymised MOT-day summary.

Every argument is checked before any work is done; a mistake is one line and exit status 2.
Files are written owner-only (0600) and whole (a temporary file renamed into place). Printing
a sheet records it (the visit's printed time and an audit entry "print").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ffmot.core import codes
from ffmot.core.errors import InputError
from ffmot.core.paths import check_output_file
from ffmot.services.types import EventInfo
from ffmot.store.db import Database, explain

if TYPE_CHECKING:
    from ffmot.services.overview import Overview


def run(args: argparse.Namespace, out: TextIO) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ffmot.cli_access import connect_as

    check = {
        "sheet": _check_sheet,
        "sheets": _check_sheets,
        "summary": _check_summary,
        "subject-access": _check_subject_access,
    }
    check[args.command](args)
    db = connect_as(args)
    if db.warning:
        sys.stderr.write(f"ffmot: warning: {db.warning}\n")
    try:
        from ffmot.cli_access import sign_in

        args.actor = sign_in(db, args)
        if args.command in _ACTIONS:
            from ffmot.services.permits import check as permitted

            permitted(db, args.actor, _ACTIONS[args.command])
        return _VERBS[args.command](db, args, out)
    except SQLAlchemyError as e:
        raise explain(db, e) from None
    finally:
        db.close()


# --- checking arguments before any work -----------------------------------------------------


def _file(text: str, suffix: str, option: str) -> Path:
    path = Path(text)
    if path.suffix.lower() != suffix:
        raise InputError(f"{option} must name a {suffix} file, not '{text}'")
    check_output_file(path)
    return path


def _check_sheet(args: argparse.Namespace) -> None:
    codes.normalise(args.code)
    _file(args.out, ".pdf", "--out")


def _check_sheets(args: argparse.Namespace) -> None:
    path = Path(args.out)
    if path.suffix.lower() == ".pdf":
        _file(args.out, ".pdf", "--out")
        return
    if args.duplex:
        raise InputError("--duplex goes with one PDF (--out FILE.pdf), not a folder")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} is a file: give a folder, or a file name ending .pdf")
        if not path.exists() and not parent.is_dir():
            raise InputError(f"cannot make {path}: the folder {parent} does not exist")
    except OSError as e:  # a name too long, a loop of links
        raise InputError(f"cannot make {path}: {e.strerror}") from None


def _check_summary(args: argparse.Namespace) -> None:
    paths = [_file(args.out, ".pdf", "--out")]
    if args.csv:
        paths.append(_file(args.csv, ".csv", "--csv"))
    if args.xlsx:
        paths.append(_file(args.xlsx, ".xlsx", "--xlsx"))
    if len({p.resolve() for p in paths}) != len(paths):
        raise InputError("--out, --csv and --xlsx must be different files")


def find_event(db: Database, text: str) -> EventInfo:
    """An MOT day by its id or the start of it (at least 4 characters, as `ffmot events`
    shows 8)."""
    from ffmot.services.records import list_events

    t = text.strip().lower()
    if len(t) < 4:
        raise InputError(
            "--event needs at least the first 4 characters of the id (see 'ffmot events')"
        )
    found = [e for e in list_events(db) if e.id.lower() == t or e.id.lower().startswith(t)]
    if not found:
        raise InputError(f"no MOT day has the id {text.strip()} (see 'ffmot events')")
    if len(found) > 1:
        raise InputError(f"more than one MOT day's id starts with {text.strip()}: give more of it")
    return found[0]


# --- the verbs ------------------------------------------------------------------------------


def _progress(what: str) -> Callable[[int, int], None]:
    """Progress on stderr: one updating line on a terminal, else a line per step."""
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            end = "\n" if done >= total else ""
            sys.stderr.write(f"\rffmot: {what} {done} of {total}{end}")
        else:
            sys.stderr.write(f"ffmot: {what} {done} of {total}\n")
        sys.stderr.flush()

    return show


def _sheet(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.report.files import write_private
    from ffmot.report.sheet import render_sheet
    from ffmot.services.overview import load_for_sheet
    from ffmot.services.records import find_by_code, mark_printed
    from ffmot.services.summary import pick_visit

    code = codes.normalise(args.code)
    shown = codes.display(code)
    person = find_by_code(db, code)
    visit = pick_visit(db, person.id, shown, args.assessment)
    if args.language:
        from ffmot.core.i18n import check_language

        check_language(args.language, pseudo_ok=True)
    # refused if they withdrew consent to keep results
    overview = load_for_sheet(db, visit, language=args.language or "")
    r = render_sheet(overview)
    path = Path(args.out)
    write_private(path, r.pdf)
    mark_printed(db, args.actor, visit)
    pages = "1 page" if r.pages == 1 else f"{r.pages} pages"
    out.write(
        f"wrote the sheet for {shown} ({overview.event.name}, "
        f"{overview.assessment.assessed_on.isoformat()}, {pages}) to {path}\n"
    )
    return 0


def _sheets(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.report.batch import sheet_files, sheets_pdf
    from ffmot.report.files import prepare_folder, write_folder, write_private
    from ffmot.services.conflicts import held_for_conflicts
    from ffmot.services.consent import printable
    from ffmot.services.records import mark_printed
    from ffmot.services.summary import event_overviews

    event = find_event(db, args.event)
    everyone = event_overviews(db, event.id)
    if not everyone:
        raise InputError(f"nobody has checked in to {event.name} ({event.id[:8]}) yet")
    overviews, held = printable(everyone)
    held_for_conflicts(db, overviews)  # never a sheet with a value nobody has chosen yet
    skipped = _skipped(held)
    if not overviews:
        raise InputError(f"no sheets were made for {event.name}: {skipped}")
    path = Path(args.out)
    progress = _progress("made sheet")
    if path.suffix.lower() == ".pdf":
        pdf = sheets_pdf(overviews, progress, duplex=args.duplex)
        write_private(path, pdf)
        where = str(path)
    else:
        prepare_folder(path)
        files = sheet_files(overviews, progress)
        write_folder(path, files)
        where = f"{path} (one file per participant, named by code)"
    actor = args.actor
    for o in overviews:
        mark_printed(db, actor, o.assessment.id)
    out.write(f"wrote {len(overviews)} sheets for {event.name} to {where}\n")
    if held:
        out.write(f"{skipped[0].upper()}{skipped[1:]}\n")
    return 0


def _skipped(held: list[Overview]) -> str:
    """Who was left out and why, by code only (no names: this may end up in a log)."""
    shown = ", ".join(codes.display(o.participant.code) for o in held)
    n = len(held)
    return (
        f"left out {n} {'person' if n == 1 else 'people'} who withdrew consent to keep their "
        f"results (or never gave it), so no sheet was made for them: {shown}"
    )


def _summary(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.report.files import write_private
    from ffmot.report.summary import summary_csv, summary_pdf, summary_xlsx
    from ffmot.services.records import audit
    from ffmot.services.summary import summary_data

    if args.language:  # before any work
        from ffmot.core.i18n import check_language

        check_language(args.language, pseudo_ok=True)
    event = find_event(db, args.event)
    data = summary_data(db, event.id)
    written = [Path(args.out)]
    write_private(Path(args.out), summary_pdf(data, language=args.language or ""))
    if args.csv:
        write_private(Path(args.csv), summary_csv(data))
        written.append(Path(args.csv))
    if args.xlsx:
        write_private(Path(args.xlsx), summary_xlsx(data))
        written.append(Path(args.xlsx))
    with db.transaction() as s:
        kinds = ", ".join(p.suffix.lstrip(".") for p in written)
        audit(s, args.actor, "summary", "event", event.id, f"anonymised summary ({kinds})")
    out.write(
        f"wrote the anonymised summary of {event.name} ({data.people.text} people who agreed "
        f"to anonymous reports) to {', '.join(str(p) for p in written)}\n"
    )
    return 0


def _check_subject_access(args: argparse.Namespace) -> None:
    codes.normalise(args.code)
    folder = Path(args.out)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(f"--out must be a new or empty folder; {folder} is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError(
            f"--out must be a new or empty folder, so that nothing else is given out with "
            f"it: {folder} already holds files"
        )


def _subject_access(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    """Everything held about one person, as CSV files and their sheets as PDFs, into a new
    owner-only folder; audited."""
    from ffmot.core.errors import FfmotError
    from ffmot.report.files import write_folder
    from ffmot.report.sheet import render_sheet
    from ffmot.services.overview import load_for_sheet
    from ffmot.services.records import get_assessment
    from ffmot.services.subject_access import gather

    found = gather(db, args.actor, codes.normalise(args.code))
    files = dict(found.files)
    missing = []
    for n, visit_id in enumerate(found.visits, 1):
        visit = get_assessment(db, visit_id)
        try:
            pdf = render_sheet(load_for_sheet(db, visit_id)).pdf
        except FfmotError as e:  # no results kept for that visit, say
            missing.append(f"  visit {n} ({visit.assessed_on.isoformat()}): no sheet: {e}\n")
            continue
        files[f"sheet-{n}-{visit.assessed_on.isoformat()}.pdf"] = pdf
    if missing:
        files["README.txt"] += ("\nSheets not included:\n" + "".join(missing)).encode("utf-8")
    written = write_folder(Path(args.out), files)
    out.write(
        f"wrote everything held about {codes.display(found.code)} to {args.out}: "
        f"{len(written)} files ({', '.join(sorted(p.name for p in written))})\n"
        "Give these to the person securely; the request is recorded in the audit log.\n"
    )
    return 0


# What each verb needs a practitioner's role to allow (subject-access is checked by its service).
_ACTIONS = {"sheet": "print_sheets", "sheets": "print_sheets", "summary": "summary"}

_VERBS = {
    "sheet": _sheet,
    "sheets": _sheets,
    "summary": _summary,
    "subject-access": _subject_access,
}
