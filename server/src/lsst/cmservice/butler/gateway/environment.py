"""The gateway owns its process environment: credentials come only from LSST_DB_AUTH_CREDENTIALS."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from lsst.daf.butler import ButlerRepoIndex

from .config import ConfigurationError, GatewaySettings

__all__ = ["apply_process_environment", "resolve_repository_index", "restore_process_environment"]

# A path that cannot exist, for the fallbacks that must never be consulted.
_NOWHERE = "/nonexistent/cm-butler-gateway/disabled"

# Every variable apply_process_environment may set or remove.
_MANAGED = (
    "LSST_DB_AUTH_CREDENTIALS",
    "LSST_DB_AUTH",
    "PGPASSFILE",
    "PGPASSWORD",
    ButlerRepoIndex.repositories_env_var,
    ButlerRepoIndex.index_env_var,
)


def apply_process_environment(settings: GatewaySettings) -> dict[str, str | None]:
    """Make the settings the only source of repositories and registry credentials.

    daf_butler builds every registry connection through ``lsst.utils.db_auth.DbAuth()``, which
    reads ``LSST_DB_AUTH_CREDENTIALS`` when it is non-empty and otherwise a YAML file
    (``$LSST_DB_AUTH`` or ``~/.lsst/db-auth.yaml``). Always setting the variable (``[]`` when no
    credentials are configured) means the file branch is never reached; pointing ``LSST_DB_AUTH``
    and ``PGPASSFILE`` nowhere and dropping ``PGPASSWORD`` removes libpq's own fallbacks, so a
    repository without a configured credential fails clearly instead of borrowing one.

    Returns the previous values, for `restore_process_environment` (an in-process gateway that
    stops leaves the environment as it found it).
    """
    previous = {name: os.environ.get(name) for name in _MANAGED}
    credentials = settings.db_auth_entries()
    os.environ["LSST_DB_AUTH_CREDENTIALS"] = json.dumps(credentials)
    os.environ["LSST_DB_AUTH"] = _NOWHERE
    os.environ["PGPASSFILE"] = _NOWHERE
    os.environ.pop("PGPASSWORD", None)
    # ButlerRepoIndex reads the environment; keep it equal to the settings.
    for variable, value in (
        (ButlerRepoIndex.repositories_env_var, settings.repositories_json),
        (ButlerRepoIndex.index_env_var, settings.repository_index),
    ):
        if value:
            os.environ[variable] = value
        else:
            os.environ.pop(variable, None)
    return previous


def restore_process_environment(previous: dict[str, str | None]) -> None:
    """Put back what `apply_process_environment` changed."""
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def resolve_repository_index(
    settings: GatewaySettings, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map every configured label to its Butler config URI through ``ButlerRepoIndex``.

    Parameters
    ----------
    settings
        The settings, already applied to the process environment.
    extra
        Labels served besides the index (the embedded demo).

    Raises
    ------
    ConfigurationError
        If the index cannot be read or a label is configured twice.
    """
    labels: dict[str, str] = {}
    if settings.repositories_json or settings.repository_index:
        try:
            for label in sorted(ButlerRepoIndex.get_known_repos()):
                labels[label] = str(ButlerRepoIndex.get_repo_uri(label))
        except Exception as exc:
            setting = (
                "DAF_BUTLER_REPOSITORIES" if settings.repositories_json else "DAF_BUTLER_REPOSITORY_INDEX"
            )
            raise ConfigurationError(f"{setting}: the repository index cannot be read: {exc}") from None
    for label, uri in (extra or {}).items():
        if label in labels:
            raise ConfigurationError(f"repository label {label!r} is configured twice")
        labels[label] = uri
    return labels
