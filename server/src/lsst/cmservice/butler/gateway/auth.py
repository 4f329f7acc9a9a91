"""Optional shared-secret bearer token, checked on every RPC except the health service."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from .errors import UnauthenticatedError
from .servicer.status import abort_with, build_status

__all__ = ["TokenInterceptor"]

_LOG = logging.getLogger(__name__)

# Kubernetes probes and load balancers must reach health without the secret.
_EXEMPT_PREFIX = "/grpc.health.v1.Health/"


class TokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without ``authorization: Bearer <token>`` with UNAUTHENTICATED.

    The comparison is constant-time; the refused token is never logged.
    """

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _authorized(self, metadata: tuple[tuple[str, str | bytes], ...]) -> bool:
        for key, value in metadata:
            if key == "authorization":
                presented = value if isinstance(value, bytes) else value.encode()
                return hmac.compare_digest(presented, self._expected)
        return False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(_EXEMPT_PREFIX):
            return handler
        if self._authorized(tuple(handler_call_details.invocation_metadata or ())):
            return handler
        _LOG.warning("refused a call without a valid bearer token", extra={"method": method})
        return _refusal(handler)


def _refusal(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that only aborts."""
    error = UnauthenticatedError(
        "this gateway requires 'authorization: Bearer <token>' metadata with the configured token"
    )
    _, status = build_status(error, "-", str)

    # grpc.aio accepts a coroutine for every handler shape (streams may use context.write).
    async def deny(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await abort_with(context, status)

    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(deny, **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(deny, **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(deny, **kwargs)
    return grpc.stream_stream_rpc_method_handler(deny, **kwargs)
