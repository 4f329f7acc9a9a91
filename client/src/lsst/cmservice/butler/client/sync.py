"""The synchronous client: the same methods as the async one, over a blocking channel."""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import grpc

from . import _rpcs
from ._rpcs import Metadata, StreamRpc, UnaryRpc, call_metadata
from .config import ClientConfig
from .errors import GatewayError, UnavailableError, error_from_rpc
from .models import Repository, ServingStatus
from .retry import Deadline, should_retry

__all__ = ["GatewayClient", "ResponseStream"]

_LOG = logging.getLogger(__name__)

Out = TypeVar("Out")
_UNSET: Any = object()
_SERVING_POLL_SECONDS = 0.2


class GatewayClient:
    """Calls the gateway from blocking code (scripts, threads); see `AsyncGatewayClient`.

    Use as ``with GatewayClient(config) as client: ...``; the channel is closed on exit. The
    methods, arguments, results, exceptions and retries are those of `AsyncGatewayClient`.

    Parameters
    ----------
    config
        Address, token, default timeout and retry policy; default `ClientConfig.from_env()`.
    channel
        An existing channel to use instead of opening one (it is then not closed by the client).
    sleep
        How to wait between attempts (tests pass a recorder).
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        channel: grpc.Channel | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config if config is not None else ClientConfig.from_env()
        self._owns_channel = channel is None
        self._channel = channel or grpc.insecure_channel(
            self.config.address, options=self.config.channel_options()
        )
        self._sleep = sleep
        self._callables: dict[str, Any] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel (if the client opened it)."""
        if self._owns_channel:
            self._channel.close()

    # ---- repositories ----------------------------------------------------------------------------

    def list_repositories(
        self, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> list[Repository]:
        """Every configured repository with its state (a failed one is listed, not raised)."""
        return self._unary(_rpcs.LIST_REPOSITORIES, {}, timeout, metadata)

    def get_repository(
        self, label: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> Repository:
        """One repository; `RepositoryNotFoundError` for an unknown label."""
        return self._unary(_rpcs.GET_REPOSITORY, {"label": label}, timeout, metadata)

    def refresh_repository(
        self, label: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> Repository:
        """Rebuild a repository's cached Butlers; `RepositoryUnavailableError` if the rebuild fails."""
        return self._unary(_rpcs.REFRESH_REPOSITORY, {"label": label}, timeout, metadata)

    # ---- health ----------------------------------------------------------------------------------

    def check_health(
        self, service: str = "", *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> ServingStatus:
        """The gateway's health (``service=""``: the whole server)."""
        return self._unary(_rpcs.HEALTH_CHECK, {"service": service}, timeout, metadata)

    def watch_health(
        self, service: str = "", *, timeout: float | None = None, metadata: Metadata | None = None
    ) -> ResponseStream[ServingStatus]:
        """Health changes as they happen, as an iterator (no deadline unless ``timeout``)."""
        return self._stream(_rpcs.HEALTH_WATCH, {"service": service}, timeout, metadata)

    def wait_until_serving(self, *, timeout: float | None = _UNSET) -> None:
        """Return once the gateway reports SERVING; `DeadlineExceededError` if it does not in time."""
        deadline = Deadline(self._timeout(timeout))
        while True:
            try:
                with self.watch_health(timeout=deadline.remaining()) as statuses:
                    for status in statuses:
                        if status is ServingStatus.SERVING:
                            return
            except UnavailableError:
                if not deadline.allows(_SERVING_POLL_SECONDS):
                    raise
            self._sleep(_SERVING_POLL_SECONDS)

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

    def _unary(
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
                response = method(request, timeout=deadline.remaining(), metadata=sent_metadata)
            except grpc.RpcError as exc:
                error = error_from_rpc(exc, attempts=attempt)
                wait = self._retry_wait(rpc, error, attempt, deadline)
                if wait is None:
                    raise error from exc
                self._sleep(wait)
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
    ) -> ResponseStream[Out]:
        request = rpc.request_type(**fields)
        deadline = Deadline(self._timeout(timeout))
        sent_metadata = call_metadata(self.config, metadata)
        method = self._callable(rpc)

        def start() -> Any:
            return method(request, timeout=deadline.remaining(), metadata=sent_metadata)

        def retry_wait(error: GatewayError, attempt: int) -> float | None:
            return self._retry_wait(rpc, error, attempt, deadline)

        return ResponseStream(rpc, start, retry_wait, self._sleep)


class ResponseStream(Generic[Out]):
    """The results of a server-streaming call, as an iterator.

    Breaking out of the ``for`` loop cancels the call as soon as the stream is dropped; use
    ``with`` (or call `cancel`) to cancel at a precise point. A failure before the first result is
    retried like a unary read; after results were received, it is raised.
    """

    def __init__(
        self,
        rpc: StreamRpc[Any, Any, Out],
        start: Callable[[], Any],
        retry_wait: Callable[[GatewayError, int], float | None],
        sleep: Callable[[float], None],
    ) -> None:
        self._rpc = rpc
        self._start = start
        self._retry_wait = retry_wait
        self._sleep = sleep
        self._call: Any = None
        self._buffer: collections.deque[Out] = collections.deque()
        self._received = False
        self._finished = False
        self._attempt = 1

    @property
    def call(self) -> Any:
        """The underlying gRPC call (a `grpc.Call` and iterator) of the current attempt."""
        return self._call

    def __iter__(self) -> Iterator[Out]:
        return self

    def __next__(self) -> Out:
        while not self._buffer:
            if self._finished:
                raise StopIteration
            if self._call is None:
                self._call = self._start()
            try:
                message = next(self._call)
            except StopIteration:
                self._finished = True
                raise
            except grpc.RpcError as exc:
                error = error_from_rpc(exc, attempts=self._attempt)
                wait = None if self._received else self._retry_wait(error, self._attempt)
                if wait is None:
                    self._finished = True
                    raise error from exc
                self._sleep(wait)
                self._attempt += 1
                self._call = None
                continue
            self._received = True
            self._buffer.extend(self._rpc.convert(message))
        return self._buffer.popleft()

    def cancel(self) -> None:
        """Cancel the call (the gateway stops producing); further iteration ends."""
        self._finished = True
        self._buffer.clear()
        if self._call is not None:
            self._call.cancel()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def __del__(self) -> None:
        call = getattr(self, "_call", None)
        if call is not None:
            call.cancel()
