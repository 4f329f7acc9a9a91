"""Decorators every RPC handler wears: request id, access log, and the error table."""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, Protocol, TypeVar

import grpc

from ..logs import REQUEST_ID
from .status import abort_with, build_status

__all__ = ["GatewayContext", "RpcBase", "caller_of", "stream_rpc", "unary_rpc"]

_LOG = logging.getLogger("lsst.cmservice.butler.gateway.rpc")

Req = TypeVar("Req")
Resp = TypeVar("Resp")

GatewayContext = grpc.aio.ServicerContext[Any, Any]


class RpcBase(Protocol):
    """What the decorators need from the servicer."""

    def redact(self, text: str) -> str: ...


def _request_id(context: GatewayContext) -> str:
    # A caller-supplied id ties the gateway's log to CM Service's; otherwise make one.
    for key, value in context.invocation_metadata() or ():
        if key == "x-request-id" and isinstance(value, str) and 0 < len(value) <= 128:
            return value
    return uuid.uuid4().hex[:16]


def caller_of(context: GatewayContext) -> str:
    """Who made the call, from the optional ``x-caller`` metadata (empty when absent)."""
    for key, value in context.invocation_metadata() or ():
        if key == "x-caller" and isinstance(value, str):
            return value[:128]
    return ""


async def _abort(
    self: RpcBase, context: GatewayContext, exc: Exception, method: str, outcome: list[str]
) -> NoReturn:
    code, status = build_status(exc, REQUEST_ID.get(), self.redact)
    outcome[0] = code.name
    if code is grpc.StatusCode.INTERNAL:
        _LOG.error("unexpected error in %s", method, exc_info=exc, extra={"method": method})
    await abort_with(context, status)
    raise AssertionError("abort_with_status returned")  # pragma: no cover - it always raises


def _log_call(method: str, context: GatewayContext, started: float, outcome: str, **extra: object) -> None:
    _LOG.info(
        "rpc",
        extra={
            "method": method,
            "caller": caller_of(context),
            "outcome": outcome,
            "ms": round((time.perf_counter() - started) * 1000, 2),
            **extra,
        },
    )


def unary_rpc(
    handler: Callable[[Any, Req, GatewayContext], Awaitable[Resp]],
) -> Callable[[Any, Req, GatewayContext], Awaitable[Resp]]:
    """Wrap a unary handler: exceptions become rich statuses, every call is logged once."""
    method = handler.__name__

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Req, context: GatewayContext) -> Resp:
        token = REQUEST_ID.set(_request_id(context))
        started = time.perf_counter()
        outcome = ["OK"]
        try:
            return await handler(self, request, context)
        except Exception as exc:
            if isinstance(exc, grpc.aio.AbortError):
                raise
            await _abort(self, context, exc, method, outcome)
        finally:
            _log_call(method, context, started, outcome[0])
            REQUEST_ID.reset(token)

    return wrapper


def stream_rpc(
    handler: Callable[[Any, Req, GatewayContext], AsyncIterator[Resp]],
) -> Callable[[Any, Req, GatewayContext], AsyncIterator[Resp]]:
    """Wrap a server-streaming handler like `unary_rpc`, counting the messages sent."""
    method = handler.__name__

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Req, context: GatewayContext) -> AsyncIterator[Resp]:
        token = REQUEST_ID.set(_request_id(context))
        started = time.perf_counter()
        outcome = ["OK"]
        sent = 0
        try:
            async for message in handler(self, request, context):
                yield message
                sent += 1
        except Exception as exc:
            if isinstance(exc, grpc.aio.AbortError):
                raise
            await _abort(self, context, exc, method, outcome)
        except BaseException:
            outcome[0] = "CANCELLED"
            raise
        finally:
            _log_call(method, context, started, outcome[0], messages=sent)
            REQUEST_ID.reset(token)

    return wrapper
