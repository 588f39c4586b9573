"""The hostile-input ledger: what each attack in the suite tried and what came of it.

An attack is a class of hostile input (generated command lines, malformed import files, hostile
station files, broken norm folders, the database file deleted or replaced while open). Each of
its tests generates inputs, runs them through the real program and writes here, per input, which
of four things went wrong, if any:

    uncaught  an error nobody handled reached the person (a traceback, "unexpected problem")
    lost      a save the program had acknowledged was missing or changed afterwards
    wrong     wrong data was accepted: stored, printed, or cited as published
    hung      the work did not end within its bound

The goal in each of the four is 0. Each attack's test fails on any of them and names examples;
at the end of the run the terminal summary prints the whole ledger (and writes it as JSON to
FFMOT_HOSTILE_REPORT when that is set), together with the named cases from the issue that
are marked `@pytest.mark.hostile("attack")` and how many of them passed.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("uncaught", "lost", "wrong", "hung")
EXAMPLES = 5  # kept per kind and attack; the count is always whole


@dataclass
class Attack:
    name: str
    tried: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    examples: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})

    def problem(self, kind: str, example: str) -> None:
        """One input went wrong in this way (an input may go wrong in several)."""
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not one of {KINDS}")
        self.counts[kind] += 1
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(example[:400])

    @contextlib.contextmanager
    def timed(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start

    def describe(self) -> str:
        lines = [
            f"{self.name}: {self.tried} inputs; "
            + ", ".join(f"{self.counts[k]} {k}" for k in KINDS)
        ]
        for kind in KINDS:
            for example in self.examples[kind]:
                lines.append(f"  {kind}: {example}")
        return "\n".join(lines)

    def check(self) -> None:
        """Fails the calling test if anything went wrong, naming examples."""
        assert self.tried > 0, f"{self.name}: no input was tried"
        assert not any(self.counts.values()), self.describe()


def bounded(
    fn: Callable[[], Any], seconds: float, unstick: Callable[[], None] | None = None
) -> tuple[str, Any]:
    """Runs one input's work on a worker thread, bounded in time: ("ok", value), ("raised",
    the exception, for the caller to judge) or ("hung", None). `unstick`, if given, is tried a
    few times on a hang (opening the other end of a pipe the work is waiting on, say) so the
    worker can end rather than be left behind."""
    box: list[tuple[str, Any]] = []

    def work() -> None:
        try:
            box.append(("ok", fn()))
        except BaseException as e:  # every exception is judged by the caller
            box.append(("raised", e))

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        for _ in range(20 if unstick else 0):
            unstick()  # type: ignore[misc]
            t.join(0.2)
            if not t.is_alive():
                break
        return "hung", None
    return box[0]


ATTACKS: dict[str, Attack] = {}
NAMED: dict[str, dict[str, int]] = {}  # attack -> {"passed": n, "failed": n}


def attack(name: str) -> Attack:
    """The ledger's entry for this attack (made on first use)."""
    return ATTACKS.setdefault(name, Attack(name))


def named_case(name: str, passed: bool) -> None:
    entry = NAMED.setdefault(name, {"passed": 0, "failed": 0})
    entry["passed" if passed else "failed"] += 1


def report_lines() -> list[str]:
    if not ATTACKS and not NAMED:
        return []
    width = max([len(n) for n in (*ATTACKS, *NAMED)] + [20])
    head = f"{'attack':<{width}}  {'inputs':>7}  " + "  ".join(f"{k:>8}" for k in KINDS)
    lines = [
        "generated inputs (goal: 0 in every column after inputs)",
        head + f"  {'seconds':>7}",
    ]
    total = Attack("all generated attacks")
    for a in ATTACKS.values():
        lines.append(
            f"{a.name:<{width}}  {a.tried:>7}  "
            + "  ".join(f"{a.counts[k]:>8}" for k in KINDS)
            + f"  {a.seconds:>7.1f}"
        )
        total.tried += a.tried
        total.seconds += a.seconds
        for k in KINDS:
            total.counts[k] += a.counts[k]
    if len(ATTACKS) > 1:
        lines.append(
            f"{total.name:<{width}}  {total.tried:>7}  "
            + "  ".join(f"{total.counts[k]:>8}" for k in KINDS)
            + f"  {total.seconds:>7.1f}"
        )
    if NAMED:
        lines.append("")
        lines.append("named cases (each a test written for one case the issue saw)")
        for name, c in sorted(NAMED.items()):
            lines.append(f"{name:<{width}}  {c['passed']:>4} passed  {c['failed']:>4} failed")
    for a in ATTACKS.values():
        if any(a.counts.values()):
            lines.append("")
            lines.append(a.describe())
    return lines


def write_json(path: Path) -> None:
    data = {
        "attacks": [
            {
                "name": a.name,
                "inputs": a.tried,
                "seconds": round(a.seconds, 2),
                **a.counts,
                "examples": a.examples,
            }
            for a in ATTACKS.values()
        ],
        "named": NAMED,
    }
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def add_json(path: Path) -> None:
    """Adds a ledger `write_json` wrote (a worker process's, when the suite runs in several)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for a in data["attacks"]:
        entry = attack(a["name"])
        entry.tried += a["inputs"]
        entry.seconds += a["seconds"]
        for k in KINDS:
            entry.counts[k] += a[k]
            entry.examples[k] = (entry.examples[k] + a["examples"][k])[:EXAMPLES]
    for name, c in data["named"].items():
        mine = NAMED.setdefault(name, {"passed": 0, "failed": 0})
        mine["passed"] += c["passed"]
        mine["failed"] += c["failed"]
