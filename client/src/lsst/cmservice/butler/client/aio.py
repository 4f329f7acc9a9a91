"""The asynchronous client: an async context manager owning its ``grpc.aio`` channel."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import grpc

from . import _rpcs
from ._rpcs import Metadata, StreamRpc, UnaryRpc, call_metadata
from .config import ClientConfig
from .errors import GatewayError, UnavailableError, error_from_rpc
from .models import Repository, ServingStatus
from .retry import Deadline, should_retry

__all__ = ["AsyncGatewayClient", "AsyncResponseStream"]

_LOG = logging.getLogger(__name__)

Out = TypeVar("Out")
_UNSET: Any = object()
_SERVING_POLL_SECONDS = 0.2


class AsyncGatewayClient:
    """Calls the gateway from asyncio code.

    Use as ``async with AsyncGatewayClient(config) as client: ...``; the channel is closed on exit.
    Every method takes keyword-only ``timeout`` (seconds for the whole call, retries included;
    default ``config.timeout``) and ``metadata`` (extra gRPC metadata), returns plain Python
    objects, and raises a subclass of `GatewayError` on failure.

    Parameters
    ----------
    config
        Address, token, default timeout and retry policy; default `ClientConfig.from_env()`.
    channel
        An existing channel to use instead of opening one (it is then not closed by the client).
    """

    def __init__(
        self, config: ClientConfig | None = None, *, channel: grpc.aio.Channel | None = None
    ) -> None:
        self.config = config if config is not None else ClientConfig.from_env()
        self._owns_channel = channel is None
        self._channel = channel or grpc.aio.insecure_channel(
            self.config.address, options=self.config.channel_options()
        )
        self._callables: dict[str, Any] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the channel (if the client opened it); calls in flight are cancelled."""
        if self._owns_channel:
            await self._channel.close(None)

    # ---- repositories ----------------------------------------------------------------------------

    async def list_repositories(
        self, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> list[Repository]:
        """Every configured repository with its state (a failed one is listed, not raised)."""
        return await self._unary(_rpcs.LIST_REPOSITORIES, {}, timeout, metadata)

    async def get_repository(
        self, label: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> Repository:
        """One repository; `RepositoryNotFoundError` for an unknown label."""
        return await self._unary(_rpcs.GET_REPOSITORY, {"label": label}, timeout, metadata)

    async def refresh_repository(
        self, label: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> Repository:
        """Rebuild a repository's cached Butlers; `RepositoryUnavailableError` if the rebuild fails."""
        return await self._unary(_rpcs.REFRESH_REPOSITORY, {"label": label}, timeout, metadata)

    # ---- health ----------------------------------------------------------------------------------

    async def check_health(
        self, service: str = "", *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> ServingStatus:
        """The gateway's health (``service=""``: the whole server)."""
        return await self._unary(_rpcs.HEALTH_CHECK, {"service": service}, timeout, metadata)

    def watch_health(
        self, service: str = "", *, timeout: float | None = None, metadata: Metadata | None = None
    ) -> AsyncResponseStream[ServingStatus]:
        """Health changes as they happen, as an async iterator (no deadline unless ``timeout``)."""
        return self._stream(_rpcs.HEALTH_WATCH, {"service": service}, timeout, metadata)

    async def wait_until_serving(self, *, timeout: float | None = _UNSET) -> None:
        """Return once the gateway reports SERVING; `DeadlineExceededError` if it does not in time.

        Keeps trying while the gateway is not listening yet (a sidecar still starting).
        """
        deadline = Deadline(self._timeout(timeout))
        while True:
            try:
                async with self.watch_health(timeout=deadline.remaining()) as statuses:
                    async for status in statuses:
                        if status is ServingStatus.SERVING:
                            return
            except UnavailableError:
                if not deadline.allows(_SERVING_POLL_SECONDS):
                    raise
            await asyncio.sleep(_SERVING_POLL_SECONDS)

    # ---- the generic machinery -------------------------------------------------------------------

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

    async def _unary(
        self,
        rpc: UnaryRpc[Any, Any, Out],
        fields: dict[str, Any],
        timeout: float | None,
        metadata: Metadata | None,
    ) -> Out:
        request = rpc.request_type(**fields)
        deadline = Deadline(self._timeout(timeout))
        sent_metadata = call_metadata(self.config, metadata)
        method = self._callable(rpc)
        attempt = 1
        while True:
            try:
                response = await method(request, timeout=deadline.remaining(), metadata=sent_metadata)
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc, attempts=attempt)
                wait = self._retry_wait(rpc, error, attempt, deadline)
                if wait is None:
                    raise error from exc
                await asyncio.sleep(wait)
                attempt += 1
                continue
            return rpc.convert(response)

    def _retry_wait(
        self,
        rpc: UnaryRpc[Any, Any, Any] | StreamRpc[Any, Any, Any],
        error: GatewayError,
        attempt: int,
        deadline: Deadline,
    ) -> float | None:
        policy = self.config.retry
        if attempt >= policy.max_attempts or not should_retry(error, rpc.kind):
            return None
        wait = policy.backoff(attempt)
        if not deadline.allows(wait):
            return None
        _LOG.debug("retrying %s after %s in %.3f s (attempt %d)", rpc.name, error.code.name, wait, attempt)
        return wait

    def _stream(
        self,
        rpc: StreamRpc[Any, Any, Out],
        fields: dict[str, Any],
        timeout: float | None,
        metadata: Metadata | None,
    ) -> AsyncResponseStream[Out]:
        request = rpc.request_type(**fields)
        deadline = Deadline(self._timeout(timeout))
        sent_metadata = call_metadata(self.config, metadata)
        method = self._callable(rpc)

        def start() -> grpc.aio.UnaryStreamCall[Any, Any]:
            call: grpc.aio.UnaryStreamCall[Any, Any] = method(
                request, timeout=deadline.remaining(), metadata=sent_metadata
            )
            return call

        return AsyncResponseStream(
            rpc, start, lambda error, attempt: self._retry_wait(rpc, error, attempt, deadline)
        )


class AsyncResponseStream(Generic[Out]):
    """The results of a server-streaming call, as an async iterator.

    Breaking out of ``async for`` cancels the call as soon as the stream is dropped; use
    ``async with`` (or call `cancel`) to cancel it at a precise point. A failure before the first
    result is retried like a unary read; after results were received, it is raised.
    """

    def __init__(
        self,
        rpc: StreamRpc[Any, Any, Out],
        start: Callable[[], grpc.aio.UnaryStreamCall[Any, Any]],
        retry_wait: Callable[[GatewayError, int], float | None],
    ) -> None:
        self._rpc = rpc
        self._start = start
        self._retry_wait = retry_wait
        self._call: grpc.aio.UnaryStreamCall[Any, Any] | None = None
        self._buffer: collections.deque[Out] = collections.deque()
        self._received = False
        self._finished = False
        self._attempt = 1

    @property
    def call(self) -> grpc.aio.UnaryStreamCall[Any, Any] | None:
        """The underlying gRPC call of the current attempt (None before the first read)."""
        return self._call

    def __aiter__(self) -> AsyncIterator[Out]:
        return self

    async def __anext__(self) -> Out:
        while not self._buffer:
            if self._finished:
                raise StopAsyncIteration
            if self._call is None:
                self._call = self._start()
            try:
                message = await self._call.read()
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc, attempts=self._attempt)
                wait = None if self._received else self._retry_wait(error, self._attempt)
                if wait is None:
                    self._finished = True
                    raise error from exc
                await asyncio.sleep(wait)
                self._attempt += 1
                self._call = None
                continue
            if message is grpc.aio.EOF:  # type: ignore[attr-defined]
                self._finished = True
                raise StopAsyncIteration
            self._received = True
            self._buffer.extend(self._rpc.convert(message))
        return self._buffer.popleft()

    def cancel(self) -> None:
        """Cancel the call (the gateway stops producing); further iteration ends."""
        self._finished = True
        self._buffer.clear()
        if self._call is not None and not self._call.done():
            self._call.cancel()

    async def aclose(self) -> None:
        """Cancel the call; for ``contextlib.aclosing``."""
        self.cancel()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def __del__(self) -> None:
        # A loop left with `break` drops the stream: cancel the call then, not when the channel closes.
        call = getattr(self, "_call", None)
        if call is not None and not call.done():
            with contextlib.suppress(RuntimeError):  # the event loop may be gone already
                call.cancel()
