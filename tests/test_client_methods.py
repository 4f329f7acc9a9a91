"""Every client method end to end through a real gateway: reads on SQLite and PostgreSQL, mutations on
repositories of this module's own, typed errors, and the synchronous client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lsst.cmservice.butler import client as c
from lsst.cmservice.butler.client import AsyncGatewayClient, ClientConfig, GatewayClient
from lsst.cmservice.butler.client._rpcs import chain_collections_kind, remove_collection_kind
from lsst.cmservice.butler.gateway import demo
from lsst.cmservice.butler.gateway.config import GatewaySettings
from lsst.cmservice.butler.gateway.server import GatewayServer

from .conftest import RepoUnderTest, _create_pg_repository
from .support.gateway import settings_for

DEMO = demo.DEMO
LSSTCAM = DEMO.primary_instrument
DEFAULTS = "LSSTCam/defaults"
LABEL = "repo"
USER = "cm-pilot"


def _key(data_id: c.DataId, dimensions: tuple[str, ...]) -> tuple[int | str, ...]:
    return tuple(data_id[d] for d in dimensions)


@contextlib.asynccontextmanager
async def _module_gateway(
    settings: GatewaySettings,
) -> AsyncIterator[tuple[GatewayServer, AsyncGatewayClient]]:
    """A gateway and a client for a whole module; the process environment is restored afterwards.

    The gateway sets LSST_DB_AUTH_CREDENTIALS and friends when it starts; the autouse fixture of
    conftest restores the environment around each test only, so a module-wide gateway must do it.
    """
    saved = dict(os.environ)
    server = GatewayServer(settings)
    await server.start()
    try:
        async with AsyncGatewayClient(ClientConfig(address=server.target, timeout=60)) as client:
            yield server, client
    finally:
        await server.stop(0)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def reader(request: pytest.FixtureRequest) -> AsyncIterator[tuple[GatewayServer, AsyncGatewayClient]]:
    """One gateway per database for this module's read tests (the session's shared repositories)."""
    repo: RepoUnderTest = request.getfixturevalue("sqlite_repo" if request.param == "sqlite" else "pg_repo")
    settings = settings_for(
        {LABEL: repo.config_uri},
        db_auth_credentials=repo.credentials_json,
        allow_secret_environment=False,
        butler_default_username=USER,
    )
    async with _module_gateway(settings) as running:
        yield running


@pytest.fixture
def gw(reader: tuple[GatewayServer, AsyncGatewayClient]) -> AsyncGatewayClient:
    return reader[1]


async def test_query_datasets_and_counts(gw: AsyncGatewayClient) -> None:
    stream = gw.query_datasets(LABEL, "raw", [DEFAULTS])
    refs = [ref async for ref in stream]
    assert stream.truncated is False
    expected = DEMO.expected_data_ids("raw", DEFAULTS)
    assert sorted(_key(r.data_id, DEMO.raw.dimensions) for r in refs) == sorted(expected)
    assert {r.run for r in refs} == {DEMO.raw_runs[LSSTCAM]}
    assert all(isinstance(r, c.DatasetRef) and r.dataset_type == "raw" for r in refs)
    assert len({r.id for r in refs}) == len(refs)
    assert isinstance(refs[0].data_id["detector"], int)
    assert isinstance(refs[0].data_id["instrument"], str)
    assert "physical_filter" in refs[0].data_id  # implied dimensions come along
    assert await gw.count_datasets(LABEL, "raw", [DEFAULTS]) == len(expected)

    detectors = list(DEMO.detector_ids(LSSTCAM)[:2])
    constraint: dict[str, Any] = {
        "where": "detector IN (:dets) AND day_obs = :day",
        "bind": {"dets": detectors, "day": DEMO.tagged_day_obs},
        "data_id": {"instrument": LSSTCAM},
    }
    ordered = [
        _key(r.data_id, DEMO.raw.dimensions)
        async for r in gw.query_datasets(
            LABEL, "raw", ["demo/campaign/input"], order_by=["-exposure", "detector"], **constraint
        )
    ]
    wanted = [
        (LSSTCAM, d, e) for d in detectors for e in DEMO.exposure_ids(LSSTCAM, day_obs=DEMO.tagged_day_obs)
    ]
    assert ordered == sorted(wanted, key=lambda t: (-t[2], t[1]))
    assert await gw.count_datasets(LABEL, "raw", ["demo/campaign/input"], **constraint) == len(wanted)
    # Globs need find_first=False, which the client passes through.
    globbed = await gw.count_datasets(LABEL, "raw", ["*/raw/all"], find_first=False)
    assert globbed == sum(len(DEMO.stored_data_ids("raw", run)) for run in DEMO.raw_runs.values())


async def test_limit_reports_truncation(gw: AsyncGatewayClient) -> None:
    total = DEMO.expected_raw_count(DEFAULTS)
    cut = gw.query_datasets(LABEL, "raw", [DEFAULTS], limit=5)
    assert len([r async for r in cut]) == 5
    assert cut.truncated is True
    whole = gw.query_datasets(LABEL, "raw", [DEFAULTS], limit=total)
    assert len([r async for r in whole]) == total
    assert whole.truncated is False
    ids = gw.query_data_ids(LABEL, ["exposure"], data_id={"instrument": LSSTCAM}, limit=1)
    assert len([d async for d in ids]) == 1
    assert ids.truncated is True
    with pytest.raises(c.InvalidArgumentError):
        [r async for r in gw.query_datasets(LABEL, "raw", [DEFAULTS], limit=-1)]


async def test_data_ids_records_and_values(gw: AsyncGatewayClient) -> None:
    visits = [
        d
        async for d in gw.query_data_ids(
            LABEL, ["visit"], dataset_type="calexp", collections=[DEMO.calexp_run], order_by=["visit"]
        )
    ]
    expected_visits = DEMO.visit_ids(LSSTCAM, day_obs=DEMO.calexp_day_obs)
    assert [d["visit"] for d in visits] == list(expected_visits)
    assert {d["instrument"] for d in visits} == {LSSTCAM}
    assert await gw.count_data_ids(
        LABEL, ["visit"], dataset_type="calexp", collections=[DEMO.calexp_run]
    ) == len(expected_visits)

    exposures = [e for e in DEMO.exposures if e.instrument == LSSTCAM]
    records = [
        r
        async for r in gw.query_dimension_records(
            LABEL, "exposure", data_id={"instrument": LSSTCAM}, order_by=["exposure"]
        )
    ]
    assert [r.data_id["exposure"] for r in records] == [e.id for e in exposures]
    for record, exposure in zip(records, exposures, strict=True):
        assert isinstance(record, c.DimensionRecord)
        assert record.fields["obs_id"] == exposure.obs_id
        assert record.fields["exposure_time"] == exposure.exposure_time
        assert record.fields["can_see_sky"] is exposure.is_science
        assert record.timespan is not None
        assert record.timespan.begin is not None
        assert record.timespan.begin.startswith(exposure.begin)
        if not exposure.is_science:
            assert record.fields["tracking_ra"] is None
    (visit,) = [r async for r in gw.query_dimension_records(LABEL, "visit", limit=1)]
    assert isinstance(visit.region, bytes)

    bands = await gw.query_dimension_values(
        LABEL, "band", dataset_type="raw", collections=[DEFAULTS], with_counts=True
    )
    assert bands.total == DEMO.expected_raw_count(DEFAULTS)
    assert bands.plain == sorted(DEMO.bands)
    assert sum(v.count or 0 for v in bands.values) == bands.total
    plain = await gw.query_dimension_values(LABEL, "exposure", data_id={"instrument": "LATISS"})
    assert plain.plain == list(DEMO.exposure_ids("LATISS"))
    assert plain.total is None
    assert plain.values[0].count is None


async def test_explain_collections_and_dataset_types(gw: AsyncGatewayClient) -> None:
    empty = await gw.explain_no_results(
        LABEL, dataset_type="raw", collections=[DEFAULTS], where="band = 'nope'"
    )
    assert empty.has_results is False
    found = await gw.explain_no_results(LABEL, dimensions=["exposure"], data_id={"instrument": LSSTCAM})
    assert found == c.NoResultsExplanation(True, ())

    chains = await gw.query_collections(LABEL, collection_types=[c.CollectionType.CHAINED])
    assert {info.name for info in chains} == set(DEMO.chains)
    assert all(info.type is c.CollectionType.CHAINED for info in chains)
    info = await gw.get_collection_info(LABEL, DEFAULTS, include_summary=True)
    assert info.children == DEMO.chains[DEFAULTS]
    assert info.doc == DEMO.docs[DEFAULTS]
    assert "raw" in info.dataset_types
    run = await gw.get_collection_info(LABEL, DEMO.raw_runs[LSSTCAM], include_parents=True)
    assert run.type is c.CollectionType.RUN
    assert DEFAULTS in run.parents
    flat = await gw.query_collections(LABEL, [DEFAULTS], flatten_chains=True)
    assert DEMO.raw_runs[LSSTCAM] in {i.name for i in flat}
    assert DEFAULTS not in {i.name for i in flat}

    types = await gw.query_dataset_types(LABEL)
    assert {t.name for t in types} == {t.name for t in DEMO.dataset_types}
    raw = await gw.get_dataset_type(LABEL, "raw")
    assert set(DEMO.raw.dimensions) <= set(raw.dimensions)
    assert raw.storage_class == DEMO.raw.storage_class
    assert (await gw.get_dataset_type(LABEL, "bias")).is_calibration is True


async def test_plan_groups(gw: AsyncGatewayClient) -> None:
    total = DEMO.expected_raw_count(DEFAULTS)
    exposures = DEMO.exposure_ids(LSSTCAM)
    campaign = f"instrument = '{LSSTCAM}'"
    plan = await gw.plan_groups(
        LABEL, "raw", [DEFAULTS], c.SplitByQuery(min_groups=3), dimension="exposure", predicates=[campaign]
    )
    assert len(plan.groups) == 3
    assert (plan.total, plan.distinct_values) == (total, len(exposures))
    assert plan.groups[0].first_value == exposures[0]
    assert plan.groups[-1].last_value == exposures[-1]
    for group in plan.groups:
        assert group.count == await gw.count_datasets(
            LABEL, "raw", [DEFAULTS], where=f"{campaign} AND {group.predicate}"
        )
    by_band = await gw.plan_groups(
        LABEL,
        "raw",
        [DEFAULTS],
        c.SplitByValues([["g"], ["r", "u"]]),
        dimension="band",
        predicates=[campaign],
    )
    assert [g.predicate for g in by_band.groups] == ["(band = 'g')", "(band IN ('r', 'u'))"]
    assert by_band.unassigned_values == ("i", "z")
    ranges = await gw.plan_groups(
        LABEL, "raw", [DEFAULTS], c.SplitByRanges([(None, DEMO.day_obs[1])]), dimension="day_obs"
    )
    assert ranges.groups[0].predicate == f"(day_obs < {DEMO.day_obs[1]})"
    whole = await gw.plan_groups(LABEL, "raw", [DEFAULTS], c.NoSplit(), predicates=[campaign])
    assert [(g.predicate, g.count) for g in whole.groups] == [("(1=1)", total)]


async def test_render_submission_environment(gw: AsyncGatewayClient) -> None:
    env = await gw.render_submission_environment([LABEL], submission_id="sub-1")
    assert env.submission_id == "sub-1"
    assert env.environ["PGUSER"] == USER
    assert env.contains_secrets is False
    assert env.files == ()
    assert "PGUSER" in env.htcondor_environment
    inline = await gw.render_submission_environment(
        [LABEL], repository_index_mode=c.RepositoryIndexMode.INLINE
    )
    assert "DAF_BUTLER_REPOSITORIES" in inline.environ
    assert "DAF_BUTLER_REPOSITORY_INDEX" not in inline.environ
    assert inline.submission_id  # the gateway made one
    with pytest.raises(c.SecretEnvironmentDisabledError) as caught:
        await gw.render_submission_environment([LABEL], credential_mode=c.CredentialMode.PGPASS)
    assert caught.value.reason == "SECRET_ENVIRONMENT_DISABLED"
    with pytest.raises(c.InvalidSubmissionIdError):
        await gw.render_submission_environment([LABEL], submission_id=".hidden")


async def test_typed_errors_of_queries_and_planning(gw: AsyncGatewayClient) -> None:
    with pytest.raises(c.InvalidQueryError) as bad_where:
        [r async for r in gw.query_datasets(LABEL, "raw", [DEFAULTS], where="band =")]
    assert bad_where.value.reason == "INVALID_QUERY"
    assert bad_where.value.attempts == 1  # never retried
    with pytest.raises(c.CollectionNotFoundError):
        await gw.get_collection_info(LABEL, "no/such/collection")
    with pytest.raises(c.DatasetTypeNotFoundError):
        await gw.count_datasets(LABEL, "nope", [DEFAULTS])
    with pytest.raises(c.DimensionNotFoundError):
        [d async for d in gw.query_data_ids(LABEL, ["nope"])]
    with pytest.raises(c.SplitImpossibleError) as split:
        await gw.plan_groups(LABEL, "raw", [DEFAULTS], c.SplitByQuery(min_groups=99), dimension="band")
    assert "at least 99 groups" in split.value.message
    with pytest.raises(c.UnquotableValueError):
        await gw.plan_groups(LABEL, "raw", [DEFAULTS], c.SplitByValues([["it's"]]), dimension="band")
    with pytest.raises(c.DeadlineExceededError):
        [r async for r in gw.query_datasets(LABEL, "raw", ["*/raw/*"], find_first=False, timeout=0.001)]


async def test_breaking_out_of_a_stream_cancels_it(reader: tuple[GatewayServer, AsyncGatewayClient]) -> None:
    server, gw = reader
    async for _ in gw.query_dimension_records(LABEL, "detector"):
        break
    deadline = asyncio.get_running_loop().time() + 10
    while server.runner.in_flight and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert server.runner.in_flight == 0
    assert await gw.count_data_ids(LABEL, ["detector"], data_id={"instrument": "LATISS"}) == 1


async def test_sync_client_against_the_real_server(reader: tuple[GatewayServer, AsyncGatewayClient]) -> None:
    server, _ = reader

    def calls() -> tuple[int, bool, int, int, str]:
        with GatewayClient(ClientConfig(address=server.target, timeout=60)) as client:
            stream = client.query_datasets(LABEL, "raw", [DEFAULTS], limit=3)
            rows = len(list(stream))
            count = client.count_datasets(LABEL, "raw", [DEFAULTS])
            plan = client.plan_groups(
                LABEL, "raw", [DEFAULTS], c.NoSplit(), predicates=[f"instrument = '{LSSTCAM}'"]
            )
            try:
                client.get_dataset_type(LABEL, "nope")
            except c.DatasetTypeNotFoundError as exc:
                reason = exc.reason
            for _ in client.query_dimension_records(LABEL, "detector"):
                break  # cancels the call
            return rows, stream.truncated, count, plan.total, reason

    rows, truncated, count, planned, reason = await asyncio.to_thread(calls)
    assert (rows, truncated) == (3, True)
    assert count == planned == DEMO.expected_raw_count(DEFAULTS)
    assert reason == "DATASET_TYPE_NOT_FOUND"


# ---- mutations -----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def writer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[GatewayServer, AsyncGatewayClient]]:
    """A gateway on a repository of this module's own (each test uses collection names of its own)."""
    root = tmp_path_factory.mktemp("client-mutations")
    if request.param == "sqlite":
        repo = RepoUnderTest(LABEL, demo.build_demo_repository(root), "sqlite", [])
    else:
        uri, database = _create_pg_repository(
            request.getfixturevalue("postgres"), root, f"cli_{uuid.uuid4().hex[:10]}"
        )
        repo = RepoUnderTest(LABEL, uri, "postgresql", [database.db_auth_entry()])
    settings = settings_for({LABEL: repo.config_uri}, db_auth_credentials=repo.credentials_json)
    async with _module_gateway(settings) as running:
        yield running


@pytest.fixture
def mut(writer: tuple[GatewayServer, AsyncGatewayClient]) -> AsyncGatewayClient:
    return writer[1]


@pytest.fixture
def unique() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


async def test_ensure_and_remove_collection(mut: AsyncGatewayClient, unique: str) -> None:
    run = f"{unique}/run"
    dry = await mut.ensure_collection(LABEL, run, c.CollectionType.RUN, dry_run=True)
    assert (dry.created, dry.dry_run) == (True, True)
    with pytest.raises(c.CollectionNotFoundError):
        await mut.get_collection_info(LABEL, run)
    made = await mut.ensure_collection(LABEL, run, c.CollectionType.RUN, doc="a run")
    assert made.created is True
    assert made.collection == c.CollectionSnapshot(run, c.CollectionType.RUN, "a run", ())
    assert made.changes[0].before is None
    again = await mut.ensure_collection(LABEL, run, c.CollectionType.RUN)
    assert (again.created, again.doc_updated, again.changes) == (False, False, ())
    with pytest.raises(c.CollectionTypeMismatchError):
        await mut.ensure_collection(LABEL, run, c.CollectionType.TAGGED)
    with pytest.raises(c.InvalidCollectionNameError):
        await mut.ensure_collection(LABEL, "bad name!", c.CollectionType.RUN)

    chain = f"{unique}/chain"
    await mut.chain_collections(LABEL, chain, c.ChainMode.REDEFINE, [run])
    with pytest.raises(c.RunRemovalNotConfirmedError):
        await mut.remove_collection(LABEL, run)
    with pytest.raises(c.CollectionHasParentsError) as parents:
        await mut.remove_collection(LABEL, run, remove_run_and_datasets=True)
    assert chain in parents.value.message
    removed = await mut.remove_collection(LABEL, run, remove_run_and_datasets=True, unlink_from_parents=True)
    assert (removed.removed, removed.unlinked_from) == (True, (chain,))
    assert (await mut.get_collection_info(LABEL, chain)).children == ()
    missing = await mut.remove_collection(LABEL, run, missing_ok=True)
    assert missing.removed is False
    with pytest.raises(c.CollectionNotFoundError):
        await mut.remove_collection(LABEL, run)


async def test_chain_collections(mut: AsyncGatewayClient, unique: str) -> None:
    parent, inner = f"{unique}/parent", f"{unique}/inner"
    raw = DEMO.raw_runs[LSSTCAM]
    made = await mut.chain_collections(LABEL, parent, c.ChainMode.REDEFINE, [raw], doc="steps")
    assert (made.children, made.created) == ((raw,), True)
    extended = await mut.chain_collections(LABEL, parent, c.ChainMode.EXTEND, [DEMO.calexp_run])
    assert extended.children == (raw, DEMO.calexp_run)
    assert extended.changes[0].before is not None
    assert extended.changes[0].before.children == (raw,)
    with pytest.raises(c.ChainChangedError):
        await mut.chain_collections(
            LABEL, parent, c.ChainMode.PREPEND, [DEMO.bias_run], expected_children=[raw]
        )
    cas = await mut.chain_collections(
        LABEL, parent, c.ChainMode.PREPEND, [DEMO.bias_run], expected_children=[raw, DEMO.calexp_run]
    )
    assert cas.children == (DEMO.bias_run, raw, DEMO.calexp_run)
    await mut.chain_collections(LABEL, inner, c.ChainMode.REDEFINE, [parent])
    with pytest.raises(c.CollectionCycleError) as cycle:
        await mut.chain_collections(LABEL, parent, c.ChainMode.EXTEND, [inner])
    assert cycle.value.reason == "COLLECTION_CYCLE"
    with pytest.raises(c.CollectionNotFoundError):
        await mut.chain_collections(LABEL, parent, c.ChainMode.EXTEND, [f"{unique}/missing"])
    with pytest.raises(c.CollectionNotFoundError):
        await mut.chain_collections(
            LABEL, f"{unique}/absent", c.ChainMode.EXTEND, [raw], do_not_create_parent=True
        )
    dry = await mut.chain_collections(LABEL, parent, c.ChainMode.REMOVE, [raw], dry_run=True)
    assert dry.children == (DEMO.bias_run, DEMO.calexp_run)
    assert (await mut.get_collection_info(LABEL, parent)).children == cas.children
    flat = await mut.chain_collections(
        LABEL, f"{unique}/flat", c.ChainMode.REDEFINE, [DEFAULTS], flatten=True
    )
    assert flat.children == tuple(
        child for name in DEMO.chains[DEFAULTS] for child in DEMO.chains.get(name, (name,))
    )


async def test_assemble_inputs_and_disassociate(mut: AsyncGatewayClient, unique: str) -> None:
    chained = await mut.assemble_inputs(
        LABEL, f"{unique}/input", c.ChainedInputs([DEFAULTS], flatten=True), doc="step input"
    )
    assert chained.created == (f"{unique}/input",)
    assert DEMO.raw_runs[LSSTCAM] in chained.children
    rerun = await mut.assemble_inputs(LABEL, f"{unique}/input", c.ChainedInputs([DEFAULTS], flatten=True))
    assert (rerun.created, rerun.changes) == ((), ())

    tagged_name = f"{unique}/tagged"
    selection = c.TaggedInputs(
        ["raw"],
        [DEFAULTS],
        where=f"instrument = '{LSSTCAM}' AND day_obs = :day",
        bind={"day": DEMO.tagged_day_obs},
    )
    tagged = await mut.assemble_inputs(LABEL, tagged_name, selection)
    night = len(DEMO.exposure_ids(LSSTCAM, day_obs=DEMO.tagged_day_obs)) * len(DEMO.detector_ids(LSSTCAM))
    assert tagged.datasets_tagged == night
    assert tagged.changes[0].datasets_added == night
    assert await mut.count_datasets(LABEL, "raw", [tagged_name]) == night

    detector = DEMO.detector_ids(LSSTCAM)[0]
    dry = await mut.disassociate(
        LABEL,
        tagged_name,
        ["raw"],
        where=f"instrument = '{LSSTCAM}' AND detector = :d",
        bind={"d": detector},
        dry_run=True,
    )
    gone = await mut.disassociate(
        LABEL, tagged_name, ["raw"], where=f"instrument = '{LSSTCAM}' AND detector = :d", bind={"d": detector}
    )
    assert dry.datasets_removed == gone.datasets_removed > 0
    assert await mut.count_datasets(LABEL, "raw", [tagged_name]) == night - gone.datasets_removed
    with pytest.raises(c.InvalidQueryError):
        await mut.disassociate(LABEL, tagged_name, ["raw"], where="detector ==")


def test_retry_kinds_follow_the_proto_comments() -> None:
    assert chain_collections_kind(c.ChainMode.REDEFINE.value) is c.CallKind.RETRY_SAFE_MUTATION
    assert chain_collections_kind(c.ChainMode.REMOVE.value) is c.CallKind.RETRY_SAFE_MUTATION
    assert chain_collections_kind(c.ChainMode.EXTEND.value) is c.CallKind.MUTATION
    assert chain_collections_kind(c.ChainMode.PREPEND.value) is c.CallKind.MUTATION
    assert remove_collection_kind(True) is c.CallKind.RETRY_SAFE_MUTATION
    assert remove_collection_kind(False) is c.CallKind.MUTATION


def test_every_documented_reason_has_a_typed_exception() -> None:
    import re

    import grpc

    from lsst.cmservice.butler.client.errors import error_class

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    generic = {"MISSING_LABEL", "INVALID_ARGUMENT", "DUPLICATE_LABEL", "INVALID_MODE"}
    checked = 0
    for code_name, reasons in re.findall(r"^\| `([A-Z_]+)` \| (.*) \|$", table, flags=re.MULTILINE):
        code = grpc.StatusCode[code_name]
        for reason in re.findall(r"`([A-Z_]+)`", reasons):
            cls = error_class(code, reason)
            assert cls.status_code is code, reason
            if reason not in generic:
                assert reason in cls.reasons, f"{reason} has no exception class of its own"
            checked += 1
    assert checked >= 30


def test_submission_environment_repr_hides_values() -> None:
    from lsst.cmservice.butler.v1 import environment_pb2 as env_pb

    secret = "s3cret-password-value"
    message = env_pb.RenderSubmissionEnvironmentResponse(
        variables=[env_pb.EnvironmentVariable(name="LSST_DB_AUTH_CREDENTIALS", value=secret, secret=True)],
        files=[env_pb.SubmissionFile(path="/home/u/pgpass", content=secret, mode=0o600, secret=True)],
        htcondor_environment=f'"LSST_DB_AUTH_CREDENTIALS={secret}"',
        bash_exports=f"export LSST_DB_AUTH_CREDENTIALS='{secret}'",
        bps_environment_yaml=f"environment:\n  LSST_DB_AUTH_CREDENTIALS: {secret}\n",
        submission_id="s",
        contains_secrets=True,
    )
    env = c.SubmissionEnvironment.from_proto(message)
    assert env.environ == {"LSST_DB_AUTH_CREDENTIALS": secret}
    assert env.files[0].mode == 0o600
    assert "LSST_DB_AUTH_CREDENTIALS" in repr(env)
    assert "/home/u/pgpass" in repr(env)
    assert secret not in repr(env)
