"""Collection mutations through a real gateway on SQLite and PostgreSQL repositories of their own."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.rpc import error_details_pb2
from lsst.daf.butler import Butler, CollectionType, DatasetType, MissingCollectionError

from lsst.cmservice.butler.gateway import demo
from lsst.cmservice.butler.gateway.domain import mutations
from lsst.cmservice.butler.gateway.domain.audit import AUDIT_LOGGER_NAME
from lsst.cmservice.butler.gateway.errors import ConcurrentModificationError
from lsst.cmservice.butler.gateway.server import GatewayServer
from lsst.cmservice.butler.gateway.servicer.status import build_status
from lsst.cmservice.butler.v1 import collections_pb2 as pb
from lsst.cmservice.butler.v1 import common_pb2, gateway_pb2_grpc

from .conftest import RepoUnderTest, _create_pg_repository
from .support.gateway import error_info, running_gateway, settings_for
from .support.postgres import PostgresServer

if TYPE_CHECKING:
    Stub = gateway_pb2_grpc.ButlerGatewayServiceAsyncStub

DEMO = demo.DEMO
LABEL = "repo"
RUN, TAGGED, CHAINED = (
    common_pb2.COLLECTION_TYPE_RUN,
    common_pb2.COLLECTION_TYPE_TAGGED,
    common_pb2.COLLECTION_TYPE_CHAINED,
)
REDEFINE, PREPEND, EXTEND, REMOVE = (
    pb.CHAIN_MODE_REDEFINE,
    pb.CHAIN_MODE_PREPEND,
    pb.CHAIN_MODE_EXTEND,
    pb.CHAIN_MODE_REMOVE,
)


def build_repository(dialect: str, root: Path, postgres: PostgresServer | None) -> RepoUnderTest:
    """A new repository with the demo content that only the calling test (or module) mutates."""
    if dialect == "sqlite":
        return RepoUnderTest(LABEL, demo.build_demo_repository(root), "sqlite", [])
    assert postgres is not None
    uri, database = _create_pg_repository(postgres, root, f"coll_{uuid.uuid4().hex[:10]}")
    return RepoUnderTest(LABEL, uri, "postgresql", [database.db_auth_entry()])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RepoUnderTest:
    """A repository shared by this module's tests; each test uses collection names of its own."""
    postgres = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    return build_repository(request.param, tmp_path_factory.mktemp("collections"), postgres)


@pytest.fixture
async def gateway(module_repo: RepoUnderTest) -> AsyncIterator[tuple[GatewayServer, Stub]]:
    settings = settings_for({LABEL: module_repo.config_uri}, db_auth_credentials=module_repo.credentials_json)
    async with running_gateway(settings) as running:
        yield running


@pytest.fixture
def stub(gateway: tuple[GatewayServer, Stub]) -> Stub:
    return gateway[1]


@pytest.fixture
def unique() -> str:
    """A collection-name prefix of this test only."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def butler(module_repo: RepoUnderTest, gateway: tuple[GatewayServer, Stub]) -> Iterator[Butler]:
    """A direct read-only Butler on the same repository, to check the gateway's effects."""
    # The gateway put LSST_DB_AUTH_CREDENTIALS into the environment when it started.
    with Butler.from_config(module_repo.config_uri, writeable=False) as direct:
        yield direct


async def expect_error(call: Any, request: Any, code: grpc.StatusCode, reason: str) -> str:
    """Await a call expected to fail; return its message."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request)
    assert caught.value.code() == code, caught.value.details()
    assert error_info(caught.value).reason == reason
    return caught.value.details() or ""


def exists(butler: Butler, name: str) -> bool:
    try:
        butler.collections.get_info(name)
    except MissingCollectionError:
        return False
    return True


def children_of(butler: Butler, name: str) -> list[str]:
    return list(butler.collections.get_info(name).children)


def state_of(butler: Butler) -> dict[str, Any]:
    """Everything a mutation could change: every collection with type, doc, children, datasets."""
    state: dict[str, Any] = {}
    for info in butler.collections.query_info("*", include_doc=True):
        datasets: list[str] = []
        if info.type is not CollectionType.CHAINED:
            for dataset_type in DEMO.dataset_types:
                refs = butler.query_datasets(
                    dataset_type.name, info.name, find_first=False, explain=False, limit=None
                )
                datasets += sorted(str(ref.id) for ref in refs)
        state[info.name] = (info.type.name, info.doc, tuple(info.children), tuple(datasets))
    return state


def chain(label: str = LABEL, **fields: Any) -> pb.ChainCollectionsRequest:
    return pb.ChainCollectionsRequest(label=label, **fields)


async def make_runs(stub: Stub, *names: str) -> None:
    for name in names:
        await stub.EnsureCollection(pb.EnsureCollectionRequest(label=LABEL, name=name, type=RUN))


# -- EnsureCollection -----------------------------------------------------------------------------


async def test_ensure_collection_creates_once_and_checks_type(
    stub: Stub, butler: Butler, unique: str
) -> None:
    for kind, collection_type in ((RUN, "RUN"), (TAGGED, "TAGGED"), (CHAINED, "CHAINED")):
        name = f"{unique}/{collection_type.lower()}"
        first = await stub.EnsureCollection(
            pb.EnsureCollectionRequest(label=LABEL, name=name, type=kind, doc="first doc")
        )
        assert first.created
        assert not first.dry_run
        assert first.collection.type == kind
        assert first.collection.doc == "first doc"
        assert len(first.changes) == 1
        assert not first.changes[0].HasField("before")
        again = await stub.EnsureCollection(pb.EnsureCollectionRequest(label=LABEL, name=name, type=kind))
        assert not again.created
        assert not again.changes
        assert again.collection.doc == "first doc"
        info = butler.collections.get_info(name)
        assert info.type.name == collection_type
        assert info.doc == "first doc"

    # A new doc replaces a different one; the same doc again changes nothing.
    name = f"{unique}/run"
    updated = await stub.EnsureCollection(
        pb.EnsureCollectionRequest(label=LABEL, name=name, type=RUN, doc="new")
    )
    assert updated.doc_updated
    assert updated.changes[0].before.doc == "first doc"
    assert butler.collections.get_info(name).doc == "new"
    same = await stub.EnsureCollection(
        pb.EnsureCollectionRequest(label=LABEL, name=name, type=RUN, doc="new")
    )
    assert not same.doc_updated
    assert not same.changes

    # daf_butler's register() would silently accept this; the gateway refuses and changes nothing.
    message = await expect_error(
        stub.EnsureCollection,
        pb.EnsureCollectionRequest(label=LABEL, name=name, type=TAGGED, doc="other"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COLLECTION_TYPE_MISMATCH",
    )
    assert "RUN" in message
    assert "TAGGED" in message
    assert butler.collections.get_info(name).doc == "new"


async def test_ensure_collection_rejects_bad_requests(stub: Stub) -> None:
    for bad in ("", "a b", "x*", "quote'd", "a" * 65, "tab\tname"):
        await expect_error(
            stub.EnsureCollection,
            pb.EnsureCollectionRequest(label=LABEL, name=bad, type=RUN),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_COLLECTION_NAME",
        )
    await expect_error(
        stub.EnsureCollection,
        pb.EnsureCollectionRequest(label=LABEL, name="fine"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    await expect_error(
        stub.EnsureCollection,
        pb.EnsureCollectionRequest(label="nope", name="fine", type=RUN),
        grpc.StatusCode.NOT_FOUND,
        "REPOSITORY_NOT_FOUND",
    )


# -- ChainCollections -----------------------------------------------------------------------------


async def test_chain_modes(stub: Stub, butler: Butler, unique: str) -> None:
    a, b, c, d = (f"{unique}/{x}" for x in "abcd")
    parent = f"{unique}/chain"
    await make_runs(stub, a, b, c, d)

    created = await stub.ChainCollections(
        chain(parent=parent, mode=REDEFINE, children=[a, b], doc="chain doc")
    )
    assert created.created
    assert list(created.children) == [a, b]
    assert not created.changes[0].HasField("before")
    assert list(created.changes[0].after.children) == [a, b]
    assert butler.collections.get_info(parent).doc == "chain doc"

    prepended = await stub.ChainCollections(chain(parent=parent, mode=PREPEND, children=[c]))
    assert list(prepended.children) == [c, a, b]
    assert not prepended.created
    assert list(prepended.changes[0].before.children) == [a, b]

    # An existing child moves; it is never duplicated.
    extended = await stub.ChainCollections(chain(parent=parent, mode=EXTEND, children=[d, c]))
    assert list(extended.children) == [a, b, d, c]
    moved = await stub.ChainCollections(chain(parent=parent, mode=PREPEND, children=[c]))
    assert list(moved.children) == [c, a, b, d]

    removed = await stub.ChainCollections(
        chain(parent=parent, mode=REMOVE, children=[a, d, f"{unique}/never"])
    )
    assert list(removed.children) == [c, b]
    noop = await stub.ChainCollections(chain(parent=parent, mode=REMOVE, children=[a]))
    assert list(noop.children) == [c, b]
    assert not noop.changes

    redefined = await stub.ChainCollections(chain(parent=parent, mode=REDEFINE, children=[d]))
    assert list(redefined.children) == [d]
    again = await stub.ChainCollections(chain(parent=parent, mode=REDEFINE, children=[d]))
    assert not again.changes
    assert children_of(butler, parent) == [d]


async def test_chain_flatten_and_compare_and_set(stub: Stub, butler: Butler, unique: str) -> None:
    parent = f"{unique}/flat"
    flattened = await stub.ChainCollections(
        chain(parent=parent, mode=REDEFINE, children=["LSSTCam/defaults"], flatten=True)
    )
    assert list(flattened.children) == ["LSSTCam/raw/all", "LSSTCam/calib/certified"]

    # Compare-and-set: applied only while the chain is what the caller last read.
    current = list(flattened.children)
    applied = await stub.ChainCollections(
        chain(
            parent=parent,
            mode=REDEFINE,
            children=["LSSTCam/raw/all"],
            expected_children=pb.ExpectedChildren(children=current),
        )
    )
    assert list(applied.children) == ["LSSTCam/raw/all"]
    message = await expect_error(
        stub.ChainCollections,
        chain(
            parent=parent,
            mode=EXTEND,
            children=["LSSTCam/calib"],
            expected_children=pb.ExpectedChildren(children=current),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CHAIN_CHANGED",
    )
    assert "LSSTCam/raw/all" in message
    assert children_of(butler, parent) == ["LSSTCam/raw/all"]
    # An empty expectation means "empty or missing": a compare-and-set creation.
    fresh = f"{unique}/cas-new"
    empty = pb.ExpectedChildren()
    made = await stub.ChainCollections(
        chain(parent=fresh, mode=EXTEND, children=["LSSTCam/calib"], expected_children=empty)
    )
    assert made.created
    await expect_error(
        stub.ChainCollections,
        chain(parent=fresh, mode=EXTEND, children=["LSSTCam/raw/all"], expected_children=empty),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CHAIN_CHANGED",
    )


async def test_chain_errors(stub: Stub, butler: Butler, unique: str) -> None:
    top, middle, bottom = f"{unique}/top", f"{unique}/middle", f"{unique}/bottom"
    await stub.ChainCollections(chain(parent=bottom, mode=REDEFINE, children=["LSSTCam/calib"]))
    await stub.ChainCollections(chain(parent=middle, mode=REDEFINE, children=[bottom]))
    await stub.ChainCollections(chain(parent=top, mode=REDEFINE, children=[middle]))

    for parent, child in ((bottom, top), (bottom, bottom), (middle, top)):
        message = await expect_error(
            stub.ChainCollections,
            chain(parent=parent, mode=PREPEND, children=[child]),
            grpc.StatusCode.FAILED_PRECONDITION,
            "COLLECTION_CYCLE",
        )
        assert parent in message
    assert children_of(butler, bottom) == ["LSSTCam/calib"]

    missing = [f"{unique}/missing1", f"{unique}/missing2"]
    message = await expect_error(
        stub.ChainCollections,
        chain(parent=f"{unique}/new", mode=REDEFINE, children=["LSSTCam/calib", *missing]),
        grpc.StatusCode.NOT_FOUND,
        "COLLECTION_NOT_FOUND",
    )
    assert all(name in message for name in missing)
    assert not exists(butler, f"{unique}/new")  # the parent was not created either

    await expect_error(
        stub.ChainCollections,
        chain(parent=f"{unique}/absent", mode=EXTEND, children=["LSSTCam/calib"], do_not_create_parent=True),
        grpc.StatusCode.NOT_FOUND,
        "COLLECTION_NOT_FOUND",
    )
    await expect_error(
        stub.ChainCollections,
        chain(parent=f"{unique}/absent", mode=REMOVE, children=["LSSTCam/calib"]),
        grpc.StatusCode.NOT_FOUND,
        "COLLECTION_NOT_FOUND",
    )
    assert not exists(butler, f"{unique}/absent")
    message = await expect_error(
        stub.ChainCollections,
        chain(parent=DEMO.tagged_raw, mode=EXTEND, children=["LSSTCam/calib"]),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COLLECTION_TYPE_MISMATCH",
    )
    assert "TAGGED" in message
    await expect_error(
        stub.ChainCollections,
        chain(parent="bad name", mode=EXTEND, children=["LSSTCam/calib"]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_COLLECTION_NAME",
    )
    await expect_error(
        stub.ChainCollections,
        chain(parent=top, children=[bottom]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    await expect_error(
        stub.ChainCollections,
        chain(parent=top, mode=REDEFINE, children=[bottom, bottom]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )


# -- AssembleInputs -------------------------------------------------------------------------------


async def test_assemble_chained_inputs_is_idempotent(stub: Stub, butler: Butler, unique: str) -> None:
    name = f"{unique}/input"
    request = pb.AssembleInputsRequest(
        label=LABEL,
        name=name,
        chained=pb.ChainedInputs(inputs=["demo/campaign/input", "LSSTCam/defaults"], flatten=True),
        doc="campaign input",
    )
    first = await stub.AssembleInputs(request)
    expected = [DEMO.tagged_raw, DEMO.calibration, DEMO.raw_runs["LSSTCam"]]  # first occurrence kept
    assert list(first.created) == [name]
    assert list(first.children) == expected
    second = await stub.AssembleInputs(request)
    assert not second.created
    assert not second.changes
    assert list(second.children) == expected
    assert children_of(butler, name) == expected

    nested = await stub.AssembleInputs(
        pb.AssembleInputsRequest(
            label=LABEL, name=name, chained=pb.ChainedInputs(inputs=["LSSTCam/defaults"])
        )
    )
    assert list(nested.children) == ["LSSTCam/defaults"]
    assert list(nested.changes[0].before.children) == expected
    await expect_error(
        stub.AssembleInputs,
        pb.AssembleInputsRequest(label=LABEL, name=DEMO.tagged_raw, chained=pb.ChainedInputs(inputs=[name])),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COLLECTION_TYPE_MISMATCH",
    )
    await expect_error(
        stub.AssembleInputs,
        pb.AssembleInputsRequest(label=LABEL, name=name),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )


async def test_assemble_tagged_inputs_converges(stub: Stub, butler: Butler, unique: str) -> None:
    name = f"{unique}/tagged"
    day = DEMO.calexp_day_obs
    request = pb.AssembleInputsRequest(
        label=LABEL,
        name=name,
        tagged=pb.TaggedInputs(
            dataset_types=["raw", "calexp"],
            collections=["LSSTCam/defaults", DEMO.calexp_run],
            where="instrument = 'LSSTCam' AND day_obs = :day",
            bind={"day": common_pb2.Value(int_value=day)},
        ),
    )
    expected_raw = DEMO.expected_raw_count(DEMO.tagged_raw)  # the LSSTCam raws of that day
    expected_calexp = DEMO.expected_dataset_count("calexp", DEMO.calexp_run)
    first = await stub.AssembleInputs(request)
    assert list(first.created) == [name]
    assert first.datasets_tagged == expected_raw + expected_calexp
    assert first.changes[0].datasets_added == first.datasets_tagged
    second = await stub.AssembleInputs(request)
    assert second.datasets_tagged == first.datasets_tagged
    assert not second.changes
    assert not second.created
    held = butler.query_datasets("raw", name, find_first=False, explain=False, limit=None)
    assert {(r.dataId["instrument"], r.dataId["detector"], r.dataId["exposure"]) for r in held} == set(
        DEMO.expected_data_ids("raw", DEMO.tagged_raw)
    )

    # A narrower selection converges: datasets no longer selected leave the collection.
    request.tagged.where = "instrument = 'LSSTCam' AND day_obs = :day AND detector = 0"
    narrowed = await stub.AssembleInputs(request)
    per_detector = (expected_raw + expected_calexp) // len(DEMO.detector_ids("LSSTCam"))
    assert narrowed.datasets_tagged == per_detector
    assert narrowed.changes[0].datasets_removed == expected_raw + expected_calexp - per_detector
    assert (
        len(butler.query_datasets("raw", name, find_first=False, explain=False, limit=None))
        + len(butler.query_datasets("calexp", name, find_first=False, explain=False, limit=None))
        == per_detector
    )

    request.tagged.where = "instrument = 'LSSTCam' AND nonsense > 3"
    await expect_error(stub.AssembleInputs, request, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUERY")
    request.tagged.where = ""
    request.tagged.dataset_types[:] = ["no_such_type"]
    await expect_error(stub.AssembleInputs, request, grpc.StatusCode.NOT_FOUND, "DATASET_TYPE_NOT_FOUND")
    request.tagged.dataset_types[:] = ["raw"]
    request.tagged.collections[:] = [f"{unique}/nowhere"]
    await expect_error(stub.AssembleInputs, request, grpc.StatusCode.NOT_FOUND, "COLLECTION_NOT_FOUND")


# -- RemoveCollection and Disassociate ------------------------------------------------------------


async def test_remove_collection(stub: Stub, butler: Butler, unique: str, module_repo: RepoUnderTest) -> None:
    tag, parent, run = f"{unique}/tag", f"{unique}/parent", f"{unique}/run"
    await stub.AssembleInputs(
        pb.AssembleInputsRequest(
            label=LABEL,
            name=tag,
            tagged=pb.TaggedInputs(dataset_types=["raw"], collections=[DEMO.tagged_raw]),
        )
    )
    await stub.ChainCollections(chain(parent=parent, mode=REDEFINE, children=[tag, "LSSTCam/calib"]))

    message = await expect_error(
        stub.RemoveCollection,
        pb.RemoveCollectionRequest(label=LABEL, name=tag),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COLLECTION_HAS_PARENTS",
    )
    assert parent in message
    removed = await stub.RemoveCollection(
        pb.RemoveCollectionRequest(label=LABEL, name=tag, unlink_from_parents=True)
    )
    assert removed.removed
    assert list(removed.unlinked_from) == [parent]
    assert removed.datasets_removed == DEMO.expected_raw_count(DEMO.tagged_raw)
    assert children_of(butler, parent) == ["LSSTCam/calib"]
    assert not exists(butler, tag)
    # The raws themselves stay in their RUN.
    assert (
        len(butler.query_datasets("raw", DEMO.tagged_raw, explain=False, limit=None))
        == removed.datasets_removed
    )

    await expect_error(
        stub.RemoveCollection,
        pb.RemoveCollectionRequest(label=LABEL, name=tag),
        grpc.StatusCode.NOT_FOUND,
        "COLLECTION_NOT_FOUND",
    )
    gone = await stub.RemoveCollection(pb.RemoveCollectionRequest(label=LABEL, name=tag, missing_ok=True))
    assert not gone.removed
    assert not gone.changes

    # A RUN goes only when confirmed, with its datasets.
    with Butler.from_config(module_repo.config_uri, writeable=True) as writer:
        writer.collections.register(run, CollectionType.RUN)
        writer.registry.insertDatasets("bias", [{"instrument": "LSSTCam", "detector": 0}], run=run)
    await expect_error(
        stub.RemoveCollection,
        pb.RemoveCollectionRequest(label=LABEL, name=run),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RUN_REMOVAL_NOT_CONFIRMED",
    )
    run_removed = await stub.RemoveCollection(
        pb.RemoveCollectionRequest(label=LABEL, name=run, remove_run_and_datasets=True)
    )
    assert run_removed.removed
    assert run_removed.datasets_removed == 1
    assert not exists(butler, run)

    chain_removed = await stub.RemoveCollection(pb.RemoveCollectionRequest(label=LABEL, name=parent))
    assert chain_removed.removed
    assert not chain_removed.dry_run
    assert not exists(butler, parent)
    assert butler.collections.get_info("LSSTCam/calib").type is CollectionType.CHAINED


async def test_remove_run_deletes_its_files_only_when_committed(
    stub: Stub, module_repo: RepoUnderTest, butler: Butler, unique: str
) -> None:
    run = f"{unique}/run"
    with Butler.from_config(module_repo.config_uri, writeable=True, run=run) as writer:
        writer.registry.registerDatasetType(
            DatasetType("gw_note", ["instrument"], "StructuredDataDict", universe=writer.dimensions)
        )
        ref = writer.put({"note": "a file in the datastore"}, "gw_note", instrument="LSSTCam")
        uri = writer.getURI(ref)
    assert uri.exists()
    request = pb.RemoveCollectionRequest(label=LABEL, name=run, remove_run_and_datasets=True, dry_run=True)
    predicted = await stub.RemoveCollection(request)
    assert predicted.removed
    assert predicted.datasets_removed == 1
    assert uri.exists()
    assert exists(butler, run)
    request.dry_run = False
    removed = await stub.RemoveCollection(request)
    assert removed.datasets_removed == 1
    assert not uri.exists()
    assert not exists(butler, run)


async def test_disassociate(stub: Stub, butler: Butler, unique: str) -> None:
    tag = f"{unique}/tag"
    await stub.AssembleInputs(
        pb.AssembleInputsRequest(
            label=LABEL,
            name=tag,
            tagged=pb.TaggedInputs(dataset_types=["raw"], collections=[DEMO.tagged_raw]),
        )
    )
    total = DEMO.expected_raw_count(DEMO.tagged_raw)
    request = pb.DisassociateRequest(
        label=LABEL,
        name=tag,
        dataset_types=["raw"],
        where="instrument = 'LSSTCam' AND detector IN (:detectors)",
        bind={
            "detectors": common_pb2.Value(
                list_value=common_pb2.ValueList(
                    values=[common_pb2.Value(int_value=0), common_pb2.Value(int_value=1)]
                )
            )
        },
    )
    response = await stub.Disassociate(request)
    assert response.datasets_removed == total // 2
    assert response.changes[0].datasets_removed == total // 2
    left = butler.query_datasets("raw", tag, find_first=False, explain=False, limit=None)
    assert len(left) == total - total // 2
    assert all(ref.dataId["detector"] in (2, 3) for ref in left)
    again = await stub.Disassociate(request)
    assert again.datasets_removed == 0
    assert not again.changes
    await expect_error(
        stub.Disassociate,
        pb.DisassociateRequest(label=LABEL, name=DEMO.raw_runs["LSSTCam"], dataset_types=["raw"]),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COLLECTION_TYPE_MISMATCH",
    )
    await expect_error(
        stub.Disassociate,
        pb.DisassociateRequest(label=LABEL, name=tag),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )


# -- dry runs -------------------------------------------------------------------------------------


def _without_dry_run(response: Any) -> Any:
    copy = type(response)()
    copy.CopyFrom(response)
    copy.dry_run = False
    return copy


async def test_dry_run_changes_nothing_and_predicts_the_real_call(
    stub: Stub, butler: Butler, unique: str
) -> None:
    tag, parent, run = f"{unique}/tag", f"{unique}/parent", f"{unique}/run"
    steps: list[tuple[Any, Any]] = [
        (stub.EnsureCollection, pb.EnsureCollectionRequest(label=LABEL, name=run, type=RUN, doc="d")),
        (
            stub.AssembleInputs,
            pb.AssembleInputsRequest(
                label=LABEL,
                name=tag,
                tagged=pb.TaggedInputs(
                    dataset_types=["raw"],
                    collections=["LSSTCam/defaults"],
                    where="day_obs = 20250921 AND instrument = 'LSSTCam'",
                ),
            ),
        ),
        (stub.ChainCollections, chain(parent=parent, mode=REDEFINE, children=[tag, run, "LSSTCam/calib"])),
        (stub.ChainCollections, chain(parent=parent, mode=PREPEND, children=["LSSTCam/raw/all"])),
        (stub.ChainCollections, chain(parent=parent, mode=REMOVE, children=[run])),
        (
            stub.Disassociate,
            pb.DisassociateRequest(
                label=LABEL, name=tag, dataset_types=["raw"], where="detector = 3 AND instrument = 'LSSTCam'"
            ),
        ),
        (stub.RemoveCollection, pb.RemoveCollectionRequest(label=LABEL, name=tag, unlink_from_parents=True)),
        (
            stub.RemoveCollection,
            pb.RemoveCollectionRequest(label=LABEL, name=run, remove_run_and_datasets=True),
        ),
    ]
    for call, request in steps:
        before = state_of(butler)
        request.dry_run = True
        predicted = await call(request)
        assert predicted.dry_run
        assert predicted.changes, request
        assert state_of(butler) == before, f"dry run of {type(request).__name__} left something behind"
        request.dry_run = False
        actual = await call(request)
        assert not actual.dry_run
        assert _without_dry_run(predicted) == actual, type(request).__name__
        assert state_of(butler) != before


# -- atomicity ------------------------------------------------------------------------------------


async def test_forced_failure_part_way_rolls_everything_back(stub: Stub, butler: Butler, unique: str) -> None:
    tag, parent = f"{unique}/tag", f"{unique}/parent"
    await stub.AssembleInputs(
        pb.AssembleInputsRequest(
            label=LABEL,
            name=tag,
            tagged=pb.TaggedInputs(dataset_types=["raw"], collections=[DEMO.tagged_raw]),
        )
    )
    await stub.ChainCollections(chain(parent=parent, mode=REDEFINE, children=[tag]))
    before = state_of(butler)
    cases: list[tuple[str, Any, Any]] = [
        # Created the chain, edited it, then failed.
        ("chain:edited", stub.ChainCollections, chain(parent=f"{unique}/new", mode=REDEFINE, children=[tag])),
        # Created the TAGGED collection, then failed before tagging.
        (
            "assemble:created",
            stub.AssembleInputs,
            pb.AssembleInputsRequest(
                label=LABEL,
                name=f"{unique}/tag2",
                tagged=pb.TaggedInputs(dataset_types=["raw"], collections=[tag]),
            ),
        ),
        # Dropped datasets from the tag, then failed before adding the new selection.
        (
            "assemble:disassociated",
            stub.AssembleInputs,
            pb.AssembleInputsRequest(
                label=LABEL,
                name=tag,
                tagged=pb.TaggedInputs(
                    dataset_types=["raw"],
                    collections=[DEMO.tagged_raw],
                    where="detector = 1 AND instrument = 'LSSTCam'",
                ),
            ),
        ),
        # Unlinked from the parent and removed the collection, then failed.
        (
            "remove:removed",
            stub.RemoveCollection,
            pb.RemoveCollectionRequest(label=LABEL, name=tag, unlink_from_parents=True),
        ),
        (
            "disassociate:done",
            stub.Disassociate,
            pb.DisassociateRequest(label=LABEL, name=tag, dataset_types=["raw"]),
        ),
        (
            "ensure:created",
            stub.EnsureCollection,
            pb.EnsureCollectionRequest(label=LABEL, name=f"{unique}/x", type=RUN),
        ),
    ]
    for step, call, request in cases:
        with (
            mutations.inject_fault(step, RuntimeError(f"injected at {step}")),
            pytest.raises(grpc.aio.AioRpcError) as caught,
        ):
            await call(request)
        assert caught.value.code() == grpc.StatusCode.INTERNAL, step
        assert state_of(butler) == before, f"a failure at {step} left changes behind"


# SQLSTATE 40001 is a PostgreSQL error (SQLite serialises writers instead): PostgreSQL only.
@pytest.mark.parametrize("module_repo", ["postgresql"], indirect=True)
async def test_retry_of_aborted_transactions_then_aborted(
    module_repo: RepoUnderTest, gateway: tuple[GatewayServer, Stub], unique: str
) -> None:
    """A real serialization failure raised by the database is retried; persistent ones give ABORTED."""
    server = gateway[0]
    assert server.factory is not None
    factory = server.factory
    assert module_repo.dialect == "postgresql"
    import sqlalchemy

    attempts: list[int] = []

    def body(fail_times: int) -> Callable[[Butler, mutations.MutationResult, list[Any]], None]:
        def run(butler: Butler, result: mutations.MutationResult, _after: list[Any]) -> None:
            attempts.append(1)
            butler.collections.register(f"{unique}/retried", CollectionType.RUN)
            if len(attempts) <= fail_times:
                with butler._registry._db._transaction() as (_, connection):  # type: ignore[attr-defined]
                    connection.execute(
                        sqlalchemy.text("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$")
                    )
            result.changes.append(mutations.CollectionChange(f"{unique}/retried", None, None))

        return run

    template = mutations.MutationResult("Test", f"{unique}/retried", False)
    retry = mutations.RetrySettings(max_attempts=3, initial_seconds=0.001)
    result = await asyncio.to_thread(mutations.run_mutation, factory, LABEL, template, body(2), retry)
    assert result.attempts == 3
    assert len(attempts) == 3
    attempts.clear()
    with pytest.raises(ConcurrentModificationError):
        await asyncio.to_thread(mutations.run_mutation, factory, LABEL, template, body(5), retry)
    assert len(attempts) == 3


def test_concurrent_modification_is_aborted_and_marked_retry_safe() -> None:
    code, status = build_status(ConcurrentModificationError("aborted 8 times", retry_safe="true"), "rid", str)
    assert code == grpc.StatusCode.ABORTED
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "CONCURRENT_MODIFICATION"
    assert info.metadata["retry_safe"] == "true"


async def test_read_only_repository_refuses_mutations(module_repo: RepoUnderTest) -> None:
    settings = settings_for(
        {LABEL: module_repo.config_uri},
        db_auth_credentials=module_repo.credentials_json,
        read_only_repositories=[LABEL],
    )
    async with running_gateway(settings) as (_server, stub):
        await expect_error(
            stub.EnsureCollection,
            pb.EnsureCollectionRequest(label=LABEL, name="ro/new", type=RUN),
            grpc.StatusCode.FAILED_PRECONDITION,
            "REPOSITORY_READ_ONLY",
        )
        await expect_error(
            stub.ChainCollections,
            chain(parent="ro/chain", mode=REDEFINE, children=["LSSTCam/calib"], dry_run=True),
            grpc.StatusCode.FAILED_PRECONDITION,
            "REPOSITORY_READ_ONLY",
        )


# -- concurrency ----------------------------------------------------------------------------------


async def test_fifty_concurrent_prepends_from_separate_clients(
    gateway: tuple[GatewayServer, Stub], butler: Butler, unique: str
) -> None:
    server, stub = gateway
    parent = f"{unique}/out"
    runs = [f"{unique}/run{i:02d}" for i in range(50)]
    await make_runs(stub, *runs)

    async def prepend(run: str) -> pb.ChainCollectionsResponse:
        async with grpc.aio.insecure_channel(server.target) as channel:
            client = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
            return await client.ChainCollections(
                chain(parent=parent, mode=PREPEND, children=[run]), timeout=120
            )

    responses = await asyncio.gather(*(prepend(run) for run in runs))
    final = children_of(butler, parent)
    assert sorted(final) == runs
    assert len(set(final)) == 50
    assert sum(r.created for r in responses) == 1  # the parent was created exactly once
    # Every caller saw its own child at the front of the chain it produced.
    assert all(r.children[0] == run for r, run in zip(responses, runs, strict=True))


async def test_racing_cycle_forming_edits_apply_exactly_one(
    gateway: tuple[GatewayServer, Stub], butler: Butler, unique: str
) -> None:
    server, stub = gateway
    reasons: list[str] = []
    for round_number in range(6):
        # Ring of chains x0 -> x1 -> ... ; two callers race to close it in different places.
        ring = [f"{unique}/r{round_number}/x{i}" for i in range(4)]
        for name in ring:
            await stub.ChainCollections(chain(parent=name, mode=REDEFINE, children=[]))
        await stub.ChainCollections(chain(parent=ring[1], mode=EXTEND, children=[ring[2]]))
        await stub.ChainCollections(chain(parent=ring[3], mode=EXTEND, children=[ring[0]]))
        edits = [(ring[0], ring[1]), (ring[2], ring[3])]  # together: x0->x1->x2->x3->x0

        async def edit(parent: str, child: str) -> grpc.StatusCode:
            async with grpc.aio.insecure_channel(server.target) as channel:
                client = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
                try:
                    await client.ChainCollections(
                        chain(parent=parent, mode=EXTEND, children=[child]), timeout=60
                    )
                except grpc.aio.AioRpcError as error:
                    reasons.append(error_info(error).reason)
                    return error.code()
                return grpc.StatusCode.OK

        codes = list(await asyncio.gather(*(edit(p, c) for p, c in edits)))
        assert sorted(c.name for c in codes) == ["FAILED_PRECONDITION", "OK"], codes
        applied = [(p, c) for p, c in edits if c in children_of(butler, p)]
        assert len(applied) == 1
        # No cycle: walking down from any ring member never comes back to it.
        for start in ring:
            seen, frontier = set(), list(children_of(butler, start))
            while frontier:
                name = frontier.pop()
                assert name != start, f"cycle through {start}"
                if name not in seen:
                    seen.add(name)
                    frontier += children_of(butler, name)

        # Direct two-chain race: A into B and B into A.
        a, b = f"{unique}/r{round_number}/a", f"{unique}/r{round_number}/b"
        await stub.ChainCollections(chain(parent=a, mode=REDEFINE, children=[]))
        await stub.ChainCollections(chain(parent=b, mode=REDEFINE, children=[]))
        codes = list(await asyncio.gather(edit(a, b), edit(b, a)))
        assert sorted(c.name for c in codes) == ["FAILED_PRECONDITION", "OK"]
        assert (children_of(butler, a), children_of(butler, b)) in (([b], []), ([], [a]))
    # Every refused edit was refused as a cycle (not ABORTED after exhausted retries).
    assert reasons == ["COLLECTION_CYCLE"] * 12


# -- audit ----------------------------------------------------------------------------------------


async def test_audit_line_for_every_change_and_none_otherwise(
    stub: Stub, module_repo: RepoUnderTest, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    parent = f"{unique}/audited"
    metadata = (("x-caller", "cm-service/campaign-7"),)
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER_NAME)

    def audit_lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == AUDIT_LOGGER_NAME]

    request = chain(parent=parent, mode=REDEFINE, children=["LSSTCam/calib"])
    await stub.ChainCollections(request, metadata=metadata)
    [line] = audit_lines()
    assert line.getMessage() == "collection mutation"
    fields: Any = line.__dict__
    assert fields["caller"] == "cm-service/campaign-7"
    assert fields["repository"] == LABEL
    assert fields["operation"] == "ChainCollections"
    assert fields["collection"] == parent
    [change] = fields["changes"]
    assert change["before"] is None
    assert change["after"]["children"] == ["LSSTCam/calib"]
    rendered = json.dumps(fields["changes"])
    for credential in module_repo.credentials:
        assert credential["password"] not in rendered
        assert credential["password"] not in line.getMessage()

    caplog.clear()
    await stub.ChainCollections(request, metadata=metadata)  # no change: no audit line
    request.children[:] = ["LSSTCam/raw/all"]
    request.dry_run = True
    await stub.ChainCollections(request)  # dry run: no audit line
    assert audit_lines() == []
    request.dry_run = False
    await stub.ChainCollections(request)
    [line] = audit_lines()
    fields = line.__dict__
    assert fields["caller"] == "unknown"
    assert fields["changes"][0]["before"]["children"] == ["LSSTCam/calib"]
    assert fields["changes"][0]["after"]["children"] == ["LSSTCam/raw/all"]


# -- CM Service's naming pattern, end to end ------------------------------------------------------


async def test_cm_service_campaign_end_to_end(stub: Stub, butler: Butler, unique: str) -> None:
    """Assemble a campaign's input, chain step outputs as group runs finish, publish ``P/out``."""
    campaign = f"{unique}/camp"
    steps = ["isr", "calibrate"]
    campaign_input = f"{campaign}/input"
    await stub.AssembleInputs(
        pb.AssembleInputsRequest(
            label=LABEL,
            name=campaign_input,
            chained=pb.ChainedInputs(inputs=[DEMO.tagged_raw, "LSSTCam/calib"]),
        )
    )
    upstream: list[str] = []
    for step in steps:
        step_input = f"{campaign}/{step}/input"
        step_output = f"{campaign}/{step}_output"
        # Step input: upstream step outputs, then the campaign input.
        assembled = await stub.AssembleInputs(
            pb.AssembleInputsRequest(
                label=LABEL, name=step_input, chained=pb.ChainedInputs(inputs=[*upstream, campaign_input])
            )
        )
        assert list(assembled.children) == [*upstream, campaign_input]
        # Groups finish in any order; each run is prepended to the step output as it finishes.
        runs = [f"{campaign}/{step}/{nonce}/version_1" for nonce in ("g0", "g1", "g2")]
        await make_runs(stub, *runs)
        for run in reversed(runs):
            await stub.ChainCollections(chain(parent=step_output, mode=PREPEND, children=[run]))
        # Step collect: redefine in (reverse topological) order, idempotent on retry.
        for _ in range(2):
            collected = await stub.ChainCollections(chain(parent=step_output, mode=REDEFINE, children=runs))
            assert list(collected.children) == runs
        # A group is re-run: version_2 replaces version_1 at the front.
        rerun = f"{campaign}/{step}/g1/version_2"
        await make_runs(stub, rerun)
        await stub.ChainCollections(chain(parent=step_output, mode=PREPEND, children=[rerun]))
        await stub.ChainCollections(chain(parent=step_output, mode=REMOVE, children=[runs[1]]))
        step_chain = await stub.ChainCollections(
            chain(parent=f"{campaign}/{step}", mode=REDEFINE, children=[step_output, step_input])
        )
        assert list(step_chain.children) == [step_output, step_input]
        upstream.insert(0, step_output)

    out = await stub.ChainCollections(
        chain(
            parent=f"{campaign}/out",
            mode=REDEFINE,
            children=[f"{campaign}/{s}_output" for s in reversed(steps)],
        )
    )
    assert list(out.children) == [f"{campaign}/calibrate_output", f"{campaign}/isr_output"]
    assert children_of(butler, f"{campaign}/isr_output") == [
        f"{campaign}/isr/g1/version_2",
        f"{campaign}/isr/g0/version_1",
        f"{campaign}/isr/g2/version_1",
    ]
    assert children_of(butler, f"{campaign}/calibrate/input") == [f"{campaign}/isr_output", campaign_input]
    # The published output resolves the campaign's raws through the chain of inputs.
    raws = butler.query_datasets("raw", f"{campaign}/calibrate", explain=False, limit=None)
    assert len(raws) == DEMO.expected_raw_count(DEMO.tagged_raw)
    # Tearing down a group run that is still chained needs an explicit unlink.
    await expect_error(
        stub.RemoveCollection,
        pb.RemoveCollectionRequest(
            label=LABEL, name=f"{campaign}/isr/g0/version_1", remove_run_and_datasets=True
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COLLECTION_HAS_PARENTS",
    )
