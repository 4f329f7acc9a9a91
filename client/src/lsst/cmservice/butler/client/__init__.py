"""Typed Python client for the CM Service Butler gateway (installs without lsst-daf-butler)."""

from .aio import AsyncGatewayClient, AsyncResponseStream
from .config import ClientConfig
from .errors import *  # noqa: F403 - the exception hierarchy is part of the public API
from .errors import __all__ as _error_names
from .models import DataId, DataIdValue, Repository, RepositoryState, ScalarValue, ServingStatus
from .retry import CallKind, RetryPolicy
from .sync import GatewayClient, ResponseStream

__all__ = [
    "AsyncGatewayClient",
    "AsyncResponseStream",
    "CallKind",
    "ClientConfig",
    "DataId",
    "DataIdValue",
    "GatewayClient",
    "Repository",
    "RepositoryState",
    "ResponseStream",
    "RetryPolicy",
    "ScalarValue",
    "ServingStatus",
    *_error_names,
]
