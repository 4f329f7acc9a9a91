"""What a repository holds: collections (with chains, parents, summaries) and dataset types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsst.daf.butler import CollectionInfo, CollectionType, DatasetType

from ..errors import InvalidArgumentError
from ..factory import ButlerFactory

__all__ = [
    "CollectionSummary",
    "DatasetTypeSummary",
    "get_collection_info",
    "get_dataset_type",
    "query_collections",
    "query_dataset_types",
]


@dataclass(frozen=True)
class CollectionSummary:
    """One collection; ``parents``/``dataset_types`` are empty when not requested."""

    name: str
    type: CollectionType
    doc: str
    children: tuple[str, ...]
    parents: tuple[str, ...]
    dataset_types: tuple[str, ...]


@dataclass(frozen=True)
class DatasetTypeSummary:
    """One registered dataset type."""

    name: str
    dimensions: tuple[str, ...]
    implied_dimensions: tuple[str, ...]
    storage_class: str
    is_calibration: bool


def _collection(info: CollectionInfo) -> CollectionSummary:
    return CollectionSummary(
        name=info.name,
        type=info.type,
        doc=info.doc,
        children=tuple(info.children),
        parents=tuple(sorted(info.parents or ())),
        dataset_types=tuple(sorted(info.dataset_types or ())),
    )


def query_collections(
    factory: ButlerFactory,
    label: str,
    expression: Sequence[str],
    collection_types: Sequence[CollectionType] = (),
    *,
    flatten_chains: bool = False,
    include_chains: bool | None = None,
    include_parents: bool = False,
    include_summary: bool = False,
    include_doc: bool = False,
) -> list[CollectionSummary]:
    """Collections matching names or globs (empty expression: all), in the Butler's order."""
    with factory.reader(label) as butler:
        infos = butler.collections.query_info(
            list(expression) or "*",
            collection_types=set(collection_types) or None,
            flatten_chains=flatten_chains,
            include_chains=include_chains,
            include_parents=include_parents,
            include_summary=include_summary,
            include_doc=include_doc,
        )
        return [_collection(info) for info in infos]


def get_collection_info(
    factory: ButlerFactory,
    label: str,
    name: str,
    *,
    include_parents: bool = False,
    include_summary: bool = False,
) -> CollectionSummary:
    """One collection by exact name (raises `MissingCollectionError` if absent)."""
    if not name:
        raise InvalidArgumentError("a collection name is required")
    with factory.reader(label) as butler:
        info = butler.collections.get_info(
            name, include_parents=include_parents, include_summary=include_summary
        )
        return _collection(info)


def _dataset_type(dataset_type: DatasetType) -> DatasetTypeSummary:
    return DatasetTypeSummary(
        name=dataset_type.name,
        dimensions=tuple(dataset_type.dimensions.required),
        implied_dimensions=tuple(dataset_type.dimensions.implied),
        storage_class=dataset_type.storageClass_name,
        is_calibration=dataset_type.isCalibration(),
    )


def query_dataset_types(
    factory: ButlerFactory, label: str, expression: Sequence[str]
) -> list[DatasetTypeSummary]:
    """Dataset types matching names or globs (empty: all), sorted by name."""
    with factory.reader(label) as butler:
        found = butler.registry.queryDatasetTypes(list(expression) or ..., missing=[])
        return sorted((_dataset_type(dt) for dt in found), key=lambda s: s.name)


def get_dataset_type(factory: ButlerFactory, label: str, name: str) -> DatasetTypeSummary:
    """One dataset type (raises `MissingDatasetTypeError` if it is not registered)."""
    if not name:
        raise InvalidArgumentError("a dataset type name is required")
    with factory.reader(label) as butler:
        return _dataset_type(butler.get_dataset_type(name))
