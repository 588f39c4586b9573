"""`ffmot score --batch` reads, scores and writes a chunk at a time: memory stays flat in the
length of the file, and a file that goes bad part-way leaves the old output as it was."""

from __future__ import annotations

import csv
import itertools
import subprocess
import sys
from pathlib import Path

from ffmot.core.batch import CHUNK, OUTPUT_COLUMNS, score_table
from ffmot.core.norms import default_norm_set

_ROWS = [
    ["chair_stand", "female", "70", "12", ""],
    ["grip", "male", "81", "31.5", "kg"],
    ["walk_6min", "F", "66", "455", "m"],
    ["up_and_go", "m", "90", "7.4", "s"],
    ["arm_curl", "female", "75", "9.5", ""],  # not a whole number: refused, the rest go on
]
_HEADER = ["test", "sex", "age", "value", "unit"]


def _write(path: Path, rows: int) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(_HEADER)
        w.writerows(itertools.islice(itertools.cycle(_ROWS), rows))


def _peak_kb(src: Path, dst: Path) -> int:
    """Peak memory of a fresh process scoring src into dst."""
    code = (
        "import resource, sys\n"
        "from ffmot.app import main\n"
        "status = main(['score', '--batch', sys.argv[1], '--out', sys.argv[2]])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "sys.exit(status)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code, str(src), str(dst)], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    return int(p.stdout.split()[-1])


def test_memory_does_not_grow_with_the_file(tmp_path):
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _write(small, 2 * CHUNK)
    _write(large, 12 * CHUNK)  # 240,000 rows: held whole, they took over 150 MB more
    small_kb = _peak_kb(small, tmp_path / "small-out.csv")
    large_kb = _peak_kb(large, tmp_path / "large-out.csv")
    assert large_kb - small_kb < 20_000, (small_kb, large_kb)
    with (tmp_path / "large-out.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 12 * CHUNK
    band = len(_HEADER) + OUTPUT_COLUMNS.index("band")
    errors = [r for r in rows[1:] if r[band] == "error"]
    assert len(errors) == 12 * CHUNK // len(_ROWS)
    assert all(r[0] == "arm_curl" and "whole number" in r[-1] for r in errors)


def test_rows_are_scored_before_the_file_ends():
    # An endless source: the first chunk comes back without the rest being read.
    endless = (list(r) for r in itertools.cycle(_ROWS))
    first = next(score_table(_HEADER, endless, default_norm_set()))
    assert len(first) == CHUNK
    assert first[0][len(_HEADER) + OUTPUT_COLUMNS.index("band")] in ("below_average", "normal")


def test_a_file_that_goes_bad_part_way_leaves_the_old_output(tmp_path):
    from tests.cli.test_cli import assert_refused, ffmot

    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(src, 3 * CHUNK)
    with src.open("ab") as f:
        f.write(b"grip,male,70,\xff\xfe,kg\n")  # not UTF-8, far past the first chunk
    dst.write_text("yesterday's results\n")
    assert_refused(ffmot("score", "--batch", str(src), "--out", str(dst)), "UTF-8")
    assert dst.read_text() == "yesterday's results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]

    src.write_bytes(b"test,sex,age,value\ngrip,male,70,30\ngrip,male,70," + b"3" * 200_000)
    assert_refused(ffmot("score", "--batch", str(src), "--out", str(dst)), "line 3", "CSV")
    assert dst.read_text() == "yesterday's results\n"
