"""Self-test of tests/support/postgres.py: a private scram-protected server that a Butler can use."""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.postgres import PostgresDatabase, PostgresServer, postgres_available

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    reason = postgres_available()
    if reason is not None:
        # The suite's contract: PostgreSQL tests are never skipped in CI.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with PostgresServer() as pg:
        yield pg


@pytest.fixture
def no_libpq_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make sure a password can only come from where the test puts it."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    monkeypatch.delenv("LSST_DB_AUTH_CREDENTIALS", raising=False)
    monkeypatch.setenv("LSST_DB_AUTH", str(tmp_path / "no-db-auth.yaml"))


def _new_database(server: PostgresServer, stem: str) -> PostgresDatabase:
    suffix = secrets.token_hex(4)
    return server.create_database(f"{stem}_{suffix}", f"{stem}_owner_{suffix}", secrets.token_urlsafe(16))


def _connect(db: PostgresDatabase, password: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=db.host,
        port=db.port,
        dbname=db.database,
        user=db.user,
        password=db.password if password is None else password,
        connect_timeout=5,
    )


def test_owner_connects_with_password(server: PostgresServer, no_libpq_secrets: None) -> None:
    db = _new_database(server, "conn")
    with _connect(db) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (db.user, db.database)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        assert owner == (db.user,)
    # The URL form with the password is a valid libpq conninfo too.
    with psycopg.connect(db.url(with_password=True), connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_passwords_are_enforced(server: PostgresServer, no_libpq_secrets: None) -> None:
    db = _new_database(server, "auth")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(db, password="wrong-" + db.password)
    # No trust fallback anywhere: not for the superuser over TCP, nor over the private socket.
    for host in (server.host, str(server.socket_dir)):
        with pytest.raises(psycopg.OperationalError, match="no password supplied"):
            psycopg.connect(host=host, port=server.port, user=server.superuser, dbname="postgres")


def test_btree_gist_is_enabled(server: PostgresServer, no_libpq_secrets: None) -> None:
    db = _new_database(server, "gist")
    with _connect(db) as conn:
        row = conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'").fetchone()
        assert row == (1,)


def test_existing_role_gets_new_password(server: PostgresServer, no_libpq_secrets: None) -> None:
    first = _new_database(server, "reuse")
    second = server.create_database(first.database + "_b", first.user, first.password + "x")
    with _connect(second) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (first.user,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(first)


def test_urls_and_db_auth_entry(server: PostgresServer) -> None:
    from lsst.utils.db_auth import DbAuth

    db = PostgresDatabase(server.host, server.port, "somedb", "someone", "p@ss/w:rd")
    assert db.url() == f"postgresql://someone@127.0.0.1:{server.port}/somedb"
    assert db.url(with_password=True) == f"postgresql://someone:p%40ss%2Fw%3Ard@127.0.0.1:{db.port}/somedb"
    assert "p@ss" not in repr(db)
    auth = DbAuth(authList=[db.db_auth_entry()])
    assert auth.getAuth("postgresql", "someone", "127.0.0.1", db.port, "somedb") == ("someone", "p@ss/w:rd")


def test_pause_and_resume(server: PostgresServer, no_libpq_secrets: None) -> None:
    db = _new_database(server, "pause")
    with _connect(db) as conn:
        conn.execute("CREATE TABLE survivor (x int)")
        conn.execute("INSERT INTO survivor VALUES (42)")
    port = server.port
    with server.stop_temporarily():
        was_down = not server.running
        with pytest.raises(psycopg.OperationalError):
            _connect(db)
    assert was_down
    assert server.running
    assert server.port == port
    with _connect(db) as conn:
        assert conn.execute("SELECT x FROM survivor").fetchone() == (42,)


def test_stop_removes_everything(no_libpq_secrets: None) -> None:
    if (reason := postgres_available()) is not None and not os.environ.get("CI"):
        pytest.skip(reason)
    with PostgresServer() as pg:
        root, port = pg.root, pg.port
        assert (root / "data" / "postmaster.pid").exists()
    assert not root.exists()
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))
    pg.stop()  # Idempotent.


def test_butler_repository_on_server(
    server: PostgresServer, no_libpq_secrets: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lsst.daf.butler import Butler, CollectionType, Config

    db = _new_database(server, "butler")
    # The only place the password exists for the Butler: the JSON credentials read by DbAuth.
    monkeypatch.setenv("LSST_DB_AUTH_CREDENTIALS", json.dumps([db.db_auth_entry()]))
    root = tmp_path / "repo"
    Butler.makeRepo(str(root), config=Config({"registry": {"db": db.url(), "namespace": "test_ns"}}))
    assert db.password not in (root / "butler.yaml").read_text()

    butler = Butler.from_config(str(root), writeable=True)
    try:
        assert butler.collections.register("selftest/run", CollectionType.RUN, doc="self-test")
        assert not butler.collections.register("selftest/run", CollectionType.RUN)
        assert butler.collections.get_info("selftest/run").type is CollectionType.RUN
        assert "selftest/run" in butler.collections.query("selftest/*")
    finally:
        butler.close()

    # Read it back through a new Butler (new engine, credentials looked up again) and in SQL.
    reader = Butler.from_config(str(root))
    try:
        assert reader.collections.get_info("selftest/run").doc == "self-test"
    finally:
        reader.close()
    with _connect(db) as conn:
        row = conn.execute("SELECT name FROM test_ns.collection WHERE name = 'selftest/run'").fetchone()
        assert row == ("selftest/run",)


def test_server_settings(server: PostgresServer) -> None:
    with server.connect() as conn:
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('max_connections', 'fsync', 'synchronous_commit', 'full_page_writes', 'listen_addresses')"
            ).fetchall()
        )
    assert settings == {
        "max_connections": "200",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
    }
