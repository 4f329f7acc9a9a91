"""Shared fixtures: a private PostgreSQL server, demo-content repositories, a clean environment."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lsst.cmservice.butler.gateway import demo

from .support.postgres import PostgresDatabase, PostgresServer, postgres_available


@dataclass(frozen=True)
class RepoUnderTest:
    """A repository with the demo content, built by the suite."""

    label: str
    config_uri: str
    dialect: str
    credentials: list[dict[str, str]]

    @property
    def credentials_json(self) -> str:
        return json.dumps(self.credentials)


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    # The gateway owns its process environment (it sets LSST_DB_AUTH_CREDENTIALS, PGPASSFILE...);
    # every test starts from the environment the suite began with.
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The suite's private PostgreSQL 15 server (scram-sha-256). Missing in CI is a failure."""
    reason = postgres_available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests must run in CI: {reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with PostgresServer() as server:
        yield server


def _create_pg_repository(postgres: PostgresServer, root: Path, name: str) -> tuple[str, PostgresDatabase]:
    database = postgres.create_database(name, owner=f"{name}_owner", password=secrets.token_urlsafe(12))
    previous = os.environ.get("LSST_DB_AUTH_CREDENTIALS")
    os.environ["LSST_DB_AUTH_CREDENTIALS"] = json.dumps([database.db_auth_entry()])
    try:
        uri = demo.create_repository(root, registry_db=database.url(), namespace=f"{name}_ns")
        from lsst.daf.butler import Butler

        with Butler.from_config(uri, writeable=True) as butler:
            demo.populate(butler)
    finally:
        if previous is None:
            os.environ.pop("LSST_DB_AUTH_CREDENTIALS", None)
        else:
            os.environ["LSST_DB_AUTH_CREDENTIALS"] = previous
    return uri, database


@pytest.fixture(scope="session")
def sqlite_repo(tmp_path_factory: pytest.TempPathFactory) -> RepoUnderTest:
    """A SQLite repository with the demo content (shared by the session: do not mutate it)."""
    uri = demo.build_demo_repository(tmp_path_factory.mktemp("sqlite-repo"))
    return RepoUnderTest("sqlite", uri, "sqlite", [])


@pytest.fixture(scope="session")
def pg_repo(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> RepoUnderTest:
    """A PostgreSQL repository with the demo content; its password exists only in ``credentials``."""
    uri, database = _create_pg_repository(postgres, tmp_path_factory.mktemp("pg-repo"), "gwtest")
    return RepoUnderTest("pg", uri, "postgresql", [database.db_auth_entry()])


@pytest.fixture(params=["sqlite", "postgresql"])
def any_repo(request: pytest.FixtureRequest) -> RepoUnderTest:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_repo" if request.param == "sqlite" else "pg_repo"
    repo: RepoUnderTest = request.getfixturevalue(name)
    return repo
