import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RepositoryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPOSITORY_STATE_UNSPECIFIED: _ClassVar[RepositoryState]
    REPOSITORY_STATE_WARMING: _ClassVar[RepositoryState]
    REPOSITORY_STATE_READY: _ClassVar[RepositoryState]
    REPOSITORY_STATE_FAILED: _ClassVar[RepositoryState]
REPOSITORY_STATE_UNSPECIFIED: RepositoryState
REPOSITORY_STATE_WARMING: RepositoryState
REPOSITORY_STATE_READY: RepositoryState
REPOSITORY_STATE_FAILED: RepositoryState

class Repository(_message.Message):
    __slots__ = ("label", "state", "failure_reason", "registry_dialect", "registry_location", "writeable", "last_refresh_time", "failed_attempts", "next_retry_time", "config_uri")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_DIALECT_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_LOCATION_FIELD_NUMBER: _ClassVar[int]
    WRITEABLE_FIELD_NUMBER: _ClassVar[int]
    LAST_REFRESH_TIME_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_RETRY_TIME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_URI_FIELD_NUMBER: _ClassVar[int]
    label: str
    state: RepositoryState
    failure_reason: str
    registry_dialect: str
    registry_location: str
    writeable: bool
    last_refresh_time: _timestamp_pb2.Timestamp
    failed_attempts: int
    next_retry_time: _timestamp_pb2.Timestamp
    config_uri: str
    def __init__(self, label: _Optional[str] = ..., state: _Optional[_Union[RepositoryState, str]] = ..., failure_reason: _Optional[str] = ..., registry_dialect: _Optional[str] = ..., registry_location: _Optional[str] = ..., writeable: _Optional[bool] = ..., last_refresh_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failed_attempts: _Optional[int] = ..., next_retry_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., config_uri: _Optional[str] = ...) -> None: ...

class ListRepositoriesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRepositoriesResponse(_message.Message):
    __slots__ = ("repositories",)
    REPOSITORIES_FIELD_NUMBER: _ClassVar[int]
    repositories: _containers.RepeatedCompositeFieldContainer[Repository]
    def __init__(self, repositories: _Optional[_Iterable[_Union[Repository, _Mapping]]] = ...) -> None: ...

class GetRepositoryRequest(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: str
    def __init__(self, label: _Optional[str] = ...) -> None: ...

class GetRepositoryResponse(_message.Message):
    __slots__ = ("repository",)
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    repository: Repository
    def __init__(self, repository: _Optional[_Union[Repository, _Mapping]] = ...) -> None: ...

class RefreshRepositoryRequest(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: str
    def __init__(self, label: _Optional[str] = ...) -> None: ...

class RefreshRepositoryResponse(_message.Message):
    __slots__ = ("repository",)
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    repository: Repository
    def __init__(self, repository: _Optional[_Union[Repository, _Mapping]] = ...) -> None: ...
