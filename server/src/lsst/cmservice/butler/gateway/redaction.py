"""Removal of secrets from any text that may reach a caller or a log line."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Redactor"]

# scheme://user:password@host -> scheme://user:***@host, whatever the secret is.
_URL_PASSWORD = re.compile(r"(?P<prefix>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^@\s]*@")
# libpq and SQLAlchemy key=value forms.
_KEYWORD_PASSWORD = re.compile(r"(?i)(?P<prefix>password\s*[=:]\s*)('[^']*'|\"[^\"]*\"|\S+)")


class Redactor:
    """Replaces known secret values, URL passwords and ``password=`` pairs by ``***``.

    Parameters
    ----------
    secrets
        Secret strings the gateway holds (registry passwords, the bearer token).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so that a secret containing another is removed whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _URL_PASSWORD.sub(r"\g<prefix>***@", text)
        return _KEYWORD_PASSWORD.sub(r"\g<prefix>***", text)
