"""requirements/*.txt (`make lock`) are hashed, and the Linux lock installs exactly the versions
constraints.txt pins for the runtime, so the bundle and `make run` ship the same thing."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PLATFORMS = ("linux", "windows", "macos")


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if m:
            pins[canonicalize_name(m[1])] = m[2]
    return pins


def _runtime() -> set[str]:
    """ffmot's runtime and postgres-extra packages on this machine: pyproject's requirements and,
    through the installed packages' own metadata, everything they need (no network)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [(Requirement(r), "") for r in project["dependencies"]]
    todo += [(Requirement(r), "postgres") for r in project["optional-dependencies"]["postgres"]]
    seen: set[str] = set()
    while todo:
        req, extra = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        if name == "ffmot":
            continue
        for wanted in req.extras or [""]:
            key = f"{name}[{wanted}]"
            if key in seen:
                continue
            seen.add(key)
            for sub in metadata.requires(name) or []:
                todo.append((Requirement(sub), wanted))
    return {k.split("[")[0] for k in seen}


def test_every_lock_line_has_a_hash():
    for platform in PLATFORMS:
        text = (LOCKS / f"{platform}.txt").read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2].strip())
        assert len(entries) > 15, platform
        for entry in entries:
            if entry.startswith("#"):
                continue
            assert re.match(r"^[A-Za-z0-9_.\-]+==\S+ \\", entry), (platform, entry[:80])
            assert "--hash=sha256:" in entry, (platform, entry[:80])


def test_linux_lock_has_the_runtime_at_the_constrained_versions():
    constraints = _pins((ROOT / "constraints.txt").read_text())
    linux = _pins((LOCKS / "linux.txt").read_text())
    runtime = _runtime()
    assert {"numpy", "pyside6-essentials", "sqlcipher3-binary", "psycopg-binary"} <= runtime
    missing = sorted(n for n in runtime if n in constraints and n not in linux)
    assert not missing, f"pinned in constraints.txt, not in requirements/linux.txt: {missing}"
    differ = {n: (constraints[n], linux[n]) for n in linux if n in constraints}
    differ = {n: v for n, v in differ.items() if v[0] != v[1]}
    assert not differ, f"constraints.txt and requirements/linux.txt disagree: {differ}"
    unconstrained = sorted(set(linux) - set(constraints))
    assert not unconstrained, f"locked but not pinned in constraints.txt: {unconstrained}"


def test_the_other_platforms_agree_where_they_share_a_package():
    linux = _pins((LOCKS / "linux.txt").read_text())
    for platform in ("windows", "macos"):
        other = _pins((LOCKS / f"{platform}.txt").read_text())
        differ = {n: (linux[n], other[n]) for n in other if n in linux and other[n] != linux[n]}
        assert not differ, (platform, differ)
        assert "sqlcipher3-wheels" in other and "sqlcipher3-binary" not in other
