"""The command-line verbs that print: a participant's sheet, every sheet of an MOT day, the
anonymised MOT-day summary, and the letter for a participant's GP practice.

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
from ffmot.core.i18n import _, _n
from ffmot.core.paths import check_output_file
from ffmot.services.types import EventInfo
from ffmot.store.db import Database, explain

if TYPE_CHECKING:
    from ffmot.services.overview import Overview


def run(args: argparse.Namespace, out: TextIO) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ffmot.cli.access import connect_as

    check = {
        "sheet": _check_sheet,
        "sheets": _check_sheets,
        "summary": _check_summary,
        "subject-access": _check_subject_access,
        "gp-letter": _check_sheet,
    }
    check[args.command](args)
    db = connect_as(args)
    if db.warning:
        sys.stderr.write("ffmot: " + _("warning: {warning}", warning=db.warning) + "\n")
    try:
        from ffmot.cli.access import sign_in

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
        raise InputError(
            _(
                "{option} must name a {suffix} file, not '{path}'",
                option=option,
                suffix=suffix,
                path=text,
            )
        )
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
        raise InputError(_("--duplex goes with one PDF (--out FILE.pdf), not a folder"))
    parent = path.parent if str(path.parent) else Path(".")
    try:
        if path.exists() and not path.is_dir():
            raise InputError(
                _("{path} is a file: give a folder, or a file name ending .pdf", path=path)
            )
        if not path.exists() and not parent.is_dir():
            raise InputError(
                _(
                    "cannot make {path}: the folder {folder} does not exist",
                    path=path,
                    folder=parent,
                )
            )
    except OSError as e:  # a name too long, a loop of links
        raise InputError(
            _("cannot make {path}: {problem}", path=path, problem=e.strerror)
        ) from None


def _check_summary(args: argparse.Namespace) -> None:
    paths = [_file(args.out, ".pdf", "--out")]
    if args.csv:
        paths.append(_file(args.csv, ".csv", "--csv"))
    if args.xlsx:
        paths.append(_file(args.xlsx, ".xlsx", "--xlsx"))
    if len({p.resolve() for p in paths}) != len(paths):
        raise InputError(_("--out, --csv and --xlsx must be different files"))


def find_event(db: Database, text: str) -> EventInfo:
    """An MOT day by its id or the start of it (at least 4 characters, as `ffmot events`
    shows 8)."""
    from ffmot.services.records import get_event

    if len(text.strip()) < 4:
        raise InputError(
            _("--event needs at least the first 4 characters of the id (see 'ffmot events')")
        )
    return get_event(db, text)


# --- the verbs ------------------------------------------------------------------------------


def _progress(say: Callable[[int, int], str]) -> Callable[[int, int], None]:
    """Progress on stderr: one updating line on a terminal, else a line per step. `say` words
    a step ("made sheet 3 of 40")."""
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            end = "\n" if done >= total else ""
            sys.stderr.write("\rffmot: " + say(done, total) + end)
        else:
            sys.stderr.write("ffmot: " + say(done, total) + "\n")
        sys.stderr.flush()

    return show


def _sheet(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.report.files import write_private
    from ffmot.report.sheet import render_sheet
    from ffmot.services.overview import load_for_sheet
    from ffmot.services.records import find_by_code, mark_printed
    from ffmot.services.visits import pick_visit

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
    said = _(
        "wrote the sheet for {code} ({event}, {date}, {pages}) to {path}",
        code=shown,
        event=overview.event.name,
        date=overview.assessment.assessed_on.isoformat(),
        pages=_n("{count} page", "{count} pages", r.pages),
        path=path,
    )
    out.write(said + "\n")
    return 0


def _gp_letter(db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.report.files import write_private
    from ffmot.report.gp_letter import gp_letter_pdf
    from ffmot.services.gp_letter import make_gp_letter

    # refused unless they agreed to share their results with their GP (and to keep them)
    letter = make_gp_letter(db, args.actor, codes.normalise(args.code), args.assessment)
    pdf, pages = gp_letter_pdf(letter)
    path = Path(args.out)
    write_private(path, pdf)
    said = _(
        "wrote the letter for {code}'s GP practice ({pages}) to {path}",
        code=codes.display(letter.code),
        pages=_n("{count} page", "{count} pages", pages),
        path=path,
    )
    out.write(said + "\n")
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
        raise InputError(
            _("nobody has checked in to {event} ({id}) yet", event=event.name, id=event.id[:8])
        )
    overviews, held = printable(everyone)
    held_for_conflicts(db, overviews)  # never a sheet with a value nobody has chosen yet
    skipped = _skipped(held)
    if not overviews:
        raise InputError(
            _("no sheets were made for {event}: {reason}", event=event.name, reason=skipped)
        )
    path = Path(args.out)

    def made(done: int, total: int) -> str:
        return _("made sheet {done} of {total}", done=done, total=total)

    progress = _progress(made)
    one_pdf = path.suffix.lower() == ".pdf"
    if one_pdf:
        pdf = sheets_pdf(overviews, progress, duplex=args.duplex)
        write_private(path, pdf)
    else:
        prepare_folder(path)
        files = sheet_files(overviews, progress)
        write_folder(path, files)
    actor = args.actor
    for o in overviews:
        mark_printed(db, actor, o.assessment.id)
    if one_pdf:
        said = _n(
            "wrote {count} sheet for {event} to {path}",
            "wrote {count} sheets for {event} to {path}",
            len(overviews),
            event=event.name,
            path=path,
        )
    else:
        said = _n(
            "wrote {count} sheet for {event} to {path} (one file per participant, named by code)",
            "wrote {count} sheets for {event} to {path} (one file per participant, named by code)",
            len(overviews),
            event=event.name,
            path=path,
        )
    out.write(said + "\n")
    if held:
        out.write(f"{skipped[0].upper()}{skipped[1:]}\n")
    return 0


def _skipped(held: list[Overview]) -> str:
    """Who was left out and why, by code only (no names: this may end up in a log)."""
    shown = ", ".join(codes.display(o.participant.code) for o in held)
    return _n(
        "left out {count} person who withdrew consent to keep their results (or never gave it), "
        "so no sheet was made for them: {codes}",
        "left out {count} people who withdrew consent to keep their results (or never gave "
        "it), so no sheet was made for them: {codes}",
        len(held),
        codes=shown,
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
    said = _(
        "wrote the anonymised summary of {event} ({people} people who agreed to anonymous "
        "reports) to {paths}",
        event=event.name,
        people=data.people.text,  # "12", "<5" or "*": a count as published, not a number
        paths=", ".join(str(p) for p in written),
    )
    out.write(said + "\n")
    return 0


def _check_subject_access(args: argparse.Namespace) -> None:
    codes.normalise(args.code)
    folder = Path(args.out)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(
            _("--out must be a new or empty folder; {folder} is not a folder", folder=folder)
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError(
            _(
                "--out must be a new or empty folder, so that nothing else is given out with "
                "it: {folder} already holds files",
                folder=folder,
            )
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
    said = _n(
        "wrote everything held about {code} to {folder}: {count} file ({names})",
        "wrote everything held about {code} to {folder}: {count} files ({names})",
        len(written),
        code=codes.display(found.code),
        folder=args.out,
        names=", ".join(sorted(p.name for p in written)),
    )
    out.write(said + "\n")
    out.write(
        _("Give these to the person securely; the request is recorded in the audit log.") + "\n"
    )
    return 0


# What each verb needs a practitioner's role to allow (subject-access is checked by its service).
_ACTIONS = {
    "sheet": "print_sheets",
    "sheets": "print_sheets",
    "summary": "summary",
    "gp-letter": "gp_letter",
}

_VERBS = {
    "sheet": _sheet,
    "sheets": _sheets,
    "summary": _summary,
    "subject-access": _subject_access,
    "gp-letter": _gp_letter,
}
