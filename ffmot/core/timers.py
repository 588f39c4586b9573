"""Which tests have a station timer, and how it runs (resources/timers.toml): a countdown for
a test that lasts a set time, a stopwatch for one that is timed, stopping by itself at the most
the test counts. Checked against the battery on load: an unknown test, an unknown kind, a time
that is not a number of seconds or runs past the test's own cap is refused, naming the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ffmot.core.battery import TestDef
from ffmot.core.datafiles import read_toml
from ffmot.core.errors import NormDataError
from ffmot.core.i18n import _
from ffmot.core.paths import resources_dir

COUNTDOWN, STOPWATCH = "countdown", "stopwatch"


@dataclass(frozen=True)
class TimerSpec:
    test: str
    kind: str  # countdown or stopwatch
    seconds: float | None  # a countdown's length; where a stopwatch stops by itself (or None)


def timers_file() -> Path:
    return resources_dir() / "timers.toml"


def load_timers(battery: Mapping[str, TestDef], path: Path | None = None) -> dict[str, TimerSpec]:
    path = path or timers_file()
    data = read_toml(path)
    out: dict[str, TimerSpec] = {}
    for test_id, spec in data.items():
        where = f"{path.name} [{test_id}]"
        if test_id not in battery:
            raise NormDataError(_("{where}: no test has this id (see 'ffmot norms')", where=where))
        if not isinstance(spec, dict) or spec.get("kind") not in (COUNTDOWN, STOPWATCH):
            raise NormDataError(_("{where}: kind must be countdown or stopwatch", where=where))
        key = "seconds" if spec["kind"] == COUNTDOWN else "stop_at"
        seconds = spec.get(key)
        if spec["kind"] == COUNTDOWN and seconds is None:
            raise NormDataError(_("{where}: a countdown needs seconds", where=where))
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float)
            or not 1 <= seconds <= 3600
        ):  # fmt: skip
            raise NormDataError(
                _("{where}: {key} must be a number of seconds from 1 to 3600", where=where, key=key)
            )
        cap = battery[test_id].cap
        if seconds is not None and spec["kind"] == STOPWATCH and cap is not None and seconds > cap:
            raise NormDataError(
                _(
                    "{where}: stop_at {seconds} is past the test's cap of {cap} seconds",
                    where=where,
                    seconds=seconds,
                    cap=cap,
                )
            )
        out[test_id] = TimerSpec(test_id, spec["kind"], None if seconds is None else float(seconds))
    return out
