"""The synchronous client against grpc_testing's scripted channel: rich errors, retries, deadlines."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
import grpc_testing
import pytest
from google.protobuf import any_pb2, timestamp_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2

from lsst.cmservice.butler.client import (
    AbortedError,
    ChainMode,
    ClientConfig,
    CollectionCycleError,
    CollectionType,
    ConcurrentModificationError,
    DeadlineExceededError,
    FailedPreconditionError,
    GatewayClient,
    GatewayError,
    NotFoundError,
    RepositoryNotFoundError,
    RepositoryState,
    ResourceExhaustedError,
    RetryPolicy,
    ServingStatus,
    UnavailableError,
)
from lsst.cmservice.butler.client.errors import ERROR_DOMAIN, error_class
from lsst.cmservice.butler.v1 import collections_pb2, gateway_pb2, queries_pb2
from lsst.cmservice.butler.v1 import repositories_pb2 as pb

T = TypeVar("T")
SERVICE = gateway_pb2.DESCRIPTOR.services_by_name["ButlerGatewayService"]
HEALTH = health_pb2.DESCRIPTOR.services_by_name["Health"]
TOKEN = "scripted-token"
_MESSAGES = {
    "ChainCollections": collections_pb2,
    "RemoveCollection": collections_pb2,
    "EnsureCollection": collections_pb2,
    "CountDatasets": queries_pb2,
}


class Scripted:
    """A sync client on a grpc_testing channel, and the test's side of each call."""

    def __init__(self, config: ClientConfig) -> None:
        self.channel = grpc_testing.channel([SERVICE, HEALTH], grpc_testing.strict_real_time())
        self.sleeps: list[float] = []
        self.client = GatewayClient(config, channel=self.channel, sleep=self._sleep)
        self._pool = ThreadPoolExecutor(1)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)

    def start(self, call: Callable[[GatewayClient], T]) -> Future[T]:
        return self._pool.submit(call, self.client)

    def take(self, method: str) -> tuple[dict[str, Any], Any, Any]:
        metadata, request, rpc = self.channel.take_unary_unary(SERVICE.methods_by_name[method])
        return dict(metadata), request, rpc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    harness = Scripted(
        ClientConfig(
            address="unused:0",
            token=TOKEN,
            caller="test-suite",
            retry=RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.02),
        )
    )
    yield harness
    harness.close()


def rich(code: grpc.StatusCode, message: str, reason: str, **metadata: str) -> tuple[Any, ...]:
    """Trailing metadata, code and details of a failure the way the gateway sends it."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return ((("grpc-status-details-bin", status.SerializeToString()),), code, message)


def repository_message(label: str) -> pb.Repository:
    stamp = timestamp_pb2.Timestamp(seconds=1_780_000_000)
    return pb.Repository(
        label=label,
        state=pb.REPOSITORY_STATE_READY,
        registry_dialect="postgresql",
        registry_location="127.0.0.1:5432/butler",
        writeable=True,
        last_refresh_time=stamp,
        config_uri="s3://bucket/butler.yaml",
    )


def test_result_conversion_and_metadata(scripted: Scripted) -> None:
    future = scripted.start(lambda c: c.get_repository("main", metadata=[("x-request-id", "r-1")]))
    metadata, request, rpc = scripted.take("GetRepository")
    assert request == pb.GetRepositoryRequest(label="main")
    assert metadata["authorization"] == f"Bearer {TOKEN}"
    assert metadata["x-caller"] == "test-suite"
    assert metadata["x-request-id"] == "r-1"
    rpc.terminate(pb.GetRepositoryResponse(repository=repository_message("main")), (), grpc.StatusCode.OK, "")
    repository = future.result(5)
    assert repository.state is RepositoryState.READY
    assert repository.last_refresh_time is not None
    assert repository.last_refresh_time.timestamp() == 1_780_000_000
    assert repository.next_retry_time is None
    assert type(repository).__module__ == "lsst.cmservice.butler.client.models"  # not a _pb2 message


def test_rich_error_becomes_typed_exception(scripted: Scripted) -> None:
    future = scripted.start(lambda c: c.get_repository("nope"))
    _, _, rpc = scripted.take("GetRepository")
    rpc.terminate(
        None,
        *rich(
            grpc.StatusCode.NOT_FOUND,
            "unknown repository label 'nope'",
            "REPOSITORY_NOT_FOUND",
            label="nope",
            request_id="abc",
        ),
    )
    with pytest.raises(RepositoryNotFoundError) as caught:
        future.result(5)
    assert caught.value.metadata == {"label": "nope", "request_id": "abc"}
    assert caught.value.request_id == "abc"
    assert caught.value.message == "unknown repository label 'nope'"
    assert isinstance(caught.value.__cause__, grpc.RpcError)
    assert scripted.sleeps == []


def test_unavailable_read_is_retried_until_success(scripted: Scripted) -> None:
    future = scripted.start(lambda c: c.list_repositories())
    for _ in range(2):
        _, _, rpc = scripted.take("ListRepositories")
        rpc.terminate(None, (), grpc.StatusCode.UNAVAILABLE, "connection refused")
    _, _, rpc = scripted.take("ListRepositories")
    rpc.terminate(
        pb.ListRepositoriesResponse(repositories=[repository_message("a")]), (), grpc.StatusCode.OK, ""
    )
    assert [r.label for r in future.result(5)] == ["a"]
    assert len(scripted.sleeps) == 2
    assert all(0 <= s <= 0.02 for s in scripted.sleeps)


def test_retries_stop_after_max_attempts(scripted: Scripted) -> None:
    future = scripted.start(lambda c: c.list_repositories())
    for _ in range(4):
        _, _, rpc = scripted.take("ListRepositories")
        rpc.terminate(None, *rich(grpc.StatusCode.UNAVAILABLE, "warming", "REPOSITORY_UNAVAILABLE"))
    with pytest.raises(UnavailableError) as caught:
        future.result(5)
    assert caught.value.attempts == 4
    assert len(scripted.sleeps) == 3


@pytest.mark.parametrize(
    ("method", "call", "code", "reason", "metadata", "retried"),
    [
        # ABORTED: retried for a mutation the client knows is retry-safe ...
        (
            "RefreshRepository",
            lambda c: c.refresh_repository("x"),
            "ABORTED",
            "CONCURRENT_MODIFICATION",
            {},
            True,
        ),
        # ... not for others, unless the server marks that failure retry_safe.
        ("GetRepository", lambda c: c.get_repository("x"), "ABORTED", "CONCURRENT_MODIFICATION", {}, False),
        (
            "GetRepository",
            lambda c: c.get_repository("x"),
            "ABORTED",
            "CONCURRENT_MODIFICATION",
            {"retry_safe": "true"},
            True,
        ),
        ("GetRepository", lambda c: c.get_repository("x"), "RESOURCE_EXHAUSTED", "GATEWAY_BUSY", {}, True),
        # A message over the size limit is RESOURCE_EXHAUSTED too, and would fail again.
        ("GetRepository", lambda c: c.get_repository("x"), "RESOURCE_EXHAUSTED", "", {}, False),
        (
            "GetRepository",
            lambda c: c.get_repository("x"),
            "FAILED_PRECONDITION",
            "COLLECTION_CYCLE",
            {},
            False,
        ),
        ("GetRepository", lambda c: c.get_repository("x"), "INTERNAL", "INTERNAL", {}, False),
    ],
)
def test_which_failures_are_retried(
    scripted: Scripted,
    method: str,
    call: Callable[[GatewayClient], Any],
    code: str,
    reason: str,
    metadata: dict[str, str],
    retried: bool,
) -> None:
    status_code = grpc.StatusCode[code]
    future = scripted.start(call)
    _, _, rpc = scripted.take(method)
    rpc.terminate(None, *rich(status_code, "first failure", reason, **metadata))
    if retried:
        _, _, rpc = scripted.take(method)
        rpc.terminate(
            pb.GetRepositoryResponse(repository=repository_message("x"))
            if method == "GetRepository"
            else pb.RefreshRepositoryResponse(repository=repository_message("x")),
            (),
            grpc.StatusCode.OK,
            "",
        )
        assert future.result(5).label == "x"
        assert len(scripted.sleeps) == 1
    else:
        with pytest.raises(GatewayError) as caught:
            future.result(5)
        assert caught.value.code is status_code
        assert caught.value.reason == reason
        assert type(caught.value) is error_class(status_code, reason)
        assert scripted.sleeps == []


def test_retries_are_bounded_by_the_deadline() -> None:
    harness = Scripted(
        ClientConfig(
            address="unused:0", retry=RetryPolicy(max_attempts=1000, initial_backoff=0.1, max_backoff=0.1)
        )
    )
    try:
        answered = []

        def refuse_all() -> None:
            # A daemon thread: it ends blocked in take() once the client stops calling.
            while True:
                _, _, rpc = harness.take("ListRepositories")
                rpc.terminate(None, (), grpc.StatusCode.UNAVAILABLE, "down")
                answered.append(rpc)

        threading.Thread(target=refuse_all, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(UnavailableError) as caught:
            harness.client.list_repositories(timeout=0.5)
        elapsed = time.monotonic() - started
        assert elapsed < 0.6  # no sleep is started that would end past the deadline
        assert 2 <= caught.value.attempts <= 60
        assert len(answered) == caught.value.attempts
        assert sum(harness.sleeps) < 0.5
    finally:
        harness.close()


def test_deadline_exceeded_is_final(scripted: Scripted) -> None:
    future = scripted.start(lambda c: c.list_repositories(timeout=3))
    _, _, rpc = scripted.take("ListRepositories")
    rpc.terminate(None, (), grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    with pytest.raises(DeadlineExceededError) as caught:
        future.result(5)
    assert caught.value.attempts == 1
    assert scripted.sleeps == []


def test_unknown_reason_falls_back_to_the_code_class() -> None:
    assert error_class(grpc.StatusCode.NOT_FOUND, "SOMETHING_NEW") is NotFoundError
    assert error_class(grpc.StatusCode.FAILED_PRECONDITION, "COLLECTION_CYCLE") is CollectionCycleError
    assert error_class(grpc.StatusCode.ABORTED, "CONCURRENT_MODIFICATION") is ConcurrentModificationError
    assert issubclass(ConcurrentModificationError, AbortedError)
    # A known reason under an unexpected code keeps the code's class (so `except` clauses stay true).
    assert error_class(grpc.StatusCode.NOT_FOUND, "COLLECTION_CYCLE") is NotFoundError
    assert error_class(grpc.StatusCode.FAILED_PRECONDITION, "") is FailedPreconditionError
    assert error_class(grpc.StatusCode.RESOURCE_EXHAUSTED, "") is ResourceExhaustedError


def test_sync_stream_break_cancels(scripted: Scripted) -> None:
    method = HEALTH.methods_by_name["Watch"]
    stream = scripted.client.watch_health()
    taken: Future[Any] = ThreadPoolExecutor(1).submit(scripted.channel.take_unary_stream, method)

    def first(statuses: Iterator[ServingStatus]) -> ServingStatus:
        for status in statuses:
            return status
        raise AssertionError("no status")

    getter = ThreadPoolExecutor(1).submit(first, stream)
    _, _, rpc = taken.result(5)
    rpc.send_response(health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING))
    assert getter.result(5) is ServingStatus.SERVING
    # rpc.cancelled() blocks until the call is cancelled (and raises on any other ending).
    cancelled = ThreadPoolExecutor(1).submit(rpc.cancelled)
    time.sleep(0.2)
    assert not cancelled.done()  # still streaming while the iterator is alive
    del stream, getter
    cancelled.result(5)  # dropped: cancelled


@pytest.mark.parametrize(
    ("method", "call", "code", "metadata", "retried"),
    [
        # UNAVAILABLE leaves the outcome unknown: only edits that converge on repeat are resent.
        (
            "ChainCollections",
            lambda c: c.chain_collections("r", "p", ChainMode.REDEFINE, ["a"]),
            "UNAVAILABLE",
            {},
            True,
        ),
        (
            "ChainCollections",
            lambda c: c.chain_collections("r", "p", ChainMode.REMOVE, ["a"]),
            "UNAVAILABLE",
            {},
            True,
        ),
        (
            "ChainCollections",
            lambda c: c.chain_collections("r", "p", ChainMode.EXTEND, ["a"]),
            "UNAVAILABLE",
            {},
            False,
        ),
        (
            "ChainCollections",
            lambda c: c.chain_collections("r", "p", ChainMode.PREPEND, ["a"]),
            "ABORTED",
            {},
            False,
        ),
        # ABORTED marked retry_safe means nothing was applied: resent whatever the mode.
        (
            "ChainCollections",
            lambda c: c.chain_collections("r", "p", ChainMode.PREPEND, ["a"]),
            "ABORTED",
            {"retry_safe": "true"},
            True,
        ),
        (
            "RemoveCollection",
            lambda c: c.remove_collection("r", "x", missing_ok=True),
            "UNAVAILABLE",
            {},
            True,
        ),
        ("RemoveCollection", lambda c: c.remove_collection("r", "x"), "UNAVAILABLE", {}, False),
        (
            "EnsureCollection",
            lambda c: c.ensure_collection("r", "x", CollectionType.RUN),
            "ABORTED",
            {},
            True,
        ),
        ("CountDatasets", lambda c: c.count_datasets("r", "raw", ["c"]), "UNAVAILABLE", {}, True),
    ],
)
def test_mutation_retries_follow_the_proto_comments(
    scripted: Scripted,
    method: str,
    call: Callable[[GatewayClient], Any],
    code: str,
    metadata: dict[str, str],
    retried: bool,
) -> None:
    status_code = grpc.StatusCode[code]
    response_type = getattr(_MESSAGES[method], f"{method}Response")
    future = scripted.start(call)
    _, first, rpc = scripted.take(method)
    rpc.terminate(None, *rich(status_code, "first failure", "CONCURRENT_MODIFICATION", **metadata))
    if retried:
        _, second, rpc = scripted.take(method)
        assert second == first
        rpc.terminate(response_type(), (), grpc.StatusCode.OK, "")
        future.result(5)
        assert len(scripted.sleeps) == 1
    else:
        with pytest.raises(GatewayError) as caught:
            future.result(5)
        assert caught.value.code is status_code
        assert scripted.sleeps == []


def test_requests_carry_plain_python_inputs(scripted: Scripted) -> None:
    future = scripted.start(
        lambda c: c.chain_collections(
            "r", "p", ChainMode.EXTEND, ["a", "b"], expected_children=[], doc="d", dry_run=True
        )
    )
    _, request, rpc = scripted.take("ChainCollections")
    assert request == collections_pb2.ChainCollectionsRequest(
        label="r",
        parent="p",
        mode=collections_pb2.CHAIN_MODE_EXTEND,
        children=["a", "b"],
        expected_children=collections_pb2.ExpectedChildren(children=[]),
        doc="d",
        dry_run=True,
    )
    assert request.HasField("expected_children")  # an empty expectation is still a compare-and-set
    rpc.terminate(
        collections_pb2.ChainCollectionsResponse(children=["a", "b"], dry_run=True),
        (),
        grpc.StatusCode.OK,
        "",
    )
    result = future.result(5)
    assert (result.children, result.dry_run, result.created) == (("a", "b"), True, False)

    counted = scripted.start(
        lambda c: c.count_datasets(
            "r", "raw", ["c"], where="x IN (:xs)", bind={"xs": [1, 2], "b": "g"}, data_id={"detector": 3}
        )
    )
    _, request, rpc = scripted.take("CountDatasets")
    assert not request.HasField("find_first")  # unset: the server's default (true)
    assert [v.int_value for v in request.bind["xs"].list_value.values] == [1, 2]
    assert request.bind["b"].string_value == "g"
    assert request.data_id.values["detector"].int_value == 3
    rpc.terminate(queries_pb2.CountDatasetsResponse(count=7), (), grpc.StatusCode.OK, "")
    assert counted.result(5) == 7
