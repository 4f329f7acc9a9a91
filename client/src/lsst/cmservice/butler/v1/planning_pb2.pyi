from lsst.cmservice.butler.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SplitSizeUnit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPLIT_SIZE_UNIT_UNSPECIFIED: _ClassVar[SplitSizeUnit]
    SPLIT_SIZE_UNIT_ROWS: _ClassVar[SplitSizeUnit]
    SPLIT_SIZE_UNIT_VALUES: _ClassVar[SplitSizeUnit]
SPLIT_SIZE_UNIT_UNSPECIFIED: SplitSizeUnit
SPLIT_SIZE_UNIT_ROWS: SplitSizeUnit
SPLIT_SIZE_UNIT_VALUES: SplitSizeUnit

class SplitByQuery(_message.Message):
    __slots__ = ("min_groups", "max_size", "size_unit")
    MIN_GROUPS_FIELD_NUMBER: _ClassVar[int]
    MAX_SIZE_FIELD_NUMBER: _ClassVar[int]
    SIZE_UNIT_FIELD_NUMBER: _ClassVar[int]
    min_groups: int
    max_size: int
    size_unit: SplitSizeUnit
    def __init__(self, min_groups: _Optional[int] = ..., max_size: _Optional[int] = ..., size_unit: _Optional[_Union[SplitSizeUnit, str]] = ...) -> None: ...

class SplitByValues(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[_common_pb2.ValueList]
    def __init__(self, groups: _Optional[_Iterable[_Union[_common_pb2.ValueList, _Mapping]]] = ...) -> None: ...

class IntRange(_message.Message):
    __slots__ = ("min", "max")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    min: int
    max: int
    def __init__(self, min: _Optional[int] = ..., max: _Optional[int] = ...) -> None: ...

class SplitByRanges(_message.Message):
    __slots__ = ("ranges",)
    RANGES_FIELD_NUMBER: _ClassVar[int]
    ranges: _containers.RepeatedCompositeFieldContainer[IntRange]
    def __init__(self, ranges: _Optional[_Iterable[_Union[IntRange, _Mapping]]] = ...) -> None: ...

class NoSplit(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PlanGroupsRequest(_message.Message):
    __slots__ = ("label", "dataset_type", "collections", "predicates", "dimension", "by_query", "by_values", "by_ranges", "none")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DATASET_TYPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    PREDICATES_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    BY_QUERY_FIELD_NUMBER: _ClassVar[int]
    BY_VALUES_FIELD_NUMBER: _ClassVar[int]
    BY_RANGES_FIELD_NUMBER: _ClassVar[int]
    NONE_FIELD_NUMBER: _ClassVar[int]
    label: str
    dataset_type: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    predicates: _containers.RepeatedScalarFieldContainer[str]
    dimension: str
    by_query: SplitByQuery
    by_values: SplitByValues
    by_ranges: SplitByRanges
    none: NoSplit
    def __init__(self, label: _Optional[str] = ..., dataset_type: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., predicates: _Optional[_Iterable[str]] = ..., dimension: _Optional[str] = ..., by_query: _Optional[_Union[SplitByQuery, _Mapping]] = ..., by_values: _Optional[_Union[SplitByValues, _Mapping]] = ..., by_ranges: _Optional[_Union[SplitByRanges, _Mapping]] = ..., none: _Optional[_Union[NoSplit, _Mapping]] = ...) -> None: ...

class PlannedGroup(_message.Message):
    __slots__ = ("predicate", "count", "value_count", "first_value", "last_value", "exceeds_max_size")
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_VALUE_FIELD_NUMBER: _ClassVar[int]
    LAST_VALUE_FIELD_NUMBER: _ClassVar[int]
    EXCEEDS_MAX_SIZE_FIELD_NUMBER: _ClassVar[int]
    predicate: str
    count: int
    value_count: int
    first_value: _common_pb2.Value
    last_value: _common_pb2.Value
    exceeds_max_size: bool
    def __init__(self, predicate: _Optional[str] = ..., count: _Optional[int] = ..., value_count: _Optional[int] = ..., first_value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ..., last_value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ..., exceeds_max_size: _Optional[bool] = ...) -> None: ...

class PlanGroupsResponse(_message.Message):
    __slots__ = ("groups", "total", "distinct_values", "unassigned_count", "unassigned_values")
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_VALUES_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_VALUES_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[PlannedGroup]
    total: int
    distinct_values: int
    unassigned_count: int
    unassigned_values: _containers.RepeatedCompositeFieldContainer[_common_pb2.Value]
    def __init__(self, groups: _Optional[_Iterable[_Union[PlannedGroup, _Mapping]]] = ..., total: _Optional[int] = ..., distinct_values: _Optional[int] = ..., unassigned_count: _Optional[int] = ..., unassigned_values: _Optional[_Iterable[_Union[_common_pb2.Value, _Mapping]]] = ...) -> None: ...
