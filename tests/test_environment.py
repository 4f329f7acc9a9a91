"""RenderSubmissionEnvironment through a real gateway, and batch jobs that use what it renders."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import json_format
from sqlalchemy.engine import make_url

from lsst.cmservice.butler.gateway import demo
from lsst.cmservice.butler.gateway.config import load_settings
from lsst.cmservice.butler.gateway.domain.pgpass import parse_pgpass
from lsst.cmservice.butler.gateway.domain.quoting import parse_htcondor_environment
from lsst.cmservice.butler.v1 import environment_pb2 as pb

from .conftest import RepoUnderTest
from .support.gateway import error_info, running_gateway, settings_for
from .support.postgres import PostgresServer

SEED = pb.CREDENTIAL_MODE_SEED
PGPASS = pb.CREDENTIAL_MODE_PGPASS
DB_AUTH = pb.CREDENTIAL_MODE_DB_AUTH_ENV
INLINE = pb.REPOSITORY_INDEX_MODE_INLINE

INDEX = "/batch/data-repos.yaml"
USER = "batchuser"
HOME = "/batch/home/u"
# Passwords with every character pgpass, JSON, HTCondor or bash treat specially.
_AWKWARD = "a:b\\c d'e\"f$g=h"


def _batch_settings(**extra: Any) -> dict[str, Any]:
    return {
        "butler_repository_index": INDEX,
        "butler_default_username": USER,
        "htcondor_remote_user_home": HOME,
        **extra,
    }


def _variables(response: pb.RenderSubmissionEnvironmentResponse) -> list[tuple[str, str, bool]]:
    return [(v.name, v.value, v.secret) for v in response.variables]


def _request(*labels: str, **fields: Any) -> pb.RenderSubmissionEnvironmentRequest:
    return pb.RenderSubmissionEnvironmentRequest(labels=labels, **fields)


def _registry(repo: RepoUnderTest) -> Any:
    return make_url(repo.credentials[0]["url"])


def _fingerprint(repo: RepoUnderTest) -> str:
    """A tail of the repository's password that no format escapes (hex or URL-safe characters)."""
    return repo.credentials[0]["password"][-12:]


def _assert_forms_match(response: pb.RenderSubmissionEnvironmentResponse) -> None:
    """Every pre-rendered form carries exactly the response's variables."""
    expected = {v.name: v.value for v in response.variables}
    assert parse_htcondor_environment(response.htcondor_environment) == expected
    assert yaml.safe_load(response.bps_environment_yaml) == {"environment": expected}
    sourced = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "source /dev/stdin && env -0"],
        input=response.bash_exports.encode(),
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=True,
    ).stdout.decode()
    environment = dict(item.split("=", 1) for item in sourced.split("\0") if item)
    assert {name: environment.get(name) for name in expected} == expected
    assert response.contains_secrets == (
        any(v.secret for v in response.variables) or any(f.secret for f in response.files)
    )


@pytest.fixture(scope="session")
def two_pg_repos(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> list[RepoUnderTest]:
    """Two empty repositories on two PostgreSQL databases with different users and passwords."""
    repos = []
    previous = os.environ.get("LSST_DB_AUTH_CREDENTIALS")
    try:
        for name in ("envrepo_a", "envrepo_b"):
            password = f"{_AWKWARD}-{name}-{secrets.token_hex(6)}"
            database = postgres.create_database(name, owner=f"{name}_user", password=password)
            os.environ["LSST_DB_AUTH_CREDENTIALS"] = json.dumps([database.db_auth_entry()])
            uri = demo.create_repository(
                tmp_path_factory.mktemp(name) / "repo", registry_db=database.url(), namespace=f"{name}_ns"
            )
            repos.append(RepoUnderTest(name, uri, "postgresql", [database.db_auth_entry()]))
    finally:
        if previous is None:
            os.environ.pop("LSST_DB_AUTH_CREDENTIALS", None)
        else:
            os.environ["LSST_DB_AUTH_CREDENTIALS"] = previous
    return repos


@pytest.fixture
def all_pg(pg_repo: RepoUnderTest, two_pg_repos: list[RepoUnderTest]) -> list[RepoUnderTest]:
    """The populated PostgreSQL repository and the two empty ones."""
    return [pg_repo, *two_pg_repos]


def _all_pg_settings(repos: list[RepoUnderTest], **extra: Any) -> Any:
    credentials = [entry for repo in repos for entry in repo.credentials]
    return settings_for(
        {repo.label: repo.config_uri for repo in repos},
        db_auth_credentials=json.dumps(credentials),
        **_batch_settings(**extra),
    )


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of the test, at DEBUG level, whoever logged it."""
    caplog.set_level(logging.DEBUG)
    return caplog


def _assert_no_secret_logged(caplog: pytest.LogCaptureFixture, secret_values: list[str]) -> None:
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        for secret in secret_values:
            assert secret not in text, f"a secret reached the log via {record.name}: {record.msg}"


# -- the exact variables of each mode ---------------------------------------------------------


async def test_seed_mode_exact_variables(any_repo: RepoUnderTest) -> None:
    settings = settings_for(
        {any_repo.label: any_repo.config_uri},
        db_auth_credentials=any_repo.credentials_json,
        **_batch_settings(),
    )
    async with running_gateway(settings) as (_, stub):
        for mode in (pb.CREDENTIAL_MODE_UNSPECIFIED, SEED):
            response = await stub.RenderSubmissionEnvironment(_request(any_repo.label, credential_mode=mode))
            assert _variables(response) == [
                ("DAF_BUTLER_REPOSITORY_INDEX", INDEX, False),
                ("PGUSER", USER, False),
                ("PGPASSFILE", f"{HOME}/.lsst/postgres-credentials.txt", False),
            ]
            assert list(response.files) == []
            assert response.cleanup_path == ""
            assert not response.contains_secrets
            assert len(response.submission_id) == 32  # made by the gateway
            _assert_forms_match(response)


async def test_pgpass_mode_exact_variables(any_repo: RepoUnderTest) -> None:
    settings = settings_for(
        {any_repo.label: any_repo.config_uri},
        db_auth_credentials=any_repo.credentials_json,
        **_batch_settings(),
    )
    async with running_gateway(settings) as (_, stub):
        response = await stub.RenderSubmissionEnvironment(
            _request(any_repo.label, credential_mode=PGPASS, submission_id="sub-1")
        )
    _assert_forms_match(response)
    assert response.submission_id == "sub-1"
    if any_repo.dialect == "sqlite":
        # SQLite needs no credential and gets none.
        assert _variables(response) == [("DAF_BUTLER_REPOSITORY_INDEX", INDEX, False)]
        assert list(response.files) == []
        assert not response.contains_secrets
        return
    registry = _registry(any_repo)
    directory = f"{HOME}/.lsst/cm-butler-gateway/sub-1"
    assert _variables(response) == [
        ("DAF_BUTLER_REPOSITORY_INDEX", INDEX, False),
        ("LSST_DB_AUTH_CREDENTIALS", "[]", False),
        ("PGPASSFILE", f"{directory}/pgpass", False),
        ("PGUSER", registry.username, False),
    ]
    assert response.cleanup_path == directory
    [pgpass] = response.files
    password = any_repo.credentials[0]["password"]
    assert pgpass.path == f"{directory}/pgpass"
    assert pgpass.content == (
        f"{registry.host}:{registry.port}:{registry.database}:{registry.username}:{password}\n"
    )
    assert pgpass.mode == 0o600
    assert pgpass.secret
    assert response.contains_secrets


async def test_db_auth_mode_exact_variables(any_repo: RepoUnderTest) -> None:
    settings = settings_for(
        {any_repo.label: any_repo.config_uri},
        db_auth_credentials=any_repo.credentials_json,
        **_batch_settings(),
    )
    async with running_gateway(settings) as (_, stub):
        response = await stub.RenderSubmissionEnvironment(_request(any_repo.label, credential_mode=DB_AUTH))
    _assert_forms_match(response)
    assert list(response.files) == []
    if any_repo.dialect == "sqlite":
        assert _variables(response) == [("DAF_BUTLER_REPOSITORY_INDEX", INDEX, False)]
        assert not response.contains_secrets
        return
    [index, credentials] = _variables(response)
    assert index == ("DAF_BUTLER_REPOSITORY_INDEX", INDEX, False)
    assert credentials[0] == "LSST_DB_AUTH_CREDENTIALS"
    assert json.loads(credentials[1]) == any_repo.credentials
    assert credentials[2] is True
    assert response.contains_secrets


async def test_inline_index_holds_only_the_requested_labels(sqlite_repo: RepoUnderTest) -> None:
    batch_uri = "s3://batch-bucket/repo/butler.yaml"
    settings = settings_for(
        {"a": sqlite_repo.config_uri, "b": sqlite_repo.config_uri, "c": sqlite_repo.config_uri},
        **_batch_settings(batch_repositories={"b": batch_uri}),
    )
    async with running_gateway(settings) as (_, stub):
        response = await stub.RenderSubmissionEnvironment(
            _request("b", "a", credential_mode=SEED, repository_index_mode=INLINE)
        )
    names = [v.name for v in response.variables]
    assert "DAF_BUTLER_REPOSITORY_INDEX" not in names  # never both: daf_butler refuses that
    assert names == ["DAF_BUTLER_REPOSITORIES", "PGUSER", "PGPASSFILE"]
    assert json.loads(response.variables[0].value) == {"b": batch_uri, "a": sqlite_repo.config_uri}
    _assert_forms_match(response)


# -- least privilege ------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_least_privilege_across_databases(all_pg: list[RepoUnderTest]) -> None:
    pg, repo_a, repo_b = all_pg
    async with running_gateway(_all_pg_settings(all_pg)) as (_, stub):
        for mode in (PGPASS, DB_AUTH):
            response = await stub.RenderSubmissionEnvironment(
                _request(repo_a.label, credential_mode=mode, repository_index_mode=INLINE)
            )
            _assert_forms_match(response)  # awkward passwords: quotes, "$", "\\", ":" and spaces
            text = str(response)
            if mode == PGPASS:
                [line] = parse_pgpass(response.files[0].content)
                assert line.password == repo_a.credentials[0]["password"]
            else:
                assert json.loads(response.variables[1].value) == repo_a.credentials
            for other in (pg, repo_b):
                assert _fingerprint(other) not in text
                assert other.credentials[0]["username"] not in text
            assert json.loads(response.variables[0].value) == {repo_a.label: repo_a.config_uri}

        both = await stub.RenderSubmissionEnvironment(
            _request(repo_b.label, repo_a.label, credential_mode=DB_AUTH)
        )
        credentials = json.loads(both.variables[1].value)
        # The gateway's order is kept, so the job's DbAuth picks what the gateway's picks.
        assert credentials == [*repo_a.credentials, *repo_b.credentials]
        assert _fingerprint(pg) not in str(both)

        pgpass = await stub.RenderSubmissionEnvironment(
            _request(repo_b.label, repo_a.label, credential_mode=PGPASS, submission_id="two")
        )
        lines = pgpass.files[0].content.splitlines()
        assert [line.split(":")[3] for line in lines] == ["envrepo_b_user", "envrepo_a_user"]
        # Two users, but each registry URL names its own: PGUSER is not needed and not guessed.
        assert "PGUSER" not in [v.name for v in pgpass.variables]


# -- batch-side simulation: a fresh process with only the rendered environment --------------------

_JOB = """
import json, sys
from lsst.daf.butler import Butler
result = {}
for label in sys.argv[1].split(","):
    with Butler.from_config(label) as butler:
        records = butler.query_dimension_records("instrument", explain=False)
        result[label] = sorted(record.name for record in records)
try:
    Butler.from_config(sys.argv[2]).close()
    result["forbidden"] = "opened"
except Exception as exc:
    result["forbidden"] = type(exc).__name__
print(json.dumps(result))
"""


def _place_files(response: pb.RenderSubmissionEnvironmentResponse) -> None:
    for file in response.files:
        path = Path(file.path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=file.mode)
        path.write_text(file.content)
        path.chmod(file.mode)


def _run_job(
    response: pb.RenderSubmissionEnvironmentResponse,
    home: Path,
    labels: list[str],
    forbidden: str,
    *,
    form: str,
) -> subprocess.CompletedProcess[str]:
    """Run the job in a fresh process whose environment comes from one rendered form only."""
    # Only the basics a login shell would have, plus what the gateway rendered.
    basics = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    job = [sys.executable, "-c", _JOB, ",".join(labels), forbidden]
    if form == "bash":
        exports = home / "job-env.sh"
        exports.write_text(response.bash_exports)
        command = ["bash", "--noprofile", "--norc", "-c", 'source "$0" && exec "$@"', str(exports), *job]
        env = basics
    else:
        command, env = job, {**basics, **parse_htcondor_environment(response.htcondor_environment)}
    return subprocess.run(
        command, env=env, cwd=home, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.postgres
async def test_batch_job_connects_with_rendered_pgpass(all_pg: list[RepoUnderTest], tmp_path: Path) -> None:
    pg, repo_a, repo_b = all_pg
    home = tmp_path / "home"
    home.mkdir()
    settings = _all_pg_settings(all_pg, htcondor_remote_user_home=str(home))
    async with running_gateway(settings) as (_, stub):
        response = await stub.RenderSubmissionEnvironment(
            _request(pg.label, repo_a.label, credential_mode=PGPASS, repository_index_mode=INLINE)
        )
    assert response.cleanup_path.startswith(str(home))
    # Negative control: without the file the job cannot authenticate.
    refused = _run_job(response, home, [pg.label], repo_b.config_uri, form="bash")
    assert refused.returncode != 0
    assert "password" in refused.stderr.lower()

    _place_files(response)
    job = _run_job(response, home, [pg.label, repo_a.label], repo_b.config_uri, form="bash")
    assert job.returncode == 0, job.stderr[-3000:]
    result = json.loads(job.stdout.splitlines()[-1])
    assert result[pg.label] == sorted(demo.DEMO.instrument_names)
    assert result[repo_a.label] == []  # an empty repository, but its registry answered
    assert result["forbidden"] == "OperationalError"  # B's password was never given
    # The submitter removes the per-submission directory when the workflow ends.
    assert Path(response.files[0].path).parent == Path(response.cleanup_path)


@pytest.mark.postgres
async def test_batch_job_connects_with_db_auth_environment(
    all_pg: list[RepoUnderTest], tmp_path: Path
) -> None:
    pg, repo_a, repo_b = all_pg
    home = tmp_path / "home"
    home.mkdir()
    index = tmp_path / "batch-index.yaml"
    index.write_text(yaml.safe_dump({repo.label: repo.config_uri for repo in all_pg}))
    settings = _all_pg_settings(all_pg, butler_repository_index=str(index))
    async with running_gateway(settings) as (_, stub):
        response = await stub.RenderSubmissionEnvironment(
            _request(pg.label, repo_a.label, credential_mode=DB_AUTH)
        )
    assert [v.name for v in response.variables] == ["DAF_BUTLER_REPOSITORY_INDEX", "LSST_DB_AUTH_CREDENTIALS"]
    # The environment as condor_starter would build it from the submit file's line.
    job = _run_job(response, home, [pg.label, repo_a.label], repo_b.label, form="htcondor")
    assert job.returncode == 0, job.stderr[-3000:]
    result = json.loads(job.stdout.splitlines()[-1])
    assert result[pg.label] == sorted(demo.DEMO.instrument_names)
    assert result[repo_a.label] == []
    assert result["forbidden"] == "OperationalError"  # in the index, but no credential for it


# -- refusals -----------------------------------------------------------------------------------------


async def test_unknown_label_and_bad_requests(sqlite_repo: RepoUnderTest) -> None:
    async with running_gateway(settings_for({"main": sqlite_repo.config_uri})) as (_, stub):
        cases = [
            (_request("main", "nope"), grpc.StatusCode.NOT_FOUND, "REPOSITORY_NOT_FOUND"),
            (_request(), grpc.StatusCode.INVALID_ARGUMENT, "MISSING_LABEL"),
            (_request("main", "main"), grpc.StatusCode.INVALID_ARGUMENT, "DUPLICATE_LABEL"),
            (
                _request("main", submission_id="../x"),
                grpc.StatusCode.INVALID_ARGUMENT,
                "INVALID_SUBMISSION_ID",
            ),
            (_request("main", credential_mode=99), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_MODE"),
        ]
        for request, code, reason in cases:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.RenderSubmissionEnvironment(request)
            assert caught.value.code() == code, request
            assert error_info(caught.value).reason == reason


async def test_value_a_form_cannot_carry_is_refused_naming_the_variable(sqlite_repo: RepoUnderTest) -> None:
    settings = settings_for({"main": sqlite_repo.config_uri}, butler_repository_index="/a\n/b.yaml")
    async with running_gateway(settings) as (_, stub):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RenderSubmissionEnvironment(_request("main"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info = error_info(caught.value)
    assert info.reason == "UNREPRESENTABLE_VALUE"
    assert info.metadata["variable"] == "DAF_BUTLER_REPOSITORY_INDEX"
    assert "DAF_BUTLER_REPOSITORY_INDEX" in (caught.value.details() or "")
    assert "/a\n/b.yaml" not in (caught.value.details() or "")


@pytest.mark.postgres
async def test_missing_credential_names_the_repository_not_the_secret(
    all_pg: list[RepoUnderTest], sqlite_repo: RepoUnderTest, captured_logs: pytest.LogCaptureFixture
) -> None:
    pg, repo_a, _ = all_pg
    settings = settings_for(
        {pg.label: pg.config_uri, repo_a.label: repo_a.config_uri, "lite": sqlite_repo.config_uri},
        db_auth_credentials=repo_a.credentials_json,
        **_batch_settings(),
    )
    async with running_gateway(settings) as (_, stub):
        for mode in (PGPASS, DB_AUTH):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.RenderSubmissionEnvironment(_request(repo_a.label, pg.label, credential_mode=mode))
            assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            info = error_info(caught.value)
            assert info.reason == "CREDENTIAL_NOT_FOUND"
            assert info.metadata["label"] == pg.label
            assert repr(pg.label) in (caught.value.details() or "")
            assert _fingerprint(repo_a) not in (caught.value.details() or "")
        # A SQLite repository beside a PostgreSQL one needs nothing.
        ok = await stub.RenderSubmissionEnvironment(_request("lite", repo_a.label, credential_mode=DB_AUTH))
        assert json.loads(ok.variables[1].value) == repo_a.credentials
    _assert_no_secret_logged(captured_logs, [_fingerprint(repo_a)])


async def test_secret_modes_can_be_disabled(sqlite_repo: RepoUnderTest) -> None:
    settings = settings_for({"main": sqlite_repo.config_uri}, allow_secret_environment=False)
    async with running_gateway(settings) as (_, stub):
        for mode in (PGPASS, DB_AUTH):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.RenderSubmissionEnvironment(_request("main", credential_mode=mode))
            assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_info(caught.value).reason == "SECRET_ENVIRONMENT_DISABLED"
        seed = await stub.RenderSubmissionEnvironment(_request("main", credential_mode=SEED))
        assert [v.name for v in seed.variables] == ["DAF_BUTLER_REPOSITORY_INDEX", "PGUSER", "PGPASSFILE"]


async def test_token_is_required(sqlite_repo: RepoUnderTest) -> None:
    token = "render-env-token"
    settings = settings_for({"main": sqlite_repo.config_uri}, auth_token=token)
    async with running_gateway(settings) as (_, stub):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RenderSubmissionEnvironment(_request("main"))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        ok = await stub.RenderSubmissionEnvironment(
            _request("main"), metadata=(("authorization", f"Bearer {token}"),)
        )
        assert ok.variables[0].name == "DAF_BUTLER_REPOSITORY_INDEX"


# -- logs, audit, settings and the command line --------------------------------------------------


@pytest.mark.postgres
async def test_no_secret_in_logs_and_an_audit_record(
    all_pg: list[RepoUnderTest], captured_logs: pytest.LogCaptureFixture
) -> None:
    pg, repo_a, _ = all_pg
    async with running_gateway(_all_pg_settings(all_pg)) as (_, stub):
        for mode in (PGPASS, DB_AUTH):
            await stub.RenderSubmissionEnvironment(
                _request(pg.label, repo_a.label, credential_mode=mode, submission_id=f"audit-{mode}"),
                metadata=(("x-caller", "cm-service"),),
            )
    audits = [r for r in captured_logs.records if r.name.endswith(".audit")]
    assert [getattr(r, "credential_mode") for r in audits] == ["pgpass", "db-auth"]  # noqa: B009
    assert getattr(audits[1], "secret_variables") == ["LSST_DB_AUTH_CREDENTIALS"]  # noqa: B009
    assert getattr(audits[1], "caller") == "cm-service"  # noqa: B009
    _assert_no_secret_logged(captured_logs, [_fingerprint(repo) for repo in all_pg])


def test_cm_service_setting_names_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BUTLER__REPOSITORY_INDEX", "BUTLER__DEFAULT_USERNAME", "HTCONDOR__REMOTE_USER_HOME"):
        monkeypatch.delenv(name, raising=False)
    defaults = load_settings()
    assert defaults.butler_repository_index == "/sdf/group/rubin/shared/data-repos.yaml"
    assert defaults.butler_default_username == "rubin"
    assert defaults.htcondor_remote_user_home == "/sdf/home/l/lsstsvc1"
    assert defaults.allow_secret_environment
    monkeypatch.setenv("BUTLER__REPOSITORY_INDEX", "/x/index.yaml")
    monkeypatch.setenv("BUTLER__DEFAULT_USERNAME", "someone")
    monkeypatch.setenv("HTCONDOR__REMOTE_USER_HOME", "/home/someone")
    monkeypatch.setenv("CM_BUTLER_GATEWAY_BATCH_REPOSITORIES", '{"main": "s3://b/butler.yaml"}')
    monkeypatch.setenv("CM_BUTLER_GATEWAY_ALLOW_SECRET_ENVIRONMENT", "false")
    settings = load_settings()
    assert settings.butler_repository_index == "/x/index.yaml"
    assert settings.butler_default_username == "someone"
    assert settings.htcondor_remote_user_home == "/home/someone"
    assert settings.batch_repositories == {"main": "s3://b/butler.yaml"}
    assert not settings.allow_secret_environment


@pytest.mark.postgres
async def test_cli_renders_what_the_rpc_renders(pg_repo: RepoUnderTest, sqlite_repo: RepoUnderTest) -> None:
    repositories = {pg_repo.label: pg_repo.config_uri, "lite": sqlite_repo.config_uri}
    settings = settings_for(repositories, db_auth_credentials=pg_repo.credentials_json, **_batch_settings())
    async with running_gateway(settings) as (_, stub):
        response = await stub.RenderSubmissionEnvironment(
            _request(
                pg_repo.label,
                "lite",
                credential_mode=PGPASS,
                repository_index_mode=INLINE,
                submission_id="c1",
            )
        )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "DAF_BUTLER_REPOSITORIES": json.dumps(repositories),
        "LSST_DB_AUTH_CREDENTIALS": pg_repo.credentials_json,
        "BUTLER__REPOSITORY_INDEX": INDEX,
        "BUTLER__DEFAULT_USERNAME": USER,
        "HTCONDOR__REMOTE_USER_HOME": HOME,
    }
    command = [sys.executable, "-m", "lsst.cmservice.butler.gateway", "render-env", pg_repo.label, "lite"]
    options = ["--mode", "pgpass", "--index", "inline", "--submission-id", "c1"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *options, *extra], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    as_json = run()
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == json_format.MessageToDict(response, preserving_proto_field_name=True)
    assert _fingerprint(pg_repo) not in as_json.stderr  # the audit line has names only
    assert "submission environment rendered" in as_json.stderr
    as_bash = run("--format", "bash")
    assert as_bash.stdout == response.bash_exports
    as_condor = run("--format", "htcondor")
    assert as_condor.stdout == f"environment = {response.htcondor_environment}\n"
    unknown = subprocess.run(
        [*command[:-2], "nope"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert unknown.returncode == 1
    assert "unknown repository label 'nope'" in unknown.stderr
