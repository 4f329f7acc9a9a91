"""PlanGroups: property tests of partitions and predicates, checked by the real Butler parser and database."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import AsyncIterator, Iterator, Mapping

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsst.daf.butler import Butler
from lsst.daf.butler.queries.expressions.parser.parser import parse_expression

from lsst.cmservice.butler.gateway.demo import DEMO
from lsst.cmservice.butler.gateway.domain.planning import (
    ByQuery,
    ByRanges,
    ByValues,
    NoSplit,
    SplitPlan,
    partition,
    plan_from_counts,
)
from lsst.cmservice.butler.gateway.domain.queries import Constraint, DatasetSearch, value_counts
from lsst.cmservice.butler.gateway.domain.where import ScalarValue, UnquotableValueError, quote
from lsst.cmservice.butler.gateway.errors import InvalidArgumentError, SplitImpossibleError
from lsst.cmservice.butler.v1 import common_pb2, gateway_pb2_grpc
from lsst.cmservice.butler.v1 import planning_pb2 as pb
from lsst.cmservice.butler.v1 import queries_pb2 as qpb

from .conftest import RepoUnderTest
from .support.gateway import error_info, running_gateway, settings_for

LSSTCAM = DEMO.primary_instrument
DEFAULTS = "LSSTCam/defaults"
CAMPAIGN = f"instrument = '{LSSTCAM}'"

# Strings a Butler literal can hold: anything but a quote, a line break or NUL.
quotable_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="'\n\r\x00"),
    min_size=1,
    max_size=12,
)


# -- the pure partition ------------------------------------------------------------------------


def _best_max(weights: list[int], k: int) -> int:
    # Brute force: the lightest possible heaviest slice over all contiguous splits into k slices.
    n = len(weights)
    best = sum(weights)
    for cuts in itertools.combinations(range(1, n), k - 1):
        edges = (0, *cuts, n)
        best = min(best, max(sum(weights[a:b]) for a, b in itertools.pairwise(edges)))
    return best


@given(weights=st.lists(st.integers(1, 40), min_size=1, max_size=9), data=st.data())
def test_partition_is_contiguous_complete_bounded_and_balanced(
    weights: list[int], data: st.DataObject
) -> None:
    min_groups = data.draw(st.integers(1, len(weights)))
    max_size = data.draw(st.integers(0, 120))
    slices = partition(weights, min_groups, max_size)
    assert slices[0][0] == 0
    assert slices[-1][1] == len(weights)
    assert all(start < end for start, end in slices)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
    assert len(slices) >= min_groups
    sizes = [sum(weights[s:e]) for s, e in slices]
    if max_size:
        # Only a single value heavier than max_size may exceed it.
        assert all(
            size <= max_size or end - start == 1 for size, (start, end) in zip(sizes, slices, strict=True)
        )
    # As few groups as the bounds allow...
    fewest = max(min_groups, 1 if not max_size else len(partition(weights, 1, max_size)))
    assert len(slices) == fewest
    # ...and, with that many, the heaviest group is as light as it can be.
    assert max(sizes) == _best_max(weights, len(slices))


@given(weights=st.lists(st.integers(1, 1000), min_size=1, max_size=400), data=st.data())
def test_partition_bounds_on_larger_inputs(weights: list[int], data: st.DataObject) -> None:
    min_groups = data.draw(st.integers(1, len(weights)))
    max_size = data.draw(st.integers(max(weights), 5 * max(weights)))
    slices = partition(weights, min_groups, max_size)
    assert [i for s, e in slices for i in range(s, e)] == list(range(len(weights)))
    assert len(slices) >= min_groups
    assert all(sum(weights[s:e]) <= max_size for s, e in slices)


# -- predicates: quoting, structure, semantics -------------------------------------------------


def _selects(predicate: str, dimension: str, value: ScalarValue) -> bool:
    # Evaluates the three predicate shapes the planner writes (strings cannot contain quotes).
    if predicate == "(1=1)":
        return True
    if isinstance(value, str):
        return value in re.findall(r"'([^']*)'", predicate)
    low = re.search(rf"{dimension} >= (-?\d+)", predicate)
    high = re.search(rf"{dimension} < (-?\d+)", predicate)
    if low is None and high is None:
        return value in [int(v) for v in re.findall(r"-?\d+", predicate.split("(", 2)[-1])]
    return (low is None or value >= int(low.group(1))) and (high is None or value < int(high.group(1)))


def _check_plan(plan: SplitPlan, dimension: str, counts: Mapping[ScalarValue, int]) -> None:
    for group in plan.groups:
        # Balanced outside string literals (a value may itself hold a parenthesis).
        bare = re.sub(r"'[^']*'", "''", group.predicate)
        assert bare.count("(") == bare.count(")")
        assert bare.startswith("(")
        assert bare.endswith(")")
        assert parse_expression(group.predicate) is not None
        members = [v for v in counts if _selects(group.predicate, dimension, v)]
        assert group.count == sum(counts[v] for v in members)
        assert group.value_count == len(members)
    # Disjoint and complete: every selected value is in exactly one group.
    for value in counts:
        assert sum(_selects(g.predicate, dimension, value) for g in plan.groups) == 1, value
    assert sum(g.count for g in plan.groups) == plan.total == sum(counts.values())


value_sets = st.one_of(
    st.dictionaries(st.integers(0, 10**13), st.integers(1, 60), min_size=1, max_size=40),
    st.dictionaries(quotable_text, st.integers(1, 60), min_size=1, max_size=40),
)


@given(counts=value_sets, data=st.data())
def test_query_split_groups_are_disjoint_complete_and_bounded(
    counts: dict[ScalarValue, int], data: st.DataObject
) -> None:
    is_int = isinstance(next(iter(counts)), int)
    dimension = "exposure" if is_int else "physical_filter"
    min_groups = data.draw(st.integers(1, len(counts) + 2))
    max_size = data.draw(st.integers(0, 300))
    count_values = data.draw(st.booleans())
    strategy = ByQuery(min_groups, max_size, count_values)
    if min_groups > len(counts):
        with pytest.raises(SplitImpossibleError) as caught:
            plan_from_counts(dimension, counts, is_int, strategy)
        assert f"{len(counts)} distinct values" in caught.value.message
        assert f"at least {min_groups} groups" in caught.value.message
        return
    plan = plan_from_counts(dimension, counts, is_int, strategy)
    _check_plan(plan, dimension, counts)
    assert len(plan.groups) >= min_groups
    for group in plan.groups:
        size = group.value_count if count_values else group.count
        assert group.exceeds_max_size == bool(max_size and size > max_size)
        if group.exceeds_max_size:
            assert group.value_count == 1


@pytest.fixture(scope="module")
def demo_butler(sqlite_repo: RepoUnderTest) -> Iterator[Butler]:
    with Butler.from_config(sqlite_repo.config_uri) as butler:
        yield butler


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(counts=value_sets, min_groups=st.integers(1, 6))
def test_every_predicate_reparses_in_a_real_butler_query(
    demo_butler: Butler, counts: dict[ScalarValue, int], min_groups: int
) -> None:
    is_int = isinstance(next(iter(counts)), int)
    dimension = "exposure" if is_int else "band"
    plan = plan_from_counts(dimension, counts, is_int, ByQuery(min(min_groups, len(counts))))
    with demo_butler.query() as query:
        for group in plan.groups:
            # Raises InvalidQueryError if the predicate does not parse or does not resolve.
            query.data_ids([dimension]).where(CAMPAIGN, group.predicate).count(exact=True)


@pytest.mark.parametrize("value", ["it's", "two\nlines", "nul\x00"])
def test_unquotable_strings_are_refused(value: str) -> None:
    with pytest.raises(UnquotableValueError):
        quote(value)
    with pytest.raises(UnquotableValueError):
        plan_from_counts("band", {value: 1, "g": 1}, False, ByQuery(2))


def test_quote_keeps_integers_and_strings_apart() -> None:
    assert quote(12) == "12"
    assert quote("12") == "'12'"
    assert quote("SDSSg_65mm~empty") == "'SDSSg_65mm~empty'"
    with pytest.raises(InvalidArgumentError):
        quote(True)


def test_explicit_strategies_validate_their_input() -> None:
    counts: dict[ScalarValue, int] = {1: 2, 5: 3, 9: 4}
    with pytest.raises(InvalidArgumentError, match="two groups"):
        plan_from_counts("detector", counts, True, ByValues(((1, 5), (5,))))
    with pytest.raises(InvalidArgumentError, match="integers"):
        plan_from_counts("detector", counts, True, ByValues((("1",),)))
    with pytest.raises(InvalidArgumentError, match="overlap"):
        plan_from_counts("detector", counts, True, ByRanges(((None, 5), (4, None))))
    with pytest.raises(InvalidArgumentError, match="empty"):
        plan_from_counts("detector", counts, True, ByRanges(((5, 5),)))
    with pytest.raises(InvalidArgumentError, match="string values"):
        plan_from_counts("band", {"g": 1}, False, ByRanges(((0, 1),)))
    plan = plan_from_counts("detector", counts, True, ByRanges(((None, 5), (5, 9))))
    assert [(g.predicate, g.count) for g in plan.groups] == [
        ("(detector < 5)", 2),
        ("(detector >= 5 AND detector < 9)", 3),
    ]
    assert (plan.unassigned_count, plan.unassigned_values) == (4, (9,))
    whole = plan_from_counts("detector", counts, True, NoSplit())
    assert [(g.predicate, g.count) for g in whole.groups] == [("(1=1)", 9)]


# -- against the repository's contents ---------------------------------------------------------

SPLIT_DIMENSIONS = ("exposure", "detector", "band", "physical_filter", "day_obs", "group")


def _count(butler: Butler, *predicates: str) -> int:
    with butler.query() as query:
        results = query.datasets("raw", [DEFAULTS], find_first=True).where(*predicates)
        return results.count(exact=True)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    dimension=st.sampled_from(SPLIT_DIMENSIONS),
    min_groups=st.integers(1, 5),
    max_size=st.integers(0, 40),
    count_values=st.booleans(),
)
def test_plans_on_the_demo_repository_are_disjoint_and_complete_in_the_database(
    demo_butler: Butler, dimension: str, min_groups: int, max_size: int, count_values: bool
) -> None:
    search = DatasetSearch("raw", (DEFAULTS,))
    counts = value_counts(demo_butler, dimension, search, Constraint(where=CAMPAIGN))
    is_int = isinstance(next(iter(counts)), int)
    strategy = ByQuery(min_groups, max_size, count_values)
    if min_groups > len(counts):
        with pytest.raises(SplitImpossibleError):
            plan_from_counts(dimension, counts, is_int, strategy)
        return
    plan = plan_from_counts(dimension, counts, is_int, strategy)
    assert plan.total == _count(demo_butler, CAMPAIGN) == DEMO.expected_raw_count(DEFAULTS)
    for group in plan.groups:
        assert _count(demo_butler, CAMPAIGN, group.predicate) == group.count
    for a, b in itertools.combinations(plan.groups, 2):
        assert _count(demo_butler, CAMPAIGN, a.predicate, b.predicate) == 0
    either = " OR ".join(g.predicate for g in plan.groups)
    assert _count(demo_butler, CAMPAIGN, f"({either})") == plan.total


# -- through the gateway -----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def gateway(repo: RepoUnderTest) -> AsyncIterator[gateway_pb2_grpc.ButlerGatewayServiceAsyncStub]:
    settings_ = settings_for({"repo": repo.config_uri}, db_auth_credentials=repo.credentials_json)
    async with running_gateway(settings_) as (_, stub):
        yield stub


def _request(**kwargs: object) -> pb.PlanGroupsRequest:
    return pb.PlanGroupsRequest(
        label="repo",
        dataset_type="raw",
        collections=[DEFAULTS],
        predicates=[CAMPAIGN],
        **kwargs,  # type: ignore[arg-type]
    )


async def test_plan_groups_through_the_gateway(any_repo: RepoUnderTest) -> None:
    total = DEMO.expected_raw_count(DEFAULTS)
    exposures = DEMO.exposure_ids(LSSTCAM)
    async with gateway(any_repo) as stub:
        plan = await stub.PlanGroups(_request(dimension="exposure", by_query=pb.SplitByQuery(min_groups=3)))
        assert len(plan.groups) == 3
        assert plan.total == total
        assert plan.distinct_values == len(exposures)
        for group in plan.groups:
            counted = await stub.CountDatasets(
                qpb.CountDatasetsRequest(
                    label="repo",
                    dataset_type="raw",
                    collections=[DEFAULTS],
                    where=f"{CAMPAIGN} AND {group.predicate}",
                )
            )
            assert counted.count == group.count
        assert sum(g.count for g in plan.groups) == total
        assert plan.groups[0].first_value.int_value == exposures[0]
        assert plan.groups[-1].last_value.int_value == exposures[-1]

        by_band = await stub.PlanGroups(
            _request(
                dimension="band",
                by_values=pb.SplitByValues(
                    groups=[
                        common_pb2.ValueList(values=[common_pb2.Value(string_value="g")]),
                        common_pb2.ValueList(
                            values=[common_pb2.Value(string_value="r"), common_pb2.Value(string_value="u")]
                        ),
                    ]
                ),
            )
        )
        assert [g.predicate for g in by_band.groups] == ["(band = 'g')", "(band IN ('r', 'u'))"]
        assert [v.string_value for v in by_band.unassigned_values] == ["i", "z"]
        assert sum(g.count for g in by_band.groups) + by_band.unassigned_count == total

        ranges = await stub.PlanGroups(
            _request(
                dimension="day_obs", by_ranges=pb.SplitByRanges(ranges=[pb.IntRange(max=DEMO.day_obs[1])])
            )
        )
        assert ranges.groups[0].predicate == f"(day_obs < {DEMO.day_obs[1]})"
        assert ranges.groups[0].count == len(DEMO.exposure_ids(LSSTCAM, day_obs=DEMO.day_obs[0])) * len(
            DEMO.detector_ids(LSSTCAM)
        )
        assert ranges.unassigned_count == total - ranges.groups[0].count

        whole = await stub.PlanGroups(_request(none=pb.NoSplit()))
        assert [(g.predicate, g.count) for g in whole.groups] == [("(1=1)", total)]


async def test_plan_groups_errors(sqlite_repo: RepoUnderTest) -> None:
    async with gateway(sqlite_repo) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.PlanGroups(_request(dimension="band", by_query=pb.SplitByQuery(min_groups=9)))
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(caught.value).reason == "SPLIT_IMPOSSIBLE"
        details = caught.value.details() or ""
        assert "at least 9 groups" in details
        assert (
            f"{len({f.band for f in DEMO.physical_filters if f.instrument == LSSTCAM})} distinct values"
            in details
        )

        unquotable = pb.SplitByValues(
            groups=[common_pb2.ValueList(values=[common_pb2.Value(string_value="it's")])]
        )
        bad_where = pb.PlanGroupsRequest(
            label="repo",
            dataset_type="raw",
            collections=[DEFAULTS],
            predicates=["band ="],
            dimension="band",
            by_query=pb.SplitByQuery(),
        )
        string_ranges = pb.SplitByRanges(ranges=[pb.IntRange(min=1)])
        cases = [
            (_request(dimension="band"), "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
            (_request(dimension="band", by_ranges=string_ranges), "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
            (_request(dimension="band", by_values=unquotable), "INVALID_ARGUMENT", "UNQUOTABLE_VALUE"),
            (_request(dimension="nodim", by_query=pb.SplitByQuery()), "NOT_FOUND", "DIMENSION_NOT_FOUND"),
            (bad_where, "INVALID_ARGUMENT", "INVALID_QUERY"),
        ]
        for request, code, reason in cases:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.PlanGroups(request)
            assert caught.value.code().name == code, request
            assert error_info(caught.value).reason == reason
