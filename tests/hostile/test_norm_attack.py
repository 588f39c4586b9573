"""Generated attack: broken norm folders.

A copy of the shipped norms/ is broken in many ways, chosen by a seeded random generator (so a
failure is the same on every run): a number changed a little or wildly, rows swapped, a band
removed or duplicated, a source or status changed, a file deleted, emptied, truncated, made
binary, invalid TOML or invalid UTF-8, replaced by a folder, a loop of links or a pipe, the
manifest removed, edited or rewritten to match an edit, extra files, huge files.

Each folder is loaded the way the program loads it (`load_norm_set`, and the real command line
`ffmot norms` and `ffmot score` with FFMOT_NORMS_DIR pointing at it), in a worker thread with a
time limit, and judged:

    uncaught  anything but a NormDataError (or the command line's one-line refusal) escaped, or
              the refusal reads like a traceback or a repr
    wrong     a set whose numbers, sources or statuses differ from the published set is called
              verified, or one of its changed numbers is cited with a published source/status
              (on the set, in a score, or on a printed line); a refused folder printed results
    hung      loading did not end in time (a pipe must never be waited on)
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ffmot.core.errors import FfmotError, NormDataError
from ffmot.core.norms import (
    MANIFEST,
    UNVERIFIED,
    NormRow,
    NormSet,
    is_local_cite,
    load_norm_set,
    write_manifest,
)
from ffmot.core.paths import norms_dir
from ffmot.core.scoring import score
from tests.hostile import ledger

SEED = 20261201
BOUND_S = 5.0  # far above a normal load (about 0.02 s), far below a test-run timeout
CSVS = (
    "sft_normal_ranges.csv",
    "grip_centiles.csv",
    "single_leg_stance.csv",
    "sft_criterion_standards.csv",
    "flags.csv",
    "body_readings.csv",
)
TOMLS = ("norm-set.toml", "sources.toml", "battery.toml", "activity_guidelines.toml")
DATA = CSVS + TOMLS
STATUSES = ("confirmed", "single-source", "recalled", "conflict-resolved")
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
REPR_SIGNS = ("Traceback", "object at 0x", "Error(", "<class ", 'File "')

Mutation = Callable[[Path], object]


# --- what the published set says, to compare every loaded variant with -----------------------


def _row_key(r: NormRow) -> tuple[Any, ...]:
    return (r.sex, r.age_min, r.age_max, r.values, r.unit, r.source, r.checked_against, r.status)


def _groups(ns: NormSet) -> dict[str, Any]:
    """Everything a number's meaning rests on, grouped so a changed group can be named."""
    g: dict[str, Any] = {}
    for tid, t in ns.tables.items():
        arr = t.points if hasattr(t, "points") else t.threshold
        g[f"table:{tid}"] = (
            np.nan_to_num(arr, nan=-1.0).tobytes(),
            tuple(sorted((_row_key(r) for r in t.rows), key=repr)),
        )
    for tid, c in ns.criteria.items():
        g[f"criterion:{tid}"] = (
            np.nan_to_num(c.standard, nan=-1.0).tobytes(),
            tuple(sorted((_row_key(r) for r in c.rows), key=repr)),
        )
    for kind, rules in (("flags", ns.flags), ("readings", ns.readings)):
        for tid, rs in rules.items():
            g[f"{kind}:{tid}"] = tuple(
                sorted(
                    (
                        (
                            r.id,
                            r.sex,
                            r.comparison,
                            r.cutoff,
                            r.min_age,
                            r.max_age,
                            r.text,
                            *_row_key(r.row),
                        )
                        for r in rs
                    ),
                    key=repr,
                )
            )
    g["set:battery"] = repr(sorted(ns.battery.items()))
    g["set:sources"] = repr(sorted(ns.sources.items()))
    g["set:statuses"] = ns.statuses
    g["set:guidelines"] = (ns.guidelines, ns.guideline_source)
    g["set:notes"] = ns.notes
    return g


PUBLISHED_SET = load_norm_set(norms_dir())
PUBLISHED = _groups(PUBLISHED_SET)
PUBLISHED_SHORTS = tuple(s.short for s in PUBLISHED_SET.sources.values())


# --- the mutations -----------------------------------------------------------------------------


def _lines(folder: Path, name: str) -> list[str]:
    return (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)


def _write_lines(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("".join(lines), encoding="utf-8")


def _split(line: str) -> list[str]:
    # The data lines edited here have no quoted commas before the note/wording column.
    return line.rstrip("\n").split(",")


def _numeric_cells(folder: Path, name: str) -> list[tuple[int, int]]:
    lines = _lines(folder, name)
    cells = []
    for i, line in enumerate(lines[1:], 1):
        for j, cell in enumerate(_split(line)[:10]):
            if NUMERIC.match(cell):
                cells.append((i, j))
    return cells


def change_number(name: str, i: int, j: int, how: str) -> Mutation:
    def m(folder: Path) -> None:
        lines = _lines(folder, name)
        cells = _split(lines[i])
        v = float(cells[j])
        words = {"nan": "nan", "inf": "inf", "text": "ten", "blank": ""}
        new = {
            "+1": v + 1,
            "-1": v - 1,
            "+0.1": v + 0.1,
            "x10": v * 10,
            "neg": -v - 1,
            "huge": 1e300,
            "zero": 0.0,
        }.get(how, 0.0)
        cells[j] = words.get(how, f"{new:g}")
        lines[i] = ",".join(cells) + "\n"
        _write_lines(folder, name, lines)

    return m


def swap_rows(name: str, i: int, k: int) -> Mutation:
    def m(folder: Path) -> None:
        lines = _lines(folder, name)
        lines[i], lines[k] = lines[k], lines[i]
        _write_lines(folder, name, lines)

    return m


def remove_row(name: str, i: int) -> Mutation:
    def m(folder: Path) -> None:
        lines = _lines(folder, name)
        del lines[i]
        _write_lines(folder, name, lines)

    return m


def duplicate_row(name: str, i: int) -> Mutation:
    def m(folder: Path) -> None:
        lines = _lines(folder, name)
        lines.insert(i, lines[i])
        _write_lines(folder, name, lines)

    return m


def change_column(name: str, i: int, column: str, value: str) -> Mutation:
    def m(folder: Path) -> None:
        lines = _lines(folder, name)
        header = _split(lines[0])
        cells = _split(lines[i])
        j = header.index(column)
        cells[j] = value
        lines[i] = ",".join(cells) + "\n"
        _write_lines(folder, name, lines)

    return m


def replace_text(name: str, old: str, new: str) -> Mutation:
    def m(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return m


def edit_digit(name: str, before: str) -> Mutation:
    """Changes the first hex digit after `before` (a checksum), whatever it is today."""

    def m(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        at = text.index(before) + len(before)
        digit = "0" if text[at] != "0" else "1"
        path.write_text(text[:at] + digit + text[at + 1 :], encoding="utf-8")

    return m


def items_not_a_list(folder: Path) -> None:
    path = folder / "activity_guidelines.toml"
    text = path.read_text(encoding="utf-8").replace("[[items]]", "[[old_items]]")
    path.write_text('items = "all of them"\n' + text, encoding="utf-8")


def delete(name: str) -> Mutation:
    return lambda folder: (folder / name).unlink()


def write_bytes(name: str, data: bytes) -> Mutation:
    return lambda folder: (folder / name).write_bytes(data)


def truncate(name: str, fraction: float) -> Mutation:
    def m(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: int(len(data) * fraction)])

    return m


def insert_bytes(name: str, at: float, data: bytes) -> Mutation:
    def m(folder: Path) -> None:
        old = (folder / name).read_bytes()
        k = int(len(old) * at)
        (folder / name).write_bytes(old[:k] + data + old[k:])

    return m


def to_folder(name: str) -> Mutation:
    def m(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()

    return m


def to_loop(name: str) -> Mutation:
    def m(folder: Path) -> None:
        (folder / name).unlink()
        (folder / f"{name}.loop").symlink_to(folder / name)
        (folder / name).symlink_to(folder / f"{name}.loop")

    return m


def to_fifo(name: str) -> Mutation:
    def m(folder: Path) -> None:
        (folder / name).unlink()
        os.mkfifo(folder / name)

    return m


def to_link(name: str, target: Path) -> Mutation:
    def m(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).symlink_to(target)

    return m


def rewrite_manifest() -> Mutation:
    return write_manifest


def huge(name: str, size: int) -> Mutation:
    def m(folder: Path) -> None:
        with (folder / name).open("ab") as f:
            line = b"x" * 1023 + b"\n"
            for _ in range(size // 1024):
                f.write(line)

    return m


def huge_rows(name: str, copies: int) -> Mutation:
    def m(folder: Path) -> None:
        lines = _lines(folder, name)
        _write_lines(folder, name, lines + lines[1:] * copies)

    return m


def both(a: Mutation, b: Mutation) -> Mutation:
    def m(folder: Path) -> None:
        a(folder)
        b(folder)

    return m


def generate(rng: random.Random, base: Path) -> list[tuple[str, Mutation]]:
    out: list[tuple[str, Mutation]] = []
    n_lines = {name: len(_lines(base, name)) for name in CSVS}
    cells = {name: _numeric_cells(base, name) for name in CSVS}

    def number(how: str | None = None) -> tuple[str, Mutation]:
        name = rng.choice(CSVS)
        i, j = rng.choice(cells[name])
        how = how or rng.choice(
            ("+1", "-1", "+0.1", "x10", "neg", "huge", "zero", "nan", "inf", "text", "blank")
        )
        return f"{name} line {i + 1} cell {j + 1} {how}", change_number(name, i, j, how)

    for how in ("+1", "-1", "+1", "-1", "+0.1", "+1", "-1", "x10"):  # plausible edits
        out.append(number(how))
    for _ in range(14):
        out.append(number())
    for _ in range(6):
        name = rng.choice(CSVS)
        i, k = rng.sample(range(1, n_lines[name]), 2)
        out.append((f"{name} lines {i + 1} and {k + 1} swapped", swap_rows(name, i, k)))
    for _ in range(5):
        name = rng.choice(CSVS)
        i = rng.randrange(1, n_lines[name])
        out.append((f"{name} line {i + 1} removed", remove_row(name, i)))
        j = rng.randrange(1, n_lines[name])
        out.append((f"{name} line {j + 1} duplicated", duplicate_row(name, j)))
    for _ in range(6):
        name = rng.choice(CSVS)
        i = rng.randrange(1, n_lines[name])
        status = rng.choice((*STATUSES, "Confirmed", "verified", ""))
        out.append(
            (f"{name} line {i + 1} status {status!r}", change_column(name, i, "status", status))
        )
    for _ in range(4):
        name = rng.choice(CSVS)
        i = rng.randrange(1, n_lines[name])
        src = rng.choice((*tuple(PUBLISHED_SET.sources), "made_up_source"))
        out.append((f"{name} line {i + 1} source {src!r}", change_column(name, i, "source", src)))
    out += [
        (
            "sources.toml short name changed",
            replace_text("sources.toml", "Rikli & Jones 1999", "Rikli and Jones 1999"),
        ),
        (
            "sources.toml a source's status",
            replace_text("sources.toml", 'status = "recalled"', 'status = "confirmed"'),
        ),
        (
            "norm-set.toml statuses reordered",
            replace_text(
                "norm-set.toml", '"confirmed", "single-source"', '"single-source", "confirmed"'
            ),
        ),
        (
            "norm-set.toml version changed",
            replace_text("norm-set.toml", 'version = "2026.12-1"', 'version = "2026.12-2"'),
        ),
        (
            "norm-set.toml statuses a number",
            replace_text("norm-set.toml", "statuses = [", "statuses = 5\nold = ["),
        ),
        (
            "norm-set.toml statuses a string",
            replace_text("norm-set.toml", "statuses = [", 'statuses = "confirmed"\nold = ['),
        ),
        (
            "norm-set.toml version a table",
            replace_text("norm-set.toml", 'version = "2026.12-1"', "version = {a = 1}"),
        ),
        (
            "sources.toml short a number",
            replace_text(
                "sources.toml", 'short = "Rikli & Jones 1999, Senior Fitness Test"', "short = 1999"
            ),
        ),
        ("activity items a word", items_not_a_list),
        (
            "activity source a list",
            replace_text("activity_guidelines.toml", "source = ", "source = [] #"),
        ),
    ]
    for name in rng.sample((*DATA, MANIFEST), 6):
        out.append((f"{name} deleted", delete(name)))
    for name in rng.sample((*DATA, MANIFEST), 4):
        out.append((f"{name} emptied", write_bytes(name, b"")))
    for name in rng.sample((*DATA, MANIFEST), 5):
        fraction = rng.choice((0.1, 0.5, 0.93))
        out.append((f"{name} truncated to {fraction}", truncate(name, fraction)))
    for name in rng.sample((*DATA, MANIFEST), 5):
        data = bytes(rng.randrange(256) for _ in range(rng.choice((7, 300, 4000))))
        out.append((f"{name} binary ({len(data)} bytes)", write_bytes(name, data)))
    for name in (*TOMLS, MANIFEST):
        out.append((f"{name} invalid TOML", insert_bytes(name, rng.random(), b'\n[x\n= "\n')))
    for name in rng.sample((*DATA, MANIFEST), 6):
        out.append((f"{name} invalid UTF-8", insert_bytes(name, rng.random(), b"\xff\xfe\xc3(")))
    out.append(("battery.toml with a NUL byte", insert_bytes("battery.toml", 0.5, b"\x00")))
    for name in [*rng.sample(DATA, 3), MANIFEST]:
        out.append((f"{name} a folder", to_folder(name)))
    for name in [*rng.sample(DATA, 3), MANIFEST]:
        out.append((f"{name} a loop of links", to_loop(name)))
    for name in ["norm-set.toml", "battery.toml", MANIFEST, *rng.sample(CSVS, 3)]:
        out.append((f"{name} a pipe (FIFO)", to_fifo(name)))
    shipped = norms_dir()
    for name in rng.sample(DATA, 2):  # the same bytes through a link: still the published set
        out.append(
            (f"{name} a link to the shipped file", to_link(name, (shipped / name).resolve()))
        )
    out.append(("a link to /dev/zero", to_link("flags.csv", Path("/dev/zero"))))
    # The manifest itself.
    out += [
        (
            "manifest: a checksum edited",
            edit_digit(MANIFEST, '"flags.csv" = "'),
        ),
        (
            "manifest: a file dropped",
            replace_text(MANIFEST, '"flags.csv" = ', '"flags-old.csv" = '),
        ),
        ("manifest: files a string", write_bytes(MANIFEST, b'files = "all of them"\n')),
        (
            "manifest: files a nested table",
            write_bytes(MANIFEST, b'[files]\n"flags.csv" = { a = 1 }\n'),
        ),
        (
            "manifest: set_digest edited",
            edit_digit(MANIFEST, 'set_digest = "'),
        ),
    ]
    for _ in range(6):
        label, edit = number(rng.choice(("+1", "-1")))
        out.append((f"{label}, manifest rewritten to match", both(edit, rewrite_manifest())))
    for _ in range(2):
        name = rng.choice(CSVS)
        i = rng.randrange(1, n_lines[name])
        out.append(
            (
                f"{name} line {i + 1} status 'confirmed', manifest rewritten",
                both(change_column(name, i, "status", "confirmed"), rewrite_manifest()),
            )
        )
    # Extra files.
    out += [
        ("an extra CSV", write_bytes("local_extra.csv", b"test,value\nchair_stand,1\n")),
        (
            "an extra hidden file and a note",
            both(write_bytes(".swp", b"x"), write_bytes("NOTES.md", b"x")),
        ),
        ("an extra folder", lambda f: (f / "old").mkdir()),
        ("an extra pipe", lambda f: os.mkfifo(f / "extra.pipe")),
        ("an extra loop of links", lambda f: (f / "loop.csv").symlink_to(f / "loop.csv")),
    ]
    # Huge files.
    out += [
        ("a huge extra file (24 MB)", huge("huge.bin", 24 << 20)),
        ("flags.csv with 24 MB of junk after it", huge("flags.csv", 24 << 20)),
        (
            "grip_centiles.csv with one 300 kB field",
            insert_bytes("grip_centiles.csv", 0.99, b'"' + b"y" * 300_000 + b'"'),
        ),
        (
            "sft_normal_ranges.csv rows repeated 2,000 times",
            huge_rows("sft_normal_ranges.csv", 2000),
        ),
        ("battery.toml 24 MB of comments", huge("battery.toml", 24 << 20)),
    ]
    # Two random breaks at once.
    for _ in range(6):
        (la, ma), (lb, mb) = rng.sample(out[:60], 2)
        out.append((f"{la} + {lb}", both(ma, mb)))
    return out


# --- loading a variant the way the program does ------------------------------------------------


def _unblock_pipes(folder: Path) -> None:
    """A reader stuck opening a pipe is let go: a writer opens it and closes it at once."""
    for p in folder.iterdir():
        if p.is_fifo():
            with contextlib.suppress(OSError):
                os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))


def _in_worker(fn: Callable[[], Any], folder: Path) -> tuple[str, Any]:
    """("ok", value), ("raised", exception) or ("hung", None)."""
    return ledger.bounded(fn, BOUND_S, unstick=lambda: _unblock_pipes(folder))


def _clean_message(text: str) -> bool:
    return (
        bool(text.strip()) and "\n" not in text.strip() and not any(s in text for s in REPR_SIGNS)
    )


def _cli(folder: Path, *args: str) -> tuple[int, str, str]:
    from ffmot.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("FFMOT_NORMS_DIR")
    os.environ["FFMOT_NORMS_DIR"] = str(folder)
    try:
        with contextlib.redirect_stderr(err):
            rc = main(list(args), out=out)
    finally:
        if old is None:
            del os.environ["FFMOT_NORMS_DIR"]
        else:
            os.environ["FFMOT_NORMS_DIR"] = old
    return rc, out.getvalue(), err.getvalue()


def _probe(ns: NormSet, test: str) -> tuple[str, str, int, float] | None:
    """A sex, age and value the variant's table for `test` covers (a value in its range)."""
    table = ns.tables[test]
    for sex in ("female", "male"):
        cov = table.coverage(0 if sex == "female" else 1)
        if cov:
            age = min(max(77, cov[0]), cov[1])
            row = table.rows[
                int(table.row[0 if sex == "female" else 1, age])
                if table.row.ndim == 2
                else int(table.row[age])
            ]
            value = float(row.values[0][1])
            return test, sex, age, value
    return None


def _judge(a: ledger.Attack, label: str, folder: Path) -> None:
    state, got = _in_worker(lambda: load_norm_set(folder), folder)
    if state == "hung":
        a.problem("hung", f"{label}: loading did not end within {BOUND_S:g} s")
        return
    if state == "raised":
        if not isinstance(got, NormDataError):
            a.problem("uncaught", f"{label}: {type(got).__name__}: {got}")
        elif not _clean_message(str(got)):
            a.problem("uncaught", f"{label}: refusal reads like a traceback: {got!r}"[:400])
        ns = None
    else:
        ns = got
    # The command line, as a person would run it against this folder.
    state, cli = _in_worker(lambda: _cli(folder, "norms"), folder)
    if state == "hung":
        a.problem("hung", f"{label}: 'ffmot norms' did not end within {BOUND_S:g} s")
        return
    if state == "raised":
        a.problem("uncaught", f"{label}: 'ffmot norms' raised {type(cli).__name__}: {cli}")
        return
    rc, out, err = cli
    if ns is None:
        if rc != 2 or not err.startswith("ffmot: ") or not _clean_message(err):
            a.problem("uncaught", f"{label}: 'ffmot norms' on a refused folder: rc {rc}, {err!r}")
        if out.strip():
            a.problem("wrong", f"{label}: refused folder, yet 'ffmot norms' printed {out[:120]!r}")
        return
    if rc != 0:
        a.problem("uncaught", f"{label}: loaded, but 'ffmot norms' said rc {rc}: {err!r}")
        return
    _judge_loaded(a, label, folder, ns, out)


def _judge_loaded(a: ledger.Attack, label: str, folder: Path, ns: NormSet, printed: str) -> None:
    try:
        mine = _groups(ns)
    except Exception as e:  # a set the rest of the program cannot even describe
        a.problem(
            "uncaught", f"{label}: the loaded set cannot be read back: {type(e).__name__}: {e}"
        )
        return
    differ = {k for k in set(mine) | set(PUBLISHED) if mine.get(k) != PUBLISHED.get(k)}
    set_wide = any(k.startswith("set:") for k in differ)
    if differ:
        first = printed.splitlines()[0] if printed else ""
        if ns.verified or UNVERIFIED not in ns.version or UNVERIFIED not in ns.label:
            a.problem("wrong", f"{label}: differs in {sorted(differ)[:3]} yet is {ns.label!r}")
        if UNVERIFIED not in first:
            a.problem("wrong", f"{label}: 'ffmot norms' starts {first!r}, not {UNVERIFIED}")
    # Every number that is not the published one names no published source or status.
    for key, rows in _rows(ns):
        if key in differ or set_wide:
            for row in rows:
                cite = ns.cite(row)
                if not is_local_cite(cite):
                    a.problem("wrong", f"{label}: changed {key} ({row.where}) cited as {cite!r}")
                    break
    # A scored result and the printed score of a changed table.
    for test in ns.tables:
        key = f"table:{test}"
        if not (key in differ or set_wide):
            continue
        probe = _probe(ns, test)
        if probe is None:
            continue
        t, sex, age, value = probe
        try:
            s = score(t, sex, age, value, norms=ns)
        except FfmotError:
            s = None
        except Exception as e:
            a.problem(
                "uncaught", f"{label}: score({t}, {sex}, {age}, {value}): {type(e).__name__}: {e}"
            )
            continue
        if s is not None and (not is_local_cite(s.source) or UNVERIFIED not in s.norm_set):
            a.problem(
                "wrong", f"{label}: score of changed {t} cites {s.source!r}, set {s.norm_set!r}"
            )
        argv = ("score", "--test", t, "--sex", sex, "--age", str(age), "--value", f"{value:g}")
        state, got = _in_worker(functools.partial(_cli, folder, *argv), folder)
        if state != "ok":
            a.problem(
                "uncaught" if state == "raised" else "hung", f"{label}: 'ffmot score {t}': {got}"
            )
            continue
        rc, out, err = got
        if rc != 0:
            if not err.startswith("ffmot: ") or not _clean_message(err):
                a.problem("uncaught", f"{label}: 'ffmot score {t}' said {err!r}")
            continue
        for line in out.splitlines():
            if line.startswith("Source:") and (
                any(short in line for short in PUBLISHED_SHORTS) or UNVERIFIED not in line
            ):
                a.problem("wrong", f"{label}: 'ffmot score {t}' printed {line!r}")
        break  # one printed score per variant keeps the run short


def _rows(ns: NormSet) -> list[tuple[str, tuple[NormRow, ...]]]:
    out = [(f"table:{k}", t.rows) for k, t in ns.tables.items()]
    out += [(f"criterion:{k}", c.rows) for k, c in ns.criteria.items()]
    out += [(f"flags:{k}", tuple(r.row for r in rs)) for k, rs in ns.flags.items()]
    out += [(f"readings:{k}", tuple(r.row for r in rs)) for k, rs in ns.readings.items()]
    return out


def test_broken_norm_folders_are_refused_or_marked_never_passed_off(tmp_path: Path) -> None:
    a = ledger.attack("norm folders (generated)")
    base = tmp_path / "base"
    shutil.copytree(norms_dir(), base)
    with a.timed():
        variants = generate(random.Random(SEED), base)
        assert len(variants) >= 80, len(variants)
        for n, (label, mutate) in enumerate(variants):
            folder = tmp_path / f"v{n}" / "norms"
            shutil.copytree(base, folder, symlinks=True)
            try:
                mutate(folder)
            except Exception as e:  # the generator's own fault, not the program's
                pytest.fail(f"could not make variant {label!r}: {e!r}")
            a.tried += 1
            _judge(a, label, folder)
            shutil.rmtree(folder.parent, ignore_errors=True)
    a.check()


def test_the_unbroken_copy_is_the_published_set(tmp_path: Path) -> None:
    """The attack's yardstick: a plain copy verifies and equals the published set, so every
    difference the attack finds comes from its own edit."""
    folder = tmp_path / "norms"
    shutil.copytree(norms_dir(), folder)
    ns = load_norm_set(folder)
    assert ns.verified and _groups(ns) == PUBLISHED
    rc, out, _ = _cli(folder, "norms")
    assert rc == 0 and UNVERIFIED not in out


# --- the faults the attack found, one named test each -------------------------------------------


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "norms"
    shutil.copytree(norms_dir(), folder)
    return folder


@pytest.mark.parametrize("name", ["norm-set.toml", "battery.toml", "flags.csv"])
def test_a_norm_file_that_is_a_pipe_is_refused_not_waited_on(tmp_path: Path, name: str) -> None:
    """Opening a pipe waits for a writer: loading used to hang for ever on one."""
    folder = _copy(tmp_path)
    to_fifo(name)(folder)
    state, got = _in_worker(lambda: load_norm_set(folder), folder)
    assert state == "raised", f"loading {state}"
    assert isinstance(got, NormDataError) and "a pipe or a device, not a file" in str(got)


def test_a_norm_file_linked_to_a_device_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    to_link("flags.csv", Path("/dev/zero"))(folder)
    state, got = _in_worker(lambda: load_norm_set(folder), folder)
    assert state == "raised" and isinstance(got, NormDataError), (state, got)


@pytest.mark.parametrize("name", ["sources.toml", "battery.toml", "grip_centiles.csv", MANIFEST])
def test_a_norm_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    """A file saved in Latin-1 (or binary) used to escape as a UnicodeDecodeError."""
    folder = _copy(tmp_path)
    insert_bytes(name, 0.5, b"caf\xe9")(folder)
    if name == MANIFEST:  # the manifest is not the data: the set is read, but unverified
        ns = load_norm_set(folder)
        assert not ns.verified and "manifest cannot be read" in ns.label
        assert "not UTF-8" in ns.label
        return
    with pytest.raises(NormDataError, match=rf"{re.escape(name)} line \d+ is not UTF-8 text"):
        load_norm_set(folder)


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("norm-set.toml", "statuses = [", "statuses = 5\nold = [", "'statuses' must be a list"),
        ("activity_guidelines.toml", "source = ", "source = [] #", "unknown source"),
        ("sources.toml", 'short = "Rikli & Jones 1999, Senior Fitness Test"', "short = 1999",
         "must be text"),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_kind_is_refused_by_name(
    tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    """A number or a table where the loader expects a list or a word used to escape as a
    TypeError (a traceback on the command line)."""
    folder = _copy(tmp_path)
    replace_text(name, old, new)(folder)
    with pytest.raises(NormDataError, match=re.escape(message)):
        load_norm_set(folder)
    rc, out, err = _cli(folder, "norms")
    assert rc == 2 and err.startswith("ffmot: ") and not out and _clean_message(err)


def test_guideline_items_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    items_not_a_list(folder)
    with pytest.raises(NormDataError, match="'items' must be a list"):
        load_norm_set(folder)


def test_a_huge_norm_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    huge("flags.csv", 6 << 20)(folder)
    with pytest.raises(NormDataError, match=r"flags\.csv is [\d,]+ bytes: too big for a norm"):
        load_norm_set(folder)


def test_a_field_too_long_for_the_csv_reader_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    insert_bytes("grip_centiles.csv", 0.99, b'"' + b"y" * 300_000 + b'"')(folder)
    with pytest.raises(NormDataError, match=r"grip_centiles\.csv line \d+: cannot be read"):
        load_norm_set(folder)
