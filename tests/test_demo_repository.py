"""Tests of the embedded demo repository, on real SQLite repositories."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsst.daf.butler import Butler, CollectionType, DatasetRef
from lsst.resources import ResourcePath

from lsst.cmservice.butler.gateway import demo
from lsst.cmservice.butler.gateway.demo import (
    DEMO,
    DEMO_LABEL,
    DEMO_MARKER_NAME,
    DEMO_REPO_DIRNAME,
    DataIdTuple,
    build_demo_repository,
    create_repository,
    populate,
)

# Far above any demo count: a truncated result must never pass for a correct one.
LIMIT = 10_000
LOCK_NAME = f".{DEMO_REPO_DIRNAME}.lock"


@pytest.fixture(scope="module")
def demo_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    data_dir = tmp_path_factory.mktemp("demo_data")
    start = time.perf_counter()
    uri = build_demo_repository(data_dir)
    elapsed = time.perf_counter() - start
    print(f"demo repository built in {elapsed:.2f} s")
    assert elapsed < 60
    return uri


@pytest.fixture(scope="module")
def butler(demo_uri: str) -> Iterator[Butler]:
    with contextlib.closing(Butler.from_config(demo_uri)) as read_only:
        yield read_only


def repo_dir(uri: str) -> Path:
    return Path(ResourcePath(uri).ospath).parent


def data_id_tuples(refs: list[DatasetRef], dimensions: tuple[str, ...]) -> set[DataIdTuple]:
    return {tuple(ref.dataId[d] for d in dimensions) for ref in refs}


def dataset_ids(uri: str) -> dict[tuple[str, str, DataIdTuple], str]:
    """Map (dataset type, run, data ID) to dataset UUID for every dataset in a demo repository."""
    result = {}
    with contextlib.closing(Butler.from_config(uri)) as b:
        for dt in DEMO.dataset_types:
            for ref in b.query_datasets(dt.name, "*", find_first=False, explain=False, limit=LIMIT):
                result[dt.name, ref.run, tuple(ref.dataId[d] for d in dt.dimensions)] = str(ref.id)
    return result


# -- the DemoContent constants ---------------------------------------------------------------------


def test_content_constants() -> None:
    # Literal numbers, so that a content change is a deliberate edit here (and a version bump).
    assert DEMO_LABEL == "demo"
    assert DEMO.version == 1
    assert DEMO.instrument_names == ("LSSTCam", "LATISS")
    assert DEMO.detector_ids("LSSTCam") == (0, 1, 2, 3)
    assert DEMO.detector_ids("LATISS") == (0,)
    assert DEMO.bands == ("g", "i", "r", "z")
    assert DEMO.physical_filter_names("LSSTCam") == ("g_6", "r_57", "i_39", "z_20")
    assert DEMO.day_obs == (20250921, 20250922)
    assert len(DEMO.exposure_ids("LSSTCam")) == 8
    assert len(DEMO.exposure_ids("LSSTCam", observation_type="bias")) == 2
    assert len(DEMO.exposure_ids("LATISS")) == 4
    assert len(DEMO.visits) == 10
    assert len(DEMO.groups("LSSTCam")) == 8
    assert (DEMO.raw.name, DEMO.raw.dimensions) == ("raw", ("instrument", "detector", "exposure"))
    assert DEMO.raw.storage_class == "Exposure"
    assert DEMO.expected_raw_count("LSSTCam/raw/all") == 32
    assert DEMO.expected_raw_count("LATISS/raw/all") == 4
    assert DEMO.expected_raw_count("LSSTCam/raw/tagged-night1") == 16
    assert DEMO.expected_raw_count("LSSTCam/defaults") == 32
    assert DEMO.expected_raw_count("demo/campaign/input") == 16
    assert DEMO.expected_dataset_count("calexp", "LSSTCam/runs/nightly/20250921") == 12
    assert DEMO.expected_dataset_count("bias", "demo/campaign/input") == 4
    assert dict(DEMO.collection_types) == {
        "LSSTCam/raw/all": CollectionType.RUN,
        "LATISS/raw/all": CollectionType.RUN,
        "LSSTCam/runs/nightly/20250921": CollectionType.RUN,
        "LSSTCam/calib/bias/20250920": CollectionType.RUN,
        "LSSTCam/calib/certified": CollectionType.CALIBRATION,
        "LSSTCam/raw/tagged-night1": CollectionType.TAGGED,
        "LSSTCam/calib": CollectionType.CHAINED,
        "LSSTCam/defaults": CollectionType.CHAINED,
        "LATISS/defaults": CollectionType.CHAINED,
        "demo/campaign/input": CollectionType.CHAINED,
    }
    assert set(DEMO.docs) == set(DEMO.collection_types)


# -- the built repository --------------------------------------------------------------------------


def test_dimension_records(butler: Butler) -> None:
    instruments = {
        r.name: r for r in butler.query_dimension_records("instrument", explain=False, limit=LIMIT)
    }
    assert set(instruments) == set(DEMO.instrument_names)
    assert instruments["LSSTCam"].class_name == "lsst.obs.lsst.LsstCam"
    for name in DEMO.instrument_names:
        detectors = butler.query_dimension_records("detector", instrument=name, explain=False, limit=LIMIT)
        assert sorted(r.id for r in detectors) == list(DEMO.detector_ids(name))
        assert {(r.id, r.full_name) for r in detectors} == {
            (d.id, d.full_name) for d in DEMO.detectors if d.instrument == name
        }
        day_obs = butler.query_dimension_records("day_obs", instrument=name, explain=False, limit=LIMIT)
        assert sorted(r.id for r in day_obs) == list(DEMO.day_obs)
        groups = butler.query_dimension_records("group", instrument=name, explain=False, limit=LIMIT)
        assert sorted(r.name for r in groups) == list(DEMO.groups(name))
        visits = butler.query_dimension_records("visit", instrument=name, explain=False, limit=LIMIT)
        assert sorted(r.id for r in visits) == list(DEMO.visit_ids(name))

    filters = butler.query_dimension_records("physical_filter", explain=False, limit=LIMIT)
    assert {(r.instrument, r.name, r.band) for r in filters} == {
        (f.instrument, f.name, f.band) for f in DEMO.physical_filters
    }
    exposures = butler.query_dimension_records("exposure", explain=False, limit=LIMIT)
    assert {(r.instrument, r.id, r.obs_id, r.observation_type) for r in exposures} == {
        (e.instrument, e.id, e.obs_id, e.observation_type) for e in DEMO.exposures
    }
    for record in exposures:
        assert record.timespan is not None
        assert record.can_see_sky == (record.observation_type == "science")
    n_regions = sum(len(DEMO.detector_ids(v.instrument)) for v in DEMO.visits)
    assert len(butler.query_data_ids(["visit", "detector"], explain=False, limit=LIMIT)) == n_regions
    definitions = butler.query_dimension_records("visit_definition", explain=False, limit=LIMIT)
    assert {(r.exposure, r.visit) for r in definitions} == {(v.id, v.id) for v in DEMO.visits}


def test_dataset_types(butler: Butler) -> None:
    registered = {dt.name: dt for dt in butler.registry.queryDatasetTypes()}
    assert set(registered) == {dt.name for dt in DEMO.dataset_types}
    for expected in DEMO.dataset_types:
        actual = registered[expected.name]
        assert set(actual.dimensions.required) == set(expected.dimensions)
        assert actual.storageClass_name == expected.storage_class
        assert actual.isCalibration() == expected.is_calibration


def test_collections(butler: Butler) -> None:
    assert set(butler.collections.query("*")) == set(DEMO.collection_types)
    for name, collection_type in DEMO.collection_types.items():
        info = butler.collections.get_info(name)
        assert info.type == collection_type, name
        assert info.doc == DEMO.docs[name]
        assert info.children == DEMO.chains.get(name, ())


def test_chain_children_order(butler: Butler) -> None:
    get_children = butler.collections.get_info
    assert get_children("LSSTCam/defaults").children == ("LSSTCam/raw/all", "LSSTCam/calib")
    assert get_children("demo/campaign/input").children == ("LSSTCam/raw/tagged-night1", "LSSTCam/calib")
    assert get_children("LSSTCam/calib").children == ("LSSTCam/calib/certified",)
    assert get_children("LATISS/defaults").children == ("LATISS/raw/all",)
    flat = butler.collections.query("demo/campaign/input", flatten_chains=True)
    assert list(flat) == ["LSSTCam/raw/tagged-night1", "LSSTCam/calib/certified"]


@pytest.mark.parametrize("collection", list(DEMO.collection_types))
@pytest.mark.parametrize("dataset_type", [dt.name for dt in DEMO.dataset_types])
def test_datasets_per_collection(butler: Butler, dataset_type: str, collection: str) -> None:
    dimensions = next(dt.dimensions for dt in DEMO.dataset_types if dt.name == dataset_type)
    refs = butler.query_datasets(dataset_type, collection, explain=False, limit=LIMIT)
    assert len(refs) == DEMO.expected_dataset_count(dataset_type, collection)
    assert data_id_tuples(refs, dimensions) == DEMO.expected_data_ids(dataset_type, collection)


def test_tagged_collection_holds_the_night_one_raws(butler: Butler) -> None:
    tagged = butler.query_datasets("raw", DEMO.tagged_raw, explain=False, limit=LIMIT)
    night1 = butler.query_datasets(
        "raw",
        DEMO.raw_runs["LSSTCam"],
        where="day_obs = :day",
        bind={"day": DEMO.tagged_day_obs},
        instrument="LSSTCam",
        explain=False,
        limit=LIMIT,
    )
    assert len(tagged) == 16
    # The same datasets (IDs and RUN), not copies.
    assert {(ref.id, ref.run) for ref in tagged} == {(ref.id, ref.run) for ref in night1}


def test_queries_cm_service_makes(butler: Butler) -> None:
    # A query splitter takes distinct values of a dimension for datasets matching a predicate.
    where = "exposure.observation_type = 'science' AND band = 'r'"
    refs = butler.query_datasets(
        "raw", "LSSTCam/defaults", where=where, instrument="LSSTCam", explain=False, limit=LIMIT
    )
    r_science = {
        e.id
        for e in DEMO.exposures
        if e.instrument == "LSSTCam" and e.is_science and e.physical_filter == "r_57"
    }
    assert {ref.dataId["exposure"] for ref in refs} == r_science
    assert len(refs) == len(r_science) * len(DEMO.detector_ids("LSSTCam"))
    with butler.query() as query:
        groups = query.join_dataset_search("raw", ["LSSTCam/defaults"]).data_ids(["group"])
        assert sorted(data_id["group"] for data_id in groups.where(instrument="LSSTCam")) == list(
            DEMO.groups("LSSTCam")
        )


# -- building ----------------------------------------------------------------------------------------


def test_second_build_is_a_no_op(demo_uri: str) -> None:
    repo = repo_dir(demo_uri)
    marker, database = repo / DEMO_MARKER_NAME, repo / "gen3.sqlite3"
    before = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in (marker, database)]
    start = time.perf_counter()
    again = build_demo_repository(repo.parent)
    elapsed = time.perf_counter() - start
    print(f"second build_demo_repository call: {elapsed * 1000:.2f} ms")
    assert again == demo_uri
    assert elapsed < 1.0
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in (marker, database)] == before


def test_built_repository_layout(tmp_path: Path) -> None:
    uri = build_demo_repository(tmp_path / "data")
    assert uri == (tmp_path / "data" / DEMO_REPO_DIRNAME / "butler.yaml").absolute().as_uri()
    assert (tmp_path / "data" / DEMO_REPO_DIRNAME / DEMO_MARKER_NAME).read_text().strip()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [LOCK_NAME, DEMO_REPO_DIRNAME]


@pytest.mark.parametrize("damage", ["missing", "other version"])
def test_incomplete_repository_is_rebuilt(tmp_path: Path, damage: str) -> None:
    uri = build_demo_repository(tmp_path)
    repo = repo_dir(uri)
    ids_before = dataset_ids(uri)
    inode_before = (repo / "gen3.sqlite3").stat().st_ino
    marker = repo / DEMO_MARKER_NAME
    if damage == "missing":
        marker.unlink()
    else:
        marker.write_text("demo-content-version: 0\n")

    assert build_demo_repository(tmp_path) == uri
    assert (repo / "gen3.sqlite3").stat().st_ino != inode_before
    assert marker.read_text() == f"demo-content-version: {DEMO.version}\n"
    # Deterministic dataset IDs: clients holding IDs from before the rebuild still find them.
    assert dataset_ids(uri) == ids_before


def test_crash_leftovers_are_replaced(tmp_path: Path) -> None:
    # What a crash can leave: a staging directory and a final directory without a marker.
    (tmp_path / f"{DEMO_REPO_DIRNAME}-build-0123").mkdir()
    (tmp_path / f"{DEMO_REPO_DIRNAME}-build-0123" / "gen3.sqlite3").write_bytes(b"half")
    (tmp_path / DEMO_REPO_DIRNAME).mkdir()
    (tmp_path / DEMO_REPO_DIRNAME / "butler.yaml").write_text("half: true\n")

    uri = build_demo_repository(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_NAME, DEMO_REPO_DIRNAME]
    assert len(dataset_ids(uri)) == sum(
        DEMO.expected_dataset_count(dt.name, run)
        for dt in DEMO.dataset_types
        for run, kind in DEMO.collection_types.items()
        if kind is CollectionType.RUN
    )


def test_failed_build_leaves_no_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fault injection: the build fails half-way, after the registry was created.
    def failing_populate(butler: Butler) -> None:
        butler.collections.register("half-made")
        raise RuntimeError("injected failure")

    monkeypatch.setattr(demo, "populate", failing_populate)
    with pytest.raises(RuntimeError, match="injected failure"):
        build_demo_repository(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]

    monkeypatch.undo()
    assert build_demo_repository(tmp_path).endswith("/butler.yaml")


def test_concurrent_builds_build_once(tmp_path: Path) -> None:
    results: list[str] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(build_demo_repository(tmp_path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_NAME, DEMO_REPO_DIRNAME]


# -- create_repository and populate ----------------------------------------------------------------


def test_create_repository_is_empty_and_populate_needs_empty(tmp_path: Path) -> None:
    uri = create_repository(tmp_path / "repo")
    assert uri == (tmp_path / "repo" / "butler.yaml").absolute().as_uri()
    assert (tmp_path / "repo" / "gen3.sqlite3").is_file()
    with contextlib.closing(Butler.from_config(uri, writeable=True)) as writeable:
        assert list(writeable.collections.query("*")) == []
        populate(writeable)
        assert writeable.query_datasets("raw", "LSSTCam/defaults", explain=False, limit=LIMIT)
        with pytest.raises(ValueError, match="already holds"):
            populate(writeable)


def test_create_repository_refuses_password_in_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="password") as info:
        create_repository(tmp_path / "repo", registry_db="postgresql://butler:s3cret@127.0.0.1:5432/db")
    assert "s3cret" not in str(info.value)
    assert not (tmp_path / "repo").exists()


def test_create_repository_refuses_dotted_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dot"):
        create_repository(tmp_path / "repo.v1")


def test_create_repository_refuses_namespace_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="namespace"):
        create_repository(tmp_path / "repo", namespace="demo")
    assert not (tmp_path / "repo").exists()
