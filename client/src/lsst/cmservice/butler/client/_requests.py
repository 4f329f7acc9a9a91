"""The request of each RPC, built from the plain Python arguments of the client methods.

One function per RPC, shared by `AsyncGatewayClient` and `GatewayClient`: each takes the arguments
of the client method of the same name (without defaults: those are the methods') and returns the
request message for the matching entry of ``_rpcs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from google.protobuf.message import Message
from grpc_health.v1 import health_pb2

from lsst.cmservice.butler.v1 import collections_pb2 as coll_pb
from lsst.cmservice.butler.v1 import environment_pb2 as env_pb
from lsst.cmservice.butler.v1 import planning_pb2 as plan_pb
from lsst.cmservice.butler.v1 import queries_pb2 as query_pb
from lsst.cmservice.butler.v1 import repositories_pb2 as repo_pb

from .models import (
    BindValue,
    ChainedInputs,
    ChainMode,
    CollectionType,
    CredentialMode,
    DataIdValue,
    RepositoryIndexMode,
    SplitStrategy,
    TaggedInputs,
    assembly_to_proto,
    bind_to_proto,
    data_id_to_proto,
    strategy_to_proto,
)

Req = TypeVar("Req", bound=Message)

Bind = Mapping[str, BindValue] | None
DataIdArg = Mapping[str, DataIdValue] | None


def fields(**values: Any) -> dict[str, Any]:
    """Request constructor keywords, leaving out None (an unset ``optional`` field)."""
    return {key: value for key, value in values.items() if value is not None}


def _message(request_type: type[Req], **values: Any) -> Req:
    """A ``request_type`` with the given fields, None ones left unset (see `fields`)."""
    return request_type(**fields(**values))


# ---- repositories --------------------------------------------------------------------------------


def list_repositories() -> repo_pb.ListRepositoriesRequest:
    return repo_pb.ListRepositoriesRequest()


def get_repository(label: str) -> repo_pb.GetRepositoryRequest:
    return repo_pb.GetRepositoryRequest(label=label)


def refresh_repository(label: str) -> repo_pb.RefreshRepositoryRequest:
    return repo_pb.RefreshRepositoryRequest(label=label)


# ---- queries -------------------------------------------------------------------------------------


def query_datasets(
    label: str,
    dataset_type: str,
    collections: Sequence[str],
    *,
    where: str,
    bind: Bind,
    data_id: DataIdArg,
    find_first: bool | None,
    order_by: Sequence[str],
    limit: int,
) -> query_pb.QueryDatasetsRequest:
    return _message(
        query_pb.QueryDatasetsRequest,
        label=label,
        dataset_type=dataset_type,
        collections=list(collections),
        find_first=find_first,
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
        order_by=list(order_by),
        limit=limit,
    )


def query_data_ids(
    label: str,
    dimensions: Sequence[str],
    *,
    dataset_type: str,
    collections: Sequence[str],
    where: str,
    bind: Bind,
    data_id: DataIdArg,
    order_by: Sequence[str],
    limit: int,
) -> query_pb.QueryDataIdsRequest:
    return _message(
        query_pb.QueryDataIdsRequest,
        label=label,
        dimensions=list(dimensions),
        dataset_type=dataset_type,
        collections=list(collections),
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
        order_by=list(order_by),
        limit=limit,
    )


def query_dimension_records(
    label: str,
    element: str,
    *,
    dataset_type: str,
    collections: Sequence[str],
    where: str,
    bind: Bind,
    data_id: DataIdArg,
    order_by: Sequence[str],
    limit: int,
) -> query_pb.QueryDimensionRecordsRequest:
    return _message(
        query_pb.QueryDimensionRecordsRequest,
        label=label,
        element=element,
        dataset_type=dataset_type,
        collections=list(collections),
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
        order_by=list(order_by),
        limit=limit,
    )


def count_datasets(
    label: str,
    dataset_type: str,
    collections: Sequence[str],
    *,
    where: str,
    bind: Bind,
    data_id: DataIdArg,
    find_first: bool | None,
) -> query_pb.CountDatasetsRequest:
    return _message(
        query_pb.CountDatasetsRequest,
        label=label,
        dataset_type=dataset_type,
        collections=list(collections),
        find_first=find_first,
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
    )


def count_data_ids(
    label: str,
    dimensions: Sequence[str],
    *,
    dataset_type: str,
    collections: Sequence[str],
    where: str,
    bind: Bind,
    data_id: DataIdArg,
) -> query_pb.CountDataIdsRequest:
    return _message(
        query_pb.CountDataIdsRequest,
        label=label,
        dimensions=list(dimensions),
        dataset_type=dataset_type,
        collections=list(collections),
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
    )


def query_dimension_values(
    label: str,
    dimension: str,
    *,
    dataset_type: str,
    collections: Sequence[str],
    where: str,
    bind: Bind,
    data_id: DataIdArg,
    with_counts: bool,
) -> query_pb.QueryDimensionValuesRequest:
    return _message(
        query_pb.QueryDimensionValuesRequest,
        label=label,
        dimension=dimension,
        dataset_type=dataset_type,
        collections=list(collections),
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
        with_counts=with_counts,
    )


def explain_no_results(
    label: str,
    *,
    dataset_type: str,
    collections: Sequence[str],
    dimensions: Sequence[str],
    where: str,
    bind: Bind,
    data_id: DataIdArg,
    find_first: bool | None,
) -> query_pb.ExplainNoResultsRequest:
    return _message(
        query_pb.ExplainNoResultsRequest,
        label=label,
        dataset_type=dataset_type,
        collections=list(collections),
        find_first=find_first,
        dimensions=list(dimensions),
        where=where,
        bind=bind_to_proto(bind),
        data_id=data_id_to_proto(data_id or {}),
    )


def query_collections(
    label: str,
    expression: Sequence[str],
    *,
    collection_types: Sequence[CollectionType],
    flatten_chains: bool,
    include_chains: bool | None,
    include_parents: bool,
    include_summary: bool,
    include_doc: bool,
) -> query_pb.QueryCollectionsRequest:
    return _message(
        query_pb.QueryCollectionsRequest,
        label=label,
        expression=list(expression),
        collection_types=[t.value for t in collection_types],
        flatten_chains=flatten_chains,
        include_chains=include_chains,
        include_parents=include_parents,
        include_summary=include_summary,
        include_doc=include_doc,
    )


def get_collection_info(
    label: str, name: str, *, include_parents: bool, include_summary: bool
) -> query_pb.GetCollectionInfoRequest:
    return _message(
        query_pb.GetCollectionInfoRequest,
        label=label,
        name=name,
        include_parents=include_parents,
        include_summary=include_summary,
    )


def query_dataset_types(label: str, expression: Sequence[str]) -> query_pb.QueryDatasetTypesRequest:
    return _message(query_pb.QueryDatasetTypesRequest, label=label, expression=list(expression))


def get_dataset_type(label: str, name: str) -> query_pb.GetDatasetTypeRequest:
    return _message(query_pb.GetDatasetTypeRequest, label=label, name=name)


# ---- planning ------------------------------------------------------------------------------------


def plan_groups(
    label: str,
    dataset_type: str,
    collections: Sequence[str],
    strategy: SplitStrategy,
    *,
    dimension: str,
    predicates: Sequence[str],
) -> plan_pb.PlanGroupsRequest:
    return _message(
        plan_pb.PlanGroupsRequest,
        label=label,
        dataset_type=dataset_type,
        collections=list(collections),
        predicates=list(predicates),
        dimension=dimension,
        **strategy_to_proto(strategy),
    )


# ---- collection mutations ------------------------------------------------------------------------


def ensure_collection(
    label: str, name: str, type: CollectionType, *, doc: str, dry_run: bool
) -> coll_pb.EnsureCollectionRequest:
    return _message(
        coll_pb.EnsureCollectionRequest, label=label, name=name, type=type.value, doc=doc, dry_run=dry_run
    )


def assemble_inputs(
    label: str, name: str, assembly: ChainedInputs | TaggedInputs, *, doc: str, dry_run: bool
) -> coll_pb.AssembleInputsRequest:
    return _message(
        coll_pb.AssembleInputsRequest,
        label=label,
        name=name,
        doc=doc,
        dry_run=dry_run,
        **assembly_to_proto(assembly),
    )


def chain_collections(
    label: str,
    parent: str,
    mode: ChainMode,
    children: Sequence[str],
    *,
    expected_children: Sequence[str] | None,
    do_not_create_parent: bool,
    flatten: bool,
    doc: str,
    dry_run: bool,
) -> coll_pb.ChainCollectionsRequest:
    expected = (
        None if expected_children is None else coll_pb.ExpectedChildren(children=list(expected_children))
    )
    return _message(
        coll_pb.ChainCollectionsRequest,
        label=label,
        parent=parent,
        mode=mode.value,
        children=list(children),
        do_not_create_parent=do_not_create_parent,
        expected_children=expected,
        flatten=flatten,
        doc=doc,
        dry_run=dry_run,
    )


def remove_collection(
    label: str,
    name: str,
    *,
    remove_run_and_datasets: bool,
    unlink_from_parents: bool,
    missing_ok: bool,
    dry_run: bool,
) -> coll_pb.RemoveCollectionRequest:
    return _message(
        coll_pb.RemoveCollectionRequest,
        label=label,
        name=name,
        remove_run_and_datasets=remove_run_and_datasets,
        unlink_from_parents=unlink_from_parents,
        missing_ok=missing_ok,
        dry_run=dry_run,
    )


def disassociate(
    label: str, name: str, dataset_types: Sequence[str], *, where: str, bind: Bind, dry_run: bool
) -> coll_pb.DisassociateRequest:
    return _message(
        coll_pb.DisassociateRequest,
        label=label,
        name=name,
        dataset_types=list(dataset_types),
        where=where,
        bind=bind_to_proto(bind),
        dry_run=dry_run,
    )


# ---- submission environment and health -----------------------------------------------------------


def render_submission_environment(
    labels: Sequence[str],
    *,
    credential_mode: CredentialMode,
    repository_index_mode: RepositoryIndexMode,
    submission_id: str,
) -> env_pb.RenderSubmissionEnvironmentRequest:
    return _message(
        env_pb.RenderSubmissionEnvironmentRequest,
        labels=list(labels),
        credential_mode=credential_mode.value,
        repository_index_mode=repository_index_mode.value,
        submission_id=submission_id,
    )


def health(service: str) -> health_pb2.HealthCheckRequest:
    """The request of both ``Check`` and ``Watch``."""
    return health_pb2.HealthCheckRequest(service=service)
