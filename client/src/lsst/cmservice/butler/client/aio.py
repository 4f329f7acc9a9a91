"""The asynchronous client: an async context manager owning its ``grpc.aio`` channel."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import grpc
from google.protobuf.message import Message

from . import _requests, _rpcs
from ._client import _UNSET, ClientBase
from ._rpcs import Metadata, StreamRpc, UnaryRpc, call_metadata
from .config import ClientConfig
from .errors import GatewayError, UnavailableError, error_from_rpc
from .models import (
    AssembleInputsResult,
    BindValue,
    ChainCollectionsResult,
    ChainedInputs,
    ChainMode,
    CollectionInfo,
    CollectionType,
    CredentialMode,
    DataId,
    DataIdValue,
    DatasetRef,
    DatasetType,
    DimensionRecord,
    DimensionValues,
    DisassociateResult,
    EnsureCollectionResult,
    GroupPlan,
    NoResultsExplanation,
    RemoveCollectionResult,
    Repository,
    RepositoryIndexMode,
    ServingStatus,
    SplitStrategy,
    SubmissionEnvironment,
    TaggedInputs,
)
from .retry import Deadline

__all__ = ["AsyncGatewayClient", "AsyncResponseStream"]

_LOG = logging.getLogger(__name__)

Out = TypeVar("Out")
Req = TypeVar("Req", bound=Message)
_SERVING_POLL_SECONDS = 0.2


class AsyncGatewayClient(ClientBase):
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

    _log = _LOG
    _channel: grpc.aio.Channel

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
        return await self._unary(_rpcs.LIST_REPOSITORIES, _requests.list_repositories(), timeout, metadata)

    async def get_repository(
        self, label: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> Repository:
        """One repository; `RepositoryNotFoundError` for an unknown label."""
        return await self._unary(_rpcs.GET_REPOSITORY, _requests.get_repository(label), timeout, metadata)

    async def refresh_repository(
        self, label: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> Repository:
        """Rebuild a repository's cached Butlers; `RepositoryUnavailableError` if the rebuild fails."""
        return await self._unary(
            _rpcs.REFRESH_REPOSITORY, _requests.refresh_repository(label), timeout, metadata
        )

    # ---- queries (streams yield single rows; see `AsyncResponseStream.truncated`) ------------------

    def query_datasets(
        self,
        label: str,
        dataset_type: str,
        collections: Sequence[str],
        *,
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        find_first: bool | None = None,
        order_by: Sequence[str] = (),
        limit: int = 0,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> AsyncResponseStream[DatasetRef]:
        """Stream the datasets of one type found in ordered collections (find-first unless False).

        ``limit`` 0 means every row; when the limit cut rows, ``.truncated`` is True once the
        stream is exhausted. Errors: `InvalidQueryError`, `DatasetTypeNotFoundError`,
        `CollectionNotFoundError`.
        """
        return self._stream(
            _rpcs.QUERY_DATASETS,
            _requests.query_datasets(
                label,
                dataset_type,
                collections,
                where=where,
                bind=bind,
                data_id=data_id,
                find_first=find_first,
                order_by=order_by,
                limit=limit,
            ),
            timeout,
            metadata,
        )

    def query_data_ids(
        self,
        label: str,
        dimensions: Sequence[str],
        *,
        dataset_type: str = "",
        collections: Sequence[str] = (),
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        order_by: Sequence[str] = (),
        limit: int = 0,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> AsyncResponseStream[DataId]:
        """Stream distinct data IDs of ``dimensions``, optionally joined to a dataset search.

        `DimensionNotFoundError` for an unknown dimension; otherwise as `query_datasets`.
        """
        return self._stream(
            _rpcs.QUERY_DATA_IDS,
            _requests.query_data_ids(
                label,
                dimensions,
                dataset_type=dataset_type,
                collections=collections,
                where=where,
                bind=bind,
                data_id=data_id,
                order_by=order_by,
                limit=limit,
            ),
            timeout,
            metadata,
        )

    def query_dimension_records(
        self,
        label: str,
        element: str,
        *,
        dataset_type: str = "",
        collections: Sequence[str] = (),
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        order_by: Sequence[str] = (),
        limit: int = 0,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> AsyncResponseStream[DimensionRecord]:
        """Stream the dimension records of one element (for example "exposure") with typed fields."""
        return self._stream(
            _rpcs.QUERY_DIMENSION_RECORDS,
            _requests.query_dimension_records(
                label,
                element,
                dataset_type=dataset_type,
                collections=collections,
                where=where,
                bind=bind,
                data_id=data_id,
                order_by=order_by,
                limit=limit,
            ),
            timeout,
            metadata,
        )

    async def count_datasets(
        self,
        label: str,
        dataset_type: str,
        collections: Sequence[str],
        *,
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        find_first: bool | None = None,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> int:
        """How many datasets `query_datasets` would return, counted in the database."""
        return await self._unary(
            _rpcs.COUNT_DATASETS,
            _requests.count_datasets(
                label,
                dataset_type,
                collections,
                where=where,
                bind=bind,
                data_id=data_id,
                find_first=find_first,
            ),
            timeout,
            metadata,
        )

    async def count_data_ids(
        self,
        label: str,
        dimensions: Sequence[str],
        *,
        dataset_type: str = "",
        collections: Sequence[str] = (),
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> int:
        """How many data IDs `query_data_ids` would return, counted in the database."""
        return await self._unary(
            _rpcs.COUNT_DATA_IDS,
            _requests.count_data_ids(
                label,
                dimensions,
                dataset_type=dataset_type,
                collections=collections,
                where=where,
                bind=bind,
                data_id=data_id,
            ),
            timeout,
            metadata,
        )

    async def query_dimension_values(
        self,
        label: str,
        dimension: str,
        *,
        dataset_type: str = "",
        collections: Sequence[str] = (),
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        with_counts: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> DimensionValues:
        """The sorted distinct values of one dimension in a selection, with counts on request."""
        return await self._unary(
            _rpcs.QUERY_DIMENSION_VALUES,
            _requests.query_dimension_values(
                label,
                dimension,
                dataset_type=dataset_type,
                collections=collections,
                where=where,
                bind=bind,
                data_id=data_id,
                with_counts=with_counts,
            ),
            timeout,
            metadata,
        )

    async def explain_no_results(
        self,
        label: str,
        *,
        dataset_type: str = "",
        collections: Sequence[str] = (),
        dimensions: Sequence[str] = (),
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        data_id: Mapping[str, DataIdValue] | None = None,
        find_first: bool | None = None,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> NoResultsExplanation:
        """Whether a dataset (``dataset_type``) or data ID (``dimensions``) query has rows; why not."""
        return await self._unary(
            _rpcs.EXPLAIN_NO_RESULTS,
            _requests.explain_no_results(
                label,
                dataset_type=dataset_type,
                collections=collections,
                dimensions=dimensions,
                where=where,
                bind=bind,
                data_id=data_id,
                find_first=find_first,
            ),
            timeout,
            metadata,
        )

    async def query_collections(
        self,
        label: str,
        expression: Sequence[str] = (),
        *,
        collection_types: Sequence[CollectionType] = (),
        flatten_chains: bool = False,
        include_chains: bool | None = None,
        include_parents: bool = False,
        include_summary: bool = False,
        include_doc: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> list[CollectionInfo]:
        """Collections matching names or globs (empty: all); `CollectionNotFoundError` for a missing name."""
        return await self._unary(
            _rpcs.QUERY_COLLECTIONS,
            _requests.query_collections(
                label,
                expression,
                collection_types=collection_types,
                flatten_chains=flatten_chains,
                include_chains=include_chains,
                include_parents=include_parents,
                include_summary=include_summary,
                include_doc=include_doc,
            ),
            timeout,
            metadata,
        )

    async def get_collection_info(
        self,
        label: str,
        name: str,
        *,
        include_parents: bool = False,
        include_summary: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> CollectionInfo:
        """One collection (doc and children always filled); `CollectionNotFoundError` if missing."""
        return await self._unary(
            _rpcs.GET_COLLECTION_INFO,
            _requests.get_collection_info(
                label, name, include_parents=include_parents, include_summary=include_summary
            ),
            timeout,
            metadata,
        )

    async def query_dataset_types(
        self,
        label: str,
        expression: Sequence[str] = (),
        *,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> list[DatasetType]:
        """Dataset types matching names or globs (empty: all)."""
        return await self._unary(
            _rpcs.QUERY_DATASET_TYPES, _requests.query_dataset_types(label, expression), timeout, metadata
        )

    async def get_dataset_type(
        self, label: str, name: str, *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> DatasetType:
        """One dataset type; `DatasetTypeNotFoundError` when it is not registered."""
        return await self._unary(
            _rpcs.GET_DATASET_TYPE, _requests.get_dataset_type(label, name), timeout, metadata
        )

    # ---- planning --------------------------------------------------------------------------------

    async def plan_groups(
        self,
        label: str,
        dataset_type: str,
        collections: Sequence[str],
        strategy: SplitStrategy,
        *,
        dimension: str = "",
        predicates: Sequence[str] = (),
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> GroupPlan:
        """Plan how to split a step's input on ``dimension``: one where predicate per group.

        `SplitImpossibleError` when the selection has fewer values than ``min_groups``;
        `DimensionNotFoundError`, `InvalidQueryError`, `UnquotableValueError` for bad input.
        """
        return await self._unary(
            _rpcs.PLAN_GROUPS,
            _requests.plan_groups(
                label, dataset_type, collections, strategy, dimension=dimension, predicates=predicates
            ),
            timeout,
            metadata,
        )

    # ---- collection mutations (all take dry_run: report, change nothing) -------------------------

    async def ensure_collection(
        self,
        label: str,
        name: str,
        type: CollectionType,
        *,
        doc: str = "",
        dry_run: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> EnsureCollectionResult:
        """Create a collection unless it exists, and set its doc (retried: it converges).

        `CollectionTypeMismatchError` when it exists with another type.
        """
        return await self._unary(
            _rpcs.ENSURE_COLLECTION,
            _requests.ensure_collection(label, name, type, doc=doc, dry_run=dry_run),
            timeout,
            metadata,
        )

    async def assemble_inputs(
        self,
        label: str,
        name: str,
        assembly: ChainedInputs | TaggedInputs,
        *,
        doc: str = "",
        dry_run: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> AssembleInputsResult:
        """Build a step's input collection: a chain over inputs, or a TAGGED query result (retried)."""
        return await self._unary(
            _rpcs.ASSEMBLE_INPUTS,
            _requests.assemble_inputs(label, name, assembly, doc=doc, dry_run=dry_run),
            timeout,
            metadata,
        )

    async def chain_collections(
        self,
        label: str,
        parent: str,
        mode: ChainMode,
        children: Sequence[str],
        *,
        expected_children: Sequence[str] | None = None,
        do_not_create_parent: bool = False,
        flatten: bool = False,
        doc: str = "",
        dry_run: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> ChainCollectionsResult:
        """Edit a CHAINED collection, creating it unless ``do_not_create_parent`` (never for REMOVE).

        ``expected_children`` makes it a compare-and-set (`ChainChangedError` when the chain
        differs). `CollectionCycleError`, `CollectionNotFoundError` for missing children. Only
        REDEFINE and REMOVE are retried after an unknown outcome.
        """
        return await self._unary(
            _rpcs.CHAIN_COLLECTIONS,
            _requests.chain_collections(
                label,
                parent,
                mode,
                children,
                expected_children=expected_children,
                do_not_create_parent=do_not_create_parent,
                flatten=flatten,
                doc=doc,
                dry_run=dry_run,
            ),
            timeout,
            metadata,
        )

    async def remove_collection(
        self,
        label: str,
        name: str,
        *,
        remove_run_and_datasets: bool = False,
        unlink_from_parents: bool = False,
        missing_ok: bool = False,
        dry_run: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> RemoveCollectionResult:
        """Remove a collection (a RUN with its datasets only when confirmed).

        `RunRemovalNotConfirmedError`, `CollectionHasParentsError`, `CollectionNotFoundError`
        (unless ``missing_ok``, which also makes the call retried after an unknown outcome).
        """
        return await self._unary(
            _rpcs.REMOVE_COLLECTION,
            _requests.remove_collection(
                label,
                name,
                remove_run_and_datasets=remove_run_and_datasets,
                unlink_from_parents=unlink_from_parents,
                missing_ok=missing_ok,
                dry_run=dry_run,
            ),
            timeout,
            metadata,
        )

    async def disassociate(
        self,
        label: str,
        name: str,
        dataset_types: Sequence[str],
        *,
        where: str = "",
        bind: Mapping[str, BindValue] | None = None,
        dry_run: bool = False,
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> DisassociateResult:
        """Remove the datasets a query selects (empty ``where``: all of those types) from a TAGGED one."""
        return await self._unary(
            _rpcs.DISASSOCIATE,
            _requests.disassociate(label, name, dataset_types, where=where, bind=bind, dry_run=dry_run),
            timeout,
            metadata,
        )

    # ---- submission environment ------------------------------------------------------------------

    async def render_submission_environment(
        self,
        labels: Sequence[str],
        *,
        credential_mode: CredentialMode = CredentialMode.SEED,
        repository_index_mode: RepositoryIndexMode = RepositoryIndexMode.INDEX_FILE,
        submission_id: str = "",
        timeout: float | None = _UNSET,
        metadata: Metadata | None = None,
    ) -> SubmissionEnvironment:
        """The environment (variables, files, HTCondor/bash/BPS forms) a batch job needs.

        `SecretEnvironmentDisabledError` for a secret mode when those are disabled;
        `CredentialError` (`CredentialNotFoundError`, `CredentialConflictError`,
        `CredentialUnusableError`) when a PostgreSQL repository has no usable credential.
        """
        return await self._unary(
            _rpcs.RENDER_SUBMISSION_ENVIRONMENT,
            _requests.render_submission_environment(
                labels,
                credential_mode=credential_mode,
                repository_index_mode=repository_index_mode,
                submission_id=submission_id,
            ),
            timeout,
            metadata,
        )

    # ---- health ----------------------------------------------------------------------------------

    async def check_health(
        self, service: str = "", *, timeout: float | None = _UNSET, metadata: Metadata | None = None
    ) -> ServingStatus:
        """The gateway's health (``service=""``: the whole server)."""
        return await self._unary(_rpcs.HEALTH_CHECK, _requests.health(service), timeout, metadata)

    def watch_health(
        self, service: str = "", *, timeout: float | None = None, metadata: Metadata | None = None
    ) -> AsyncResponseStream[ServingStatus]:
        """Health changes as they happen, as an async iterator (no deadline unless ``timeout``)."""
        return self._stream(_rpcs.HEALTH_WATCH, _requests.health(service), timeout, metadata)

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

    async def _unary(
        self,
        rpc: UnaryRpc[Req, Any, Out],
        request: Req,
        timeout: float | None,
        metadata: Metadata | None,
    ) -> Out:
        kind = rpc.call_kind(request)
        deadline = Deadline(self._timeout(timeout))
        sent_metadata = call_metadata(self.config, metadata)
        method = self._callable(rpc)
        attempt = 1
        while True:
            try:
                response = await method(request, timeout=deadline.remaining(), metadata=sent_metadata)
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc, attempts=attempt)
                wait = self._retry_wait(rpc, error, attempt, deadline, kind)
                if wait is None:
                    raise error from exc
                await asyncio.sleep(wait)
                attempt += 1
                continue
            return rpc.convert(response)

    def _stream(
        self,
        rpc: StreamRpc[Req, Any, Out],
        request: Req,
        timeout: float | None,
        metadata: Metadata | None,
    ) -> AsyncResponseStream[Out]:
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
    """The results of a server-streaming call, as an async iterator of single results.

    The server's batches are flattened. Breaking out of ``async for`` cancels the call as soon as
    the stream is dropped; use ``async with`` (or call `cancel`) to cancel it at a precise point. A
    failure before the first result is retried like a unary read; after results were received, it
    is raised. Once the iteration is exhausted, `truncated` says whether the query's ``limit`` cut
    off further results.
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
        self.truncated = False
        """True when the server's ``limit`` cut off further results (known once exhausted)."""

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
            self.truncated = self.truncated or self._rpc.truncated(message)
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
