"""Query, count, explain, collection and dataset type RPCs through a real gateway (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from lsst.cmservice.butler.gateway.demo import DEMO
from lsst.cmservice.butler.v1 import common_pb2, gateway_pb2_grpc
from lsst.cmservice.butler.v1 import queries_pb2 as pb

from .conftest import RepoUnderTest
from .support.gateway import error_info, running_gateway, settings_for
from .support.postgres import PostgresServer

if TYPE_CHECKING:
    Stub = gateway_pb2_grpc.ButlerGatewayServiceAsyncStub
LSSTCAM = DEMO.primary_instrument
DEFAULTS = "LSSTCam/defaults"


@contextlib.asynccontextmanager
async def gateway(repo: RepoUnderTest) -> AsyncIterator[Stub]:
    settings = settings_for({"repo": repo.config_uri}, db_auth_credentials=repo.credentials_json)
    async with running_gateway(settings) as (_, stub):
        yield stub


def typed(value: common_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    return None if kind is None else getattr(value, kind)


def data_id(values: common_pb2.DataId, dims: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(typed(values.values[d]) for d in dims)


def instrument(name: str) -> common_pb2.DataId:
    return common_pb2.DataId(values={"instrument": common_pb2.Value(string_value=name)})


async def collect(call: Any) -> list[Any]:
    return [message async for message in call]


async def test_query_datasets_rows_and_types(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        messages = await collect(
            stub.QueryDatasets(
                pb.QueryDatasetsRequest(label="repo", dataset_type="raw", collections=[DEFAULTS])
            )
        )
        refs = [ref for m in messages for ref in m.refs]
        assert not any(m.truncated for m in messages)
        expected = DEMO.expected_data_ids("raw", DEFAULTS)
        assert sorted(data_id(r.data_id, DEMO.raw.dimensions) for r in refs) == sorted(expected)
        assert {r.run for r in refs} == {DEMO.raw_runs[LSSTCAM]}
        assert {r.dataset_type for r in refs} == {"raw"}
        assert len({r.id for r in refs}) == len(refs)
        ref = refs[0]
        # Typed values: integers and strings stay apart; implied dimensions are included.
        assert ref.data_id.values["exposure"].WhichOneof("kind") == "int_value"
        assert ref.data_id.values["detector"].WhichOneof("kind") == "int_value"
        assert ref.data_id.values["instrument"].WhichOneof("kind") == "string_value"
        exposure = next(e for e in DEMO.exposures if e.id == ref.data_id.values["exposure"].int_value)
        assert ref.data_id.values["physical_filter"].string_value == exposure.physical_filter
        assert ref.data_id.values["day_obs"].int_value == exposure.day_obs

        count = await stub.CountDatasets(
            pb.CountDatasetsRequest(label="repo", dataset_type="raw", collections=[DEFAULTS])
        )
        assert count.count == len(expected)


async def test_where_bind_data_id_and_order(any_repo: RepoUnderTest) -> None:
    detectors = DEMO.detector_ids(LSSTCAM)[:2]
    bind = {
        "dets": common_pb2.Value(
            list_value=common_pb2.ValueList(values=[common_pb2.Value(int_value=d) for d in detectors])
        ),
        "day": common_pb2.Value(int_value=DEMO.tagged_day_obs),
    }
    request = pb.QueryDatasetsRequest(
        label="repo",
        dataset_type="raw",
        collections=["demo/campaign/input"],
        where="detector IN (:dets) AND day_obs = :day",
        bind=bind,
        data_id=instrument(LSSTCAM),
        order_by=["-exposure", "detector"],
    )
    async with gateway(any_repo) as stub:
        refs = [r for m in await collect(stub.QueryDatasets(request)) for r in m.refs]
        got = [data_id(r.data_id, DEMO.raw.dimensions) for r in refs]
        expected = sorted(
            (LSSTCAM, d, e)
            for d in detectors
            for e in DEMO.exposure_ids(LSSTCAM, day_obs=DEMO.tagged_day_obs)
        )
        assert got == sorted(expected, key=lambda t: (-t[2], t[1]))
        count = await stub.CountDatasets(
            pb.CountDatasetsRequest(
                label="repo",
                dataset_type="raw",
                collections=["demo/campaign/input"],
                where=request.where,
                bind=bind,
                data_id=request.data_id,
            )
        )
        assert count.count == len(expected)


async def test_glob_collections_need_find_first_false(any_repo: RepoUnderTest) -> None:
    globbed = pb.CountDatasetsRequest(
        label="repo", dataset_type="raw", collections=["*/raw/*"], find_first=False
    )
    async with gateway(any_repo) as stub:
        # Every raw RUN plus the TAGGED copies of night 1 (the same datasets, found twice).
        expected = sum(len(DEMO.stored_data_ids("raw", run)) for run in DEMO.raw_runs.values())
        expected += len(DEMO.stored_data_ids("raw", DEMO.tagged_raw))
        assert (await stub.CountDatasets(globbed)).count == expected
        values = await stub.QueryDimensionValues(
            pb.QueryDimensionValuesRequest(
                label="repo", dimension="instrument", dataset_type="raw", collections=["*/raw/all"]
            )
        )
        assert sorted(v.value.string_value for v in values.values) == sorted(DEMO.raw_runs)
        globbed.find_first = True
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CountDatasets(globbed)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "find_first" in (caught.value.details() or "")
        globbed.collections[:] = ["no/match/*"]
        globbed.find_first = False
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CountDatasets(globbed)
        assert error_info(caught.value).reason == "COLLECTION_NOT_FOUND"


async def test_limit_is_explicit_and_never_silent(any_repo: RepoUnderTest) -> None:
    total = DEMO.expected_raw_count(DEFAULTS)

    async def rows(limit: int) -> tuple[int, bool]:
        request = pb.QueryDatasetsRequest(
            label="repo", dataset_type="raw", collections=[DEFAULTS], limit=limit
        )
        messages = await collect(stub.QueryDatasets(request))
        assert not any(m.truncated for m in messages[:-1])
        return sum(len(m.refs) for m in messages), bool(messages and messages[-1].truncated)

    async with gateway(any_repo) as stub:
        assert await rows(5) == (5, True)
        assert await rows(total) == (total, False)
        assert await rows(total + 1) == (total, False)
        assert await rows(0) == (total, False)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await rows(-1)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_empty_result_is_ok_with_zero_rows(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        messages = await collect(
            stub.QueryDatasets(
                pb.QueryDatasetsRequest(
                    label="repo", dataset_type="raw", collections=[DEFAULTS], where="band = 'nope'"
                )
            )
        )
        assert messages == []
        count = await stub.CountDatasets(
            pb.CountDatasetsRequest(label="repo", dataset_type="calexp", collections=[DEMO.raw_runs[LSSTCAM]])
        )
        assert count.count == 0


async def test_data_ids_and_counts(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        request = pb.QueryDataIdsRequest(
            label="repo",
            dimensions=["visit"],
            dataset_type="calexp",
            collections=[DEMO.calexp_run],
            order_by=["visit"],
        )
        ids = [d for m in await collect(stub.QueryDataIds(request)) for d in m.data_ids]
        expected = DEMO.visit_ids(LSSTCAM, day_obs=DEMO.calexp_day_obs)
        assert [d.values["visit"].int_value for d in ids] == list(expected)
        assert {d.values["instrument"].string_value for d in ids} == {LSSTCAM}
        count = await stub.CountDataIds(
            pb.CountDataIdsRequest(
                label="repo", dimensions=["visit"], dataset_type="calexp", collections=[DEMO.calexp_run]
            )
        )
        assert count.count == len(expected)
        exposures = await stub.CountDataIds(
            pb.CountDataIdsRequest(label="repo", dimensions=["exposure"], data_id=instrument("LATISS"))
        )
        assert exposures.count == len(DEMO.exposure_ids("LATISS"))


async def test_dimension_records_are_typed(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        request = pb.QueryDimensionRecordsRequest(
            label="repo", element="exposure", data_id=instrument(LSSTCAM), order_by=["exposure"]
        )
        records = [r for m in await collect(stub.QueryDimensionRecords(request)) for r in m.records]
        expected = [e for e in DEMO.exposures if e.instrument == LSSTCAM]
        assert [r.data_id.values["exposure"].int_value for r in records] == [e.id for e in expected]
        for record, exposure in zip(records, expected, strict=True):
            assert record.element == "exposure"
            assert record.fields["obs_id"].string_value == exposure.obs_id
            assert record.fields["exposure_time"].float_value == exposure.exposure_time
            assert record.fields["seq_num"].int_value == exposure.seq_num
            assert record.fields["can_see_sky"].WhichOneof("kind") == "bool_value"
            assert record.fields["can_see_sky"].bool_value == exposure.is_science
            # A null field is an unset Value, not a string "None".
            if not exposure.is_science:
                assert record.fields["tracking_ra"].WhichOneof("kind") is None
            assert record.timespan.begin.startswith(exposure.begin)
            assert record.timespan.end > record.timespan.begin
        visits = [
            r
            for m in await collect(
                stub.QueryDimensionRecords(
                    pb.QueryDimensionRecordsRequest(label="repo", element="visit", limit=1)
                )
            )
            for r in m.records
        ]
        assert len(visits) == 1
        assert visits[0].region  # encoded sphgeom region


async def test_dimension_values_sorted_with_counts(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        response = await stub.QueryDimensionValues(
            pb.QueryDimensionValuesRequest(
                label="repo", dimension="band", dataset_type="raw", collections=[DEFAULTS], with_counts=True
            )
        )
        per_band: dict[str, int] = {}
        detectors = len(DEMO.detector_ids(LSSTCAM))
        bands = {f.name: f.band for f in DEMO.physical_filters if f.instrument == LSSTCAM}
        for e in DEMO.exposures:
            if e.instrument == LSSTCAM:
                per_band[bands[e.physical_filter]] = per_band.get(bands[e.physical_filter], 0) + detectors
        assert [(v.value.string_value, v.count) for v in response.values] == sorted(per_band.items())
        assert response.total == DEMO.expected_raw_count(DEFAULTS)

        plain = await stub.QueryDimensionValues(
            pb.QueryDimensionValuesRequest(label="repo", dimension="exposure", data_id=instrument("LATISS"))
        )
        assert [v.value.int_value for v in plain.values] == list(DEMO.exposure_ids("LATISS"))
        assert not plain.values[0].HasField("count")
        assert not plain.HasField("total")


async def test_explain_no_results(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        empty = await stub.ExplainNoResults(
            pb.ExplainNoResultsRequest(
                label="repo", dataset_type="raw", collections=[DEFAULTS], where="instrument = 'NoSuchCam'"
            )
        )
        assert not empty.has_results
        assert any("NoSuchCam" in reason for reason in empty.reasons)
        full = await stub.ExplainNoResults(
            pb.ExplainNoResultsRequest(label="repo", dimensions=["detector"], data_id=instrument(LSSTCAM))
        )
        assert full.has_results
        assert list(full.reasons) == []


async def test_collections(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        listed = await stub.QueryCollections(pb.QueryCollectionsRequest(label="repo", include_doc=True))
        by_name = {c.name: c for c in listed.collections}
        assert set(by_name) == set(DEMO.collection_types)
        for name, collection_type in DEMO.collection_types.items():
            assert by_name[name].type == common_pb2.CollectionType.Value(
                f"COLLECTION_TYPE_{collection_type.name}"
            )
            assert by_name[name].doc == DEMO.docs[name]
        for chain, children in DEMO.chains.items():
            assert tuple(by_name[chain].children) == children

        runs = await stub.QueryCollections(
            pb.QueryCollectionsRequest(
                label="repo", expression=["LSSTCam/*"], collection_types=[common_pb2.COLLECTION_TYPE_RUN]
            )
        )
        expected_runs = {
            n for n, t in DEMO.collection_types.items() if t.name == "RUN" and n.startswith("LSSTCam/")
        }
        assert {c.name for c in runs.collections} == expected_runs

        flat = await stub.QueryCollections(
            pb.QueryCollectionsRequest(label="repo", expression=["demo/campaign/input"], flatten_chains=True)
        )
        assert [c.name for c in flat.collections] == [DEMO.tagged_raw, DEMO.calibration]

        info = await stub.GetCollectionInfo(
            pb.GetCollectionInfoRequest(
                label="repo", name="LSSTCam/calib", include_parents=True, include_summary=True
            )
        )
        assert info.collection.type == common_pb2.COLLECTION_TYPE_CHAINED
        assert list(info.collection.children) == list(DEMO.chains["LSSTCam/calib"])
        assert list(info.collection.parents) == sorted(
            p for p, children in DEMO.chains.items() if "LSSTCam/calib" in children
        )
        assert list(info.collection.dataset_types) == ["bias"]


async def test_dataset_types(any_repo: RepoUnderTest) -> None:
    async with gateway(any_repo) as stub:
        listed = await stub.QueryDatasetTypes(pb.QueryDatasetTypesRequest(label="repo"))
        assert [d.name for d in listed.dataset_types] == sorted(d.name for d in DEMO.dataset_types)
        for demo_type in DEMO.dataset_types:
            got = (
                await stub.GetDatasetType(pb.GetDatasetTypeRequest(label="repo", name=demo_type.name))
            ).dataset_type
            assert set(got.dimensions) == set(demo_type.dimensions)
            assert got.storage_class == demo_type.storage_class
            assert got.is_calibration == demo_type.is_calibration
        raw = next(d for d in listed.dataset_types if d.name == "raw")
        assert {"band", "physical_filter", "day_obs", "group"} <= set(raw.implied_dimensions)
        globbed = await stub.QueryDatasetTypes(pb.QueryDatasetTypesRequest(label="repo", expression=["ca*"]))
        assert [d.name for d in globbed.dataset_types] == ["calexp"]


_RAW: dict[str, Any] = {"label": "repo", "dataset_type": "raw", "collections": [DEFAULTS]}


@pytest.mark.parametrize(
    ("method", "request_message", "code", "reason", "named"),
    [
        ("CountDatasets", pb.CountDatasetsRequest(**{**_RAW, "dataset_type": "nope"}), "NOT_FOUND",
         "DATASET_TYPE_NOT_FOUND", "nope"),
        ("CountDatasets", pb.CountDatasetsRequest(**{**_RAW, "collections": ["no/such"]}), "NOT_FOUND",
         "COLLECTION_NOT_FOUND", "no/such"),
        ("CountDataIds", pb.CountDataIdsRequest(label="repo", dimensions=["nodim"]), "NOT_FOUND",
         "DIMENSION_NOT_FOUND", "nodim"),
        ("QueryDimensionValues", pb.QueryDimensionValuesRequest(label="repo", dimension="nodim"), "NOT_FOUND",
         "DIMENSION_NOT_FOUND", "nodim"),
        ("GetCollectionInfo", pb.GetCollectionInfoRequest(label="repo", name="no/such"), "NOT_FOUND",
         "COLLECTION_NOT_FOUND", "no/such"),
        ("GetDatasetType", pb.GetDatasetTypeRequest(label="repo", name="nope"), "NOT_FOUND",
         "DATASET_TYPE_NOT_FOUND", "nope"),
        ("CountDatasets", pb.CountDatasetsRequest(**_RAW, where="detector >"), "INVALID_ARGUMENT",
         "INVALID_QUERY", "detector >"),
        ("CountDatasets", pb.CountDatasetsRequest(**_RAW, where="detector = :d"), "INVALID_ARGUMENT",
         "INVALID_QUERY", "'d'"),
        ("CountDatasets", pb.CountDatasetsRequest(**_RAW, where="exposure > 3"), "INVALID_ARGUMENT",
         "INVALID_QUERY", "instrument"),
        ("CountDatasets", pb.CountDatasetsRequest(**_RAW, where="nofield = 3"), "INVALID_ARGUMENT",
         "INVALID_QUERY", "nofield"),
        ("CountDatasets", pb.CountDatasetsRequest(label="repo", dataset_type="raw"), "INVALID_ARGUMENT",
         "INVALID_ARGUMENT", "collections"),
    ],
)  # fmt: skip
async def test_unary_errors(
    sqlite_repo: RepoUnderTest, method: str, request_message: Any, code: str, reason: str, named: str
) -> None:
    async with gateway(sqlite_repo) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await getattr(stub, method)(request_message)
        assert caught.value.code().name == code
        assert error_info(caught.value).reason == reason
        assert named in (caught.value.details() or "")


@pytest.mark.parametrize(
    ("request_message", "code", "reason"),
    [
        (pb.QueryDatasetsRequest(**{**_RAW, "dataset_type": "nope"}), "NOT_FOUND", "DATASET_TYPE_NOT_FOUND"),
        (pb.QueryDatasetsRequest(**_RAW, where="band = "), "INVALID_ARGUMENT", "INVALID_QUERY"),
    ],
)
async def test_stream_errors_arrive_as_status(
    any_repo: RepoUnderTest, request_message: pb.QueryDatasetsRequest, code: str, reason: str
) -> None:
    async with gateway(any_repo) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(stub.QueryDatasets(request_message))
        assert caught.value.code().name == code
        assert error_info(caught.value).reason == reason
    records = pb.QueryDimensionRecordsRequest(label="repo", element="nosuch_element")
    async with gateway(any_repo) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(stub.QueryDimensionRecords(records))
        assert error_info(caught.value).reason == "DIMENSION_NOT_FOUND"


@pytest.mark.postgres
async def test_database_down_is_unavailable_then_recovers(
    pg_repo: RepoUnderTest, postgres: PostgresServer
) -> None:
    count = pb.CountDatasetsRequest(label="repo", dataset_type="raw", collections=[DEFAULTS])
    stream = pb.QueryDatasetsRequest(label="repo", dataset_type="raw", collections=[DEFAULTS])
    async with gateway(pg_repo) as stub:
        assert (await stub.CountDatasets(count)).count == DEMO.expected_raw_count(DEFAULTS)
        with postgres.stop_temporarily():
            for call in (
                stub.CountDatasets(count, timeout=30),
                collect(stub.QueryDatasets(stream, timeout=30)),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call
                assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
                assert error_info(caught.value).reason == "REPOSITORY_UNAVAILABLE"
                assert pg_repo.credentials[0]["password"] not in (caught.value.details() or "")
        # Clones come from a pool that reconnects: the next call after the outage succeeds.
        assert (await stub.CountDatasets(count)).count == DEMO.expected_raw_count(DEFAULTS)
