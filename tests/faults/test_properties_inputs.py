"""Every way in for outside data, fed with random and broken input: command-line arguments, the
rows of an import file, the rows of a batch-scoring file, the norm files. None may end in an
uncaught exception; every rejection must say what is wrong; a refused import leaves nothing
behind."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from ffmot import cli
from ffmot.core.errors import FfmotError, NormDataError
from ffmot.core.norms import NormSet, load_norm_set
from ffmot.core.paths import norms_dir
from ffmot.demo import generate
from ffmot.services.demo_load import load_demo
from ffmot.services.export import export_file
from ffmot.services.transfer import ImportRefused, import_file
from ffmot.services.types import Actor
from ffmot.store.db import connect
from tests.helpers import copy_db_file

ACTOR = Actor("Input Tester", "Station 1")
TEST_IDS = ["chair_stand", "grip", "sit_and_reach", "walk_6min", "bmi", "activity", "nope"]

# Text as a command line or a file can carry it: anything but NUL, including bytes that are not
# UTF-8 (as Python shows them in sys.argv: lone surrogates U+DC80..U+DCFF).
junk = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
    ),
    max_size=14,
)
values = st.one_of(
    junk,
    st.sampled_from(TEST_IDS),
    st.sampled_from(["female", "male", "not_stated", "woman", "kg", "lb", "cm", "in", "yd"]),
    st.integers(-5, 130).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["", " ", "-1", "1e309", "99999999999", "12,5", "K7PM-4QX", "ABCD-EFG"]),
    st.sampled_from(["out.csv", "in.csv", "x.pdf", "out.xlsx", "folder", "sheets/", "db.db"]),
)


def _safe(token: str) -> bool:
    """No token may reach outside the test's folder (absolute paths, .., ~) or name a server."""
    return not (token.startswith(("/", "~")) or ".." in token or "://" in token)


def _commands() -> dict[str, list[argparse.Action]]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: list(p._actions) for name, p in sub.choices.items()}


COMMANDS = _commands()


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    args: list[str] = []
    if draw(st.booleans()):
        args += ["--db", draw(st.sampled_from(["db.db", "other.db", "folder", "notes.txt"]))]
    command = draw(st.sampled_from([*COMMANDS, "", "--version", "--help", "scor"]))
    if command:
        args.append(command)
    options = [a for a in COMMANDS.get(command, []) if a.option_strings]
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind <= 5 and options:
            action = draw(st.sampled_from(options))
            args.append(draw(st.sampled_from(action.option_strings)))
            if action.nargs != 0:
                args.append(draw(values))
        elif kind <= 8:
            args.append(draw(values))
        else:
            args.append("--" + draw(junk))
    return args


@contextlib.contextmanager
def in_folder() -> Iterator[Path]:
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="ffmot-cli-") as d:
        os.chdir(d)
        try:
            yield Path(d)
        finally:
            os.chdir(here)


@contextlib.contextmanager
def streams() -> Iterator[tuple[io.TextIOWrapper, io.TextIOWrapper]]:
    """stdout and stderr as a real process has them: UTF-8, stdout strict, stderr
    backslashreplace (so text that cannot be written fails here as it would there)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def test_random_command_lines_exit_0_2_or_3_and_every_refusal_names_the_problem():
    with in_folder() as folder:
        db = connect(str(folder / "db.db"))
        load_demo(db, ACTOR, generate(5, seed=3))
        db.close()
        (folder / "notes.txt").write_text("not a database\n")
        (folder / "folder").mkdir()
        env = {"FFMOT_DATABASE_URL": str(folder / "db.db"), "FFMOT_USER": "Input Tester"}
        with (
            mock.patch.dict(os.environ, env),
            mock.patch("ffmot.gui.app.run", return_value=0),
            mock.patch("ffmot.gui.staging.screenshot", side_effect=lambda p, *a, **k: p),
        ):
            _cli_examples()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=argv())
def _cli_examples(args: list[str]) -> None:
    assume(all(_safe(a) for a in args))
    if "--participants" in args:  # a big demo is slow, not wrong
        i = args.index("--participants")
        assume(i + 1 >= len(args) or not args[i + 1].strip().isdigit() or int(args[i + 1]) < 50)
    with streams() as (out, err):
        try:
            code = cli.main(args)
        except SystemExit as e:  # argparse: --help, --version, a usage mistake
            code = e.code if isinstance(e.code, int) else 2
        out.flush()
        err.flush()
        text = err.buffer.getvalue().decode()  # type: ignore[attr-defined]
    event(f"exit {code}")
    # 0 done, 2 refused as given, 3 the database cannot be used (ffmot/cli/main.py EXIT_STATUSES)
    assert code in (0, 2, 3), (args, code, text)
    if code in (2, 3):
        assert text.startswith("ffmot: ") and len(text.strip()) > 12, (args, text)


# --- import rows --------------------------------------------------------------------------------


class ImportCase:
    """An exported file to break, and an empty database to import it into (copied afresh)."""

    def __init__(self, folder: Path) -> None:
        source = connect(str(folder / "source.db"))
        load_demo(source, ACTOR, generate(3, seed=5))
        self.csv = folder / "export.csv"
        export_file(source, ACTOR, self.csv, "csv")
        source.close()
        self.empty = folder / "empty.db"
        connect(str(self.empty)).close()
        with self.csv.open(newline="", encoding="utf-8") as f:
            self.rows = list(csv.reader(f))
        self.folder = folder


edits = st.lists(
    st.one_of(
        st.tuples(st.just("cell"), st.integers(0, 10_000), st.integers(0, 100), values),
        st.tuples(st.just("drop_column"), st.integers(0, 100)),
        st.tuples(st.just("duplicate_row"), st.integers(1, 10_000)),
        st.tuples(st.just("swap_header"), st.integers(0, 100), st.integers(0, 100)),
        st.tuples(st.just("junk_line"), st.integers(0, 10_000), junk),
        st.tuples(st.just("truncate"), st.floats(0, 1)),
        st.tuples(st.just("bad_bytes"), st.floats(0, 1)),
    ),
    min_size=1,
    max_size=3,
)


def _mutate(rows: list[list[str]], ops: list[tuple]) -> bytes:  # type: ignore[type-arg]
    rows = [list(r) for r in rows]
    tail: list[tuple] = []  # type: ignore[type-arg]
    for op in ops:
        kind = op[0]
        if kind == "cell":
            r = 1 + op[1] % (len(rows) - 1)
            rows[r][op[2] % len(rows[r])] = op[3]
        elif kind == "drop_column":
            c = op[1] % len(rows[0])
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif kind == "duplicate_row":
            rows.append(list(rows[1 + op[1] % (len(rows) - 1)]))
        elif kind == "swap_header":
            h = rows[0]
            a, b = op[1] % len(h), op[2] % len(h)
            h[a], h[b] = h[b], h[a]
        elif kind == "junk_line":
            rows.insert(1 + op[1] % len(rows), [op[2]])
        else:
            tail.append(op)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    data = buf.getvalue().encode("utf-8", "surrogateescape")
    for kind, at in tail:
        cut = int(at * len(data))
        data = data[:cut] if kind == "truncate" else data[:cut] + b"\xff\xfe\x80" + data[cut:]
    return data


def test_broken_import_rows_are_refused_by_line_and_nothing_is_half_imported(tmp_path):
    case = ImportCase(tmp_path)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops=edits)
    def examples(ops: list[tuple]) -> None:  # type: ignore[type-arg]
        with tempfile.TemporaryDirectory(dir=case.folder) as d:
            path = Path(d) / "broken.csv"
            path.write_bytes(_mutate(case.rows, ops))
            target = Path(d) / "target.db"
            copy_db_file(case.empty, target)
            db = connect(str(target))
            try:
                try:
                    import_file(db, ACTOR, path)
                    event("imported")
                except ImportRefused as e:
                    event("refused by line")
                    assert e.problems
                    for p in e.problems:
                        assert p.startswith("line ") and ": " in p and len(p) > 12, p
                    _nothing_imported(db)
                except FfmotError as e:
                    event("refused: " + type(e).__name__)
                    assert len(str(e)) > 12, str(e)
                    _nothing_imported(db)
            finally:
                db.close()

    examples()


def _nothing_imported(db) -> None:  # type: ignore[no-untyped-def]
    from ffmot.services.records import list_events, search_participants

    assert search_participants(db, "") == [] and list_events(db) == []


# --- norm files ---------------------------------------------------------------------------------

NORM_FILES = sorted(p.name for p in norms_dir().iterdir() if p.suffix in (".csv", ".toml"))

norm_edits = st.tuples(
    st.sampled_from(NORM_FILES),
    st.sampled_from(["cell", "line", "delete_line", "duplicate_line", "truncate", "remove"]),
    st.integers(0, 10_000),
    st.integers(0, 50),
    values,
)


def _break_norm_file(folder: Path, edit: tuple) -> None:  # type: ignore[type-arg]
    name, kind, n, col, value = edit
    path = folder / name
    if kind == "remove":
        path.unlink()
        return
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    i = n % len(lines)
    if kind == "truncate":
        path.write_text(text[: n % (len(text) + 1)], encoding="utf-8")
        return
    if kind == "cell" and name.endswith(".csv"):
        cells = lines[i].rstrip("\n").split(",")
        cells[col % len(cells)] = value.replace(",", ";").replace("\n", " ")
        lines[i] = ",".join(cells) + "\n"
    elif kind in ("cell", "line"):
        lines[i] = value + "\n"
    elif kind == "delete_line":
        del lines[i]
    else:
        lines.insert(i, lines[i])
    path.write_bytes("".join(lines).encode("utf-8", "surrogateescape"))


def test_broken_norm_files_are_refused_naming_the_file(tmp_path):
    template = tmp_path / "norms"
    shutil.copytree(norms_dir(), template)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(edit=norm_edits)
    def examples(edit: tuple) -> None:  # type: ignore[type-arg]
        with tempfile.TemporaryDirectory(dir=tmp_path) as d:
            folder = Path(d) / "norms"
            shutil.copytree(template, folder)
            _break_norm_file(folder, edit)
            try:
                ns = load_norm_set(folder)
            except NormDataError as e:
                event("refused")
                msg = str(e)
                assert any(f in msg for f in NORM_FILES) or "cannot read" in msg, msg
                return
            event("loaded")
            assert isinstance(ns, NormSet) and ns.battery and ns.tables

    examples()


@st.composite
def batch_row(draw: st.DrawFn) -> dict[str, str | None]:
    """A row of a `ffmot score --batch` file: plausible cells, junk, gaps and extra fields."""
    if draw(st.booleans()):  # a good row, now and then with one cell spoiled
        from ffmot.core.norms import default_norm_set

        test = draw(st.sampled_from([t for t in default_norm_set().battery.values()]))
        lo, hi = test.typical
        good: dict[str, str | None] = {
            "test": test.id,
            "sex": draw(st.sampled_from(["female", "male"])),
            "age": str(draw(st.integers(60, 94))),
            "value": str(draw(st.integers(int(lo), int(hi)))),
            "unit": "",
        }
        if draw(st.integers(0, 3)) == 0:
            good[draw(st.sampled_from(sorted(good)))] = draw(values)
        return good
    row: dict[str, str | None] = {}
    cells = {
        "test": st.one_of(st.sampled_from(TEST_IDS), values),
        "sex": st.one_of(st.sampled_from(["female", "male", "F", "m", ""]), values),
        "age": st.one_of(st.integers(55, 100).map(str), values),
        "dob": st.one_of(st.just(""), st.dates().map(lambda d: d.strftime("%d/%m/%Y")), values),
        "date": st.one_of(st.just(""), values),
        "value": st.one_of(st.integers(0, 200).map(str), st.floats(0, 100).map(str), values),
        "unit": st.one_of(st.just(""), values),
    }
    for key, strategy in cells.items():
        if draw(st.integers(0, 9)) > 0:  # now and then a column is missing altogether
            row[key] = draw(strategy)
    if draw(st.integers(0, 19)) == 0:
        row[None] = ["an extra field"]  # type: ignore[index,assignment]  # as csv gives it
    return row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batch_row(), min_size=1, max_size=25))
def test_broken_batch_rows_each_get_a_band_or_a_reason(rows):
    """`ffmot score --batch`: one output row per input row, in order; a row that cannot be
    scored says why in plain words and the others still score, as `score` would score them."""
    import datetime as dt

    from ffmot.core.ages import parse_number
    from ffmot.core.batch import score_rows
    from ffmot.core.norms import default_norm_set
    from ffmot.core.scoring import BANDS, score

    ns = default_norm_set()
    out = score_rows(rows, ns, today=dt.date(2026, 6, 1))
    assert len(out) == len(rows)
    for row, o in zip(rows, out, strict=True):
        if o["band"] == "error":
            event("a row refused")
            assert o["message"].strip() and "Traceback" not in o["message"], o
            continue
        assert o["band"] in BANDS, o
        event("a row scored")
        test_id, value = row["test"].strip().lower(), parse_number(row["value"], "value")
        single = score(test_id, row["sex"], int(o["age_used"]), value, o["unit_used"], norms=ns)
        assert o["band"] == single.band, (row, o)
