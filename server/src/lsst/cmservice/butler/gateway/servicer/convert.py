"""Conversions between proto values and Python shared by every RPC family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsst.daf.butler import CollectionType

from lsst.cmservice.butler.v1 import common_pb2

__all__ = [
    "COLLECTION_TYPE_FROM_PROTO",
    "COLLECTION_TYPE_TO_PROTO",
    "bind_to_python",
    "python_to_value",
    "value_to_python",
]

COLLECTION_TYPE_TO_PROTO: Mapping[CollectionType, common_pb2.CollectionType] = {
    CollectionType.RUN: common_pb2.COLLECTION_TYPE_RUN,
    CollectionType.TAGGED: common_pb2.COLLECTION_TYPE_TAGGED,
    CollectionType.CHAINED: common_pb2.COLLECTION_TYPE_CHAINED,
    CollectionType.CALIBRATION: common_pb2.COLLECTION_TYPE_CALIBRATION,
}
COLLECTION_TYPE_FROM_PROTO: Mapping[common_pb2.CollectionType, CollectionType] = {
    value: key for key, value in COLLECTION_TYPE_TO_PROTO.items()
}


def value_to_python(value: common_pb2.Value) -> Any:
    """A typed proto value as a Python scalar (None when unset) or list."""
    kind = value.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "list_value":
        return [value_to_python(v) for v in value.list_value.values]
    return getattr(value, kind)


def python_to_value(value: Any) -> common_pb2.Value:
    """A Python scalar as a typed proto value (None: unset; other types: their string form)."""
    if value is None:
        return common_pb2.Value()
    if isinstance(value, bool):
        return common_pb2.Value(bool_value=value)
    if isinstance(value, int):
        return common_pb2.Value(int_value=value)
    if isinstance(value, float):
        return common_pb2.Value(float_value=value)
    return common_pb2.Value(string_value=str(value))


def bind_to_python(bind: Mapping[str, common_pb2.Value]) -> dict[str, Any]:
    """Where-expression bind parameters as Python values."""
    return {name: value_to_python(value) for name, value in bind.items()}
