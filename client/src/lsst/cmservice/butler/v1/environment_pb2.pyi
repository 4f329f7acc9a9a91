from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CredentialMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_MODE_UNSPECIFIED: _ClassVar[CredentialMode]
    CREDENTIAL_MODE_SEED: _ClassVar[CredentialMode]
    CREDENTIAL_MODE_PGPASS: _ClassVar[CredentialMode]
    CREDENTIAL_MODE_DB_AUTH_ENV: _ClassVar[CredentialMode]

class RepositoryIndexMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPOSITORY_INDEX_MODE_UNSPECIFIED: _ClassVar[RepositoryIndexMode]
    REPOSITORY_INDEX_MODE_INDEX_FILE: _ClassVar[RepositoryIndexMode]
    REPOSITORY_INDEX_MODE_INLINE: _ClassVar[RepositoryIndexMode]
CREDENTIAL_MODE_UNSPECIFIED: CredentialMode
CREDENTIAL_MODE_SEED: CredentialMode
CREDENTIAL_MODE_PGPASS: CredentialMode
CREDENTIAL_MODE_DB_AUTH_ENV: CredentialMode
REPOSITORY_INDEX_MODE_UNSPECIFIED: RepositoryIndexMode
REPOSITORY_INDEX_MODE_INDEX_FILE: RepositoryIndexMode
REPOSITORY_INDEX_MODE_INLINE: RepositoryIndexMode

class EnvironmentVariable(_message.Message):
    __slots__ = ("name", "value", "secret")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    secret: bool
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., secret: _Optional[bool] = ...) -> None: ...

class SubmissionFile(_message.Message):
    __slots__ = ("path", "content", "mode", "secret")
    PATH_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    path: str
    content: str
    mode: int
    secret: bool
    def __init__(self, path: _Optional[str] = ..., content: _Optional[str] = ..., mode: _Optional[int] = ..., secret: _Optional[bool] = ...) -> None: ...

class RenderSubmissionEnvironmentRequest(_message.Message):
    __slots__ = ("labels", "credential_mode", "repository_index_mode", "submission_id")
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_MODE_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_INDEX_MODE_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    labels: _containers.RepeatedScalarFieldContainer[str]
    credential_mode: CredentialMode
    repository_index_mode: RepositoryIndexMode
    submission_id: str
    def __init__(self, labels: _Optional[_Iterable[str]] = ..., credential_mode: _Optional[_Union[CredentialMode, str]] = ..., repository_index_mode: _Optional[_Union[RepositoryIndexMode, str]] = ..., submission_id: _Optional[str] = ...) -> None: ...

class RenderSubmissionEnvironmentResponse(_message.Message):
    __slots__ = ("variables", "files", "htcondor_environment", "bash_exports", "bps_environment_yaml", "submission_id", "cleanup_path", "contains_secrets")
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    HTCONDOR_ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    BASH_EXPORTS_FIELD_NUMBER: _ClassVar[int]
    BPS_ENVIRONMENT_YAML_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_ID_FIELD_NUMBER: _ClassVar[int]
    CLEANUP_PATH_FIELD_NUMBER: _ClassVar[int]
    CONTAINS_SECRETS_FIELD_NUMBER: _ClassVar[int]
    variables: _containers.RepeatedCompositeFieldContainer[EnvironmentVariable]
    files: _containers.RepeatedCompositeFieldContainer[SubmissionFile]
    htcondor_environment: str
    bash_exports: str
    bps_environment_yaml: str
    submission_id: str
    cleanup_path: str
    contains_secrets: bool
    def __init__(self, variables: _Optional[_Iterable[_Union[EnvironmentVariable, _Mapping]]] = ..., files: _Optional[_Iterable[_Union[SubmissionFile, _Mapping]]] = ..., htcondor_environment: _Optional[str] = ..., bash_exports: _Optional[str] = ..., bps_environment_yaml: _Optional[str] = ..., submission_id: _Optional[str] = ..., cleanup_path: _Optional[str] = ..., contains_secrets: _Optional[bool] = ...) -> None: ...
