"""The `ffmot` command as a person or a script runs it: a real process, real files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ffmot import __version__
from tests.cli.warm import run_ffmot


def ffmot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m ffmot ARGS` in a process of its own, started warm (tests/cli/warm.py)."""
    env = {k: v for k, v in os.environ.items() if k != "FFMOT_DEBUG"}
    return run_ffmot(list(args), cwd, env, timeout=60)


def assert_refused(p: subprocess.CompletedProcess[str], *words: str, status: int = 2) -> None:
    """One line on stderr naming the problem, and the exit status (2, or 3 where the database
    cannot be used: ffmot/cli/main.py's EXIT_STATUSES)."""
    assert p.returncode == status, p
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr and lines[0].startswith("ffmot: ")
    for w in words:
        assert w in lines[0], lines[0]


def test_version():
    p = ffmot("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"ffmot {__version__}"


def test_score_json_has_the_stable_keys():
    p = ffmot(
        "score",
        "--test",
        "chair_stand",
        "--sex",
        "female",
        "--age",
        "77",
        "--value",
        "12",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert {
        "test",
        "value",
        "unit",
        "band",
        "normal_range",
        "percentile",
        "flags",
        "source",
    } <= d.keys()
    assert d["band"] == "normal" and d["normal_range"] == [10, 15] and d["percentile"] == 50
    assert d["flags"] == [] and d["source"].startswith("Rikli & Jones 1999")


def test_score_with_date_of_birth_and_unit():
    p = ffmot(
        "score",
        "--test",
        "sit_and_reach",
        "--sex",
        "male",
        "--dob",
        "1955-11-24",
        "--date",
        "2025-11-24",
        "--value",
        "-2",
        "--unit",
        "in",
        "--json",
    )
    d = json.loads(p.stdout)
    assert d["age"] == 70 and d["unit"] == "in" and d["band"] == "normal"
    assert d["normal_range"] == [-3.0, 3.0]


def test_flags_in_json():
    p = ffmot("score", "--test", "grip", "--sex", "male", "--age", "80", "--value", "25", "--json")
    d = json.loads(p.stdout)
    assert d["flags"] == ["ewgsop2_low_grip"] and d["band"] == "below_average"


def test_score_readable_text():
    p = ffmot("score", "--test", "up_and_go", "--sex", "female", "--age", "70", "--value", "7.5")
    assert p.returncode == 0
    assert "below average" in p.stdout and "4.9 to 7.1 seconds" in p.stdout
    assert "lower is better" in p.stdout and "Source: Rikli & Jones 1999" in p.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--test", "tug", "--sex", "female", "--age", "70", "--value", "9"], ["unknown test"]),
        (["--test", "grip", "--sex", "x", "--age", "70", "--value", "9"], ["sex 'x'"]),
        (["--test", "grip", "--sex", "female", "--age", "70", "--value", "lots"], ["not a number"]),
        (
            ["--test", "grip", "--sex", "female", "--age", "70", "--value", "900"],
            ["plausible range 0 to 100 kg"],
        ),
        (
            ["--test", "grip", "--sex", "female", "--age", "70", "--value", "9", "--unit", "N"],
            ["use kg, lb"],
        ),
        (["--test", "grip", "--sex", "female", "--age", "-1", "--value", "9"], ["impossible"]),
        (["--test", "grip", "--sex", "female", "--age", "70.5", "--value", "9"], ["whole number"]),
        (
            ["--test", "grip", "--sex", "female", "--dob", "1950-13-01", "--value", "9"],
            ["YYYY-MM-DD"],
        ),
        (
            [
                "--test",
                "grip",
                "--sex",
                "female",
                "--dob",
                "1950-01-01",
                "--date",
                "1949-01-01",
                "--value",
                "9",
            ],
            ["before the date of birth"],
        ),
        (["--test", "grip", "--sex", "female", "--value", "9"], ["--age"]),
        (["--test", "grip", "--sex", "female", "--age", "70"], ["--value"]),
        (["--test", "grip", "--age", "70", "--value", "9"], ["--sex"]),
        (["--sex", "female", "--age", "70", "--value", "9"], ["--test"]),
        (
            [
                "--test",
                "grip",
                "--sex",
                "female",
                "--age",
                "70",
                "--dob",
                "1950-01-01",
                "--value",
                "9",
            ],
            ["either"],
        ),
        (["--bogus"], ["unrecognized arguments"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    assert_refused(ffmot("score", *args), *words)


def test_unknown_command_is_one_line():
    assert_refused(ffmot("frobnicate"), "invalid choice")


def test_norms_list_and_show():
    p = ffmot("norms")
    assert p.returncode == 0
    for tid in ("chair_stand", "grip", "single_leg_stance", "activity"):
        assert tid in p.stdout
    p = ffmot("norms", "show", "grip")
    assert p.returncode == 0
    assert "Dodds" in p.stdout and "single-source" in p.stdout and "interpolated" in p.stdout
    p = ffmot("norms", "show", "sit_and_reach")
    assert "conflict-resolved" in p.stdout and "alternative" in p.stdout
    assert_refused(ffmot("norms", "show", "nope"), "unknown test")
    assert_refused(ffmot("norms", "show"), "name a test")


BATCH = """test,sex,age,dob,date,value,unit
chair_stand,female,77,,,12,
chair_stand,female,,1948-03-01,2025-03-01,9,
up_and_go,male,67,,,4.2,s
sit_and_reach,male,72,,,-7.62,cm
grip,female,62,,,15,
walk_6min,male,61,,,610,yd
chair_stand,female,95,,,12,
nonsense,female,70,,,12,
grip,female,70,,,abc,
grip,female,70,,,20,stone
chair_stand,female,,,,12,
chair_stand,female,70,,,12,,extra
bmi,male,70,,,27,
waist,female,70,,,90,cm
"""


def test_batch_scores_every_row_in_order(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(BATCH)
    p = ffmot("score", "--batch", str(src), "--out", str(dst))
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and "5 row(s) could not be scored" in p.stderr
    with dst.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 14
    assert [r["test"] for r in rows] == [ln.split(",")[0] for ln in BATCH.splitlines()[1:]]
    bands = [r["band"] for r in rows]
    assert bands == [
        "normal",
        "below_average",
        "above_average",
        "normal",
        "below_average",
        "normal",
        "not_classified",
        "error",
        "error",
        "error",
        "error",
        "error",
        "not_classified",
        "not_classified",
    ]
    first = rows[0]
    assert (first["percentile"], first["range_low"], first["range_high"]) == ("50", "10", "15")
    assert first["criterion_met"] == "no" and first["source"].startswith("Rikli & Jones 1999")
    assert rows[1]["age_used"] == "77"
    assert rows[3]["range_low"] == "-7.62" and rows[3]["range_high"] == "7.62"
    assert rows[4]["flags"] == "ewgsop2_low_grip"
    assert "60 to 94" in rows[6]["message"]
    assert "unknown test" in rows[7]["message"]
    assert "not a number" in rows[8]["message"]
    assert "use kg, lb" in rows[9]["message"]
    assert "age" in rows[10]["message"]
    assert "more fields" in rows[11]["message"]
    assert "lowest health risk" in rows[12]["message"]
    assert rows[13]["flags"] == "nice_waist_very_high"


def test_batch_refuses_a_file_it_cannot_use(tmp_path):
    dst = tmp_path / "out.csv"
    assert_refused(
        ffmot("score", "--batch", str(tmp_path / "missing.csv"), "--out", str(dst)), "cannot find"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("name,score\nx,1\n")
    assert_refused(ffmot("score", "--batch", str(bad), "--out", str(dst)), "lacks the column")
    bad.write_bytes(b"test,sex,age,value\n\xff\xfe,1,2,3\n")
    assert_refused(ffmot("score", "--batch", str(bad), "--out", str(dst)), "UTF-8")
    good = tmp_path / "good.csv"
    good.write_text("test,sex,age,value\ngrip,male,70,30\n")
    assert_refused(ffmot("score", "--batch", str(good)), "--out")
    assert_refused(
        ffmot("score", "--batch", str(good), "--out", str(tmp_path / "no" / "o.csv")),
        "does not exist",
    )
    assert not dst.exists()


def test_batch_output_is_replaced_whole(tmp_path):
    # An existing output is replaced only once the new one is complete.
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("test,sex,age,value\ngrip,male,70,30\n")
    dst.write_text("old\n")
    assert ffmot("score", "--batch", str(src), "--out", str(dst)).returncode == 0
    assert dst.read_text().startswith("test,sex,age,value,age_used")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ffmot-")]


def test_help_lists_the_commands():
    p = ffmot("--help")
    assert p.returncode == 0
    for verb in ("score", "norms", "gui", "demo", "export", "merge", "erase"):
        assert verb in p.stdout


def test_no_arguments_starts_the_desktop_app_or_says_why_it_cannot():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "FFMOT_DEBUG")
    }
    p = subprocess.run(
        [sys.executable, "-m", "ffmot"], capture_output=True, text=True, env=env, timeout=60
    )
    assert_refused(p, "no screen", "ffmot --help")
