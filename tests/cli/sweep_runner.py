"""Runs many `ffmot` command lines quickly, each in its own process, for the hostile sweep.

    python tests/cli/sweep_runner.py PLAN.json RESULTS.json

This process imports ffmot once, then forks a child per command line: the child runs
`ffmot.app.main(argv)`, the function the installed `ffmot` script runs, in a case folder of its
own (its own copy of the demo database, its own stdout and stderr files, stdin from the null
device), so a command that hangs or crashes is killed and recorded without stopping the sweep.
Forking a warm process costs milliseconds where starting Python and importing SQLAlchemy costs
most of a second.

The plan (JSON): {"cases": [[arg, ...], ...], "tokens": {"NAME": "value"}, "base_db": path,
"cases_dir": path, "env": {...}, "jobs": 2, "timeout": seconds}. "{NAME}" in an argument is
replaced by tokens[NAME]; "{CASE}" by the case's folder and "{DB}" by its database copy.

The children run with FFMOT_DEBUG=1 so that an error the command did not handle comes out of
main() as an exception and its traceback is recorded (a person would have seen "ffmot:
unexpected problem"). A command still running a few seconds before its time is up writes every
thread's stack (faulthandler), which says where it hung.

POSIX only (fork). Nothing heavy is imported at module level: a "spawn" worker of a child
imports this file as its __main__.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time


def main() -> int:
    plan_path, results_path = sys.argv[1], sys.argv[2]
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    _warm_up()
    results = _run_all(plan)
    with open(results_path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=True)
    return 0


def _warm_up() -> None:
    """Import what most commands need once, before forking (no threads are started)."""
    import importlib

    for name in (
        "ffmot.app",
        "ffmot.cli.main",
        "ffmot.cli.store",
        "ffmot.cli.report",
        "ffmot.store.db",
        "ffmot.services.records",
        "ffmot.services.transfer",
        "ffmot.services.merge",
        "ffmot.services.overview",
        "ffmot.cli.access",
        "ffmot.report.sheet",
        "ffmot.core.norms",
        "sqlalchemy.orm",
        "alembic.command",
        "reportlab.platypus",
    ):
        with contextlib.suppress(Exception):  # renamed meanwhile: the child imports it
            importlib.import_module(name)
    from ffmot.core.norms import default_norm_set

    default_norm_set()


def _run_all(plan: dict) -> list[dict]:
    import signal

    cases: list[list[str]] = plan["cases"]
    jobs = int(plan.get("jobs", 2))
    timeout = float(plan.get("timeout", 20))
    pending = list(range(len(cases)))
    running: dict[int, tuple[int, float]] = {}  # pid -> (case number, start)
    results: list[dict] = [{} for _ in cases]
    while pending or running:
        while pending and len(running) < jobs:
            i = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(plan, i, cases[i], timeout)  # never returns
            running[pid] = (i, time.monotonic())
        time.sleep(0.005)
        for pid, (i, start) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            hung = False
            if not done:
                if time.monotonic() - start < timeout:
                    continue
                hung = True
                _kill_group(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
            _kill_group(pid, signal.SIGKILL)  # a worker process it left behind
            del running[pid]
            results[i] = _result(plan, i, cases[i], status, hung, time.monotonic() - start)
    return results


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)


def _case_dir(plan: dict, i: int) -> str:
    return os.path.join(plan["cases_dir"], f"{i:04d}")


def _substitute(arg: str, tokens: dict[str, str]) -> str:
    for name, value in tokens.items():
        arg = arg.replace("{" + name + "}", value)
    return arg


def _child(plan: dict, i: int, case: list[str], timeout: float) -> None:
    code = 99
    try:
        os.setpgid(0, 0)
        import faulthandler
        import shutil
        import tempfile

        folder = _case_dir(plan, i)
        os.makedirs(folder)
        db = os.path.join(folder, "ffmot.db")
        shutil.copyfile(plan["base_db"], db)
        if os.path.exists(plan["base_db"] + ".keys"):  # an encrypted file: its keys too
            shutil.copyfile(plan["base_db"] + ".keys", db + ".keys")
        tokens = {**plan["tokens"], "CASE": folder, "DB": db}
        argv = [_substitute(a, tokens) for a in case]
        os.environ.clear()
        os.environ.update(plan["env"])
        os.environ["FFMOT_DATABASE_URL"] = db
        os.environ["FFMOT_DEBUG"] = "1"
        tempfile.tempdir = None  # TMPDIR from the plan's environment, not the runner's
        os.chdir(folder)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        for fd, path, mode in (
            (0, os.devnull, os.O_RDONLY),
            (1, os.path.join(folder, "stdout"), flags),
            (2, os.path.join(folder, "stderr"), flags),
        ):
            new = os.open(path, mode, 0o600)
            os.dup2(new, fd)
            os.close(new)
        stack = open(os.path.join(folder, "stack"), "w")  # noqa: SIM115  # open until exit
        faulthandler.dump_traceback_later(max(1.0, timeout - 3), file=stack)
        try:
            from ffmot.app import main as ffmot_main

            result = ffmot_main(argv)
            code = result if isinstance(result, int) else 98
        except BaseException as e:
            _record_uncaught(folder, e)
            code = 70
        finally:
            faulthandler.cancel_dump_traceback_later()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                code = 97
    finally:
        os._exit(code)


def _record_uncaught(folder: str, e: BaseException) -> None:
    """The error's type, the innermost ffmot function it came from, and the traceback with
    each line cut short (a 5,000-character path in a message is noise)."""
    import traceback

    frames = [f for f in traceback.extract_tb(e.__traceback__) if "/ffmot/" in f.filename]
    where = "?"
    if frames:
        f = frames[-1]
        where = f"ffmot/{f.filename.rsplit('/ffmot/', 1)[1]}:{f.name}"
    lines = [line[:300] for line in traceback.format_exc().splitlines()]
    with open(os.path.join(folder, "uncaught.json"), "w", encoding="utf-8") as out:
        json.dump({"type": type(e).__name__, "where": where, "text": "\n".join(lines)}, out)


def _read(path: str, limit: int = 4000) -> str:
    """The end of a file (where a traceback's last line is)."""
    try:
        with open(path, encoding="utf-8", errors="backslashreplace") as f:
            return f.read()[-limit:]
    except OSError:
        return ""


def _uncaught(folder: str) -> dict | None:
    try:
        with open(os.path.join(folder, "uncaught.json"), encoding="utf-8") as f:
            found: dict = json.load(f)
            return found
    except OSError:
        return None


def _result(plan: dict, i: int, case: list[str], status: int, hung: bool, seconds: float) -> dict:
    folder = _case_dir(plan, i)
    return {
        "case": i,
        "argv": case,
        "hung": hung,
        "code": os.waitstatus_to_exitcode(status),
        "seconds": round(seconds, 3),
        "stdout": _read(os.path.join(folder, "stdout"), 400),
        "stderr": _read(os.path.join(folder, "stderr")),
        "uncaught": _uncaught(folder),
        "stack": _read(os.path.join(folder, "stack"), 6000) if hung else "",
    }


if __name__ == "__main__":
    raise SystemExit(main())
