"""Data queries over read-only Butler clones: datasets, data IDs, records, counts, explanations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from astropy.time import Time  # type: ignore[import-untyped]
from lsst.daf.butler import Butler, DataCoordinate, DimensionRecord, MissingCollectionError, Timespan
from lsst.daf.butler.queries import Query

from ..errors import DimensionNotFoundError, InvalidArgumentError
from ..factory import ButlerFactory
from .where import ScalarValue

__all__ = [
    "TRUNCATED",
    "Constraint",
    "DatasetRow",
    "DatasetSearch",
    "RecordRow",
    "Truncated",
    "check_dimensions",
    "check_search",
    "count_data_ids",
    "count_datasets",
    "data_id_values",
    "dimension_values",
    "explain_no_results",
    "has_glob",
    "iter_data_ids",
    "iter_datasets",
    "iter_dimension_records",
    "value_counts",
]

T = TypeVar("T")


class Truncated:
    """Marks the end of a stream that its limit cut short (the last item of such a stream)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TRUNCATED"


TRUNCATED = Truncated()


@dataclass(frozen=True)
class Constraint:
    """Row filters of a query: a where expression, its bind values and a data ID, ANDed."""

    where: str = ""
    bind: Mapping[str, Any] = field(default_factory=dict)
    data_id: Mapping[str, ScalarValue] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSearch:
    """Datasets of one type in ordered collections."""

    dataset_type: str
    collections: Sequence[str]
    find_first: bool = True


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """One dataset of a query result."""

    id: str
    dataset_type: str
    run: str
    data_id: dict[str, ScalarValue]


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One dimension record; ``fields`` excludes the timespan and the region."""

    element: str
    data_id: dict[str, ScalarValue]
    fields: dict[str, Any]
    timespan: tuple[str, str] | None
    region: bytes | None


def data_id_values(data_id: DataCoordinate) -> dict[str, ScalarValue]:
    """Every known value of a data ID: required and, when present, implied dimensions."""
    # zip over the cached key order: about 2.5x faster than `data_id.mapping` per row.
    if data_id.hasFull():
        return dict(zip(data_id.dimensions.data_coordinate_keys, data_id.full_values, strict=True))
    return dict(zip(data_id.dimensions.required, data_id.required_values, strict=True))


def _check_limit(limit: int) -> None:
    if limit < 0:
        raise InvalidArgumentError(f"limit must be 0 (no limit) or positive, not {limit}")


def check_dimensions(butler: Butler, names: Iterable[str], *, elements: bool = False) -> None:
    """Raise `DimensionNotFoundError` for a name that is not a dimension (or element) of the universe."""
    universe = butler.dimensions
    known = universe.getStaticElements().names if elements else universe.getStaticDimensions().names
    for name in names:
        if name not in known:
            kind = "dimension element" if elements else "dimension"
            raise DimensionNotFoundError(f"unknown {kind} {name!r}", dimension=name)


def check_search(search: DatasetSearch | None) -> None:
    """Raise `InvalidArgumentError` for a dataset search without a type or collections."""
    if search is None:
        return
    if not search.dataset_type:
        raise InvalidArgumentError("a dataset type is required")
    if not search.collections:
        raise InvalidArgumentError(f"collections to search for {search.dataset_type!r} are required")


def _filtered(results: T, constraint: Constraint) -> T:
    args: list[Any] = []
    if constraint.data_id:
        args.append(dict(constraint.data_id))
    if constraint.where.strip():
        args.append(constraint.where)
    if not args and not constraint.bind:
        return results
    return results.where(*args, bind=dict(constraint.bind) or None)  # type: ignore[attr-defined]


def _limited(rows: Iterable[T], limit: int) -> Iterator[T | Truncated]:
    # The query asks for limit + 1 rows: a row beyond the limit proves the result was cut.
    if limit == 0:
        yield from rows
        return
    for n, row in enumerate(rows):
        if n == limit:
            yield TRUNCATED
            return
        yield row


def _join(butler: Butler, query: Query, search: DatasetSearch | None) -> Query:
    if search is None:
        return query
    return query.join_dataset_search(search.dataset_type, _collections(butler, search, ordered=False))


def has_glob(names: Iterable[str]) -> bool:
    """Whether any collection name is a glob pattern."""
    return any(c in name for name in names for c in "*?[")


def _reader(factory: ButlerFactory, label: str, search: DatasetSearch | None) -> Any:
    # A clone's default collections must be an ordered list of names; with globs the query alone
    # names the (expanded) collections.
    if search is None or has_glob(search.collections):
        return factory.reader(label)
    return factory.reader(label, collections=list(search.collections))


def _collections(butler: Butler, search: DatasetSearch, *, ordered: bool) -> list[str]:
    """The search's collections, globs expanded (queries take names only).

    A find-first search needs an order, which a glob does not give: refused with ``ordered``.
    """
    if not has_glob(search.collections):
        return list(search.collections)
    if ordered:
        raise InvalidArgumentError(
            "collection globs need find_first=false: a find-first search needs an ordered list of names"
        )
    names = list(butler.collections.query(list(search.collections)))
    if not names:
        raise MissingCollectionError(f"no collection matches {list(search.collections)}")
    return names


def iter_datasets(
    factory: ButlerFactory,
    label: str,
    search: DatasetSearch,
    constraint: Constraint,
    order_by: Sequence[str] = (),
    limit: int = 0,
) -> Iterator[DatasetRow | Truncated]:
    """Datasets found by a search, lazily; ends with `TRUNCATED` if ``limit`` cut the result.

    The clone and the query stay open while the caller iterates: iterate in one thread.
    """
    check_search(search)
    _check_limit(limit)
    with _reader(factory, label, search) as butler, butler.query() as query:
        results = query.datasets(
            search.dataset_type,
            _collections(butler, search, ordered=search.find_first),
            find_first=search.find_first,
        )
        results = _filtered(results, constraint)
        if order_by:
            results = results.order_by(*order_by)
        if limit:
            results = results.limit(limit + 1)
        for ref in _limited(results, limit):
            if isinstance(ref, Truncated):
                yield ref
                return
            yield DatasetRow(str(ref.id), ref.datasetType.name, ref.run, data_id_values(ref.dataId))


def iter_data_ids(
    factory: ButlerFactory,
    label: str,
    dimensions: Sequence[str],
    search: DatasetSearch | None,
    constraint: Constraint,
    order_by: Sequence[str] = (),
    limit: int = 0,
) -> Iterator[dict[str, ScalarValue] | Truncated]:
    """Distinct data IDs of some dimensions, lazily; ends with `TRUNCATED` if cut by ``limit``."""
    check_search(search)
    _check_limit(limit)
    if not dimensions:
        raise InvalidArgumentError("at least one dimension is required")
    with _reader(factory, label, search) as butler, butler.query() as query:
        check_dimensions(butler, dimensions)
        results = _filtered(_join(butler, query, search).data_ids(list(dimensions)), constraint)
        if order_by:
            results = results.order_by(*order_by)
        if limit:
            results = results.limit(limit + 1)
        for data_id in _limited(results, limit):
            yield data_id if isinstance(data_id, Truncated) else data_id_values(data_id)


def _iso(bound: Any) -> str:
    # Unbounded ends are None; ISO strings keep nanoseconds in the TAI scale.
    if bound is None or not hasattr(bound, "tai"):
        return ""
    return str(Time(bound.tai, precision=9).isot)


def _timespan(value: Timespan | None) -> tuple[str, str] | None:
    if value is None:
        return None
    return _iso(value.begin), _iso(value.end)


def _record_row(element: str, record: DimensionRecord) -> RecordRow:
    values = record.toDict()
    timespan = values.pop("timespan", None)
    region = values.pop("region", None)
    return RecordRow(
        element=element,
        data_id=dict(record.dataId.required),
        fields=values,
        timespan=_timespan(timespan),
        region=region.encode() if region is not None else None,
    )


def iter_dimension_records(
    factory: ButlerFactory,
    label: str,
    element: str,
    search: DatasetSearch | None,
    constraint: Constraint,
    order_by: Sequence[str] = (),
    limit: int = 0,
) -> Iterator[RecordRow | Truncated]:
    """Dimension records of one element, lazily; ends with `TRUNCATED` if cut by ``limit``."""
    check_search(search)
    _check_limit(limit)
    if not element:
        raise InvalidArgumentError("a dimension element is required")
    with _reader(factory, label, search) as butler, butler.query() as query:
        check_dimensions(butler, [element], elements=True)
        results = _filtered(_join(butler, query, search).dimension_records(element), constraint)
        if order_by:
            results = results.order_by(*order_by)
        if limit:
            results = results.limit(limit + 1)
        for record in _limited(results, limit):
            yield record if isinstance(record, Truncated) else _record_row(element, record)


def count_datasets(factory: ButlerFactory, label: str, search: DatasetSearch, constraint: Constraint) -> int:
    """Exact number of datasets a search finds (one SELECT count(*))."""
    check_search(search)
    with _reader(factory, label, search) as butler, butler.query() as query:
        results = query.datasets(
            search.dataset_type,
            _collections(butler, search, ordered=search.find_first),
            find_first=search.find_first,
        )
        return _filtered(results, constraint).count(exact=True, discard=True)


def count_data_ids(
    factory: ButlerFactory,
    label: str,
    dimensions: Sequence[str],
    search: DatasetSearch | None,
    constraint: Constraint,
) -> int:
    """Exact number of distinct data IDs of some dimensions."""
    check_search(search)
    if not dimensions:
        raise InvalidArgumentError("at least one dimension is required")
    with _reader(factory, label, search) as butler, butler.query() as query:
        check_dimensions(butler, dimensions)
        results = _filtered(_join(butler, query, search).data_ids(list(dimensions)), constraint)
        return results.count(exact=True, discard=True)


def _sort_key(value: ScalarValue) -> tuple[int, ScalarValue]:
    return (0, value) if isinstance(value, int) else (1, value)


def value_counts(
    butler: Butler, dimension: str, search: DatasetSearch | None, constraint: Constraint
) -> Counter[ScalarValue]:
    """Rows per value of ``dimension``: datasets with a search, else data IDs of the dimension.

    Reads each matching data ID once; memory grows with the number of distinct values only.
    """
    with butler.query() as query:
        if search is None:
            dims = [dimension]
        else:
            dataset_type = butler.get_dataset_type(search.dataset_type)
            dims = sorted({*dataset_type.dimensions.names, dimension})
        results = _filtered(_join(butler, query, search).data_ids(dims), constraint)
        counts: Counter[ScalarValue] = Counter()
        for data_id in results:
            counts[data_id[dimension]] += 1
        return counts


def dimension_values(
    factory: ButlerFactory,
    label: str,
    dimension: str,
    search: DatasetSearch | None,
    constraint: Constraint,
    *,
    with_counts: bool = False,
) -> list[tuple[ScalarValue, int | None]]:
    """Sorted distinct values of a dimension, each with its row count when ``with_counts``."""
    check_search(search)
    if not dimension:
        raise InvalidArgumentError("a dimension is required")
    with _reader(factory, label, search) as butler:
        check_dimensions(butler, [dimension])
        if with_counts:
            counts = value_counts(butler, dimension, search, constraint)
            return [(v, counts[v]) for v in sorted(counts, key=_sort_key)]
        with butler.query() as query:
            results = _filtered(_join(butler, query, search).data_ids([dimension]), constraint)
            values = {data_id[dimension] for data_id in results}
        return [(v, None) for v in sorted(values, key=_sort_key)]


def explain_no_results(
    factory: ButlerFactory,
    label: str,
    search: DatasetSearch | None,
    dimensions: Sequence[str],
    constraint: Constraint,
) -> tuple[bool, list[str]]:
    """Whether a dataset (or, without a search, data ID) query has rows; if not, the reasons."""
    check_search(search)
    if search is None and not dimensions:
        raise InvalidArgumentError("either a dataset type or dimensions are required")
    with _reader(factory, label, search) as butler, butler.query() as query:
        results: Any
        if search is not None:
            results = query.datasets(
                search.dataset_type,
                _collections(butler, search, ordered=search.find_first),
                find_first=search.find_first,
            )
        else:
            check_dimensions(butler, dimensions)
            results = query.data_ids(list(dimensions))
        results = _filtered(results, constraint)
        if results.any(execute=True, exact=True):
            return True, []
        return False, list(results.explain_no_results())
