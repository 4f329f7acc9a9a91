from lsst.cmservice.butler.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetRef(_message.Message):
    __slots__ = ("id", "dataset_type", "run", "data_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    dataset_type: str
    run: str
    data_id: _common_pb2.DataId
    def __init__(self, id: _Optional[str] = ..., dataset_type: _Optional[str] = ..., run: _Optional[str] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ...) -> None: ...

class Timespan(_message.Message):
    __slots__ = ("begin", "end")
    BEGIN_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    begin: str
    end: str
    def __init__(self, begin: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class DimensionRecord(_message.Message):
    __slots__ = ("element", "data_id", "fields", "timespan", "region")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    ELEMENT_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    TIMESPAN_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    element: str
    data_id: _common_pb2.DataId
    fields: _containers.MessageMap[str, _common_pb2.Value]
    timespan: Timespan
    region: bytes
    def __init__(self, element: _Optional[str] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ..., fields: _Optional[_Mapping[str, _common_pb2.Value]] = ..., timespan: _Optional[_Union[Timespan, _Mapping]] = ..., region: _Optional[bytes] = ...) -> None: ...

class QueryDatasetsRequest(_message.Message):
    __slots__ = ("label", "dataset_type", "collections", "find_first", "where", "bind", "data_id", "order_by", "limit")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    FIND_FIRST_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    label: str
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    find_first: bool
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    order_by: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, label: _Optional[str] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., find_first: _Optional[bool] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ..., order_by: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class QueryDatasetsResponse(_message.Message):
    __slots__ = ("refs", "truncated")
    REFS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    refs: _containers.RepeatedCompositeFieldContainer[DatasetRef]
    truncated: bool
    def __init__(self, refs: _Optional[_Iterable[_Union[DatasetRef, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class QueryDataIdsRequest(_message.Message):
    __slots__ = ("label", "dimensions", "dataset_type", "collections", "where", "bind", "data_id", "order_by", "limit")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    label: str
    dimensions: _containers.RepeatedScalarFieldContainer[str]
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    order_by: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, label: _Optional[str] = ..., dimensions: _Optional[_Iterable[str]] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ..., order_by: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class QueryDataIdsResponse(_message.Message):
    __slots__ = ("data_ids", "truncated")
    DATA_IDS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    data_ids: _containers.RepeatedCompositeFieldContainer[_common_pb2.DataId]
    truncated: bool
    def __init__(self, data_ids: _Optional[_Iterable[_Union[_common_pb2.DataId, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class QueryDimensionRecordsRequest(_message.Message):
    __slots__ = ("label", "element", "dataset_type", "collections", "where", "bind", "data_id", "order_by", "limit")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ELEMENT_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    label: str
    element: str
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    order_by: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, label: _Optional[str] = ..., element: _Optional[str] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ..., order_by: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class QueryDimensionRecordsResponse(_message.Message):
    __slots__ = ("records", "truncated")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[DimensionRecord]
    truncated: bool
    def __init__(self, records: _Optional[_Iterable[_Union[DimensionRecord, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...

class CountDatasetsRequest(_message.Message):
    __slots__ = ("label", "dataset_type", "collections", "find_first", "where", "bind", "data_id")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    FIND_FIRST_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    label: str
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    find_first: bool
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    def __init__(self, label: _Optional[str] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., find_first: _Optional[bool] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ...) -> None: ...

class CountDatasetsResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class CountDataIdsRequest(_message.Message):
    __slots__ = ("label", "dimensions", "dataset_type", "collections", "where", "bind", "data_id")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    label: str
    dimensions: _containers.RepeatedScalarFieldContainer[str]
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    def __init__(self, label: _Optional[str] = ..., dimensions: _Optional[_Iterable[str]] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ...) -> None: ...

class CountDataIdsResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class QueryDimensionValuesRequest(_message.Message):
    __slots__ = ("label", "dimension", "dataset_type", "collections", "where", "bind", "data_id", "with_counts")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    WITH_COUNTS_FIELD_NUMBER: _ClassVar[int]
    label: str
    dimension: str
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    with_counts: bool
    def __init__(self, label: _Optional[str] = ..., dimension: _Optional[str] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ..., with_counts: _Optional[bool] = ...) -> None: ...

class DimensionValue(_message.Message):
    __slots__ = ("value", "count")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    value: _common_pb2.Value
    count: int
    def __init__(self, value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ..., count: _Optional[int] = ...) -> None: ...

class QueryDimensionValuesResponse(_message.Message):
    __slots__ = ("values", "total")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[DimensionValue]
    total: int
    def __init__(self, values: _Optional[_Iterable[_Union[DimensionValue, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class ExplainNoResultsRequest(_message.Message):
    __slots__ = ("label", "dataset_type", "collections", "find_first", "dimensions", "where", "bind", "data_id")
    class BindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    FIND_FIRST_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    BIND_FIELD_NUMBER: _ClassVar[int]
    DATA_ID_FIELD_NUMBER: _ClassVar[int]
    label: str
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    find_first: bool
    dimensions: _containers.RepeatedScalarFieldContainer[str]
    where: str
    bind: _containers.MessageMap[str, _common_pb2.Value]
    data_id: _common_pb2.DataId
    def __init__(self, label: _Optional[str] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., find_first: _Optional[bool] = ..., dimensions: _Optional[_Iterable[str]] = ..., where: _Optional[str] = ..., bind: _Optional[_Mapping[str, _common_pb2.Value]] = ..., data_id: _Optional[_Union[_common_pb2.DataId, _Mapping]] = ...) -> None: ...

class ExplainNoResultsResponse(_message.Message):
    __slots__ = ("has_results", "reasons")
    HAS_RESULTS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    has_results: bool
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, has_results: _Optional[bool] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class CollectionInfo(_message.Message):
    __slots__ = ("name", "type", "doc", "children", "parents", "dataset_types")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    PARENTS_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPES_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _common_pb2.CollectionType
    doc: str
    children: _containers.RepeatedScalarFieldContainer[str]
    parents: _containers.RepeatedScalarFieldContainer[str]
    dataset_types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.CollectionType, str]] = ..., doc: _Optional[str] = ..., children: _Optional[_Iterable[str]] = ..., parents: _Optional[_Iterable[str]] = ..., dataset_types: _Optional[_Iterable[str]] = ...) -> None: ...

class QueryCollectionsRequest(_message.Message):
    __slots__ = ("label", "expression", "collection_types", "flatten_chains", "include_chains", "include_parents", "include_summary", "include_doc")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_TYPES_FIELD_NUMBER: _ClassVar[int]
    FLATTEN_CHAINS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CHAINS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PARENTS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DOC_FIELD_NUMBER: _ClassVar[int]
    label: str
    expression: _containers.RepeatedScalarFieldContainer[str]
    collection_types: _containers.RepeatedScalarFieldContainer[_common_pb2.CollectionType]
    flatten_chains: bool
    include_chains: bool
    include_parents: bool
    include_summary: bool
    include_doc: bool
    def __init__(self, label: _Optional[str] = ..., expression: _Optional[_Iterable[str]] = ..., collection_types: _Optional[_Iterable[_Union[_common_pb2.CollectionType, str]]] = ..., flatten_chains: _Optional[bool] = ..., include_chains: _Optional[bool] = ..., include_parents: _Optional[bool] = ..., include_summary: _Optional[bool] = ..., include_doc: _Optional[bool] = ...) -> None: ...

class QueryCollectionsResponse(_message.Message):
    __slots__ = ("collections",)
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    collections: _containers.RepeatedCompositeFieldContainer[CollectionInfo]
    def __init__(self, collections: _Optional[_Iterable[_Union[CollectionInfo, _Mapping]]] = ...) -> None: ...

class GetCollectionInfoRequest(_message.Message):
    __slots__ = ("label", "name", "include_parents", "include_summary")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PARENTS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    include_parents: bool
    include_summary: bool
    def __init__(self, label: _Optional[str] = ..., name: _Optional[str] = ..., include_parents: _Optional[bool] = ..., include_summary: _Optional[bool] = ...) -> None: ...

class GetCollectionInfoResponse(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: CollectionInfo
    def __init__(self, collection: _Optional[_Union[CollectionInfo, _Mapping]] = ...) -> None: ...

class DatasetType(_message.Message):
    __slots__ = ("name", "dimensions", "implied_dimensions", "storage_class", "is_calibration")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    IMPLIED_DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    IS_CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    name: str
    dimensions: _containers.RepeatedScalarFieldContainer[str]
    implied_dimensions: _containers.RepeatedScalarFieldContainer[str]
    storage_class: str
    is_calibration: bool
    def __init__(self, name: _Optional[str] = ..., dimensions: _Optional[_Iterable[str]] = ..., implied_dimensions: _Optional[_Iterable[str]] = ..., storage_class: _Optional[str] = ..., is_calibration: _Optional[bool] = ...) -> None: ...

class QueryDatasetTypesRequest(_message.Message):
    __slots__ = ("label", "expression")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    label: str
    expression: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, label: _Optional[str] = ..., expression: _Optional[_Iterable[str]] = ...) -> None: ...

class QueryDatasetTypesResponse(_message.Message):
    __slots__ = ("dataset_types",)
    DATASET_TYPES_FIELD_NUMBER: _ClassVar[int]
    dataset_types: _containers.RepeatedCompositeFieldContainer[DatasetType]
    def __init__(self, dataset_types: _Optional[_Iterable[_Union[DatasetType, _Mapping]]] = ...) -> None: ...

class GetDatasetTypeRequest(_message.Message):
    __slots__ = ("label", "name")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    label: str
    name: str
    def __init__(self, label: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetDatasetTypeResponse(_message.Message):
    __slots__ = ("dataset_type",)
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    dataset_type: DatasetType
    def __init__(self, dataset_type: _Optional[_Union[DatasetType, _Mapping]] = ...) -> None: ...
