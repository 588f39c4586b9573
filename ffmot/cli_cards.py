"""`ffmot station-cards --out FILE.pdf`: one large-print A4 card per test of the battery, for
each station of an MOT day (ffmot.report.station_cards). Needs no database.

Wired into ffmot/cli.py by two lines: `add_parser(sub)` in build_parser, and in main
`if args.command == "station-cards": return run(args, out)`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ffmot.core.errors import InputError
from ffmot.core.paths import check_output_file

COMMAND = "station-cards"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """The verb, added to the command line's sub-parsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        COMMAND, help="print one large-print A4 card per test, for the stations"
    )
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="the PDF to write")
    return p


def run(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.out)
    if path.suffix.lower() != ".pdf":
        raise InputError(f"--out must name a .pdf file, not {args.out}")
    check_output_file(path)
    from ffmot.report.station_cards import write_station_cards

    try:
        write_station_cards(path)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}") from None
    out.write(f"wrote {path}\n")
    return 0
