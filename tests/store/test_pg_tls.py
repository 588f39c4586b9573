"""The shared PostgreSQL database is reached over TLS with the server's certificate checked.

Against the real private server (tests/pgserver.py), which offers TLS with a certificate from a
throwaway CA: every refusal is in plain words, says what to do, and carries no password.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ffmot.store import pgtls
from ffmot.store.db import connect
from ffmot.store.errors import StoreError, UnreachableError
from tests.pgserver import PostgresServer, write_ca_certificate

PASSWORD = "s3cret-pw"  # the server trusts every local connection; it must never be shown


def _url(base: str, host: str | None = None, **query: str) -> str:
    """`base` with the password set, its TLS settings replaced by `query`."""
    u = make_url(base).difference_update_query(["sslmode", "sslrootcert"])
    u = u.set(password=PASSWORD).update_query_dict(query)
    if host is not None:
        u = u.set(host=host)
    return u.render_as_string(hide_password=False)


def _refusal(url: str) -> str:
    with pytest.raises(StoreError) as caught:
        connect(url, upgrade=False).close()
    assert not isinstance(caught.value, UnreachableError)  # retrying would not help
    message = str(caught.value)
    assert "Traceback" not in message and PASSWORD not in message
    assert "app:***@127.0.0.1:" in message or "app:***@wrong-name.invalid:" in message, message
    return message


@pytest.fixture
def no_libpq_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A HOME with no ~/.postgresql/root.crt, and no PGSSL* settings from the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSSLCRL"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="module")
def plain_server(pg_server: PostgresServer) -> Iterator[PostgresServer]:
    with PostgresServer(pg_server.bindir, tls=False) as server:
        yield server


# -- (a) what is asked for, and what the server sees --------------------------------------------


def test_a_connection_to_the_shared_database_is_encrypted(pg_url: str) -> None:
    db = connect(_url(pg_url, sslrootcert=str(make_url(pg_url).query["sslrootcert"])))
    try:
        with db.engine.connect() as c:
            ssl = c.exec_driver_sql(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).scalar_one()
            assert c.connection.dbapi_connection.pgconn.ssl_in_use  # type: ignore[union-attr]
        assert ssl is True
    finally:
        db.close()


def test_verify_full_unless_the_address_says_otherwise() -> None:
    base = "postgresql+psycopg://app@db.example/ffmot"
    assert pgtls.connect_args(make_url(base), "x") == {"sslmode": "verify-full"}
    for mode in ("verify-ca", "verify-full", "require"):
        assert pgtls.connect_args(make_url(f"{base}?sslmode={mode}"), "x")["sslmode"] == mode
    home = str(Path.home())
    assert pgtls.connect_args(make_url(f"{base}?sslrootcert=~/ca.crt"), "x") == {
        "sslmode": "verify-full",
        "sslrootcert": f"{home}/ca.crt",
    }


# -- (b) no sslmode given: verify-full, so the CA certificate must be there ----------------------


def test_without_sslmode_a_missing_root_certificate_is_explained(
    pg_url: str, no_libpq_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGSSLMODE", "disable")  # the address's default wins over libpq's
    message = _refusal(_url(pg_url))
    assert f"there is no CA certificate file at {no_libpq_env}/.postgresql/root.crt" in message
    assert "~/.postgresql/root.crt" in message and "sslrootcert=PATH" in message


def test_the_default_root_certificate_is_used_when_it_is_there(
    pg_server: PostgresServer, pg_url: str, no_libpq_env: Path
) -> None:
    (no_libpq_env / ".postgresql").mkdir()
    (no_libpq_env / ".postgresql" / "root.crt").write_bytes(pg_server.ca_cert.read_bytes())
    connect(_url(pg_url), upgrade=False).close()


def test_a_root_certificate_that_is_not_one_is_explained(pg_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "ca.crt"
    junk.write_text("not a certificate\n")
    message = _refusal(_url(pg_url, sslrootcert=str(junk)))
    assert f"the CA certificate file {junk} cannot be read or is not a certificate" in message
    assert "sslrootcert=PATH" in message


# -- (c) a mode that may send records unencrypted is refused before any connection ---------------


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_an_sslmode_weaker_than_require_is_refused(mode: str) -> None:
    # Port 1: were a connection tried, the message would be that the server cannot be reached.
    message = _refusal(f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/ffmot?sslmode={mode}")
    assert f"asks for sslmode={mode}" in message
    assert "must use an encrypted connection" in message
    assert "remove sslmode from the address" in message


def test_an_unknown_sslmode_is_refused_in_words() -> None:
    message = _refusal(f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/ffmot?sslmode=verify_full")
    assert "sslmode=verify_full, which is not a connection security setting" in message


def test_over_a_unix_socket_tls_does_not_apply(pg_server: PostgresServer, pg_url: str) -> None:
    assert pg_server.folder is not None
    query = {"host": str(pg_server.folder), "port": str(pg_server.port), "sslmode": "disable"}
    url = make_url(_url(pg_url)).set(host=None, port=None).update_query_dict(query)
    db = connect(url.render_as_string(hide_password=False), upgrade=False)
    try:
        with db.engine.connect() as c:
            assert c.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        db.close()


# -- (d) a server without TLS ---------------------------------------------------------------------


def test_a_server_without_tls_is_explained(
    pg_server: PostgresServer, plain_server: PostgresServer
) -> None:
    for url in (
        _url(plain_server.url, sslrootcert=str(pg_server.ca_cert)),
        _url(plain_server.url, sslmode="require"),
    ):
        message = _refusal(url)
        assert "does not offer an encrypted connection" in message
        assert "has no certificate, or does not support encrypted connections" in message
        assert "Ask the server's administrator to turn on TLS" in message


# -- (e) a certificate that cannot be trusted -----------------------------------------------------


def test_a_server_certificate_from_another_ca_is_refused(pg_url: str, tmp_path: Path) -> None:
    other = write_ca_certificate(tmp_path / "other-ca.crt", "someone else's CA")
    message = _refusal(_url(pg_url, sslrootcert=str(other)))
    assert "could not prove it is the organisation's server" in message
    assert f"this computer trusts ({other})" in message
    assert "certificate verify failed" in message
    assert "~/.postgresql/root.crt" in message and "sslrootcert=PATH" in message


def test_a_certificate_for_another_host_name_is_refused(
    pg_server: PostgresServer, pg_url: str
) -> None:
    # Reach 127.0.0.1, but by a name the server's certificate was not made for.
    url = _url(
        pg_url, host="wrong-name.invalid", hostaddr="127.0.0.1", sslrootcert=str(pg_server.ca_cert)
    )
    message = _refusal(url)
    assert "could not prove it is the organisation's server" in message
    assert "its certificate was made for another name than the one in the address" in message
    assert 'does not match host name "wrong-name.invalid"' in message
    # verify-ca checks only the signature, so a site that chose it gets in.
    connect(url + "&sslmode=verify-ca", upgrade=False).close()


def test_other_driver_failures_are_left_to_the_usual_messages() -> None:
    where = "postgresql+psycopg://app:***@db.example/ffmot"
    url = "postgresql+psycopg://app:pw@db.example/ffmot"
    for text in (
        'connection to server at "10.0.0.5", port 5432 failed: Connection refused',
        'FATAL:  password authentication failed for user "app"',
    ):
        assert pgtls.explain(text, url, where) is None
