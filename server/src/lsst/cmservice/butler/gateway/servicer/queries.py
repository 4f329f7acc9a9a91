"""RPCs of data queries, collection and dataset type lookups, and group-split planning."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from lsst.cmservice.butler.v1 import common_pb2, planning_pb2, queries_pb2

from ..domain import catalog, planning, queries
from ..domain.queries import Constraint, DatasetSearch, Truncated
from ..domain.where import ScalarValue
from ..errors import InvalidArgumentError
from ._rpc import GatewayContext, stream_rpc, unary_rpc
from .base import ServicerBase
from .convert import (
    COLLECTION_TYPE_FROM_PROTO,
    COLLECTION_TYPE_TO_PROTO,
    bind_to_python,
    python_to_value,
    value_to_python,
)

__all__ = ["QueryRpcs"]

Row = TypeVar("Row")
Message = TypeVar("Message")

# Rows per stream message: large enough to amortise per-message cost, small enough to keep a
# message well under gRPC's 4 MiB default limit even for dimension records with regions.
ROWS_PER_MESSAGE = 500

# -- proto <-> Python values -------------------------------------------------------------------


def _data_id_from_proto(data_id: common_pb2.DataId) -> dict[str, ScalarValue]:
    result: dict[str, ScalarValue] = {}
    for key, value in data_id.values.items():
        python = value_to_python(value)
        if isinstance(python, bool) or not isinstance(python, int | str):
            raise InvalidArgumentError(f"data ID value of {key!r} must be an integer or a string")
        result[key] = python
    return result


def _constraint(request: Any) -> Constraint:
    return Constraint(
        where=request.where,
        bind=bind_to_python(request.bind),
        data_id=_data_id_from_proto(request.data_id),
    )


def _search(request: Any, *, required: bool) -> DatasetSearch | None:
    if not request.dataset_type and not required:
        return None
    find_first = request.find_first if request.HasField("find_first") else True
    return DatasetSearch(request.dataset_type, tuple(request.collections), find_first)


def _optional_search(request: Any) -> DatasetSearch | None:
    if not request.dataset_type:
        return None
    return DatasetSearch(request.dataset_type, tuple(request.collections))


# -- rows -> messages --------------------------------------------------------------------------


def _fill_data_id(target: common_pb2.DataId, values: Mapping[str, ScalarValue]) -> None:
    entries = target.values
    for key, value in values.items():
        if isinstance(value, int):
            entries[key].int_value = value
        else:
            entries[key].string_value = str(value)


def _add_ref(message: queries_pb2.QueryDatasetsResponse, row: queries.DatasetRow) -> None:
    ref = message.refs.add(id=row.id, dataset_type=row.dataset_type, run=row.run)
    _fill_data_id(ref.data_id, row.data_id)


def _add_data_id(message: queries_pb2.QueryDataIdsResponse, row: Mapping[str, ScalarValue]) -> None:
    _fill_data_id(message.data_ids.add(), row)


def _add_record(message: queries_pb2.QueryDimensionRecordsResponse, row: queries.RecordRow) -> None:
    record = message.records.add(element=row.element)
    _fill_data_id(record.data_id, row.data_id)
    for name, value in row.fields.items():
        record.fields[name].CopyFrom(python_to_value(value))
    if row.timespan is not None:
        record.timespan.begin, record.timespan.end = row.timespan
    if row.region is not None:
        record.region = row.region


class _StreamMessage(Protocol):
    truncated: bool


StreamMessage = TypeVar("StreamMessage", bound=_StreamMessage)


def _messages(
    rows: Iterable[Row | Truncated],
    new: Callable[[], StreamMessage],
    add: Callable[[StreamMessage, Row], None],
) -> Iterator[StreamMessage]:
    # Runs in the stream's worker thread: rows are written straight into the message being
    # filled (no intermediate per-row messages to copy), off the event loop.
    message, filled = new(), 0
    for row in rows:
        if isinstance(row, Truncated):
            message.truncated = True
            yield message
            return
        add(message, row)
        filled += 1
        if filled >= ROWS_PER_MESSAGE:
            yield message
            message, filled = new(), 0
    if filled:
        yield message


def _collection(summary: catalog.CollectionSummary) -> queries_pb2.CollectionInfo:
    return queries_pb2.CollectionInfo(
        name=summary.name,
        type=COLLECTION_TYPE_TO_PROTO[summary.type],
        doc=summary.doc,
        children=summary.children,
        parents=summary.parents,
        dataset_types=summary.dataset_types,
    )


def _dataset_type(summary: catalog.DatasetTypeSummary) -> queries_pb2.DatasetType:
    return queries_pb2.DatasetType(
        name=summary.name,
        dimensions=summary.dimensions,
        implied_dimensions=summary.implied_dimensions,
        storage_class=summary.storage_class,
        is_calibration=summary.is_calibration,
    )


def _strategy(request: planning_pb2.PlanGroupsRequest) -> planning.SplitStrategy:
    kind = request.WhichOneof("strategy")
    if kind == "by_query":
        by_query = request.by_query
        if by_query.min_groups < 0 or by_query.max_size < 0:
            raise InvalidArgumentError("min_groups and max_size must not be negative")
        return planning.ByQuery(
            min_groups=max(by_query.min_groups, 1),
            max_size=by_query.max_size,
            count_values=by_query.size_unit == planning_pb2.SPLIT_SIZE_UNIT_VALUES,
        )
    if kind == "by_values":
        groups = []
        for group in request.by_values.groups:
            values = tuple(value_to_python(v) for v in group.values)
            if not values:
                raise InvalidArgumentError("each group of by_values needs at least one value")
            groups.append(values)
        return planning.ByValues(tuple(groups))
    if kind == "by_ranges":
        return planning.ByRanges(
            tuple(
                (r.min if r.HasField("min") else None, r.max if r.HasField("max") else None)
                for r in request.by_ranges.ranges
            )
        )
    if kind == "none":
        return planning.NoSplit()
    raise InvalidArgumentError("a split strategy (by_query, by_values, by_ranges or none) is required")


def _optional_value(value: ScalarValue | None) -> common_pb2.Value | None:
    return None if value is None else python_to_value(value)


def _plan(plan: planning.SplitPlan) -> planning_pb2.PlanGroupsResponse:
    return planning_pb2.PlanGroupsResponse(
        groups=[
            planning_pb2.PlannedGroup(
                predicate=g.predicate,
                count=g.count,
                value_count=g.value_count,
                first_value=_optional_value(g.first_value),
                last_value=_optional_value(g.last_value),
                exceeds_max_size=g.exceeds_max_size,
            )
            for g in plan.groups
        ],
        total=plan.total,
        distinct_values=plan.distinct_values,
        unassigned_count=plan.unassigned_count,
        unassigned_values=[python_to_value(v) for v in plan.unassigned_values],
    )


class QueryRpcs(ServicerBase):
    """Query, count, explain, collection and dataset type lookups, and PlanGroups."""

    async def _stream(self, produce: Callable[[], Iterator[Message]]) -> AsyncIterator[Message]:
        # Each item the runner hands over is already a full message of up to 500 rows.
        async for messages in self.runner.stream(produce, batch_size=1):
            for message in messages:
                yield message

    @stream_rpc
    async def QueryDatasets(
        self, request: queries_pb2.QueryDatasetsRequest, context: GatewayContext
    ) -> AsyncIterator[queries_pb2.QueryDatasetsResponse]:
        search = _search(request, required=True)
        assert search is not None
        rows = functools.partial(
            queries.iter_datasets,
            self.factory,
            request.label,
            search,
            _constraint(request),
            tuple(request.order_by),
            request.limit,
        )

        def produce() -> Iterator[queries_pb2.QueryDatasetsResponse]:
            return _messages(rows(), queries_pb2.QueryDatasetsResponse, _add_ref)

        async for message in self._stream(produce):
            yield message

    @stream_rpc
    async def QueryDataIds(
        self, request: queries_pb2.QueryDataIdsRequest, context: GatewayContext
    ) -> AsyncIterator[queries_pb2.QueryDataIdsResponse]:
        rows = functools.partial(
            queries.iter_data_ids,
            self.factory,
            request.label,
            tuple(request.dimensions),
            _optional_search(request),
            _constraint(request),
            tuple(request.order_by),
            request.limit,
        )

        def produce() -> Iterator[queries_pb2.QueryDataIdsResponse]:
            return _messages(rows(), queries_pb2.QueryDataIdsResponse, _add_data_id)

        async for message in self._stream(produce):
            yield message

    @stream_rpc
    async def QueryDimensionRecords(
        self, request: queries_pb2.QueryDimensionRecordsRequest, context: GatewayContext
    ) -> AsyncIterator[queries_pb2.QueryDimensionRecordsResponse]:
        rows = functools.partial(
            queries.iter_dimension_records,
            self.factory,
            request.label,
            request.element,
            _optional_search(request),
            _constraint(request),
            tuple(request.order_by),
            request.limit,
        )

        def produce() -> Iterator[queries_pb2.QueryDimensionRecordsResponse]:
            return _messages(rows(), queries_pb2.QueryDimensionRecordsResponse, _add_record)

        async for message in self._stream(produce):
            yield message

    @unary_rpc
    async def CountDatasets(
        self, request: queries_pb2.CountDatasetsRequest, context: GatewayContext
    ) -> queries_pb2.CountDatasetsResponse:
        search = _search(request, required=True)
        assert search is not None
        count = await self.runner.run(
            queries.count_datasets, self.factory, request.label, search, _constraint(request)
        )
        return queries_pb2.CountDatasetsResponse(count=count)

    @unary_rpc
    async def CountDataIds(
        self, request: queries_pb2.CountDataIdsRequest, context: GatewayContext
    ) -> queries_pb2.CountDataIdsResponse:
        count = await self.runner.run(
            queries.count_data_ids,
            self.factory,
            request.label,
            tuple(request.dimensions),
            _optional_search(request),
            _constraint(request),
        )
        return queries_pb2.CountDataIdsResponse(count=count)

    @unary_rpc
    async def QueryDimensionValues(
        self, request: queries_pb2.QueryDimensionValuesRequest, context: GatewayContext
    ) -> queries_pb2.QueryDimensionValuesResponse:
        values = await self.runner.run(
            functools.partial(
                queries.dimension_values,
                self.factory,
                request.label,
                request.dimension,
                _optional_search(request),
                _constraint(request),
                with_counts=request.with_counts,
            )
        )
        response = queries_pb2.QueryDimensionValuesResponse(
            values=[queries_pb2.DimensionValue(value=python_to_value(v), count=n) for v, n in values]
        )
        if request.with_counts:
            response.total = sum(n or 0 for _, n in values)
        return response

    @unary_rpc
    async def ExplainNoResults(
        self, request: queries_pb2.ExplainNoResultsRequest, context: GatewayContext
    ) -> queries_pb2.ExplainNoResultsResponse:
        has_results, reasons = await self.runner.run(
            queries.explain_no_results,
            self.factory,
            request.label,
            _search(request, required=False),
            tuple(request.dimensions),
            _constraint(request),
        )
        return queries_pb2.ExplainNoResultsResponse(has_results=has_results, reasons=reasons)

    @unary_rpc
    async def QueryCollections(
        self, request: queries_pb2.QueryCollectionsRequest, context: GatewayContext
    ) -> queries_pb2.QueryCollectionsResponse:
        types = []
        for value in request.collection_types:
            if value not in COLLECTION_TYPE_FROM_PROTO:
                raise InvalidArgumentError(f"collection type {value} is not a known CollectionType")
            types.append(COLLECTION_TYPE_FROM_PROTO[value])
        found = await self.runner.run(
            functools.partial(
                catalog.query_collections,
                self.factory,
                request.label,
                tuple(request.expression),
                tuple(types),
                flatten_chains=request.flatten_chains,
                include_chains=request.include_chains if request.HasField("include_chains") else None,
                include_parents=request.include_parents,
                include_summary=request.include_summary,
                include_doc=request.include_doc,
            )
        )
        return queries_pb2.QueryCollectionsResponse(collections=[_collection(c) for c in found])

    @unary_rpc
    async def GetCollectionInfo(
        self, request: queries_pb2.GetCollectionInfoRequest, context: GatewayContext
    ) -> queries_pb2.GetCollectionInfoResponse:
        found = await self.runner.run(
            functools.partial(
                catalog.get_collection_info,
                self.factory,
                request.label,
                request.name,
                include_parents=request.include_parents,
                include_summary=request.include_summary,
            )
        )
        return queries_pb2.GetCollectionInfoResponse(collection=_collection(found))

    @unary_rpc
    async def QueryDatasetTypes(
        self, request: queries_pb2.QueryDatasetTypesRequest, context: GatewayContext
    ) -> queries_pb2.QueryDatasetTypesResponse:
        found = await self.runner.run(
            catalog.query_dataset_types, self.factory, request.label, tuple(request.expression)
        )
        return queries_pb2.QueryDatasetTypesResponse(dataset_types=[_dataset_type(d) for d in found])

    @unary_rpc
    async def GetDatasetType(
        self, request: queries_pb2.GetDatasetTypeRequest, context: GatewayContext
    ) -> queries_pb2.GetDatasetTypeResponse:
        found = await self.runner.run(catalog.get_dataset_type, self.factory, request.label, request.name)
        return queries_pb2.GetDatasetTypeResponse(dataset_type=_dataset_type(found))

    @unary_rpc
    async def PlanGroups(
        self, request: planning_pb2.PlanGroupsRequest, context: GatewayContext
    ) -> planning_pb2.PlanGroupsResponse:
        search = DatasetSearch(request.dataset_type, tuple(request.collections))
        plan = await self.runner.run(
            planning.plan_groups,
            self.factory,
            request.label,
            search,
            tuple(request.predicates),
            request.dimension,
            _strategy(request),
        )
        return _plan(plan)
