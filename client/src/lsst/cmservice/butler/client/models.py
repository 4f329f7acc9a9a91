"""Plain Python results of the client's calls, and their conversion from the wire messages."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from google.protobuf import timestamp_pb2

from lsst.cmservice.butler.v1 import (
    collections_pb2,
    common_pb2,
    environment_pb2,
    planning_pb2,
    queries_pb2,
    repositories_pb2,
)

__all__ = [
    "AssembleInputsResult",
    "BindValue",
    "ChainCollectionsResult",
    "ChainMode",
    "ChainedInputs",
    "CollectionChange",
    "CollectionInfo",
    "CollectionSnapshot",
    "CollectionType",
    "CredentialMode",
    "DataId",
    "DataIdValue",
    "DatasetRef",
    "DatasetType",
    "DimensionRecord",
    "DimensionValue",
    "DimensionValues",
    "DisassociateResult",
    "EnsureCollectionResult",
    "EnvironmentVariable",
    "GroupPlan",
    "NoResultsExplanation",
    "NoSplit",
    "PlannedGroup",
    "RemoveCollectionResult",
    "Repository",
    "RepositoryIndexMode",
    "RepositoryState",
    "ScalarValue",
    "ServingStatus",
    "SplitByQuery",
    "SplitByRanges",
    "SplitByValues",
    "SplitSizeUnit",
    "SplitStrategy",
    "SubmissionEnvironment",
    "SubmissionFile",
    "TaggedInputs",
    "Timespan",
    "bind_to_proto",
    "data_id_from_proto",
    "data_id_to_proto",
    "timestamp_from_proto",
    "value_from_proto",
    "value_to_proto",
]

ScalarValue = int | str | float | bool | None
"""A typed scalar from a data ID or record field; integers and strings stay apart."""

DataIdValue = int | str
"""A value of a data ID (dimension keys are integers or strings)."""

DataId = dict[str, DataIdValue]
"""A data ID: dimension name -> value, for example ``{"instrument": "LSSTCam", "detector": 12}``."""

BindValue = int | str | float | bool | Sequence[int | str | float | bool]
"""The value of a ``:name`` parameter of a where expression; a sequence binds ``IN (:name)``."""


class RepositoryState(enum.Enum):
    """Lifecycle state of a repository in the gateway."""

    UNSPECIFIED = "UNSPECIFIED"
    """Not reported (a gateway newer than this client may add states)."""
    WARMING = "WARMING"
    """Being built; calls against it get `RepositoryUnavailableError` until READY."""
    READY = "READY"
    """Built and cached; calls are served."""
    FAILED = "FAILED"
    """The last build failed (``failure_reason``); the gateway retries with backoff."""


_STATE = {
    repositories_pb2.REPOSITORY_STATE_WARMING: RepositoryState.WARMING,
    repositories_pb2.REPOSITORY_STATE_READY: RepositoryState.READY,
    repositories_pb2.REPOSITORY_STATE_FAILED: RepositoryState.FAILED,
}


def timestamp_from_proto(stamp: timestamp_pb2.Timestamp) -> datetime.datetime:
    """A timezone-aware UTC datetime."""
    return stamp.ToDatetime(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Repository:
    """What the gateway reports about one configured repository (never a credential)."""

    label: str
    state: RepositoryState
    failure_reason: str
    registry_dialect: str
    registry_location: str
    writeable: bool
    last_refresh_time: datetime.datetime | None
    failed_attempts: int
    next_retry_time: datetime.datetime | None
    config_uri: str

    @property
    def ready(self) -> bool:
        """Whether calls against this repository are served now."""
        return self.state is RepositoryState.READY

    @classmethod
    def from_proto(cls, message: repositories_pb2.Repository) -> Repository:
        """Convert the wire message."""
        return cls(
            label=message.label,
            state=_STATE.get(message.state, RepositoryState.UNSPECIFIED),
            failure_reason=message.failure_reason,
            registry_dialect=message.registry_dialect,
            registry_location=message.registry_location,
            writeable=message.writeable,
            last_refresh_time=(
                timestamp_from_proto(message.last_refresh_time)
                if message.HasField("last_refresh_time")
                else None
            ),
            failed_attempts=message.failed_attempts,
            next_retry_time=(
                timestamp_from_proto(message.next_retry_time) if message.HasField("next_retry_time") else None
            ),
            config_uri=message.config_uri,
        )


def value_from_proto(value: common_pb2.Value) -> ScalarValue | list[ScalarValue]:
    """The Python value of a `Value` (None when unset)."""
    kind = value.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "list_value":
        return [value_from_proto(v) for v in value.list_value.values]  # type: ignore[misc]
    result: ScalarValue = getattr(value, kind)
    return result


def value_to_proto(value: ScalarValue | list[ScalarValue] | tuple[ScalarValue, ...]) -> common_pb2.Value:
    """A `Value` from a Python value; ``bool`` is checked before ``int`` (it is a subclass)."""
    if value is None:
        return common_pb2.Value()
    if isinstance(value, bool):
        return common_pb2.Value(bool_value=value)
    if isinstance(value, int):
        return common_pb2.Value(int_value=value)
    if isinstance(value, str):
        return common_pb2.Value(string_value=value)
    if isinstance(value, float):
        return common_pb2.Value(float_value=value)
    if isinstance(value, list | tuple):
        return common_pb2.Value(list_value=common_pb2.ValueList(values=[value_to_proto(v) for v in value]))
    raise TypeError(f"cannot send a {type(value).__name__} as a gateway value")


def data_id_from_proto(message: common_pb2.DataId) -> DataId:
    """A data ID as a dict of typed values, keys sorted."""
    result: DataId = {}
    for key in sorted(message.values):
        value = value_from_proto(message.values[key])
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise TypeError(f"data ID value of {key!r} is not an integer or string: {value!r}")
        result[key] = value
    return result


def data_id_to_proto(data_id: Mapping[str, DataIdValue]) -> common_pb2.DataId:
    """A `DataId` message from a mapping of typed values."""
    return common_pb2.DataId(values={key: value_to_proto(value) for key, value in data_id.items()})


class ServingStatus(enum.Enum):
    """What the standard health service reports (``grpc.health.v1``)."""

    UNKNOWN = 0
    SERVING = 1
    NOT_SERVING = 2
    SERVICE_UNKNOWN = 3

    @classmethod
    def from_proto(cls, status: int) -> ServingStatus:
        """Convert ``HealthCheckResponse.ServingStatus`` (unknown numbers become UNKNOWN)."""
        try:
            return cls(int(status))
        except ValueError:
            return cls.UNKNOWN


def bind_to_proto(bind: Mapping[str, BindValue] | None) -> dict[str, common_pb2.Value]:
    """The ``bind`` map of a request (a sequence becomes a `ValueList`)."""
    result: dict[str, common_pb2.Value] = {}
    for key, value in (bind or {}).items():
        if isinstance(value, str | int | float | bool):
            result[key] = value_to_proto(value)
        else:
            result[key] = value_to_proto(list(value))
    return result


def _data_id_value(value: common_pb2.Value) -> DataIdValue:
    converted = value_from_proto(value)
    if not isinstance(converted, int | str) or isinstance(converted, bool):
        raise TypeError(f"expected an integer or string value, got {converted!r}")
    return converted


def _optional_data_id_value(message: common_pb2.Value) -> DataIdValue | None:
    return None if message.WhichOneof("kind") is None else _data_id_value(message)


# ---- queries -------------------------------------------------------------------------------------


class CollectionType(enum.Enum):
    """The type of a Butler collection."""

    UNSPECIFIED = common_pb2.COLLECTION_TYPE_UNSPECIFIED
    """Not reported (only from a gateway newer than this client); as a filter: any type."""
    RUN = common_pb2.COLLECTION_TYPE_RUN
    """Owns its datasets."""
    TAGGED = common_pb2.COLLECTION_TYPE_TAGGED
    """References datasets owned by RUNs."""
    CHAINED = common_pb2.COLLECTION_TYPE_CHAINED
    """An ordered search path over child collections."""
    CALIBRATION = common_pb2.COLLECTION_TYPE_CALIBRATION
    """Datasets associated with validity ranges."""

    @classmethod
    def from_proto(cls, value: int) -> CollectionType:
        """Convert the wire enum (unknown numbers become UNSPECIFIED)."""
        try:
            return cls(int(value))
        except ValueError:
            return cls.UNSPECIFIED


@dataclass(frozen=True)
class DatasetRef:
    """A resolved dataset: its UUID (string form), type, owning RUN and full data ID."""

    id: str
    dataset_type: str
    run: str
    data_id: DataId

    @classmethod
    def from_proto(cls, message: queries_pb2.DatasetRef) -> DatasetRef:
        """Convert the wire message."""
        return cls(message.id, message.dataset_type, message.run, data_id_from_proto(message.data_id))


@dataclass(frozen=True)
class Timespan:
    """A timespan; ISO-8601 strings in TAI, None meaning unbounded on that side."""

    begin: str | None
    """Inclusive start."""
    end: str | None
    """Exclusive end."""


@dataclass(frozen=True)
class DimensionRecord:
    """A dimension record with typed fields (``fields`` excludes the timespan and region)."""

    element: str
    data_id: DataId
    fields: dict[str, ScalarValue]
    timespan: Timespan | None
    region: bytes | None
    """Encoded by ``lsst.sphgeom.Region.encode()``; None when the element has none."""

    @classmethod
    def from_proto(cls, message: queries_pb2.DimensionRecord) -> DimensionRecord:
        """Convert the wire message."""
        fields: dict[str, ScalarValue] = {}
        for key in sorted(message.fields):
            value = value_from_proto(message.fields[key])
            if isinstance(value, list):
                raise TypeError(f"record field {key!r} holds a list")
            fields[key] = value
        timespan = (
            Timespan(message.timespan.begin or None, message.timespan.end or None)
            if message.HasField("timespan")
            else None
        )
        return cls(
            message.element, data_id_from_proto(message.data_id), fields, timespan, message.region or None
        )


@dataclass(frozen=True)
class DimensionValue:
    """One distinct value of a dimension; ``count`` only when counts were requested."""

    value: DataIdValue
    count: int | None


@dataclass(frozen=True)
class DimensionValues:
    """The sorted distinct values of a dimension; ``total`` (sum of counts) only with counts."""

    values: tuple[DimensionValue, ...]
    total: int | None

    @classmethod
    def from_proto(cls, message: queries_pb2.QueryDimensionValuesResponse) -> DimensionValues:
        """Convert the wire message."""
        return cls(
            tuple(
                DimensionValue(_data_id_value(v.value), v.count if v.HasField("count") else None)
                for v in message.values
            ),
            message.total if message.HasField("total") else None,
        )

    @property
    def plain(self) -> list[DataIdValue]:
        """The values alone."""
        return [v.value for v in self.values]


@dataclass(frozen=True)
class NoResultsExplanation:
    """Whether a query has rows and, if not, the Butler's reasons (possibly none)."""

    has_results: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CollectionInfo:
    """What the Butler knows about a collection (``parents``/``dataset_types`` only on request)."""

    name: str
    type: CollectionType
    doc: str
    children: tuple[str, ...]
    parents: tuple[str, ...]
    dataset_types: tuple[str, ...]

    @classmethod
    def from_proto(cls, message: queries_pb2.CollectionInfo) -> CollectionInfo:
        """Convert the wire message."""
        return cls(
            message.name,
            CollectionType.from_proto(message.type),
            message.doc,
            tuple(message.children),
            tuple(message.parents),
            tuple(message.dataset_types),
        )


@dataclass(frozen=True)
class DatasetType:
    """A registered dataset type."""

    name: str
    dimensions: tuple[str, ...]
    implied_dimensions: tuple[str, ...]
    storage_class: str
    is_calibration: bool

    @classmethod
    def from_proto(cls, message: queries_pb2.DatasetType) -> DatasetType:
        """Convert the wire message."""
        return cls(
            message.name,
            tuple(message.dimensions),
            tuple(message.implied_dimensions),
            message.storage_class,
            message.is_calibration,
        )


# ---- planning ------------------------------------------------------------------------------------


class SplitSizeUnit(enum.Enum):
    """What ``SplitByQuery.max_size`` counts."""

    ROWS = planning_pb2.SPLIT_SIZE_UNIT_ROWS
    """Datasets (or data IDs)."""
    VALUES = planning_pb2.SPLIT_SIZE_UNIT_VALUES
    """Distinct values of the split dimension (CM Service's historical meaning)."""


@dataclass(frozen=True)
class SplitByQuery:
    """Balanced contiguous groups of the values the query finds (0: no bound)."""

    min_groups: int = 0
    max_size: int = 0
    size_unit: SplitSizeUnit = SplitSizeUnit.ROWS


@dataclass(frozen=True)
class SplitByValues:
    """One group per sequence of explicit values."""

    groups: Sequence[Sequence[DataIdValue]]


@dataclass(frozen=True)
class SplitByRanges:
    """One group per half-open integer range ``(min, max)``; None leaves a side unbounded."""

    ranges: Sequence[tuple[int | None, int | None]]


@dataclass(frozen=True)
class NoSplit:
    """A single group selecting everything."""


SplitStrategy = SplitByQuery | SplitByValues | SplitByRanges | NoSplit
"""How `plan_groups` splits the selection."""


def strategy_to_proto(strategy: SplitStrategy) -> dict[str, object]:
    """The ``strategy`` oneof field of a `PlanGroupsRequest`, as constructor keywords."""
    if isinstance(strategy, SplitByQuery):
        return {
            "by_query": planning_pb2.SplitByQuery(
                min_groups=strategy.min_groups, max_size=strategy.max_size, size_unit=strategy.size_unit.value
            )
        }
    if isinstance(strategy, SplitByValues):
        groups = [common_pb2.ValueList(values=[value_to_proto(v) for v in g]) for g in strategy.groups]
        return {"by_values": planning_pb2.SplitByValues(groups=groups)}
    if isinstance(strategy, SplitByRanges):
        ranges = [planning_pb2.IntRange(min=low, max=high) for low, high in strategy.ranges]
        return {"by_ranges": planning_pb2.SplitByRanges(ranges=ranges)}
    if isinstance(strategy, NoSplit):
        return {"none": planning_pb2.NoSplit()}
    raise TypeError(f"not a split strategy: {strategy!r}")


@dataclass(frozen=True)
class PlannedGroup:
    """One planned group: a where predicate to AND into its ``dataQuery``, and its size."""

    predicate: str
    count: int
    value_count: int
    first_value: DataIdValue | None
    last_value: DataIdValue | None
    exceeds_max_size: bool


@dataclass(frozen=True)
class GroupPlan:
    """The result of `plan_groups`: disjoint groups and what the selection holds."""

    groups: tuple[PlannedGroup, ...]
    total: int
    distinct_values: int
    unassigned_count: int
    unassigned_values: tuple[DataIdValue, ...]

    @classmethod
    def from_proto(cls, message: planning_pb2.PlanGroupsResponse) -> GroupPlan:
        """Convert the wire message."""
        return cls(
            tuple(
                PlannedGroup(
                    g.predicate,
                    g.count,
                    g.value_count,
                    _optional_data_id_value(g.first_value),
                    _optional_data_id_value(g.last_value),
                    g.exceeds_max_size,
                )
                for g in message.groups
            ),
            message.total,
            message.distinct_values,
            message.unassigned_count,
            tuple(_data_id_value(v) for v in message.unassigned_values),
        )


# ---- collection mutations ------------------------------------------------------------------------


class ChainMode(enum.Enum):
    """The edit `chain_collections` applies to a CHAINED collection."""

    REDEFINE = collections_pb2.CHAIN_MODE_REDEFINE
    """Replace the children by exactly the given ones (retry-safe)."""
    PREPEND = collections_pb2.CHAIN_MODE_PREPEND
    """Put the given children first; an existing child is moved, never duplicated."""
    EXTEND = collections_pb2.CHAIN_MODE_EXTEND
    """Put the given children last; an existing child is moved, never duplicated."""
    REMOVE = collections_pb2.CHAIN_MODE_REMOVE
    """Remove the given children; one that is not a child is ignored (retry-safe)."""


@dataclass(frozen=True)
class CollectionSnapshot:
    """A collection as it was before or is after a mutation."""

    name: str
    type: CollectionType
    doc: str
    children: tuple[str, ...]

    @classmethod
    def from_proto(cls, message: collections_pb2.CollectionSnapshot) -> CollectionSnapshot:
        """Convert the wire message."""
        return cls(
            message.name, CollectionType.from_proto(message.type), message.doc, tuple(message.children)
        )


@dataclass(frozen=True)
class CollectionChange:
    """What a mutation did (or would do) to one collection; None: it did not / no longer exists."""

    name: str
    before: CollectionSnapshot | None
    after: CollectionSnapshot | None
    datasets_added: int
    datasets_removed: int

    @classmethod
    def from_proto(cls, message: collections_pb2.CollectionChange) -> CollectionChange:
        """Convert the wire message."""
        return cls(
            message.name,
            CollectionSnapshot.from_proto(message.before) if message.HasField("before") else None,
            CollectionSnapshot.from_proto(message.after) if message.HasField("after") else None,
            message.datasets_added,
            message.datasets_removed,
        )


def _changes(messages: Sequence[collections_pb2.CollectionChange]) -> tuple[CollectionChange, ...]:
    return tuple(CollectionChange.from_proto(m) for m in messages)


@dataclass(frozen=True)
class EnsureCollectionResult:
    """The result of `ensure_collection` (``dry_run``: what would happen, nothing changed)."""

    created: bool
    doc_updated: bool
    collection: CollectionSnapshot
    changes: tuple[CollectionChange, ...]
    dry_run: bool

    @classmethod
    def from_proto(cls, message: collections_pb2.EnsureCollectionResponse) -> EnsureCollectionResult:
        """Convert the wire message."""
        return cls(
            message.created,
            message.doc_updated,
            CollectionSnapshot.from_proto(message.collection),
            _changes(message.changes),
            message.dry_run,
        )


@dataclass(frozen=True)
class ChainedInputs:
    """`assemble_inputs` builds a CHAINED collection over these inputs, in search order."""

    inputs: Sequence[str]
    flatten: bool = False
    """Replace nested CHAINED inputs by their flattened children."""


@dataclass(frozen=True)
class TaggedInputs:
    """`assemble_inputs` builds a TAGGED collection of the datasets a find-first query selects."""

    dataset_types: Sequence[str]
    collections: Sequence[str]
    where: str = ""
    bind: Mapping[str, BindValue] = field(default_factory=dict)


def assembly_to_proto(assembly: ChainedInputs | TaggedInputs) -> dict[str, object]:
    """The ``assembly`` oneof field of an `AssembleInputsRequest`, as constructor keywords."""
    if isinstance(assembly, ChainedInputs):
        return {
            "chained": collections_pb2.ChainedInputs(inputs=list(assembly.inputs), flatten=assembly.flatten)
        }
    if isinstance(assembly, TaggedInputs):
        return {
            "tagged": collections_pb2.TaggedInputs(
                dataset_types=list(assembly.dataset_types),
                collections=list(assembly.collections),
                where=assembly.where,
                bind=bind_to_proto(assembly.bind),
            )
        }
    raise TypeError(f"not an input assembly: {assembly!r}")


@dataclass(frozen=True)
class AssembleInputsResult:
    """The result of `assemble_inputs`; ``changes`` is empty for a re-run that changed nothing."""

    created: tuple[str, ...]
    children: tuple[str, ...]
    """CHAINED: the resulting children."""
    datasets_tagged: int
    """TAGGED: how many datasets the query selected."""
    changes: tuple[CollectionChange, ...]
    dry_run: bool

    @classmethod
    def from_proto(cls, message: collections_pb2.AssembleInputsResponse) -> AssembleInputsResult:
        """Convert the wire message."""
        return cls(
            tuple(message.created),
            tuple(message.children),
            message.datasets_tagged,
            _changes(message.changes),
            message.dry_run,
        )


@dataclass(frozen=True)
class ChainCollectionsResult:
    """The result of `chain_collections`: the parent's children after the edit."""

    children: tuple[str, ...]
    created: bool
    changes: tuple[CollectionChange, ...]
    dry_run: bool

    @classmethod
    def from_proto(cls, message: collections_pb2.ChainCollectionsResponse) -> ChainCollectionsResult:
        """Convert the wire message."""
        return cls(tuple(message.children), message.created, _changes(message.changes), message.dry_run)


@dataclass(frozen=True)
class RemoveCollectionResult:
    """The result of `remove_collection` (``removed`` is False only with ``missing_ok``)."""

    removed: bool
    unlinked_from: tuple[str, ...]
    datasets_removed: int
    changes: tuple[CollectionChange, ...]
    dry_run: bool

    @classmethod
    def from_proto(cls, message: collections_pb2.RemoveCollectionResponse) -> RemoveCollectionResult:
        """Convert the wire message."""
        return cls(
            message.removed,
            tuple(message.unlinked_from),
            message.datasets_removed,
            _changes(message.changes),
            message.dry_run,
        )


@dataclass(frozen=True)
class DisassociateResult:
    """The result of `disassociate`."""

    datasets_removed: int
    changes: tuple[CollectionChange, ...]
    dry_run: bool

    @classmethod
    def from_proto(cls, message: collections_pb2.DisassociateResponse) -> DisassociateResult:
        """Convert the wire message."""
        return cls(message.datasets_removed, _changes(message.changes), message.dry_run)


# ---- submission environment ----------------------------------------------------------------------


class CredentialMode(enum.Enum):
    """How a batch job gets its registries' credentials (see environment.proto)."""

    SEED = environment_pb2.CREDENTIAL_MODE_SEED
    """CM Service's documented PGUSER/PGPASSFILE; returns no secret."""
    PGPASS = environment_pb2.CREDENTIAL_MODE_PGPASS
    """A per-submission password file (secret) in ``files``."""
    DB_AUTH_ENV = environment_pb2.CREDENTIAL_MODE_DB_AUTH_ENV
    """LSST_DB_AUTH_CREDENTIALS with only the matching entries (secret)."""


class RepositoryIndexMode(enum.Enum):
    """How the batch job finds its repositories by label."""

    INDEX_FILE = environment_pb2.REPOSITORY_INDEX_MODE_INDEX_FILE
    """DAF_BUTLER_REPOSITORY_INDEX names an index file on the batch side."""
    INLINE = environment_pb2.REPOSITORY_INDEX_MODE_INLINE
    """DAF_BUTLER_REPOSITORIES holds the requested labels as JSON."""


@dataclass(frozen=True)
class EnvironmentVariable:
    """One variable of the batch job; a secret value is left out of ``repr``."""

    name: str
    value: str = field(repr=False)
    secret: bool


@dataclass(frozen=True)
class SubmissionFile:
    """A file to write on the batch side before the job starts (``mode``: permission bits)."""

    path: str
    content: str = field(repr=False)
    mode: int
    secret: bool


@dataclass(frozen=True)
class SubmissionEnvironment:
    """The environment a batch job needs; handle it as a secret when ``contains_secrets``.

    ``repr`` shows names and paths only, never values.
    """

    variables: tuple[EnvironmentVariable, ...]
    files: tuple[SubmissionFile, ...]
    htcondor_environment: str = field(repr=False)
    bash_exports: str = field(repr=False)
    bps_environment_yaml: str = field(repr=False)
    submission_id: str
    cleanup_path: str
    contains_secrets: bool

    @property
    def environ(self) -> dict[str, str]:
        """The variables as a mapping, in their stable order."""
        return {v.name: v.value for v in self.variables}

    @classmethod
    def from_proto(
        cls, message: environment_pb2.RenderSubmissionEnvironmentResponse
    ) -> SubmissionEnvironment:
        """Convert the wire message."""
        return cls(
            tuple(EnvironmentVariable(v.name, v.value, v.secret) for v in message.variables),
            tuple(SubmissionFile(f.path, f.content, f.mode, f.secret) for f in message.files),
            message.htcondor_environment,
            message.bash_exports,
            message.bps_environment_yaml,
            message.submission_id,
            message.cleanup_path,
            message.contains_secrets,
        )
