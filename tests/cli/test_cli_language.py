"""The command line speaks the language chosen for the screens, every word of it.

The language is chosen in the desktop app's Settings, which the command line reads too; the
pseudo-language (set in the settings file only) accents every letter of every translated word
and wraps each message in brackets. So a plain English word in what a command says is a word
that never went through the catalogue: a help text, argparse's own words, a refusal raised in
the core, the services or the store, or a confirmation printed by the command. Real commands in
real processes on a real database; what a person typed or owns (paths, codes, test ids, option
names) is taken out before looking.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from ffmot.cli import build_parser
from ffmot.core import units
from ffmot.core.norms import default_norm_set
from ffmot.core.paths import norms_dir
from ffmot.services.file_format import COLUMNS
from tests.cli.test_cli import ffmot
from tests.cli.warm import run_ffmot
from tests.report.languages import untranslated


def _subcommands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


def _test_ids() -> list[str]:
    battery = tomllib.loads((norms_dir() / "battery.toml").read_text(encoding="utf-8"))
    tests = battery.get("tests", battery)
    return [*tests, *battery.get("measurements", {})]


OPTION = re.compile(r"(?<![\w-])--?[a-z][a-z0-9-]*")
METAVAR = re.compile(r"\b[A-Z][A-Z0-9_]*(\.[a-z]+)?\b")  # FILE, IN.csv, ID; also PDF, CSV
CHOICES = re.compile(r"\{[^{}\s]*\}")  # {show}, {female,male}
QUOTED = re.compile(r"'[\w./-]*'")  # a value as typed or to be typed: 'frobnicate', 'female'
NUMBERED = re.compile(r"\S*\d\S*")  # codes, dates, versions, hashes, 30-second
PATHS = re.compile(r"[^\s\[\]]*/[^\s\[\]]*")  # a file or folder named


def plain_words(text: str, data: list[str]) -> list[str]:
    """Words of `text` that no translation reached, once the data and the command line's own
    names are taken out."""
    text = CHOICES.sub(" ", text)
    for item in sorted({d for d in data if d.strip()}, key=len, reverse=True):  # never in a path
        text = re.sub(rf"(?<![\w/]){re.escape(item)}(?![\w/])", " ", text)
    for pattern in (PATHS, OPTION, METAVAR, QUOTED, NUMBERED):
        text = pattern.sub(" ", text)
    return untranslated(text, [])


def _env(home: Path, language: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FFMOT_DEBUG", "FFMOT_DATABASE_URL", "FFMOT_ORGANISATION_DIR")
    }
    config = home / "config"
    (config / "ffmot").mkdir(parents=True, exist_ok=True)
    (config / "ffmot" / "ffmot.ini").write_text(f"[view]\nlanguage={language}\n", "utf-8")
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(config),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A demo database, one participant's code, and files good and bad, made once."""
    root = tmp_path_factory.mktemp("language")
    db = root / "demo.db"
    made = ffmot("--db", str(db), "demo", "--participants", "6", "--seed", "4")
    assert made.returncode == 0, made.stderr
    rows = [
        line
        for command in ("participants", "events")
        for line in ffmot("--db", str(db), command).stdout.splitlines()[1:]
    ]
    code = rows[0].split()[0]
    cells = [cell for row in rows for cell in re.split(r"\s{2,}", row.strip())]
    cells += [c.removesuffix(" (training)") for c in cells]  # a day's name as the sheet says it
    broken = root / "broken.csv"
    broken.write_text("participant_code,test\nnot,a,file,of,results\n", "utf-8")
    (root / "not-a-db.db").write_bytes(b"this is not a database" * 100)
    return {"root": root, "db": db, "code": code, "cells": cells}


def _run(place: dict[str, object], language: str, *args: str) -> subprocess.CompletedProcess[str]:
    root = Path(str(place["root"]))
    argv = [a.format(db=place["db"], code=place["code"], root=root) for a in args]
    return run_ffmot(argv, root, _env(root / f"home-{language}", language), timeout=120)


# What a person meets: help, argparse's words, refusals from every layer, and results.
COMMANDS = [
    ("--help",),
    ("frobnicate",),  # argparse: invalid choice
    ("score", "--age"),  # argparse: expected one argument
    ("score", "--test", "no_such_test", "--sex", "female", "--age", "70", "--value", "3"),
    ("score", "--test", "chair_stand", "--sex", "female", "--age", "70", "--value", "-3"),
    ("score", "--test", "chair_stand", "--sex", "female", "--age", "70", "--value", "12"),
    ("score", "--test", "grip", "--sex", "male", "--age", "70", "--value", "30", "--unit", "lb"),
    ("score", "--test", "chair_stand", "--sex", "female", "--age", "30", "--value", "12"),
    ("norms",),
    ("norms", "show", "chair_stand"),
    ("--db", "{root}", "events"),  # a folder, not a database file
    ("--db", "{root}/not-a-db.db", "participants"),  # not a database
    ("--db", "{db}", "events"),
    ("--db", "{db}", "import", "{root}/broken.csv"),
    ("--db", "{db}", "erase", "{code}"),  # not confirmed
    ("--db", "{db}", "sheet", "ZZZZ-ZZZ", "--out", "{root}/x.pdf"),
    ("--db", "{db}", "sheet", "{code}", "--out", "{root}/sheet.pdf"),
    ("--db", "{db}", "summary", "--event", "999", "--out", "{root}/s.pdf"),
    ("--db", "{db}", "export", "--out", "{root}/export.csv"),
    ("--db", "{db}", "correct", "{code}", "--sex", "other"),
    ("--db", "{db}", "audit", "verify"),
    ("--db", "{db}", "retention"),
    ("station-cards", "--out", "{root}/cards.pdf"),
]


def _norm_data() -> list[str]:
    """What the norm files say as they say it: the set's name, each source's short reference,
    each row's status and note, and the codes of units and sexes (typed as given: --unit,
    --sex). A citation names its source and status as the files write them."""
    ns = default_norm_set()
    rows = [r for t in ns.tables.values() for r in t.rows]
    rows += [r for t in ns.criteria.values() for r in t.rows]
    words = [ns.name, *(w for src in ns.sources.values() for w in (src.short, src.cite, src.url))]
    words += [w for r in rows for w in (r.status, r.note, r.unit) if w]
    unit_codes = [u.code for u in units._UNITS.values()]
    return [*words, *unit_codes, "female", "male", "not_stated", *COLUMNS]


def _data(place: dict[str, object]) -> list[str]:
    return [
        *_norm_data(),
        str(place["root"]),
        str(place["code"]),
        *place["cells"],  # type: ignore[misc]  # the people's names, the day's name and place
        "ffmot",
        *_subcommands(),
        *_test_ids(),
    ]


def test_every_word_a_command_says_goes_through_the_catalogue(place):
    data = _data(place)
    found = {}
    for args in [*COMMANDS, *((c, "--help") for c in _subcommands())]:
        p = _run(place, "qps", *args)
        said = p.stdout + p.stderr
        assert "Traceback" not in said, said
        assert said.strip(), args
        plain = plain_words(said, data)
        if plain:
            found[" ".join(args)] = (plain[:12], said[:400])
    assert not found, "\n".join(f"{k}: {v[0]}\n    {v[1]!r}" for k, v in found.items())


def test_in_english_the_same_commands_say_what_they_said_before(place):
    """The machinery changes nothing in English: the words are the English keys."""
    p = _run(place, "en", "score", "--test", "chair_stand", "--sex", "female", "--age", "70",
             "--value", "-3")  # fmt: skip
    assert p.returncode == 2 and p.stderr.startswith("ffmot: ") and "[" not in p.stderr
    q = _run(place, "qps", "score", "--test", "chair_stand", "--sex", "female", "--age", "70",
             "--value", "-3")  # fmt: skip
    assert q.returncode == 2 and q.stderr.startswith("ffmot: [")
    help_en = _run(place, "en", "--help").stdout
    assert "usage: ffmot" in help_en and "exit status:" in help_en


def test_a_language_no_longer_installed_is_english_not_a_stopped_command(place):
    p = _run(place, "cy", "score", "--test", "chair_stand", "--sex", "female", "--age", "70",
             "--value", "12")  # fmt: skip
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout.startswith("30-second chair stand: 12 stands (woman, age 70)\n")
