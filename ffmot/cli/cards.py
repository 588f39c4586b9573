"""`ffmot station-cards --out FILE.pdf`: one large-print A4 card per test of the battery, for
each station of an MOT day (ffmot.report.station_cards). Needs no database.

Wired into ffmot/cli/main.py by two lines: `add_parser(sub)` in build_parser, and in main
`if args.command == "station-cards": return run(args, out)`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.core.paths import check_output_file

COMMAND = "station-cards"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """The verb, added to the command line's sub-parsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        COMMAND, help=_("print one large-print A4 card per test, for the stations")
    )
    p.add_argument("--out", metavar="FILE.pdf", required=True, help=_("the PDF to write"))
    return p


def run(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.out)
    if path.suffix.lower() != ".pdf":
        raise InputError(_("--out must name a .pdf file, not {path}", path=args.out))
    check_output_file(path)
    from ffmot.report.station_cards import write_station_cards

    try:
        write_station_cards(path)
    except OSError as e:
        raise InputError(
            _("cannot write {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    out.write(_("wrote {path}", path=path) + "\n")
    return 0
