"""The submission environment of a batch job: repository index, credentials, and rendered forms."""

from __future__ import annotations

import enum
import json
import logging
import posixpath
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lsst.utils.db_auth import DbAuth, DbAuthNotFoundError
from sqlalchemy.engine import make_url

from ..config import GatewaySettings
from ..errors import (
    CredentialNotFoundError,
    InvalidArgumentError,
    RepositoryNotFoundError,
    RepositoryUnavailableError,
    SecretEnvironmentDisabledError,
)
from .pgpass import PgpassLine, render_pgpass
from .quoting import (
    UnrepresentableValueError,
    render_bash_exports,
    render_bps_environment,
    render_htcondor_environment,
)

__all__ = [
    "CredentialMode",
    "EnvironmentRequest",
    "EnvironmentSettings",
    "IndexMode",
    "RegistryTarget",
    "RenderedEnvironment",
    "SubmissionFile",
    "Variable",
    "match_credential",
    "read_registry",
    "render_submission_environment",
]

_LOG = logging.getLogger(__name__)

_SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
# CM Service's fixed location of the seed mode's password file, relative to the remote home.
SEED_PGPASS_SUFFIX = "/.lsst/postgres-credentials.txt"
PGPASS_FILE_MODE = 0o600


class CredentialMode(enum.Enum):
    """How the job gets its registry credentials (see environment.proto)."""

    SEED = "seed"
    PGPASS = "pgpass"
    DB_AUTH_ENV = "db-auth"

    @property
    def returns_secrets(self) -> bool:
        """True for the modes whose output carries passwords."""
        return self is not CredentialMode.SEED


class IndexMode(enum.Enum):
    """How the job finds its repositories by label."""

    INDEX_FILE = "index-file"
    INLINE = "inline"


@dataclass(frozen=True)
class EnvironmentSettings:
    """The settings that shape a submission environment."""

    repository_index: str
    default_username: str
    remote_user_home: str
    batch_repositories: Mapping[str, str] = field(default_factory=dict)
    allow_secrets: bool = True

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> EnvironmentSettings:
        """Pick the relevant fields of the gateway's settings."""
        return cls(
            repository_index=settings.butler_repository_index,
            default_username=settings.butler_default_username,
            remote_user_home=settings.htcondor_remote_user_home,
            batch_repositories=dict(settings.batch_repositories),
            allow_secrets=settings.allow_secret_environment,
        )


@dataclass(frozen=True)
class EnvironmentRequest:
    """What the submitter asks for."""

    labels: tuple[str, ...]
    credential_mode: CredentialMode = CredentialMode.SEED
    index_mode: IndexMode = IndexMode.INDEX_FILE
    submission_id: str = ""


@dataclass(frozen=True)
class RegistryTarget:
    """Where a repository's registry is, as DbAuth sees it (no password)."""

    dialect: str
    host: str | None
    port: int | None
    database: str | None
    username: str | None

    @property
    def needs_credential(self) -> bool:
        """False for SQLite (and for URLs daf_butler leaves to third-party authentication)."""
        backend = self.dialect.split("+")[0]
        return backend != "sqlite" and bool(self.host) and bool(self.database)


@dataclass(frozen=True)
class Variable:
    """One environment variable of the job."""

    name: str
    value: str = field(repr=False)
    secret: bool = False


@dataclass(frozen=True)
class SubmissionFile:
    """A file the submitter writes on the batch side before the job starts."""

    path: str
    content: str = field(repr=False)
    mode: int = PGPASS_FILE_MODE
    secret: bool = True


@dataclass(frozen=True)
class RenderedEnvironment:
    """The full answer: variables, files, and the same variables rendered three ways."""

    variables: tuple[Variable, ...]
    files: tuple[SubmissionFile, ...]
    submission_id: str
    cleanup_path: str
    htcondor_environment: str = field(repr=False)
    bash_exports: str = field(repr=False)
    bps_environment_yaml: str = field(repr=False)

    @property
    def contains_secrets(self) -> bool:
        """True when any variable or file is secret."""
        return any(v.secret for v in self.variables) or any(f.secret for f in self.files)


@dataclass(frozen=True)
class _Match:
    index: int
    entry: Mapping[str, Any]
    username: str | None
    password: str = field(repr=False)


def read_registry(config_uri: str) -> RegistryTarget:
    """Read a repository's registry location from its Butler config (I/O: call in a worker thread).

    Mirrors ``ConnectionStringFactory.fromConfig``: the ``db`` URL, with missing parts taken from
    the ``username``/``host``/``port``/``database`` keys, but without asking DbAuth.
    """
    from lsst.daf.butler import ButlerConfig
    from lsst.daf.butler.registry import RegistryConfig

    registry = RegistryConfig(ButlerConfig(config_uri))
    url = make_url(registry["db"])
    for key in ("username", "host", "port", "database"):
        if getattr(url, key) is None and registry.get(key) is not None:
            url = url.set(**{key: registry.get(key)})
    return RegistryTarget(url.drivername, url.host, url.port, url.database, url.username)


def match_credential(entries: Sequence[Mapping[str, Any]], target: RegistryTarget) -> _Match | None:
    """The first entry that ``DbAuth(authList=entries).getAuth`` would use for this registry.

    Each entry is tried alone, in order, with DbAuth's own matcher, so the rules (dialect, host
    and database globs, port, username) are exactly the service's; the first match is DbAuth's.
    """
    for index, entry in enumerate(entries):
        try:
            username, password = DbAuth(authList=[dict(entry)]).getAuth(
                target.dialect, target.username, target.host, target.port, target.database
            )
        except DbAuthNotFoundError:
            continue
        return _Match(index, entry, username, password)
    return None


def _check_request(request: EnvironmentRequest, settings: EnvironmentSettings) -> str:
    if not request.labels or any(not label for label in request.labels):
        raise InvalidArgumentError(
            "at least one non-empty repository label is required", reason="MISSING_LABEL"
        )
    duplicates = sorted({label for label in request.labels if request.labels.count(label) > 1})
    if duplicates:
        raise InvalidArgumentError(
            f"repository labels repeated: {', '.join(duplicates)}", reason="DUPLICATE_LABEL"
        )
    if request.credential_mode.returns_secrets and not settings.allow_secrets:
        raise SecretEnvironmentDisabledError(
            f"credential mode {request.credential_mode.value!r} returns secrets and is disabled on this "
            "gateway (CM_BUTLER_GATEWAY_ALLOW_SECRET_ENVIRONMENT=false); use the seed mode"
        )
    submission_id = request.submission_id or uuid.uuid4().hex
    if not _SUBMISSION_ID.fullmatch(submission_id):
        raise InvalidArgumentError(
            "submission_id must be 1-128 characters from [A-Za-z0-9._-], not starting with '.'",
            reason="INVALID_SUBMISSION_ID",
        )
    return submission_id


def render_submission_environment(
    request: EnvironmentRequest,
    settings: EnvironmentSettings,
    config_uris: Mapping[str, str],
    credentials: Sequence[Mapping[str, Any]],
) -> RenderedEnvironment:
    """Render the environment of a job using ``request.labels`` (reads Butler configs: worker thread).

    Parameters
    ----------
    request
        Labels, modes and submission id.
    settings
        Where index, user and home come from; whether secret modes are allowed.
    config_uris
        Every configured label -> the gateway's Butler config URI for it.
    credentials
        The gateway's DbAuth entries (secret: never log them).

    Raises
    ------
    InvalidArgumentError
        Bad labels or submission id, or a value a rendered form cannot carry.
    RepositoryNotFoundError
        A label is not configured.
    SecretEnvironmentDisabledError
        A secret-returning mode while such modes are disabled.
    CredentialNotFoundError
        A PostgreSQL repository without a matching credential (modes pgpass and db-auth).
    RepositoryUnavailableError
        A Butler config cannot be read.
    """
    submission_id = _check_request(request, settings)
    for label in request.labels:
        if label not in config_uris:
            raise RepositoryNotFoundError(label, sorted(config_uris))
    variables = [_index_variable(request, settings, config_uris)]
    files: list[SubmissionFile] = []
    cleanup_path = ""
    if request.credential_mode is CredentialMode.SEED:
        variables.append(Variable("PGUSER", settings.default_username))
        variables.append(Variable("PGPASSFILE", settings.remote_user_home.rstrip("/") + SEED_PGPASS_SUFFIX))
    else:
        matches = _match_all(request.labels, config_uris, credentials)
        if matches and request.credential_mode is CredentialMode.DB_AUTH_ENV:
            variables.append(Variable("LSST_DB_AUTH_CREDENTIALS", _db_auth_json(matches), secret=True))
        elif matches:
            cleanup_path = posixpath.join(
                settings.remote_user_home, ".lsst", "cm-butler-gateway", submission_id
            )
            path = posixpath.join(cleanup_path, "pgpass")
            files.append(SubmissionFile(path, _pgpass_content(matches)))
            # "[]" stops DbAuth at once, so no DbAuth file on the batch side can override or abort.
            variables.append(Variable("LSST_DB_AUTH_CREDENTIALS", "[]"))
            variables.append(Variable("PGPASSFILE", path))
            user = _single_user(matches)
            if user:
                variables.append(Variable("PGUSER", user))
    mapping = {v.name: v.value for v in variables}
    try:
        forms = (
            render_htcondor_environment(mapping),
            render_bash_exports(mapping),
            render_bps_environment(mapping),
        )
    except UnrepresentableValueError as exc:
        raise InvalidArgumentError(str(exc), reason="UNREPRESENTABLE_VALUE", variable=exc.name) from None
    return RenderedEnvironment(tuple(variables), tuple(files), submission_id, cleanup_path, *forms)


def _index_variable(
    request: EnvironmentRequest, settings: EnvironmentSettings, config_uris: Mapping[str, str]
) -> Variable:
    if request.index_mode is IndexMode.INDEX_FILE:
        return Variable("DAF_BUTLER_REPOSITORY_INDEX", settings.repository_index)
    inline = {label: settings.batch_repositories.get(label, config_uris[label]) for label in request.labels}
    return Variable("DAF_BUTLER_REPOSITORIES", json.dumps(inline, separators=(",", ":")))


def _match_all(
    labels: Sequence[str], config_uris: Mapping[str, str], credentials: Sequence[Mapping[str, Any]]
) -> list[tuple[str, RegistryTarget, _Match]]:
    """Each requested PostgreSQL-like registry with its credential (SQLite ones need none)."""
    matched = []
    for label in labels:
        try:
            target = read_registry(config_uris[label])
        except Exception as exc:
            _LOG.warning(
                "reading a Butler config failed", extra={"label": label, "error": type(exc).__name__}
            )
            raise RepositoryUnavailableError(
                f"the Butler configuration of repository {label!r} cannot be read ({type(exc).__name__})",
                label=label,
            ) from None
        if not target.needs_credential:
            continue
        match = match_credential(credentials, target)
        if match is None:
            raise CredentialNotFoundError(
                f"repository {label!r}: no entry of LSST_DB_AUTH_CREDENTIALS matches its registry "
                f"({target.dialect}://{target.host}:{target.port or ''}/{target.database}); add one",
                label=label,
            )
        matched.append((label, target, match))
    return matched


def _db_auth_json(matches: Sequence[tuple[str, RegistryTarget, _Match]]) -> str:
    # The gateway's order is kept, so the job's DbAuth picks the same first match as the gateway's.
    chosen = {match.index: match.entry for _, _, match in matches}
    entries = [
        {key: chosen[i][key] for key in ("url", "username", "password") if key in chosen[i]}
        for i in sorted(chosen)
    ]
    return json.dumps(entries, separators=(",", ":"))


def _pgpass_content(matches: Sequence[tuple[str, RegistryTarget, _Match]]) -> str:
    lines = []
    for label, target, match in matches:
        line = PgpassLine(
            host=target.host or "*",
            port=str(target.port) if target.port else "*",
            database=target.database or "*",
            username=match.username or "*",
            password=match.password,
        )
        lines.append((label, line))
    try:
        return render_pgpass(line for _, line in lines)
    except ValueError:
        labels = ", ".join(repr(label) for label, _ in lines)
        raise CredentialNotFoundError(
            f"a credential of repositories {labels} contains a line break and cannot be written to a "
            "password file; use the db-auth mode",
            reason="CREDENTIAL_UNUSABLE",
        ) from None


def _single_user(matches: Sequence[tuple[str, RegistryTarget, _Match]]) -> str | None:
    """PGUSER for registries whose URL names no user; an ambiguity there cannot be rendered."""
    needed = {(label, match.username) for label, target, match in matches if not target.username}
    users = {user for _, user in needed if user}
    if len(users) > 1:
        labels = ", ".join(sorted(repr(label) for label, _ in needed))
        raise CredentialNotFoundError(
            f"repositories {labels} need different PostgreSQL users and their registry URLs name none; "
            "render their environments in separate submissions",
            reason="CREDENTIAL_CONFLICT",
        )
    if users:
        return users.pop()
    all_users = {match.username for _, _, match in matches if match.username}
    return all_users.pop() if len(all_users) == 1 else None
