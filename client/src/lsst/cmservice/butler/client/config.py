"""Client configuration: where the gateway is, the token, default timeout and retry policy."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .retry import RetryPolicy

__all__ = ["DEFAULT_ADDRESS", "ENV_PREFIX", "ClientConfig"]

DEFAULT_ADDRESS = "127.0.0.1:50051"
"""Where ``make run`` and the sidecar's default settings listen."""

ENV_PREFIX = "CM_BUTLER_GATEWAY_CLIENT_"
"""Prefix of the environment variables read by `ClientConfig.from_env`."""


@dataclass(frozen=True)
class ClientConfig:
    """How to reach and call the gateway.

    Parameters
    ----------
    address
        A gRPC target: ``host:port`` for TCP, or ``unix:/path/to/socket`` (absolute path).
    token
        Shared secret sent as ``authorization: Bearer <token>``; None sends none. Never shown in
        ``repr``.
    timeout
        Default deadline of one call in seconds, retries included; None waits for ever. Each method's
        ``timeout`` argument overrides it.
    retry
        Which waits between attempts; see `RetryPolicy` (what is retried depends on the RPC).
    caller
        Sent as ``x-caller`` metadata; the gateway writes it into its access log.
    send_request_ids
        Send a fresh ``x-request-id`` with every call (the same one on its retries), so the gateway's
        log lines can be found from the caller's. A ``x-request-id`` in a call's ``metadata`` wins.
    max_message_bytes
        Largest message sent or received; keep it equal to the gateway's own limit.
    """

    address: str = DEFAULT_ADDRESS
    token: str | None = field(default=None, repr=False)
    timeout: float | None = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    caller: str = "cm-butler-gateway-client"
    send_request_ids: bool = False
    max_message_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.address:
            raise ValueError("address must be host:port or unix:/path")
        if self.address.startswith("unix:") and not self.address.startswith(("unix:/", "unix://")):
            raise ValueError(f"a Unix socket address needs an absolute path: {self.address!r}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("timeout must be positive (or None for no deadline)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> ClientConfig:
        """Read the ``CM_BUTLER_GATEWAY_CLIENT_*`` variables; unset ones keep their defaults.

        ======================================  ============================================
        variable                                field
        ======================================  ============================================
        ``..._ADDRESS``                         ``address`` (``host:port`` or ``unix:/path``)
        ``..._TOKEN``                           ``token``
        ``..._TIMEOUT_SECONDS``                 ``timeout`` (``none`` for no deadline)
        ``..._CALLER``                          ``caller``
        ``..._SEND_REQUEST_IDS``                ``send_request_ids`` (true/false)
        ``..._RETRY_MAX_ATTEMPTS``              ``retry.max_attempts``
        ``..._RETRY_INITIAL_BACKOFF_SECONDS``   ``retry.initial_backoff``
        ``..._RETRY_MAX_BACKOFF_SECONDS``       ``retry.max_backoff``
        ======================================  ============================================

        Keyword ``overrides`` win over the environment. A malformed value raises `ValueError`
        naming the variable (never echoing the token).
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value.strip() if value is not None and value.strip() else None

        def number(name: str, convert: type[float] | type[int]) -> float | int | None:
            raw = get(name)
            if raw is None:
                return None
            try:
                return convert(raw)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from None

        values: dict[str, object] = {}
        if (address := get("ADDRESS")) is not None:
            values["address"] = address
        if (token := get("TOKEN")) is not None:
            values["token"] = token
        if (caller := get("CALLER")) is not None:
            values["caller"] = caller
        raw_timeout = get("TIMEOUT_SECONDS")
        if raw_timeout is not None:
            values["timeout"] = None if raw_timeout.lower() == "none" else number("TIMEOUT_SECONDS", float)
        if (flag := get("SEND_REQUEST_IDS")) is not None:
            if flag.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"{ENV_PREFIX}SEND_REQUEST_IDS must be true or false, got {flag!r}")
            values["send_request_ids"] = flag.lower() in ("true", "1", "yes")
        retry: dict[str, float | int] = {}
        for name, key, convert in (
            ("RETRY_MAX_ATTEMPTS", "max_attempts", int),
            ("RETRY_INITIAL_BACKOFF_SECONDS", "initial_backoff", float),
            ("RETRY_MAX_BACKOFF_SECONDS", "max_backoff", float),
        ):
            value = number(name, convert)
            if value is not None:
                retry[key] = value
        if retry:
            values["retry"] = RetryPolicy(**retry)  # type: ignore[arg-type]
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def channel_options(self) -> list[tuple[str, int]]:
        """gRPC channel options: message limits, and quick reconnects to a local sidecar."""
        return [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            # The gateway is on localhost: after a restart, reconnect within a second, not 20 s.
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ]

    def base_metadata(self) -> list[tuple[str, str]]:
        """Metadata sent with every call."""
        metadata = [("x-caller", self.caller)] if self.caller else []
        if self.token:
            metadata.append(("authorization", f"Bearer {self.token}"))
        return metadata
