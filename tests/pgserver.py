"""A private, throwaway PostgreSQL server for the tests.

    with PostgresServer() as pg:
        pg.url    # postgresql+psycopg://app@127.0.0.1:PORT/postgres?sslmode=verify-full&sslrootcert=CA
        url = pg.create_database("t1")  # a brand-new empty database

The cluster lives in a temporary folder (initdb, then ``pg_ctl start -w``) and listens only on
127.0.0.1 at a free port, with its unix socket inside that folder; the superuser is ``app`` and
every local connection is trusted. It offers TLS, with a certificate for 127.0.0.1 and localhost
signed by a throwaway CA made for it (``pg.ca_cert``), and its URLs ask for
``sslmode=verify-full`` with that CA, as the app does with a real shared server;
``PostgresServer(tls=False)`` starts one without TLS.

``stop()`` (also run by ``__exit__`` and atexit) shuts it down with ``pg_ctl stop -m immediate``
and deletes the folder. A small watchdog process does the same if the test process dies without
running atexit (SIGKILL, SIGTERM), so no server is left behind.

PostgreSQL refuses to run as root: as root, the server commands run as the ``postgres`` OS user.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from types import TracebackType
from typing import Any

SUPERUSER = "app"
HOST = "127.0.0.1"
BINDIR_ENV = "FFMOT_PG_BINDIR"  # optional: use the binaries in this folder
_SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresError(RuntimeError):
    """The private server could not be started or used."""


class PostgresNotFound(PostgresError):
    """No PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine."""


def _is_bindir(path: Path) -> bool:
    return all(os.access(path / p, os.X_OK) for p in _SERVER_PROGRAMS)


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); 9.6 -> (9, 6); anything odd sorts first.
    try:
        return tuple(int(p) for p in path.parent.name.split("."))
    except ValueError:
        return (-1,)


def find_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None.

    In order: $FFMOT_PG_BINDIR if set (and nothing else then), the newest
    /usr/lib/postgresql/*/bin (Debian, Ubuntu), ``pg_config --bindir``, initdb on PATH.
    """
    explicit = os.environ.get(BINDIR_ENV)
    if explicit:
        return Path(explicit) if _is_bindir(Path(explicit)) else None
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for path in debian:
        if _is_bindir(path):
            return path
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out and _is_bindir(Path(out)):
                return Path(out)
    initdb = shutil.which("initdb")
    if initdb and _is_bindir(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    return None


def not_found_message() -> str:
    where = (
        f"${BINDIR_ENV}={os.environ[BINDIR_ENV]}"
        if os.environ.get(BINDIR_ENV)
        else "/usr/lib/postgresql/*/bin, `pg_config --bindir` or PATH"
    )
    return (
        f"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in {where}. "
        "Install them with `bash tools/system-deps` (Debian package `postgresql`)."
    )


# -- TLS: a throwaway CA and a server certificate, made fresh for each server ---------------------


def _ec_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())  # quick to make, unlike RSA


def _pem_cert(cert: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return bytes(cert.public_bytes(Encoding.PEM))


def _certificate(subject: str, key: Any, issuer: Any = None, *, ca: bool) -> Any:
    """A certificate for `key`, signed by issuer=(name, key), or by itself (a CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer if issuer is not None else (name, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        san = [x509.DNSName("localhost"), x509.IPAddress(ip_address(HOST))]
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def write_ca_certificate(path: Path, name: str = "ffmot throwaway test CA") -> Path:
    """A new throwaway CA's certificate at `path` (its key is thrown away)."""
    path.write_bytes(_pem_cert(_certificate(name, _ec_key(), ca=True)))
    return path


def _write_tls_files(ca_path: Path, cert_path: Path, key_path: Path) -> None:
    """A throwaway CA (its certificate at ca_path) and a certificate for 127.0.0.1 and
    localhost signed by it, with its key (mode 0600, as the server demands)."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    ca_key = _ec_key()
    ca = _certificate("ffmot test server CA", ca_key, ca=True)
    server_key = _ec_key()
    server = _certificate(HOST, server_key, (ca.subject, ca_key), ca=False)
    ca_path.write_bytes(_pem_cert(ca))
    cert_path.write_bytes(_pem_cert(server))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            server_key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _temp_base(as_other_user: bool) -> str:
    """A temp folder the server's user can reach (the socket path must also stay short)."""
    base = tempfile.gettempdir()
    if len(base) > 60:
        return "/tmp"
    if as_other_user:
        # Every folder above ours must be searchable by the postgres user.
        for parent in [Path(base), *Path(base).parents]:
            if not os.stat(parent).st_mode & 0o001:
                return "/tmp"
    return base


# Runs in its own session; waits for the test process to close the pipe (or die), then makes
# sure the server is gone and its folder deleted. Root may signal the postgres-owned server.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
sys.stdin.buffer.read()
folder = sys.argv[1]
pidfile = os.path.join(folder, "data", "postmaster.pid")
try:
    with open(pidfile) as f:
        pid = int(f.readline())
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 15
    while os.path.exists(pidfile) and time.monotonic() < deadline:
        time.sleep(0.05)
    if os.path.exists(pidfile):
        os.kill(pid, signal.SIGKILL)
except (OSError, ValueError):
    pass
shutil.rmtree(folder, ignore_errors=True)
"""


class PostgresServer:
    """A private PostgreSQL cluster in a temporary folder. Use as a context manager."""

    def __init__(
        self,
        bindir: Path | str | None = None,
        *,
        init_timeout: float = 120,
        start_timeout: float = 60,
        stop_timeout: float = 30,
        tls: bool = True,
    ) -> None:
        self.bindir = Path(bindir) if bindir else None
        self.tls = tls
        self.init_timeout = init_timeout
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port: int | None = None
        self.folder: Path | None = None
        self.startup_seconds: float | None = None
        self._as_postgres = os.geteuid() == 0
        self._run_kwargs: dict[str, Any] = {}
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._stopped = False

    # -- the public face ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the ``postgres`` database."""
        return self.database_url("postgres")

    @property
    def ca_cert(self) -> Path:
        """The throwaway CA certificate that signed the server's (only with tls=True)."""
        if not self.tls or self.folder is None:
            raise PostgresError("this server has no TLS certificate")
        return self.folder / "ca.crt"

    def database_url(self, name: str) -> str:
        if self.port is None:
            raise PostgresError("the server is not running")
        url = f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{name}"
        if self.tls:
            url += f"?sslmode=verify-full&sslrootcert={self.ca_cert}"
        return url

    def create_database(self, name: str, icu_locale: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL. With ``icu_locale`` (say
        'en-GB-u-ka-shifted': spaces ignored in comparisons, as Debian's en_GB.UTF-8 does) its
        text is compared and sorted by that ICU collation, as a station's own server may be."""
        from psycopg import sql

        self._check_name(name)
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if icu_locale is not None:
            query = sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.utf8' "
                "LOCALE_PROVIDER icu ICU_LOCALE {}"
            ).format(sql.Identifier(name), sql.Literal(icu_locale))
        with self._connect() as conn:
            conn.execute(query)
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any sessions still connected to it."""
        from psycopg import sql

        self._check_name(name)
        with self._connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def start(self) -> PostgresServer:
        if self.port is not None or self._stopped:
            raise PostgresError("a PostgresServer starts once")
        self.bindir = self.bindir or find_bindir()
        if self.bindir is None or not _is_bindir(self.bindir):
            raise PostgresNotFound(not_found_message())
        started = time.monotonic()
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Shut the server down at once and delete its folder. Safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        try:
            if self.folder is not None:
                self._kill_server()
        finally:
            self.port = None
            if self._watchdog is not None:
                # Closing the pipe lets the watchdog finish (there is nothing left for it to do).
                if self._watchdog.stdin is not None:
                    with contextlib.suppress(OSError):
                        self._watchdog.stdin.close()
                try:
                    self._watchdog.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self._watchdog.kill()
                    self._watchdog.wait(timeout=5)
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the machinery -----------------------------------------------------------------------

    def _start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self._as_postgres:
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresError(
                    "running as root, and PostgreSQL refuses to run as root, but there is no "
                    "`postgres` OS user to run it as (the Debian package `postgresql` makes one)"
                ) from None
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        self.folder = Path(
            tempfile.mkdtemp(prefix="ffmot-pg-", dir=_temp_base(self._as_postgres))
        ).resolve()
        if self._as_postgres:
            os.chown(self.folder, kwargs["user"], kwargs["group"])
            self._run_kwargs = kwargs
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal must not kill it first
        )
        self._run(
            "initdb",
            ["-D", str(self._data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"],
            ["--no-locale", "--no-sync"],
            timeout=self.init_timeout,
        )
        if self.tls:
            self._set_up_tls()
        for _attempt in range(3):
            port = _free_port()
            options = (
                f"-p {port} -c listen_addresses={HOST} -k {shlex.quote(str(self.folder))} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            wait = str(max(1, int(self.start_timeout)))
            try:
                self._run(
                    "pg_ctl",
                    ["-D", str(self._data), "-l", str(self._log), "-w", "-t", wait],
                    ["-o", options, "start"],
                    timeout=self.start_timeout + 15,
                )
            except PostgresError:
                self._kill_server()  # it may have come up after pg_ctl gave up waiting
                if "could not bind" in _tail(self._log, 50):  # someone took the port: retry
                    continue
                raise
            self.port = port
            return
        raise PostgresError(f"no free port found; server log:\n{_tail(self._log)}")

    def _set_up_tls(self) -> None:
        """The CA and server certificate, and ssl = on with them in the cluster's config. The
        key must belong to the OS user the server runs as (postgres, when we are root)."""
        cert, key = self._data / "server.crt", self._data / "server.key"
        _write_tls_files(self.ca_cert, cert, key)
        if self._as_postgres:
            for path in (cert, key):
                os.chown(path, self._run_kwargs["user"], self._run_kwargs["group"])
        with open(self._data / "postgresql.conf", "a") as conf:
            conf.write(f"\nssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n")

    @property
    def _data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    @property
    def _log(self) -> Path:
        assert self.folder is not None
        return self.folder / "server.log"

    def _run(self, program: str, *args: list[str], timeout: float) -> None:
        assert self.bindir is not None and self.folder is not None
        cmd = [str(self.bindir / program), *(a for group in args for a in group)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"  # English messages, and no locale surprises in initdb
        try:
            result = subprocess.run(
                cmd,
                cwd=self.folder,  # a folder the postgres user may enter
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                **self._run_kwargs,
            )
        except subprocess.TimeoutExpired:
            raise PostgresError(
                f"`{shlex.join(cmd)}` did not finish in {timeout:.0f} s; server log:\n"
                f"{_tail(self._log)}"
            ) from None
        if result.returncode != 0:
            raise PostgresError(
                f"`{shlex.join(cmd)}` failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}\nserver log:\n{_tail(self._log)}"
            )

    def _kill_server(self) -> None:
        pidfile = self._data / "postmaster.pid"
        if not pidfile.exists():
            return
        with contextlib.suppress(PostgresError):
            self._run(
                "pg_ctl",
                ["-D", str(self._data), "-m", "immediate", "-w"],
                ["-t", str(max(1, int(self.stop_timeout))), "stop"],
                timeout=self.stop_timeout + 10,
            )
        if pidfile.exists():  # pg_ctl could not stop it: kill the postmaster outright
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)

    def _connect(self) -> Any:
        import psycopg

        if self.port is None:
            raise PostgresError("the server is not running")
        tls: dict[str, Any] = (
            {"sslmode": "verify-full", "sslrootcert": str(self.ca_cert)} if self.tls else {}
        )
        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
            options="-c statement_timeout=60s",
            **tls,
        )

    @staticmethod
    def _check_name(name: str) -> None:
        if not _DB_NAME.fullmatch(name) or name in {"postgres", "template0", "template1"}:
            raise ValueError(f"not a usable database name: {name!r} (want [a-z_][a-z0-9_]*)")
