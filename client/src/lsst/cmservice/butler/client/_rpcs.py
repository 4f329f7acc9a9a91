"""One table of the RPCs the clients call: name, wire types, retry kind and result conversion.

Adding an RPC to both clients is one entry here plus a few-line method in ``aio.py`` and ``sync.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from grpc_health.v1 import health_pb2

from lsst.cmservice.butler.v1 import gateway_pb2
from lsst.cmservice.butler.v1 import repositories_pb2 as repo_pb

from .config import ClientConfig
from .models import Repository, ServingStatus
from .retry import CallKind

__all__ = ["GATEWAY_SERVICE", "HEALTH_SERVICE", "Metadata", "StreamRpc", "UnaryRpc", "call_metadata"]

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)
Out = TypeVar("Out")

Metadata = Sequence[tuple[str, str | bytes]]
"""Extra gRPC metadata of one call (keys lower case)."""

GATEWAY_SERVICE = gateway_pb2.DESCRIPTOR.services_by_name["ButlerGatewayService"].full_name
HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


@dataclass(frozen=True)
class UnaryRpc(Generic[Req, Resp, Out]):
    """A unary RPC: one request, one response, converted to ``Out``."""

    name: str
    request_type: type[Req]
    response_type: type[Resp]
    kind: CallKind
    convert: Callable[[Resp], Out]
    service: str = GATEWAY_SERVICE

    @property
    def path(self) -> str:
        """The method path on the wire."""
        return f"/{self.service}/{self.name}"


@dataclass(frozen=True)
class StreamRpc(Generic[Req, Resp, Out]):
    """A server-streaming RPC; each response message may carry several results (a batch)."""

    name: str
    request_type: type[Req]
    response_type: type[Resp]
    kind: CallKind
    convert: Callable[[Resp], Iterable[Out]]
    service: str = GATEWAY_SERVICE

    @property
    def path(self) -> str:
        """The method path on the wire."""
        return f"/{self.service}/{self.name}"


def call_metadata(config: ClientConfig, metadata: Metadata | None) -> list[tuple[str, Any]]:
    """The metadata of one call (all its attempts): the config's, then the caller's."""
    merged: list[tuple[str, Any]] = config.base_metadata()
    extra = list(metadata or ())
    if config.send_request_ids and not any(key == "x-request-id" for key, _ in extra):
        merged.append(("x-request-id", uuid.uuid4().hex[:16]))
    merged.extend(extra)
    return merged


# ---- the RPC table -------------------------------------------------------------------------------

LIST_REPOSITORIES = UnaryRpc(
    "ListRepositories",
    repo_pb.ListRepositoriesRequest,
    repo_pb.ListRepositoriesResponse,
    CallKind.READ,
    lambda r: [Repository.from_proto(m) for m in r.repositories],
)
GET_REPOSITORY = UnaryRpc(
    "GetRepository",
    repo_pb.GetRepositoryRequest,
    repo_pb.GetRepositoryResponse,
    CallKind.READ,
    lambda r: Repository.from_proto(r.repository),
)
REFRESH_REPOSITORY = UnaryRpc(
    "RefreshRepository",
    repo_pb.RefreshRepositoryRequest,
    repo_pb.RefreshRepositoryResponse,
    # Rebuilding the cached templates again is harmless.
    CallKind.RETRY_SAFE_MUTATION,
    lambda r: Repository.from_proto(r.repository),
)
# TODO(queries, collections, environment): QueryDatasets, QueryDimensionValues, PlanGroups,
# CountDatasets, AssembleInputs, ChainCollections, EnsureCollection, RemoveCollection,
# Disassociate, RenderSubmissionEnvironment come here when their RPCs land.

HEALTH_CHECK = UnaryRpc(
    "Check",
    health_pb2.HealthCheckRequest,
    health_pb2.HealthCheckResponse,
    CallKind.READ,
    lambda r: ServingStatus.from_proto(r.status),
    service=HEALTH_SERVICE,
)
HEALTH_WATCH = StreamRpc(
    "Watch",
    health_pb2.HealthCheckRequest,
    health_pb2.HealthCheckResponse,
    CallKind.READ,
    lambda r: [ServingStatus.from_proto(r.status)],
    service=HEALTH_SERVICE,
)

GATEWAY_RPCS: tuple[UnaryRpc[Any, Any, Any] | StreamRpc[Any, Any, Any], ...] = (
    LIST_REPOSITORIES,
    GET_REPOSITORY,
    REFRESH_REPOSITORY,
)
"""Every gateway RPC the clients call (a test checks it against the service definition)."""
