"""The gRPC servicer: thin handlers, one module per RPC family, composed into one class."""

from __future__ import annotations

from lsst.cmservice.butler.v1 import gateway_pb2_grpc

from .collections import CollectionRpcs
from .environment import EnvironmentRpcs
from .queries import QueryRpcs
from .repositories import RepositoryRpcs

__all__ = ["ButlerGatewayServicer"]


class ButlerGatewayServicer(
    RepositoryRpcs,
    QueryRpcs,
    CollectionRpcs,
    EnvironmentRpcs,
    gateway_pb2_grpc.ButlerGatewayServiceServicer,
):
    """Every RPC of ``lsst.cmservice.butler.v1.ButlerGatewayService``."""
