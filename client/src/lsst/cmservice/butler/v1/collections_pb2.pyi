from lsst.cmservice.butler.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChainMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHAIN_MODE_UNSPECIFIED: _ClassVar[ChainMode]
    CHAIN_MODE_REDEFINE: _ClassVar[ChainMode]
    CHAIN_MODE_PREPEND: _ClassVar[ChainMode]
    CHAIN_MODE_EXTEND: _ClassVar[ChainMode]
    CHAIN_MODE_REMOVE: _ClassVar[ChainMode]
CHAIN_MODE_UNSPECIFIED: ChainMode
CHAIN_MODE_REDEFINE: ChainMode
CHAIN_MODE_PREPEND: ChainMode
CHAIN_MODE_EXTEND: ChainMode
CHAIN_MODE_REMOVE: ChainMode

class CollectionSnapshot(_message.Message):
    __slots__ = ("name", "type", "doc", "children")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _common_pb2.CollectionType
    doc: str
    children: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.CollectionType, str]] = ..., doc: _Optional[str] = ..., children: _Optional[_Iterable[str]] = ...) -> None: ...

class CollectionChange(_message.Message):
    __slots__ = ("name", "before", "after", "datasets_added", "datasets_removed")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    DATASETS_ADDED_FIELD_NUMBER: _ClassVar[int]
    DATASETS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    name: str
    before: CollectionSnapshot
    after: CollectionSnapshot
    datasets_added: int
    datasets_removed: int
    def __init__(self, name: _Optional[str] = ..., before: _Optional[_Union[CollectionSnapshot, _Mapping]] = ..., after: _Optional[_Union[CollectionSnapshot, _Mapping]] = ..., datasets_added: _Optional[int] = ..., datasets_removed: _Optional[int] = ...) -> None: ...

class EnsureCollectionRequest(_message.Message):
    __slots__ = ("label", "name", "type", "doc", "dry_run")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    type: _common_pb2.CollectionType
    doc: str
    dry_run: bool
    def __init__(self, label: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.CollectionType, str]] = ..., doc: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class EnsureCollectionResponse(_message.Message):
    __slots__ = ("created", "doc_updated", "collection", "changes", "dry_run")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DOC_UPDATED_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    created: bool
    doc_updated: bool
    collection: CollectionSnapshot
    changes: _containers.RepeatedCompositeFieldContainer[CollectionChange]
    dry_run: bool
    def __init__(self, created: _Optional[bool] = ..., doc_updated: _Optional[bool] = ..., collection: _Optional[_Union[CollectionSnapshot, _Mapping]] = ..., changes: _Optional[_Iterable[_Union[CollectionChange, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ChainedInputs(_message.Message):
    __slots__ = ("inputs", "flatten")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.RepeatedScalarFieldContainer[str]
    flatten: bool
    def __init__(self, inputs: _Optional[_Iterable[str]] = ..., flatten: _Optional[bool] = ...) -> None: ...

class TaggedInputs(_message.Message):
    __slots__ = ("dataset_types", "collections", "where", "bind")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    DATASET_TYPES_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    dataset_types: _containers.RepeatedScalarFieldContainer[str]
    collections: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    def __init__(self, dataset_types: _Optional[_Iterable[str]] = ..., collections: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ...) -> None: ...

class AssembleInputsRequest(_message.Message):
    __slots__ = ("label", "name", "chained", "tagged", "doc", "dry_run")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHAINED_FIELD_NUMBER: _ClassVar[int]
    TAGGED_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    chained: ChainedInputs
    tagged: TaggedInputs
    doc: str
    dry_run: bool
    def __init__(self, label: _Optional[str] = ..., name: _Optional[str] = ..., chained: _Optional[_Union[ChainedInputs, _Mapping]] = ..., tagged: _Optional[_Union[TaggedInputs, _Mapping]] = ..., doc: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class AssembleInputsResponse(_message.Message):
    __slots__ = ("created", "children", "datasets_tagged", "changes", "dry_run")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    DATASETS_TAGGED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    created: _containers.RepeatedScalarFieldContainer[str]
    children: _containers.RepeatedScalarFieldContainer[str]
    datasets_tagged: int
    changes: _containers.RepeatedCompositeFieldContainer[CollectionChange]
    dry_run: bool
    def __init__(self, created: _Optional[_Iterable[str]] = ..., children: _Optional[_Iterable[str]] = ..., datasets_tagged: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[CollectionChange, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ExpectedChildren(_message.Message):
    __slots__ = ("children",)
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, children: _Optional[_Iterable[str]] = ...) -> None: ...

class ChainCollectionsRequest(_message.Message):
    __slots__ = ("label", "parent", "mode", "children", "do_not_create_parent", "expected_children", "flatten", "doc", "dry_run")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    DO_NOT_CREATE_PARENT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    label: str
    parent: str
    mode: ChainMode
    children: _containers.RepeatedScalarFieldContainer[str]
    do_not_create_parent: bool
    expected_children: ExpectedChildren
    flatten: bool
    doc: str
    dry_run: bool
    def __init__(self, label: _Optional[str] = ..., parent: _Optional[str] = ..., mode: _Optional[_Union[ChainMode, str]] = ..., children: _Optional[_Iterable[str]] = ..., do_not_create_parent: _Optional[bool] = ..., expected_children: _Optional[_Union[ExpectedChildren, _Mapping]] = ..., flatten: _Optional[bool] = ..., doc: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class ChainCollectionsResponse(_message.Message):
    __slots__ = ("children", "created", "changes", "dry_run")
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedScalarFieldContainer[str]
    created: bool
    changes: _containers.RepeatedCompositeFieldContainer[CollectionChange]
    dry_run: bool
    def __init__(self, children: _Optional[_Iterable[str]] = ..., created: _Optional[bool] = ..., changes: _Optional[_Iterable[_Union[CollectionChange, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class RemoveCollectionRequest(_message.Message):
    __slots__ = ("label", "name", "remove_run_and_datasets", "unlink_from_parents", "missing_ok", "dry_run")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REMOVE_RUN_AND_DATASETS_FIELD_NUMBER: _ClassVar[int]
    UNLINK_FROM_PARENTS_FIELD_NUMBER: _ClassVar[int]
    MISSING_OK_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    remove_run_and_datasets: bool
    unlink_from_parents: bool
    missing_ok: bool
    dry_run: bool
    def __init__(self, label: _Optional[str] = ..., name: _Optional[str] = ..., remove_run_and_datasets: _Optional[bool] = ..., unlink_from_parents: _Optional[bool] = ..., missing_ok: _Optional[bool] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class RemoveCollectionResponse(_message.Message):
    __slots__ = ("removed", "unlinked_from", "datasets_removed", "changes", "dry_run")
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    UNLINKED_FROM_FIELD_NUMBER: _ClassVar[int]
    DATASETS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    removed: bool
    unlinked_from: _containers.RepeatedScalarFieldContainer[str]
    datasets_removed: int
    changes: _containers.RepeatedCompositeFieldContainer[CollectionChange]
    dry_run: bool
    def __init__(self, removed: _Optional[bool] = ..., unlinked_from: _Optional[_Iterable[str]] = ..., datasets_removed: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[CollectionChange, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class DisassociateRequest(_message.Message):
    __slots__ = ("label", "name", "dataset_types", "where", "bind", "dry_run")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPES_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    dataset_types: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    dry_run: bool
    def __init__(self, label: _Optional[str] = ..., name: _Optional[str] = ..., dataset_types: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class DisassociateResponse(_message.Message):
    __slots__ = ("datasets_removed", "changes", "dry_run")
    DATASETS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    datasets_removed: int
    changes: _containers.RepeatedCompositeFieldContainer[CollectionChange]
    dry_run: bool
    def __init__(self, datasets_removed: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[CollectionChange, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...
