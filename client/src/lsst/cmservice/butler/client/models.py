"""Plain Python results of the client's calls, and their conversion from the wire messages."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from lsst.cmservice.butler.v1 import common_pb2, repositories_pb2

__all__ = [
    "DataId",
    "DataIdValue",
    "Repository",
    "RepositoryState",
    "ScalarValue",
    "ServingStatus",
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
