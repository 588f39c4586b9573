"""The `ffmot` command line: a thin face over the core. Stable: other tools rely on it.

Why one room: the parser is the command line's one table of verbs and options (other tools rely on
it); each verb's work is in cli/store.py, cli/report.py, cli/access.py or cli/cards.py.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NoReturn, TextIO

from ffmot import __version__
from ffmot.core.errors import FfmotError, InputError
from ffmot.core.files import replacing
from ffmot.core.i18n import N_, _, _n
from ffmot.core.paths import check_output_file

# How a command ends, for a script running ffmot: the one table. `exit_status` turns an error
# into its status; `ffmot --help` and the README's command-line section show the table.
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_REFUSED = 2
EXIT_DATABASE = 3
EXIT_STATUSES = (
    (EXIT_OK, N_("done")),
    (
        EXIT_UNEXPECTED,
        N_(
            "an unexpected problem, a fault in ffmot: set FFMOT_DEBUG=1 to see the details, and "
            "please report it"
        ),
    ),
    (
        EXIT_REFUSED,
        N_(
            "refused as given: a usage mistake, or a value, file, code, PIN or permission that "
            "cannot be used, or an erasure not confirmed; also work done only in part, as the "
            "message says (a merge with a file that could not come in, an erasure whose space "
            "is not yet overwritten, an audit chain that is not whole)"
        ),
    ),
    (
        EXIT_DATABASE,
        N_(
            "the database cannot be reached or was refused: a shared server out of reach, or "
            "refusing the user, password or TLS; a file locked, in use, read-only, on a full "
            "disk, damaged, not a database or made by a newer ffmot; a key that does not open "
            "it; an address or path that cannot be one"
        ),
    ),
    (130, N_("stopped with Ctrl+C")),
    (141, N_("whatever read the output stopped reading (ffmot ... | head)")),
)


def exit_status(error: BaseException) -> int:
    """The status a command that failed with `error` ends with (see EXIT_STATUSES)."""
    from ffmot.store.errors import StoreError
    from ffmot.store.keys import KeyRefused

    if isinstance(error, KeyRefused):  # a PIN or recovery code that does not open it: as given
        return EXIT_REFUSED
    if isinstance(error, StoreError):
        return EXIT_DATABASE
    if isinstance(error, FfmotError):
        return EXIT_REFUSED
    return EXIT_UNEXPECTED


def _epilog() -> str:
    import textwrap

    lines = [_("exit status:")]
    for code, words in EXIT_STATUSES:
        lines += textwrap.wrap(
            _(words), width=78, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7
        )
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        said = _("{problem} (see '{command} --help')", problem=message, command=self.prog)
        sys.stderr.write(f"ffmot: {said}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ffmot",
        description=_(
            "Functional Fitness MOT days: score results against published norms for age and sex."
        ),
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"ffmot {__version__}",
        help=_("show program's version number and exit"),
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help=_(
            "database file or URL (default: FFMOT_DATABASE_URL, else the one chosen in the "
            "desktop app's Settings, else ffmot.db in your data folder)"
        ),
    )
    p.add_argument(
        "--user",
        metavar="NAME",
        help=_(
            "your name, as a practitioner of the database (needed once it has named "
            "practitioners; the PIN is then asked for)"
        ),
    )
    p.add_argument(
        "--pin-file",
        metavar="FILE",
        help=_("read your PIN from this file (yours alone: for scheduled jobs)"),
    )
    p.add_argument(
        "--config",
        metavar="FOLDER",
        help=_(
            "your organisation's folder: its name and logo (organisation.toml), advice "
            "wording (advice.toml), local activities (activities.csv) and norms (norms/); "
            "default: the one chosen in the desktop app's Settings"
        ),
    )
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    s = sub.add_parser("score", help=_("score one result, or a CSV file of results"))
    s.add_argument("--test", help=_("test id, e.g. chair_stand (see 'ffmot norms')"))
    s.add_argument("--sex", help=_("female or male"))
    s.add_argument("--age", help=_("age in completed years"))
    s.add_argument("--dob", help=_("date of birth, YYYY-MM-DD (instead of --age)"))
    s.add_argument("--date", help=_("test date, YYYY-MM-DD (default: today)"))
    s.add_argument("--value", help=_("the result; for bmi you may give --height and --weight"))
    s.add_argument("--unit", default="", help=_("unit of the value (default: the test's unit)"))
    s.add_argument("--height", help=_("height in cm (bmi only)"))
    s.add_argument("--weight", help=_("weight in kg (bmi only)"))
    s.add_argument("--strength-days", help=_("days a week with strength activity (activity)"))
    s.add_argument("--balance-days", help=_("days a week with balance activity (activity)"))
    s.add_argument("--sitting-hours", help=_("hours sitting on a usual day (activity)"))
    s.add_argument("--json", action="store_true", help=_("print one JSON object"))
    s.add_argument("--batch", metavar="IN.csv", help=_("score every row of a CSV file"))
    s.add_argument("--out", metavar="OUT.csv", help=_("where --batch writes its results"))

    n = sub.add_parser("norms", help=_("list the tests and their norms, or show one table"))
    n.add_argument("action", nargs="?", choices=["show"], help=_("show one test's table"))
    n.add_argument("test", nargs="?", metavar="TEST", help=_("test id"))

    g = sub.add_parser("gui", help=_("start the desktop app (the default with no command)"))
    g.add_argument("--training", action="store_true", help=_("open the training sandbox"))
    g.add_argument("--screenshot", metavar="FILE.png", help=_("render a view to a PNG and exit"))
    g.add_argument(
        "--view", default="events", choices=["events", "check-in", "station", "overview", "board"]
    )
    g.add_argument("--large-print", action="store_true", help=_("with --screenshot"))

    d = sub.add_parser("db", help=_("database upkeep"))
    d.add_argument(
        "action",
        choices=["upgrade", "scrub", "encrypt", "recover"],
        help=_(
            "upgrade: bring the schema up to date; scrub: overwrite the space of erased "
            "records (after an erasure that could not finish it); encrypt: encrypt a database file "
            "made before encryption at rest; recover: open an encrypted file with its recovery "
            "code and give a data lead (--user) a new PIN"
        ),
    )
    d.add_argument(
        "--recovery-file",
        metavar="FILE",
        help=_("recover: read the recovery code from this file (else it is asked for)"),
    )
    d.add_argument(
        "--new-pin-file",
        metavar="FILE",
        help=_("recover: the data lead's new PIN, from a file only you can read"),
    )

    m = sub.add_parser("demo", help=_("fill the database with a synthetic MOT day (training)"))
    m.add_argument("--participants", type=_count, default=40, metavar="N")
    m.add_argument("--seed", type=int, default=1, metavar="S")
    m.add_argument("--station", metavar="NAME")

    ps = sub.add_parser("participants", help=_("list participants: code, name, age, last visit"))
    ps.add_argument("--search", default="", metavar="TEXT", help=_("name, code or date of birth"))
    ps.add_argument("--limit", type=_count, default=200, metavar="N")

    ev = sub.add_parser("events", help=_("list the MOT days"))
    ev.add_argument("--json", action="store_true")

    x = sub.add_parser("export", help=_("export results to CSV or XLSX"))
    x.add_argument("--format", choices=["csv", "xlsx"], required=True)
    x.add_argument("--out", required=True, metavar="FILE")
    x.add_argument(
        "--anonymised",
        "--anonymized",
        action="store_true",
        help=_("no names, contact, dates of birth or codes; consenting people only"),
    )
    x.add_argument("--event", metavar="ID", help=_("one MOT day only"))
    x.add_argument(
        "--k",
        type=int,
        default=None,
        metavar="K",
        help=_(
            "with --anonymised: at least K people share every MOT day, date, age band and sex "
            "written (default 5; 10 for an open release)"
        ),
    )

    im = sub.add_parser("import", help=_("import a file written by 'ffmot export'"))
    im.add_argument("file", metavar="FILE")
    im.add_argument(
        "--update",
        action="store_true",
        help=_(
            "where the file's value of a result differs from the one here, take the file's "
            "(each change is audited); without it such a file is refused"
        ),
    )
    im.add_argument(
        "--take-consents",
        action="store_true",
        help=_(
            "take the consent decisions the file records for people new here; without it a "
            "file holding consent decisions is refused"
        ),
    )

    mg = sub.add_parser("merge", help=_("bring in the records of other stations' databases"))
    mg.add_argument("sources", nargs="+", metavar="FILE_OR_URL")

    sw = sub.add_parser(
        "save-work", help=_("save this station's work as one file for the results table")
    )
    sw.add_argument("--out", required=True, metavar="FOLDER", help=_("the stick or folder"))
    sw.add_argument("--station", default="station", metavar="NAME", help=_("named in the file"))

    ed = sub.add_parser(
        "correct", help=_("correct a participant's name, date of birth or sex (audited)")
    )
    ed.add_argument("code", metavar="CODE")
    ed.add_argument("--given", metavar="NAME")
    ed.add_argument("--family", metavar="NAME")
    ed.add_argument("--dob", metavar="YYYY-MM-DD")
    ed.add_argument("--sex", choices=["female", "male", "not_stated"])
    ed.add_argument(
        "--language", metavar="CODE", help=_("the language their sheet is made in (e.g. en)")
    )

    mp = sub.add_parser(
        "merge-people",
        help=_("make two records of one person one: every visit, result and consent kept"),
    )
    mp.add_argument("keep", metavar="KEEP_CODE", help=_("the record to keep (its card stays)"))
    mp.add_argument(
        "other", metavar="OTHER_CODE", help=_("the record merged into it, then removed")
    )
    mp.add_argument("--yes", action="store_true", help=_("do not ask before merging"))
    mp.add_argument(
        "--accept-different-details",
        action="store_true",
        help=_("merge even if the sex or date of birth differ (the kept record's are used)"),
    )

    er = sub.add_parser(
        "erase",
        help=_(
            "erase a participant's personal data and results (shows who, and asks you to "
            "type ERASE)"
        ),
    )
    er.add_argument("code", metavar="CODE")
    er.add_argument(
        "--yes", action="store_true", help=_("do not ask (needed when not run from a terminal)")
    )

    sub.add_parser(
        "diagnostics",
        help=_(
            "what to send whoever helps you: versions, the system, the kind of database and "
            "the log's last warnings and errors (no one's personal data)"
        ),
    )

    sh = sub.add_parser("sheet", help=_("print a participant's take-home sheet to a PDF"))
    sh.add_argument("code", metavar="CODE", help=_("the participant's code, e.g. K7PM-4QX"))
    sh.add_argument("--assessment", metavar="ID", help=_("a visit id (default: the latest visit)"))
    sh.add_argument("--out", required=True, metavar="FILE.pdf")
    sh.add_argument(
        "--language",
        metavar="CODE",
        help=_("make this sheet in another language than the person's own (e.g. en)"),
    )

    from ffmot.cli import recall as cli_recall

    cli_recall.add_parsers(sub)

    gp = sub.add_parser(
        "gp-letter",
        help=_(
            "a one-page letter of a participant's results for their GP practice, written for a "
            "clinician (only if they agreed to share their results with their GP)"
        ),
    )
    gp.add_argument("code", metavar="CODE", help=_("the participant's code, e.g. K7PM-4QX"))
    gp.add_argument("--assessment", metavar="ID", help=_("a visit id (default: the latest visit)"))
    gp.add_argument("--out", required=True, metavar="FILE.pdf")

    sa = sub.add_parser(
        "subject-access",
        help=_(
            "everything held about one person (a subject access request): their records as "
            "CSV files and their sheets as PDFs, into a new folder; audited"
        ),
    )
    sa.add_argument("code", metavar="CODE")
    sa.add_argument("--out", required=True, metavar="FOLDER")

    ss = sub.add_parser("sheets", help=_("print every sheet of an MOT day: one PDF or a folder"))
    ss.add_argument(
        "--event", required=True, metavar="ID", help=_("the MOT day (see 'ffmot events')")
    )
    ss.add_argument(
        "--out", required=True, metavar="FILE_OR_DIR", help=_("a name ending .pdf, else a folder")
    )
    ss.add_argument(
        "--duplex", action="store_true", help=_("one PDF: a blank page after an odd-length sheet")
    )

    su = sub.add_parser("summary", help=_("the anonymised MOT-day summary (PDF, CSV, XLSX)"))
    su.add_argument(
        "--event", required=True, metavar="ID", help=_("the MOT day (see 'ffmot events')")
    )
    su.add_argument("--out", required=True, metavar="FILE.pdf")
    su.add_argument("--csv", metavar="FILE.csv", help=_("also as CSV"))
    su.add_argument("--xlsx", metavar="FILE.xlsx", help=_("also as XLSX"))
    su.add_argument(
        "--language",
        metavar="CODE",
        help=_("the PDF in this language (the CSV and XLSX keep English keys)"),
    )
    from ffmot.cli.access import add_arguments
    from ffmot.cli.cards import add_parser as add_station_cards

    add_arguments(sub)
    add_station_cards(sub)
    return p


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{value}' is not a whole number", value=text)) from None
    if n < 0 or n > 1_000_000:
        raise argparse.ArgumentTypeError(_("{value} is out of range (0 to 1,000,000)", value=n))
    return n


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    speak_chosen_language()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_text(parser, args)
        _organisation(args)
        _database(args)
        if args.command == "diagnostics":
            from ffmot.services.diagnostics import diagnostics_text

            out.write(diagnostics_text(args.db))
            return EXIT_OK
        if args.command == "score":
            return _score(args, out)
        if args.command == "station-cards":
            from ffmot.cli import cards as cli_cards

            return cli_cards.run(args, out)
        if args.command == "norms":
            return _norms(args, out)
        if args.command in _STORE_VERBS:
            from ffmot.cli import store as cli_store

            return cli_store.run(args, out)
        if args.command in ("practitioners", "audit", "retention"):
            return _practitioners(args, out)
        if args.command in ("recall", "recall-mark"):
            from ffmot.cli import recall as cli_recall

            return cli_recall.run(args, out)
        if args.command in _REPORT_VERBS:
            from ffmot.cli import report as cli_report

            return cli_report.run(args, out)
        return _gui(args, out)
    except FfmotError as e:
        code = exit_status(e)
        said = _in_words(e)
        sys.stderr.write(f"ffmot: {said}\n")
        for line in getattr(e, "problems", ()):
            sys.stderr.write(f"  {line}\n")
        if code == EXIT_DATABASE:
            _log().warning("ffmot %s: %s", args.command or "gui", said)
        return code
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except Exception:
        _log().exception("ffmot %s: unexpected problem", args.command or "gui")
        raise


def _organisation(args: argparse.Namespace) -> None:
    """--config, else the organisation folder chosen in the desktop app's Settings (when the
    environment does not already name one), checked whole before any work."""
    from ffmot.core import organisation

    if args.command in (None, "gui") and not getattr(args, "screenshot", None):
        return  # the window chooses its own, and says what is wrong without stopping the day
    if args.config is not None:
        organisation.use(args.config)
        return
    if os.environ.get(organisation.ENV):
        organisation.use(os.environ[organisation.ENV])
        return
    chosen = _settings_value("organisation/folder")
    if chosen:
        organisation.use(chosen)


def _database(args: argparse.Namespace) -> None:
    """--db, else FFMOT_DATABASE_URL, else the database chosen in the desktop app's Settings
    (its password, if any, is in PostgreSQL's password file, where the driver finds it), else
    the file in the data folder. The window and its screenshots choose their own."""
    if args.command in (None, "gui") or getattr(args, "db", None) is not None:
        return
    if os.environ.get("FFMOT_DATABASE_URL"):
        return
    chosen = _settings_value("database/url")
    if chosen:
        args.db = chosen


def speak_chosen_language() -> None:
    """The command line speaks the language chosen for the screens in the desktop app's Settings
    (English unless chosen; one no longer installed is English), argparse's own words too. The
    pseudo-language, set only in the settings file, is for checking that every word is
    translated (tests/cli/test_cli_language.py)."""
    import argparse

    from ffmot.core import i18n

    code = _settings_value("view/language") or i18n.ENGLISH
    try:
        if code != i18n.PSEUDO and code not in i18n.available():
            code = i18n.ENGLISH
        i18n.use_default(code)
    except FfmotError:  # a catalogue broken since it was chosen: English, not a stopped command
        i18n.use_default(i18n.ENGLISH)
    argparse._ = i18n._  # type: ignore[attr-defined]  # argparse looks words up via gettext
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def _settings_value(key: str) -> str:
    """One value of the desktop app's settings file (an INI file), read without Qt."""
    import configparser

    from ffmot.core.paths import settings_file

    path = settings_file()
    found = configparser.ConfigParser(interpolation=None)
    try:
        found.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return ""
    section, _sep, name = key.partition("/")
    value = found.get(section, name, fallback="").strip()
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value


def _in_words(e: FfmotError) -> str:
    """The message, said for a command line (a shared database out of reach is said for the
    window, where what was typed stays on screen)."""
    from ffmot.store.errors import UnreachableError

    if isinstance(e, UnreachableError) and e.detail:
        return _(
            "cannot reach the shared database {detail}. Check the network and the server, "
            "then try again",
            detail=e.detail,
        )
    return str(e)


def _log() -> logging.Logger:
    """ffmot's log (ffmot/core/logs.py), set up for the command line at its first record."""
    from ffmot.core import logs

    if not logs.logger.handlers:
        logs.setup("cli")
    return logs.logger


# Arguments that name files or databases: any bytes the system allows. Every other argument is
# text (a name, a code, a search) and must be UTF-8.
_PATHS = (
    "db", "out", "csv", "xlsx", "batch", "file", "sources", "screenshot", "pin_file",
    "new_pin_file", "recovery_file",
)  # fmt: skip


def _check_text(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Bytes that are not UTF-8 (Python reads them in as "surrogate escapes") are refused in one
    line, before they can reach a database that cannot store them."""
    actions = list(parser._actions)
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction) and args.command in a.choices:
            actions += a.choices[args.command]._actions
    for a in actions:
        value = getattr(args, a.dest, None)
        if a.dest in _PATHS or not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            name = a.option_strings[0] if a.option_strings else a.metavar or a.dest
            raise InputError(
                _(
                    "{argument} is not UTF-8 text: set the terminal to UTF-8 and type it again",
                    argument=name,
                )
            ) from None


_STORE_VERBS = (
    "db", "demo", "participants", "events", "export", "import", "merge", "erase", "correct",
    "merge-people", "save-work",
)  # fmt: skip
_REPORT_VERBS = ("sheet", "sheets", "summary", "subject-access", "gp-letter")


def _practitioners(args: argparse.Namespace, out: TextIO) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ffmot.cli import access as cli_access
    from ffmot.store.db import explain

    if args.command == "retention" and args.apply:
        cli_access.check_can_confirm(args)
    db = cli_access.connect_as(args)
    try:
        if args.command == "audit":
            return cli_access.run_audit(db, args, out)
        if args.command == "retention":
            return cli_access.run_retention(db, args, out)
        return cli_access.run(db, args, out)
    except SQLAlchemyError as e:
        raise explain(db, e) from None
    finally:
        db.close()


# --- score ---------------------------------------------------------------------------------------


def _score(args: argparse.Namespace, out: TextIO) -> int:  # noqa: C901 (each way a score is asked for (one value, body, activity), with its refusals)
    if args.batch:
        single = [o for o in ("test", "sex", "age", "dob", "value") if getattr(args, o)]
        if single:
            raise InputError(
                _(
                    "--batch reads every result from the file: drop --{option}",
                    option=single[0],
                )
            )
        if not args.out:
            raise InputError(_("--batch needs --out OUT.csv for the results"))
        return _batch(Path(args.batch), Path(args.out))
    if args.out:
        raise InputError(_("--out goes with --batch"))
    from ffmot.core.ages import age_on, parse_age, parse_date, parse_number
    from ffmot.core.norms import default_norm_set
    from ffmot.core.scoring import Activity, bmi, score
    from ffmot.core.vocabulary import parse_sex

    ns = default_norm_set()
    if not args.test:
        raise InputError(_("give --test (one of: {tests})", tests=", ".join(ns.battery)))
    test = ns.test(args.test)
    if not args.sex:
        raise InputError(_("give --sex female or --sex male"))
    sex = parse_sex(args.sex, allow_not_stated=False)
    if args.age is not None and args.dob:
        raise InputError(_("give either --age or --dob, not both"))
    if args.age is not None:
        if args.date:
            raise InputError(_("--date goes with --dob"))
        age = parse_age(args.age)
    elif args.dob:
        on = parse_date(args.date, "--date") if args.date else dt.date.today()
        age = age_on(parse_date(args.dob, "--dob"), on)
    else:
        raise InputError(_("give --age N or --dob YYYY-MM-DD"))

    if (args.height or args.weight) and test.id != "bmi":
        raise InputError(_("--height and --weight are only for --test bmi"))
    if test.id == "bmi" and args.value is None:
        if not (args.height and args.weight):
            raise InputError(_("for bmi give --value, or both --height (cm) and --weight (kg)"))
        value = bmi(parse_number(args.height, "--height"), parse_number(args.weight, "--weight"))
    elif args.value is None:
        raise InputError(_("give --value"))
    else:
        value = parse_number(args.value, "--value")
    activity = None
    extras = (args.strength_days, args.balance_days, args.sitting_hours)
    if any(x is not None for x in extras):
        if test.id != "activity":
            raise InputError(
                _("--strength-days, --balance-days and --sitting-hours are for --test activity")
            )
        sd, bd, sh = (
            None if x is None else parse_number(x, name)
            for x, name in zip(
                extras, ("--strength-days", "--balance-days", "--sitting-hours"), strict=True
            )
        )
        activity = Activity(sd, bd, sh)
    result = score(test.id, sex, age, value, args.unit, activity=activity, norms=ns)
    if args.json:
        json.dump(result.to_dict(), out, indent=2)
        out.write("\n")
    else:
        from ffmot.core.describe import describe_score

        out.write(describe_score(result, ns) + "\n")
    return 0


def _batch(src: Path, dst: Path) -> int:
    """Scores a CSV file as it reads it: a chunk of rows at a time, into a temporary file that
    replaces `dst` only when every row has been written (memory is flat in the file's length)."""
    from ffmot.core.batch import OUTPUT_COLUMNS, score_table
    from ffmot.core.norms import default_norm_set

    try:
        if src.exists() and not src.is_dir() and not src.is_file():  # never wait on a pipe
            raise InputError(_("{path} is a device or a pipe, not a CSV file", path=src))
        f = src.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(_("cannot find {path}", path=src)) from None
    except IsADirectoryError:
        raise InputError(_("{path} is a folder, not a CSV file", path=src)) from None
    except OSError as e:
        raise InputError(_("cannot read {path}: {problem}", path=src, problem=e.strerror)) from None
    counted = [0, 0]  # rows, rows that could not be scored
    with f:
        try:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            _check_batch_header(src, header)
            columns = header + list(OUTPUT_COLUMNS)
            band = len(header) + OUTPUT_COLUMNS.index("band")

            def scored() -> Iterator[list[str]]:
                for chunk in score_table(header, reader, default_norm_set()):
                    counted[0] += len(chunk)
                    counted[1] += sum(1 for r in chunk if r[band] == "error")
                    yield from chunk

            _write_atomic(dst, columns, scored())
        except UnicodeDecodeError:
            raise InputError(
                _("{path} is not UTF-8 text: save it as CSV UTF-8", path=src)
            ) from None
        except csv.Error as e:
            raise InputError(
                _(
                    "{path} is not a CSV file this program can read (line {line}: {problem})",
                    path=src,
                    line=reader.line_num,
                    problem=e,
                )
            ) from None
    rows, errors = counted
    if errors:
        unscored = _n(
            "{count} row(s) could not be scored (see the message column)",
            "{count} row(s) could not be scored (see the message column)",
            errors,
        )
        said = _n(
            "scored {scored} of {count} row into {path}; {unscored}",
            "scored {scored} of {count} rows into {path}; {unscored}",
            rows,
            scored=rows - errors,
            path=dst,
            unscored=unscored,
        )
    else:
        said = _n(
            "scored {scored} of {count} row into {path}",
            "scored {scored} of {count} rows into {path}",
            rows,
            scored=rows,
            path=dst,
        )
    sys.stderr.write(f"ffmot: {said}\n")
    return 0


def _check_batch_header(src: Path, header: list[str]) -> None:
    from ffmot.core.batch import INPUT_COLUMNS, OUTPUT_COLUMNS

    needed = [c for c in ("test", "sex", "value") if c not in header]
    if not header:
        raise InputError(
            _(
                "{path} is empty: it needs a header row {header}",
                path=src,
                header=",".join(INPUT_COLUMNS),
            )
        )
    if needed or ("age" not in header and "dob" not in header):
        # the column names are the file's own words (the header is English in every language)
        missing = needed or [_("age (or dob and date)")]
        raise InputError(
            _n(
                "{path} lacks the column(s) {columns}; the header should be {header}",
                "{path} lacks the column(s) {columns}; the header should be {header}",
                len(missing),
                path=src,
                columns=", ".join(missing),
                header=",".join(INPUT_COLUMNS),
            )
        )
    extra = [c for c in OUTPUT_COLUMNS if c in header]
    if extra:
        raise InputError(
            _n(
                "{path} already has output column(s) {columns}: give the original input file",
                "{path} already has output column(s) {columns}: give the original input file",
                len(extra),
                path=src,
                columns=", ".join(extra),
            )
        )


def _write_atomic(dst: Path, columns: list[str], rows: Iterable[list[str]]) -> None:
    """Writes rows as they come into a temporary file beside `dst`, replacing `dst` only once
    every row is written; on any failure the temporary file goes and `dst` is untouched."""
    check_output_file(dst)
    try:
        with replacing(dst, text=True) as out:  # owner-only, whole or not at all
            w = csv.writer(out)
            w.writerow(columns)
            w.writerows(rows)
    except OSError as e:
        raise InputError(
            _("cannot write {path}: {problem}", path=dst, problem=e.strerror)
        ) from None


# --- the desktop app -------------------------------------------------------------------------


def _gui(args: argparse.Namespace, out: TextIO) -> int:
    shot = getattr(args, "screenshot", None)
    if shot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from ffmot.gui.staging import screenshot

        path = screenshot(Path(shot), args.view, args.db, args.large_print)
        out.write(_("wrote {path}", path=path) + "\n")
        return 0
    from ffmot.gui.app import run

    return run(args.db, getattr(args, "training", False), config=args.config)


# --- norms ---------------------------------------------------------------------------------------


def _norms(args: argparse.Namespace, out: TextIO) -> int:
    from ffmot.core.describe import describe_norm_set, describe_test_norms
    from ffmot.core.norms import default_norm_set

    ns = default_norm_set()
    if not ns.verified:  # first, before any number: these are not the published norms
        out.write(f"{ns.label}.\n")
        out.write(
            _(
                "Sources and statuses below are as the local files give them; numbers from "
                "changed files are not the published ones."
            )
            + "\n\n"
        )
    if args.action == "show":
        if not args.test:
            raise InputError(_("name a test: ffmot norms show TEST (see 'ffmot norms')"))
        out.write(describe_test_norms(ns, ns.test(args.test).id))
    elif args.test:
        raise InputError(_("did you mean 'ffmot norms show {test}'?", test=args.test))
    else:
        out.write(describe_norm_set(ns))
    return 0
