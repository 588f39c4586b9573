"""The advice wording's component titles and words, and the local activities directory.

Both are editable without touching code: resources/advice.toml and a directory CSV. What is
said to whom, and which activities fit, is decided by ffmot/core/interpret.py.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ffmot.core.datafiles import read_toml
from ffmot.core.errors import InputError, NormDataError
from ffmot.core.i18n import _, _n

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
    """The words for each fitness component. The rest of advice.toml (bands, steps, the sheet's
    sentences) is read by core/interpret.py's Rules."""

    components: dict[str, ComponentWords]


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


def load_advice(path: Path) -> Advice:
    data = read_toml(path)
    comps = {}
    for cid in FITNESS_COMPONENTS:
        c = data.get("components", {}).get(cid)
        if not isinstance(c, dict):
            raise NormDataError(
                _("{file}: no [components.{component}] wording", file=path.name, component=cid)
            )
        try:
            steps = tuple(str(s) for s in c["next_steps"])
            comps[cid] = ComponentWords(
                cid, str(c["title"]), str(c["strength"]), str(c["work_on"]), steps
            )
        except KeyError as e:
            raise NormDataError(
                _(
                    "{file} [components.{component}]: missing {key}",
                    file=path.name,
                    component=cid,
                    key=e.args[0],
                )
            ) from None
        if not steps:
            raise NormDataError(
                _(
                    "{file} [components.{component}]: next_steps is empty",
                    file=path.name,
                    component=cid,
                )
            )
    return Advice(comps)


def load_directory(path: Path) -> Directory:
    """Reads an activities directory; rows that cannot be used are listed, not fatal."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(_("cannot find the activities directory {path}", path=path)) from None
    except UnicodeDecodeError:
        raise InputError(_("{path} is not UTF-8 text: save it as CSV UTF-8", path=path)) from None
    except OSError as e:
        raise InputError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in DIRECTORY_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            _n(
                "{file} lacks the column {columns}",
                "{file} lacks the columns {columns}",
                len(missing),
                file=path.name,
                columns=", ".join(missing),
            )
        )
    found, problems = [], []
    for row in reader:
        file, line = path.name, reader.line_num
        if None in row or any(v is None for v in row.values()):
            problems.append(_("{file} line {line}: wrong number of fields", file=file, line=line))
            continue
        r = {k: (v or "").strip() for k, v in row.items()}
        comps = tuple(c.strip() for c in r["components"].split(";") if c.strip())
        unknown = [c for c in comps if c not in FITNESS_COMPONENTS]
        if not r["name"]:
            problems.append(_("{file} line {line}: no name", file=file, line=line))
        elif unknown:
            problems.append(
                _(
                    "{file} line {line}: components must be among {components} (not {unknown})",
                    file=file,
                    line=line,
                    components=", ".join(FITNESS_COMPONENTS),
                    unknown=", ".join(unknown),
                )
            )
        elif not comps:
            problems.append(
                _(
                    "{file} line {line}: components must be among {components}",
                    file=file,
                    line=line,
                    components=", ".join(FITNESS_COMPONENTS),
                )
            )
        elif r["intensity"] not in INTENSITIES:
            problems.append(
                _(
                    "{file} line {line}: intensity must be gentle, moderate or vigorous",
                    file=file,
                    line=line,
                )
            )
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
