"""`ffmot` command lines for the tests, each in a process of its own, started warm.

    python tests/cli/warm.py SOCKET      the server: imports ffmot once, then forks per command

Starting Python and importing SQLAlchemy, Alembic and numpy costs most of a second; the suite
runs some two hundred command lines. So one server process imports them once and, for each
command line, forks a child that runs `ffmot.app.main(argv)` (the function the installed
`ffmot` script runs) in the command's own folder and environment, with stdin from the null
device and its output in files, exactly as `subprocess.run([python, "-m", "ffmot", ...])`
would. The child's exit status, stdout and stderr come back as a CompletedProcess.

A command whose environment changes where ffmot reads its resources from (FFMOT_RESOURCES_DIR:
the screening rules are read when their module is imported) runs as a fresh process instead, as
does every command when fork is not there (not POSIX).

Nothing heavy is imported at module level: a "spawn" worker of a child (`ffmot sheets`) imports
this file as its __main__.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FRESH_ONLY = ("FFMOT_RESOURCES_DIR",)  # read at import: such a command needs a fresh process


def _serve(path: str) -> None:
    from sweep_runner import _warm_up  # (beside this file: the hostile sweep's own warm-up)

    _warm_up()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            request = json.loads(_receive(conn))
            if request.get("stop"):
                return
            conn.sendall(json.dumps(_run(request)).encode("utf-8") + b"\n")


def _receive(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _run(request: dict) -> dict:  # type: ignore[type-arg]
    import signal

    folder = tempfile.mkdtemp(prefix="ffmot-warm-")
    out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
    pid = os.fork()
    if pid == 0:  # the command's own process
        try:
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT, 0o600), 1)
            os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT, 0o600), 2)
            encoding, errors = sys.stdout.encoding, sys.stdout.errors
            sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", encoding=encoding, errors=errors, closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding=encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
            sys.argv = ["ffmot", *request["argv"]]
            from ffmot.app import main

            code = main(request["argv"])
            sys.stdout.flush()
            sys.stderr.flush()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    deadline = time.monotonic() + float(request["timeout"])
    status = None
    while status is None:
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            status = raw
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = -1
        else:
            time.sleep(0.005)
    result = {
        "code": os.waitstatus_to_exitcode(status) if status != -1 else None,
        "stdout": Path(out).read_bytes().decode("utf-8", "surrogateescape"),
        "stderr": Path(err).read_bytes().decode("utf-8", "surrogateescape"),
    }
    for name in (out, err):
        os.unlink(name)
    os.rmdir(folder)
    return result


class Warm:
    """The client: one server for the test session, started on first use."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.folder = tempfile.mkdtemp(prefix="ffmot-warm-socket-")
        self.path = os.path.join(self.folder, "s")

    def _start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "FFMOT_DEBUG"}
        self.process = subprocess.Popen(
            [sys.executable, __file__, self.path],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def run(
        self, argv: list[str], cwd: Path | None, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ffmot", *argv]
        if not hasattr(os, "fork") or any(env.get(k) != os.environ.get(k) for k in FRESH_ONLY):
            return subprocess.run(
                command, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
            )
        if self.process is None or self.process.poll() is not None:
            self._start()
        request = {"argv": argv, "cwd": str(cwd or os.getcwd()), "env": env, "timeout": timeout}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self.path)
            conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
            answer = json.loads(_receive(conn))
        if answer["code"] is None:
            raise subprocess.TimeoutExpired(command, timeout)
        return subprocess.CompletedProcess(
            command, answer["code"], answer["stdout"], answer["stderr"]
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as conn:
                conn.connect(self.path)
                conn.sendall(b'{"stop": true}\n')
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self.folder)


_client: Warm | None = None


def run_ffmot(
    argv: list[str], cwd: Path | None, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """One command line, as `subprocess.run([python, "-m", "ffmot", *argv], ...)` would run it."""
    global _client
    if _client is None:
        _client = Warm()
        import atexit

        atexit.register(_client.stop)
    return _client.run(argv, cwd, env, timeout)


if __name__ == "__main__":
    _serve(sys.argv[1])
