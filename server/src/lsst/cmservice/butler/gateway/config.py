"""The gateway's settings: one object, read from the environment once, passed down."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConfigurationError", "GatewaySettings", "default_data_dir", "load_settings"]

ENV_PREFIX = "CM_BUTLER_GATEWAY_"


class ConfigurationError(Exception):
    """The environment does not describe a gateway that can start; the message names the setting."""


def default_data_dir() -> Path:
    """Where the embedded demo repository lives unless configured otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cm-butler-gateway"


def _parse_db_auth_credentials(raw: str) -> list[dict[str, Any]]:
    """Check the DbAuth JSON shape without ever putting the value into a message."""
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(entries, list):
        raise ValueError("must be a JSON list of {url, password[, username]} objects")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ValueError(f"entry {index} must be an object with a string 'url'")
        if not isinstance(entry.get("password"), str):
            raise ValueError(f"entry {index} ({entry['url']!s:.200}) has no string 'password'")
        if "username" in entry and not isinstance(entry["username"], str):
            raise ValueError(f"entry {index} ({entry['url']!s:.200}) has a non-string 'username'")
    return entries


class GatewaySettings(BaseSettings):
    """Settings of the gateway. Field names map to ``CM_BUTLER_GATEWAY_<NAME>`` unless an alias says
    otherwise (the Butler's own variables keep their standard names).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    repositories_json: str | None = Field(
        default=None, validation_alias=AliasChoices("DAF_BUTLER_REPOSITORIES", "repositories_json")
    )
    """Inline JSON mapping of repository label to Butler config URI (``DAF_BUTLER_REPOSITORIES``),
    resolved through ``lsst.daf.butler.ButlerRepoIndex``."""

    repository_index: str | None = Field(
        default=None, validation_alias=AliasChoices("DAF_BUTLER_REPOSITORY_INDEX", "repository_index")
    )
    """URI of a repository index file (``DAF_BUTLER_REPOSITORY_INDEX``). Setting it together with
    ``DAF_BUTLER_REPOSITORIES`` is refused, as daf_butler itself refuses it."""

    db_auth_credentials: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LSST_DB_AUTH_CREDENTIALS", "db_auth_credentials"),
    )
    """Registry credentials (``LSST_DB_AUTH_CREDENTIALS``): a JSON list of DbAuth entries
    ``{url, password[, username]}``. The only credential source: DbAuth files are never read."""

    demo: bool = False
    """Serve the embedded demo repository (label ``demo``). Implied when no repository is
    configured."""

    data_dir: Path = Field(default_factory=default_data_dir)
    """Directory holding the embedded demo repository."""

    listen_address: str = "127.0.0.1:50051"
    """TCP ``host:port`` to listen on; empty to listen on the Unix socket only."""

    unix_socket: Path | None = None
    """Path of a Unix socket to listen on, in addition to (or instead of) TCP."""

    unix_socket_mode: int = 0o600
    """Permission bits of the Unix socket (owner-only by default). Accepts octal as ``0o660``."""

    worker_threads: int = Field(default=8, ge=1, le=32)
    """Threads that run blocking Butler work. Kept below daf_butler's PostgreSQL pool size (40)."""

    max_concurrent_calls: int = Field(default=64, ge=1)
    """Butler calls admitted at once (running or queued for a worker thread); beyond this a call
    gets RESOURCE_EXHAUSTED at once. Health checks are never counted."""

    max_message_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Largest gRPC message accepted or sent."""

    auth_token: SecretStr | None = None
    """Shared secret; when set, every RPC except health must send ``authorization: Bearer <token>``."""

    reflection: bool = True
    """Serve gRPC server reflection (for grpcurl and buf curl)."""

    read_only_repositories: list[str] = Field(default_factory=list)
    """Labels served read-only: no writeable Butler is built and mutations get FAILED_PRECONDITION.
    JSON list, e.g. ``["/repo/main"]``."""

    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    """How long calls in flight may run after SIGTERM before they are cancelled."""

    retry_initial_seconds: float = Field(default=1.0, gt=0)
    """First delay before a failed repository build is retried; doubles up to the maximum."""

    retry_max_seconds: float = Field(default=60.0, gt=0)
    """Longest delay between build attempts of a failed repository."""

    butler_repository_index: str = Field(
        default="/sdf/group/rubin/shared/data-repos.yaml",
        validation_alias=AliasChoices("BUTLER__REPOSITORY_INDEX", "butler_repository_index"),
    )
    """Repository index file as seen from the batch side (CM Service's ``butler.repository_index``),
    rendered as ``DAF_BUTLER_REPOSITORY_INDEX`` into submission environments."""

    butler_default_username: str = Field(
        default="rubin",
        validation_alias=AliasChoices("BUTLER__DEFAULT_USERNAME", "butler_default_username"),
    )
    """``PGUSER`` of the seed credential mode (CM Service's ``butler.default_username``)."""

    htcondor_remote_user_home: str = Field(
        default="/sdf/home/l/lsstsvc1",
        validation_alias=AliasChoices("HTCONDOR__REMOTE_USER_HOME", "htcondor_remote_user_home"),
    )
    """Home directory of the batch user (CM Service's ``htcondor.remote_user_home``): credential files
    of submission environments go under it."""

    batch_repositories: dict[str, str] = Field(default_factory=dict)
    """Label -> Butler config URI as seen from the batch side, for ``DAF_BUTLER_REPOSITORIES`` in
    submission environments; a label not listed uses the gateway's own config URI."""

    allow_secret_environment: bool = True
    """Allow submission-environment modes that return secrets (rendered pgpass, DbAuth JSON); when
    false they get FAILED_PRECONDITION and only the seed mode works."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Logging level of the gateway's own loggers."""

    log_format: Literal["json", "text"] = "json"
    """Log lines as JSON objects (production) or plain text (development)."""

    @field_validator("db_auth_credentials")
    @classmethod
    def _check_db_auth(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            _parse_db_auth_credentials(value.get_secret_value())
        return value

    @field_validator("repositories_json")
    @classmethod
    def _check_repositories(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            mapping = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
        if not isinstance(mapping, dict) or not mapping:
            raise ValueError(
                'must be a non-empty JSON object of label -> Butler config URI, e.g. {"main": ...}'
            )
        for label, uri in mapping.items():
            if not label or not isinstance(uri, str) or not uri:
                raise ValueError(f"label {label!r} must map to a non-empty config URI string")
        return value

    @field_validator("repository_index")
    @classmethod
    def _blank_index_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("unix_socket_mode", mode="before")
    @classmethod
    def _octal_mode(cls, value: Any) -> Any:
        if isinstance(value, str):
            return int(value, 8)
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> GatewaySettings:
        if self.repositories_json and self.repository_index:
            raise ValueError(
                "DAF_BUTLER_REPOSITORIES and DAF_BUTLER_REPOSITORY_INDEX are both set; set only one "
                "(daf_butler refuses the combination too)"
            )
        if not self.listen_address and self.unix_socket is None:
            raise ValueError(
                f"nothing to listen on: set {ENV_PREFIX}LISTEN_ADDRESS or {ENV_PREFIX}UNIX_SOCKET"
            )
        if self.retry_max_seconds < self.retry_initial_seconds:
            raise ValueError("retry_max_seconds must not be smaller than retry_initial_seconds")
        return self

    @property
    def serves_demo(self) -> bool:
        """True when the embedded demo repository is served (asked for, or nothing configured)."""
        return self.demo or not (self.repositories_json or self.repository_index)

    def db_auth_entries(self) -> list[dict[str, Any]]:
        """The parsed DbAuth entries (secret values inside: never log them)."""
        if self.db_auth_credentials is None or not self.db_auth_credentials.get_secret_value().strip():
            return []
        return _parse_db_auth_credentials(self.db_auth_credentials.get_secret_value())

    def secret_values(self) -> list[str]:
        """Every secret string the settings hold, for redaction of log lines and messages."""
        secrets = [str(entry["password"]) for entry in self.db_auth_entries() if entry.get("password")]
        if self.auth_token is not None and self.auth_token.get_secret_value():
            secrets.append(self.auth_token.get_secret_value())
        return secrets

    def describe(self) -> dict[str, Any]:
        """The settings with secrets masked, for the start-up log line."""
        described: dict[str, Any] = {}
        for name, value in self.model_dump(mode="json").items():
            if name == "db_auth_credentials":
                entries = self.db_auth_entries()
                value = [f"{entry['url']} (password: ***)" for entry in entries] if entries else None
            elif name == "unix_socket_mode":
                value = oct(self.unix_socket_mode)
            elif name == "auth_token":
                value = "***" if self.auth_token is not None else None
            described[name] = value
        return described


def load_settings(**overrides: Any) -> GatewaySettings:
    """Read settings from the environment (plus explicit overrides, for the CLI and tests).

    Raises
    ------
    ConfigurationError
        With a message naming each bad setting and never echoing its value.
    """
    try:
        return GatewaySettings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            location = ".".join(str(part) for part in error["loc"]) or "settings"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{_setting_name(location)}: {message}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None


def _setting_name(field: str) -> str:
    """Name a field as its environment variable, which is what an operator sets."""
    aliases = {
        "repositories_json": "DAF_BUTLER_REPOSITORIES",
        "DAF_BUTLER_REPOSITORIES": "DAF_BUTLER_REPOSITORIES",
        "repository_index": "DAF_BUTLER_REPOSITORY_INDEX",
        "DAF_BUTLER_REPOSITORY_INDEX": "DAF_BUTLER_REPOSITORY_INDEX",
        "db_auth_credentials": "LSST_DB_AUTH_CREDENTIALS",
        "LSST_DB_AUTH_CREDENTIALS": "LSST_DB_AUTH_CREDENTIALS",
        "butler_repository_index": "BUTLER__REPOSITORY_INDEX",
        "butler_default_username": "BUTLER__DEFAULT_USERNAME",
        "htcondor_remote_user_home": "HTCONDOR__REMOTE_USER_HOME",
    }
    if field in aliases:
        return aliases[field]
    if field == "settings":
        return field
    return ENV_PREFIX + field.upper()
