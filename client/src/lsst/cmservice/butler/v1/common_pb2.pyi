from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CollectionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COLLECTION_TYPE_UNSPECIFIED: _ClassVar[CollectionType]
    COLLECTION_TYPE_RUN: _ClassVar[CollectionType]
    COLLECTION_TYPE_TAGGED: _ClassVar[CollectionType]
    COLLECTION_TYPE_CHAINED: _ClassVar[CollectionType]
    COLLECTION_TYPE_CALIBRATION: _ClassVar[CollectionType]
COLLECTION_TYPE_UNSPECIFIED: CollectionType
COLLECTION_TYPE_RUN: CollectionType
COLLECTION_TYPE_TAGGED: CollectionType
COLLECTION_TYPE_CHAINED: CollectionType
COLLECTION_TYPE_CALIBRATION: CollectionType

class Value(_message.Message):
    __slots__ = ("int_value", "string_value", "float_value", "bool_value", "list_value")
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    int_value: int
    string_value: str
    float_value: float
    bool_value: bool
    list_value: ValueList
    def __init__(self, int_value: _Optional[int] = ..., string_value: _Optional[str] = ..., float_value: _Optional[float] = ..., bool_value: _Optional[bool] = ..., list_value: _Optional[_Union[ValueList, _Mapping]] = ...) -> None: ...

class ValueList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, values: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class DataId(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Value, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, Value]
    def __init__(self, values: _Optional[_Mapping[str, Value]] = ...) -> None: ...
