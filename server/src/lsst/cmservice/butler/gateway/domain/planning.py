"""The group-split planner: disjoint, balanced groups of a step's input, each as a where predicate."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import InvalidArgumentError, SplitImpossibleError
from ..factory import ButlerFactory
from .queries import Constraint, DatasetSearch, check_dimensions, check_search, has_glob, value_counts
from .where import ALWAYS_TRUE, ScalarValue, conjunction, equals_any, int_range

__all__ = [
    "ByQuery",
    "ByRanges",
    "ByValues",
    "NoSplit",
    "PlannedGroup",
    "SplitPlan",
    "SplitStrategy",
    "partition",
    "plan_from_counts",
    "plan_groups",
]

UNASSIGNED_SHOWN = 100


@dataclass(frozen=True)
class ByQuery:
    """Balanced contiguous groups of the selected values.

    ``max_size`` 0 means unbounded; ``count_values`` makes it count distinct values, not rows.
    """

    min_groups: int = 1
    max_size: int = 0
    count_values: bool = False


@dataclass(frozen=True)
class ByValues:
    """One group per tuple of explicit values."""

    groups: tuple[tuple[ScalarValue, ...], ...]


@dataclass(frozen=True)
class ByRanges:
    """One group per half-open integer range ``[low, high)``; None is unbounded."""

    ranges: tuple[tuple[int | None, int | None], ...]


@dataclass(frozen=True)
class NoSplit:
    """A single group selecting everything."""


SplitStrategy = ByQuery | ByValues | ByRanges | NoSplit


@dataclass(frozen=True)
class PlannedGroup:
    """One group: its predicate and what it selects today."""

    predicate: str
    count: int
    value_count: int
    first_value: ScalarValue | None
    last_value: ScalarValue | None
    exceeds_max_size: bool = False


@dataclass(frozen=True)
class SplitPlan:
    """The groups and the selection they were planned from."""

    groups: list[PlannedGroup]
    total: int
    distinct_values: int
    unassigned_count: int = 0
    unassigned_values: tuple[ScalarValue, ...] = ()


def _greedy(weights: Sequence[int], cap: int) -> list[tuple[int, int]]:
    # Fewest contiguous groups with each at most `cap`; an item heavier than `cap` stands alone.
    groups: list[tuple[int, int]] = []
    start, total = 0, 0
    for i, weight in enumerate(weights):
        if i > start and total + weight > cap:
            groups.append((start, i))
            start, total = i, 0
        total += weight
    groups.append((start, len(weights)))
    return groups


def partition(weights: Sequence[int], min_groups: int, max_size: int = 0) -> list[tuple[int, int]]:
    """Split a sequence into contiguous ``[start, end)`` slices, as evenly as possible.

    Returns at least ``min_groups`` slices; each weighs at most ``max_size`` (0: unbounded)
    unless it is a single item heavier than that; with that, the heaviest slice is as light as
    possible. Requires ``1 <= min_groups <= len(weights)``.
    """
    n = len(weights)
    if not 1 <= min_groups <= n:
        raise ValueError(f"min_groups must be between 1 and {n}, not {min_groups}")
    total = sum(weights)
    upper = min(max_size, total) if max_size > 0 else total
    upper = max(upper, 1)
    k = max(min_groups, len(_greedy(weights, upper)))
    # Smallest capacity whose greedy packing needs at most k groups (monotone in the capacity).
    low, high = 1, upper
    while low < high:
        mid = (low + high) // 2
        if len(_greedy(weights, mid)) <= k:
            high = mid
        else:
            low = mid + 1
    groups = _greedy(weights, low)
    # Fewer than k groups: split the heaviest divisible ones (never raises the maximum).
    heap = [(-sum(weights[s:e]), s, e) for s, e in groups]
    heapq.heapify(heap)
    kept: list[tuple[int, int]] = []
    while len(heap) + len(kept) < k:
        _, s, e = heapq.heappop(heap)
        if e - s < 2:
            kept.append((s, e))
            continue
        half, acc, cut = sum(weights[s:e]) / 2, 0, s + 1
        for i in range(s, e - 1):
            acc += weights[i]
            cut = i + 1
            if acc >= half:
                break
        heapq.heappush(heap, (-sum(weights[s:cut]), s, cut))
        heapq.heappush(heap, (-sum(weights[cut:e]), cut, e))
    return sorted(kept + [(s, e) for _, s, e in heap])


def _sorted_values(values: Mapping[ScalarValue, int]) -> list[ScalarValue]:
    return sorted(values, key=lambda v: (isinstance(v, str), v))


def _check_value_type(dimension: str, value: ScalarValue, is_int: bool) -> None:
    if isinstance(value, bool) or isinstance(value, int) != is_int or not isinstance(value, int | str):
        wanted = "integers" if is_int else "strings"
        raise InvalidArgumentError(f"values of {dimension!r} are {wanted}; got {value!r}")


def _plan_by_query(
    dimension: str, counts: Mapping[ScalarValue, int], is_int: bool, strategy: ByQuery
) -> list[PlannedGroup]:
    values = _sorted_values(counts)
    total = sum(counts.values())
    min_groups = max(strategy.min_groups, 1)
    if len(values) < min_groups:
        raise SplitImpossibleError(
            f"cannot split on {dimension!r} into at least {min_groups} groups: the selection has "
            f"{len(values)} distinct values ({total} rows)",
            distinct_values=str(len(values)),
            min_groups=str(min_groups),
        )
    weights = [1 if strategy.count_values else counts[v] for v in values]
    slices = partition(weights, min_groups, strategy.max_size)
    groups = []
    for i, (start, end) in enumerate(slices):
        members = values[start:end]
        if len(slices) == 1:
            predicate = ALWAYS_TRUE
        elif is_int:
            # Half-open ranges with open outer ends: every integer, even one added later, falls
            # into exactly one group.
            low = None if i == 0 else int(members[0])
            high = None if i == len(slices) - 1 else int(values[slices[i + 1][0]])
            predicate = int_range(dimension, low, high)
        else:
            # String order differs between Python and database collations: list the values.
            predicate = equals_any(dimension, members)
        size = sum(weights[start:end])
        groups.append(
            PlannedGroup(
                predicate=predicate,
                count=sum(counts[v] for v in members),
                value_count=len(members),
                first_value=members[0],
                last_value=members[-1],
                exceeds_max_size=strategy.max_size > 0 and size > strategy.max_size,
            )
        )
    return groups


def _summary(predicate: str, members: list[ScalarValue], counts: Mapping[ScalarValue, int]) -> PlannedGroup:
    present = _sorted_values({v: counts[v] for v in members if v in counts})
    return PlannedGroup(
        predicate=predicate,
        count=sum(counts[v] for v in present),
        value_count=len(present),
        first_value=present[0] if present else None,
        last_value=present[-1] if present else None,
    )


def _plan_by_values(
    dimension: str, counts: Mapping[ScalarValue, int], is_int: bool, strategy: ByValues
) -> tuple[list[PlannedGroup], set[ScalarValue]]:
    if not strategy.groups:
        raise InvalidArgumentError("by_values needs at least one group of values")
    seen: set[ScalarValue] = set()
    groups = []
    for members in strategy.groups:
        for value in members:
            _check_value_type(dimension, value, is_int)
            if value in seen:
                raise InvalidArgumentError(f"value {value!r} of {dimension!r} is in two groups")
            seen.add(value)
        groups.append(_summary(equals_any(dimension, list(members)), list(members), counts))
    return groups, seen


def _plan_by_ranges(
    dimension: str, counts: Mapping[ScalarValue, int], is_int: bool, strategy: ByRanges
) -> tuple[list[PlannedGroup], set[ScalarValue]]:
    if not is_int:
        raise InvalidArgumentError(f"{dimension!r} has string values; split it by values, not ranges")
    if not strategy.ranges:
        raise InvalidArgumentError("by_ranges needs at least one range")
    bounds = [
        (-math.inf if low is None else low, math.inf if high is None else high)
        for low, high in strategy.ranges
    ]
    for low, high in bounds:
        if low >= high:
            raise InvalidArgumentError(f"the range [{low}, {high}) of {dimension!r} is empty")
    ordered = sorted(bounds)
    for (_, high), (low, _) in itertools.pairwise(ordered):
        if low < high:
            raise InvalidArgumentError(f"ranges of {dimension!r} overlap at {low}")
    groups = []
    assigned: set[ScalarValue] = set()
    for (given_low, given_high), (lo, hi) in zip(strategy.ranges, bounds, strict=True):
        members = [v for v in counts if lo <= v < hi]  # type: ignore[operator]
        assigned.update(members)
        groups.append(_summary(int_range(dimension, given_low, given_high), members, counts))
    return groups, assigned


def plan_from_counts(
    dimension: str, counts: Mapping[ScalarValue, int], is_int: bool, strategy: SplitStrategy
) -> SplitPlan:
    """Plan groups from the rows per value of the split dimension (pure: no Butler)."""
    total = sum(counts.values())
    if isinstance(strategy, NoSplit):
        group = PlannedGroup(ALWAYS_TRUE, total, len(counts), *_ends(counts))
        return SplitPlan([group], total, len(counts))
    if isinstance(strategy, ByQuery):
        return SplitPlan(_plan_by_query(dimension, counts, is_int, strategy), total, len(counts))
    if isinstance(strategy, ByValues):
        groups, assigned = _plan_by_values(dimension, counts, is_int, strategy)
    else:
        groups, assigned = _plan_by_ranges(dimension, counts, is_int, strategy)
    missing = _sorted_values({v: n for v, n in counts.items() if v not in assigned})
    return SplitPlan(
        groups,
        total,
        len(counts),
        unassigned_count=sum(counts[v] for v in missing),
        unassigned_values=tuple(missing[:UNASSIGNED_SHOWN]),
    )


def _ends(counts: Mapping[ScalarValue, int]) -> tuple[ScalarValue | None, ScalarValue | None]:
    values = _sorted_values(counts)
    return (values[0], values[-1]) if values else (None, None)


def plan_groups(
    factory: ButlerFactory,
    label: str,
    search: DatasetSearch,
    predicates: Sequence[str],
    dimension: str,
    strategy: SplitStrategy,
) -> SplitPlan:
    """Plan the groups of a step: datasets found by ``search`` under ``predicates``, split on a dimension.

    Rows are the find-first datasets (distinct data IDs of the dataset type, joined with the
    split dimension when it is not one of the dataset type's).
    """
    check_search(search)
    if has_glob(search.collections):
        raise InvalidArgumentError("a split plan searches an ordered list of collection names, not globs")
    where = conjunction(predicates)
    with factory.reader(label, collections=search.collections) as butler:
        if not dimension:
            if not isinstance(strategy, NoSplit):
                raise InvalidArgumentError("the dimension to split on is required")
            with butler.query() as query:
                results = query.datasets(search.dataset_type, list(search.collections), find_first=True)
                total = (results.where(where) if where else results).count(exact=True, discard=True)
            return SplitPlan([PlannedGroup(ALWAYS_TRUE, total, 0, None, None)], total, 0)
        check_dimensions(butler, [dimension])
        is_int = butler.dimensions.getStaticDimensions()[dimension].primaryKey.getPythonType() is int
        counts = value_counts(butler, dimension, search, Constraint(where=where))
    return plan_from_counts(dimension, counts, is_int, strategy)
