"""One table of the RPCs the clients call: name, wire types, retry kind and result conversion.

Adding an RPC to both clients is one entry here, its request builder in ``_requests.py`` and a
one-call method in ``aio.py`` and ``sync.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from grpc_health.v1 import health_pb2

from lsst.cmservice.butler.v1 import collections_pb2 as coll_pb
from lsst.cmservice.butler.v1 import environment_pb2 as env_pb
from lsst.cmservice.butler.v1 import gateway_pb2
from lsst.cmservice.butler.v1 import planning_pb2 as plan_pb
from lsst.cmservice.butler.v1 import queries_pb2 as query_pb
from lsst.cmservice.butler.v1 import repositories_pb2 as repo_pb

from .config import ClientConfig
from .models import (
    AssembleInputsResult,
    ChainCollectionsResult,
    CollectionInfo,
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
    ServingStatus,
    SubmissionEnvironment,
    data_id_from_proto,
)
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
    kind_of: Callable[[Req], CallKind] | None = None
    """The kind of one call from its request, where it depends on it (default: `kind`)."""

    @property
    def path(self) -> str:
        """The method path on the wire."""
        return f"/{self.service}/{self.name}"

    def call_kind(self, request: Req) -> CallKind:
        """How a failed call with this request may be retried."""
        return self.kind if self.kind_of is None else self.kind_of(request)


@dataclass(frozen=True)
class StreamRpc(Generic[Req, Resp, Out]):
    """A server-streaming RPC; each response message may carry several results (a batch)."""

    name: str
    request_type: type[Req]
    response_type: type[Resp]
    kind: CallKind
    convert: Callable[[Resp], Iterable[Out]]
    service: str = GATEWAY_SERVICE
    truncated: Callable[[Resp], bool] = lambda _: False
    """Whether a message says that the server's ``limit`` cut off further results."""

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

# Queries and planning: reads.
QUERY_DATASETS = StreamRpc(
    "QueryDatasets",
    query_pb.QueryDatasetsRequest,
    query_pb.QueryDatasetsResponse,
    CallKind.READ,
    lambda r: [DatasetRef.from_proto(m) for m in r.refs],
    truncated=lambda r: r.truncated,
)
QUERY_DATA_IDS = StreamRpc(
    "QueryDataIds",
    query_pb.QueryDataIdsRequest,
    query_pb.QueryDataIdsResponse,
    CallKind.READ,
    lambda r: [data_id_from_proto(m) for m in r.data_ids],
    truncated=lambda r: r.truncated,
)
QUERY_DIMENSION_RECORDS = StreamRpc(
    "QueryDimensionRecords",
    query_pb.QueryDimensionRecordsRequest,
    query_pb.QueryDimensionRecordsResponse,
    CallKind.READ,
    lambda r: [DimensionRecord.from_proto(m) for m in r.records],
    truncated=lambda r: r.truncated,
)
COUNT_DATASETS = UnaryRpc(
    "CountDatasets",
    query_pb.CountDatasetsRequest,
    query_pb.CountDatasetsResponse,
    CallKind.READ,
    lambda r: int(r.count),
)
COUNT_DATA_IDS = UnaryRpc(
    "CountDataIds",
    query_pb.CountDataIdsRequest,
    query_pb.CountDataIdsResponse,
    CallKind.READ,
    lambda r: int(r.count),
)
QUERY_DIMENSION_VALUES = UnaryRpc(
    "QueryDimensionValues",
    query_pb.QueryDimensionValuesRequest,
    query_pb.QueryDimensionValuesResponse,
    CallKind.READ,
    DimensionValues.from_proto,
)
EXPLAIN_NO_RESULTS = UnaryRpc(
    "ExplainNoResults",
    query_pb.ExplainNoResultsRequest,
    query_pb.ExplainNoResultsResponse,
    CallKind.READ,
    lambda r: NoResultsExplanation(r.has_results, tuple(r.reasons)),
)
QUERY_COLLECTIONS = UnaryRpc(
    "QueryCollections",
    query_pb.QueryCollectionsRequest,
    query_pb.QueryCollectionsResponse,
    CallKind.READ,
    lambda r: [CollectionInfo.from_proto(m) for m in r.collections],
)
GET_COLLECTION_INFO = UnaryRpc(
    "GetCollectionInfo",
    query_pb.GetCollectionInfoRequest,
    query_pb.GetCollectionInfoResponse,
    CallKind.READ,
    lambda r: CollectionInfo.from_proto(r.collection),
)
QUERY_DATASET_TYPES = UnaryRpc(
    "QueryDatasetTypes",
    query_pb.QueryDatasetTypesRequest,
    query_pb.QueryDatasetTypesResponse,
    CallKind.READ,
    lambda r: [DatasetType.from_proto(m) for m in r.dataset_types],
)
GET_DATASET_TYPE = UnaryRpc(
    "GetDatasetType",
    query_pb.GetDatasetTypeRequest,
    query_pb.GetDatasetTypeResponse,
    CallKind.READ,
    lambda r: DatasetType.from_proto(r.dataset_type),
)
PLAN_GROUPS = UnaryRpc(
    "PlanGroups",
    plan_pb.PlanGroupsRequest,
    plan_pb.PlanGroupsResponse,
    CallKind.READ,
    GroupPlan.from_proto,
)

# Collection mutations. Whatever the kind, ABORTED carrying retry_safe="true" (nothing applied) is
# retried; the kinds below add UNAVAILABLE (unknown outcome) for the RPCs that converge on repeat.
ENSURE_COLLECTION = UnaryRpc(
    "EnsureCollection",
    coll_pb.EnsureCollectionRequest,
    coll_pb.EnsureCollectionResponse,
    CallKind.RETRY_SAFE_MUTATION,
    EnsureCollectionResult.from_proto,
)
ASSEMBLE_INPUTS = UnaryRpc(
    "AssembleInputs",
    coll_pb.AssembleInputsRequest,
    coll_pb.AssembleInputsResponse,
    CallKind.RETRY_SAFE_MUTATION,
    AssembleInputsResult.from_proto,
)
CHAIN_COLLECTIONS = UnaryRpc(
    "ChainCollections",
    coll_pb.ChainCollectionsRequest,
    coll_pb.ChainCollectionsResponse,
    # Per call: RETRY_SAFE_MUTATION for REDEFINE and REMOVE (see `chain_collections_kind`).
    CallKind.MUTATION,
    ChainCollectionsResult.from_proto,
    kind_of=lambda r: chain_collections_kind(r.mode),
)
REMOVE_COLLECTION = UnaryRpc(
    "RemoveCollection",
    coll_pb.RemoveCollectionRequest,
    coll_pb.RemoveCollectionResponse,
    # Per call: RETRY_SAFE_MUTATION with missing_ok (see `remove_collection_kind`).
    CallKind.MUTATION,
    RemoveCollectionResult.from_proto,
    kind_of=lambda r: remove_collection_kind(r.missing_ok),
)
DISASSOCIATE = UnaryRpc(
    "Disassociate",
    coll_pb.DisassociateRequest,
    coll_pb.DisassociateResponse,
    CallKind.RETRY_SAFE_MUTATION,
    DisassociateResult.from_proto,
)

# Submission environment: renders, changes nothing.
RENDER_SUBMISSION_ENVIRONMENT = UnaryRpc(
    "RenderSubmissionEnvironment",
    env_pb.RenderSubmissionEnvironmentRequest,
    env_pb.RenderSubmissionEnvironmentResponse,
    CallKind.READ,
    SubmissionEnvironment.from_proto,
)

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
    QUERY_DATASETS,
    QUERY_DATA_IDS,
    QUERY_DIMENSION_RECORDS,
    COUNT_DATASETS,
    COUNT_DATA_IDS,
    QUERY_DIMENSION_VALUES,
    EXPLAIN_NO_RESULTS,
    QUERY_COLLECTIONS,
    GET_COLLECTION_INFO,
    QUERY_DATASET_TYPES,
    GET_DATASET_TYPE,
    PLAN_GROUPS,
    ENSURE_COLLECTION,
    ASSEMBLE_INPUTS,
    CHAIN_COLLECTIONS,
    REMOVE_COLLECTION,
    DISASSOCIATE,
    RENDER_SUBMISSION_ENVIRONMENT,
)
"""Every gateway RPC the clients call (a test checks it against the service definition)."""


def chain_collections_kind(mode: int) -> CallKind:
    """REDEFINE and REMOVE converge when repeated, so an unknown outcome may be retried."""
    safe = (coll_pb.CHAIN_MODE_REDEFINE, coll_pb.CHAIN_MODE_REMOVE)
    return CallKind.RETRY_SAFE_MUTATION if mode in safe else CallKind.MUTATION


def remove_collection_kind(missing_ok: bool) -> CallKind:
    """With ``missing_ok`` a repeated removal succeeds, so an unknown outcome may be retried."""
    return CallKind.RETRY_SAFE_MUTATION if missing_ok else CallKind.MUTATION
