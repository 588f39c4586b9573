"""What to say: strengths, things to work on, next steps and matching local activities.

Wording comes from resources/advice.toml and activities from a directory CSV, both editable
without touching code. Below average is something to work on, never a risk label.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ffmot.core.datafiles import read_toml
from ffmot.core.errors import InputError, NormDataError

FITNESS_COMPONENTS = ("strength", "balance_mobility", "flexibility", "stamina")
INTENSITIES = ("gentle", "moderate", "vigorous")
DIRECTORY_COLUMNS = (
    "name",
    "components",
    "day",
    "time",
    "venue",
    "town",
    "contact",
    "suits",
    "intensity",
    "cost",
    "notes",
)


@dataclass(frozen=True)
class ComponentWords:
    id: str
    title: str
    strength: str
    work_on: str
    next_steps: tuple[str, ...]


@dataclass(frozen=True)
class Advice:
    components: dict[str, ComponentWords]
    sitting_work_on: str
    sitting_steps: tuple[str, ...]
    not_done: str


@dataclass(frozen=True)
class LocalActivity:
    name: str
    components: tuple[str, ...]
    day: str
    time: str
    venue: str
    town: str
    contact: str
    suits: str
    intensity: str
    cost: str
    notes: str


@dataclass(frozen=True)
class Directory:
    activities: tuple[LocalActivity, ...]
    problems: tuple[str, ...]  # rows left out, each with its line and reason


class Banded(Protocol):
    """What the component summary needs of a scored result (a Score has all three)."""

    @property
    def test(self) -> str: ...
    @property
    def band(self) -> str: ...
    @property
    def percentile(self) -> int | None: ...


@dataclass(frozen=True)
class ComponentSummary:
    id: str
    status: str  # "strength", "steady", "work_on" or "not_compared"
    lowest_percentile: int | None
    tests: tuple[str, ...]


def load_advice(path: Path) -> Advice:
    data = read_toml(path)
    comps = {}
    for cid in FITNESS_COMPONENTS:
        c = data.get("components", {}).get(cid)
        if not isinstance(c, dict):
            raise NormDataError(f"{path.name}: no [components.{cid}] wording")
        try:
            steps = tuple(str(s) for s in c["next_steps"])
            comps[cid] = ComponentWords(
                cid, str(c["title"]), str(c["strength"]), str(c["work_on"]), steps
            )
        except KeyError as e:
            raise NormDataError(f"{path.name} [components.{cid}]: missing {e.args[0]}") from None
        if not steps:
            raise NormDataError(f"{path.name} [components.{cid}]: next_steps is empty")
    sitting = data.get("sitting", {})
    return Advice(
        comps,
        str(sitting.get("work_on", "")),
        tuple(str(s) for s in sitting.get("next_steps", ())),
        str(data.get("not_done", {}).get("default", "Not done today.")),
    )


def load_directory(path: Path) -> Directory:
    """Reads an activities directory; rows that cannot be used are listed, not fatal."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"cannot find the activities directory {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text: save it as CSV UTF-8") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in DIRECTORY_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    found, problems = [], []
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        if None in row or any(v is None for v in row.values()):
            problems.append(f"{where}: wrong number of fields")
            continue
        r = {k: (v or "").strip() for k, v in row.items()}
        comps = tuple(c.strip() for c in r["components"].split(";") if c.strip())
        unknown = [c for c in comps if c not in FITNESS_COMPONENTS]
        if not r["name"]:
            problems.append(f"{where}: no name")
        elif not comps or unknown:
            problems.append(
                f"{where}: components must be among {', '.join(FITNESS_COMPONENTS)}"
                + (f" (not {', '.join(unknown)})" if unknown else "")
            )
        elif r["intensity"] not in INTENSITIES:
            problems.append(f"{where}: intensity must be gentle, moderate or vigorous")
        else:
            found.append(
                LocalActivity(
                    r["name"],
                    comps,
                    r["day"],
                    r["time"],
                    r["venue"],
                    r["town"],
                    r["contact"],
                    r["suits"],
                    r["intensity"],
                    r["cost"],
                    r["notes"],
                )
            )
    return Directory(tuple(found), tuple(problems))


def summarise(scores: Iterable[Banded], component_of: dict[str, str]) -> list[ComponentSummary]:
    """One summary per fitness component, from the scored results of one assessment."""
    by: dict[str, list[Banded]] = {c: [] for c in FITNESS_COMPONENTS}
    for s in scores:
        comp = component_of.get(s.test)
        if comp in by:
            by[comp].append(s)
    out = []
    for cid in FITNESS_COMPONENTS:
        rs = [s for s in by[cid] if s.band != "not_classified"]
        pcts = [s.percentile for s in rs if s.percentile is not None]
        if not rs:
            status = "not_compared"
        elif any(s.band == "below_average" for s in rs):
            status = "work_on"
        elif any(s.band == "above_average" for s in rs):
            status = "strength"
        else:
            status = "steady"
        out.append(
            ComponentSummary(
                cid, status, min(pcts) if pcts else None, tuple(s.test for s in by[cid])
            )
        )
    return out


def to_work_on(summaries: Sequence[ComponentSummary], limit: int = 3) -> list[ComponentSummary]:
    """The components to work on, the furthest below average first (at most `limit`)."""
    chosen = [s for s in summaries if s.status == "work_on"]
    chosen.sort(
        key=lambda s: (
            s.lowest_percentile if s.lowest_percentile is not None else 50,
            FITNESS_COMPONENTS.index(s.id),
        )
    )
    return chosen[:limit]


def work_on_many(
    below: npt.NDArray[np.bool_], lowest: npt.NDArray[np.float64], limit: int = 3
) -> npt.NDArray[np.bool_]:
    """`to_work_on` for many people at once. Columns are FITNESS_COMPONENTS in order;
    below[i, c]: person i has a result below average in component c (its status is
    "work_on"); lowest[i, c]: the lowest percentile among their compared results in it (NaN
    where none). Returns which components each person is to work on."""
    n, k = below.shape
    pct = np.where(np.isnan(lowest), 50.0, lowest)
    key = np.where(below, pct * (k + 1) + np.arange(k)[None, :], np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :limit]
    chosen = np.zeros((n, k), dtype=bool)
    rows = np.arange(n)[:, None]
    chosen[rows, order] = np.isfinite(key[rows, order])
    return chosen


def match_activities(
    directory: Directory, components: Sequence[str], limit: int = 4
) -> list[LocalActivity]:
    """Activities that help the given components, those helping the most of them first."""
    wanted = list(components)
    if not wanted:
        return []

    def rank(a: LocalActivity) -> tuple[int, int]:
        hits = [wanted.index(c) for c in a.components if c in wanted]
        return (-len(hits), min(hits) if hits else len(wanted))

    helpful = [a for a in directory.activities if any(c in wanted for c in a.components)]
    return sorted(helpful, key=rank)[:limit]
