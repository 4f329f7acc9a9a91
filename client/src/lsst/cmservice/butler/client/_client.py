"""The call machinery both clients share: the default timeout, one callable per RPC, retry waits."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import grpc

from ._rpcs import StreamRpc, UnaryRpc
from .config import ClientConfig
from .errors import GatewayError
from .retry import CallKind, Deadline, should_retry

_UNSET: Any = object()
"""The default of the clients' ``timeout`` arguments: ``config.timeout``."""


class ClientBase:
    """The base of `AsyncGatewayClient` and `GatewayClient`: what does not depend on sync or async."""

    _log: ClassVar[logging.Logger]
    """Where retries are logged (the client module's logger)."""
    config: ClientConfig
    _channel: grpc.Channel | grpc.aio.Channel
    _callables: dict[str, Any]

    def _timeout(self, timeout: float | None) -> float | None:
        return self.config.timeout if timeout is _UNSET else timeout

    def _callable(self, rpc: UnaryRpc[Any, Any, Any] | StreamRpc[Any, Any, Any]) -> Any:
        found = self._callables.get(rpc.path)
        if found is None:
            factory = self._channel.unary_unary if isinstance(rpc, UnaryRpc) else self._channel.unary_stream
            found = factory(
                rpc.path,
                request_serializer=rpc.request_type.SerializeToString,
                response_deserializer=rpc.response_type.FromString,
            )
            self._callables[rpc.path] = found
        return found

    def _retry_wait(
        self,
        rpc: UnaryRpc[Any, Any, Any] | StreamRpc[Any, Any, Any],
        error: GatewayError,
        attempt: int,
        deadline: Deadline,
        kind: CallKind | None = None,
    ) -> float | None:
        policy = self.config.retry
        if attempt >= policy.max_attempts or not should_retry(error, kind or rpc.kind):
            return None
        wait = policy.backoff(attempt)
        if not deadline.allows(wait):
            return None
        self._log.debug(
            "retrying %s after %s in %.3f s (attempt %d)", rpc.name, error.code.name, wait, attempt
        )
        return wait
