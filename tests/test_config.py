"""Settings: read from the environment, refused clearly when wrong, printed with secrets masked."""

from __future__ import annotations

import json

import pytest

from lsst.cmservice.butler.gateway.cli import main
from lsst.cmservice.butler.gateway.config import ConfigurationError, load_settings

SECRET = "s3cr3t-Pa55word"


def test_defaults_serve_demo_on_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DAF_BUTLER_REPOSITORIES", "DAF_BUTLER_REPOSITORY_INDEX", "LSST_DB_AUTH_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.listen_address == "127.0.0.1:50051"
    assert settings.serves_demo
    assert settings.unix_socket_mode == 0o600
    assert settings.reflection


def test_reads_standard_butler_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAF_BUTLER_REPOSITORIES", json.dumps({"main": "/repo/main/butler.yaml"}))
    monkeypatch.setenv(
        "LSST_DB_AUTH_CREDENTIALS", json.dumps([{"url": "postgresql://u@h/db", "password": SECRET}])
    )
    monkeypatch.setenv("CM_BUTLER_GATEWAY_WORKER_THREADS", "3")
    monkeypatch.setenv("CM_BUTLER_GATEWAY_UNIX_SOCKET_MODE", "0660")
    settings = load_settings()
    assert not settings.serves_demo
    assert settings.worker_threads == 3
    assert settings.unix_socket_mode == 0o660
    assert settings.db_auth_entries()[0]["password"] == SECRET
    assert SECRET in settings.secret_values()


def test_both_repository_variables_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAF_BUTLER_REPOSITORIES", json.dumps({"main": "/repo/main/butler.yaml"}))
    monkeypatch.setenv("DAF_BUTLER_REPOSITORY_INDEX", "/repo/index.yaml")
    with pytest.raises(ConfigurationError, match="DAF_BUTLER_REPOSITORIES and DAF_BUTLER_REPOSITORY_INDEX"):
        load_settings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{not json", "DAF_BUTLER_REPOSITORIES: is not valid JSON"),
        ("[1, 2]", "DAF_BUTLER_REPOSITORIES: must be a non-empty JSON object"),
        ('{"main": ""}', "label 'main' must map to a non-empty config URI"),
    ],
)
def test_malformed_repositories_named(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("DAF_BUTLER_REPOSITORIES", value)
    with pytest.raises(ConfigurationError, match=expected):
        load_settings()


@pytest.mark.parametrize(
    "value",
    [
        '[{"url": "postgresql://u@h/db", "password": "' + SECRET + '"',  # truncated JSON
        '{"url": "postgresql://u@h/db", "password": "' + SECRET + '"}',  # not a list
        '[{"url": "postgresql://u@h/db", "pass": "' + SECRET + '"}]',  # no password key
    ],
)
def test_malformed_credentials_never_echo_the_secret(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LSST_DB_AUTH_CREDENTIALS", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert "LSST_DB_AUTH_CREDENTIALS" in message
    assert SECRET not in message


def test_nothing_to_listen_on_refused() -> None:
    with pytest.raises(ConfigurationError, match="nothing to listen on"):
        load_settings(listen_address="")


def test_settings_command_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "LSST_DB_AUTH_CREDENTIALS", json.dumps([{"url": "postgresql://u@h/db", "password": SECRET}])
    )
    monkeypatch.setenv("CM_BUTLER_GATEWAY_AUTH_TOKEN", "tok-" + SECRET)
    assert main(["settings"]) == 0
    printed = capsys.readouterr().out
    assert SECRET not in printed
    described = json.loads(printed)
    assert described["auth_token"] == "***"
    assert described["db_auth_credentials"] == ["postgresql://u@h/db (password: ***)"]


def test_cli_reports_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LSST_DB_AUTH_CREDENTIALS", "[{oops " + SECRET)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "LSST_DB_AUTH_CREDENTIALS: is not valid JSON" in err
    assert SECRET not in err
