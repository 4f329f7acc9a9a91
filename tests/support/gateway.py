"""Start real gateways in-process for tests, and read rich errors off the client side."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from lsst.cmservice.butler.gateway.config import GatewaySettings
from lsst.cmservice.butler.gateway.server import GatewayServer
from lsst.cmservice.butler.v1 import gateway_pb2_grpc

__all__ = ["error_info", "running_gateway", "settings_for"]


def settings_for(repositories: dict[str, str] | None = None, **overrides: Any) -> GatewaySettings:
    """Settings for a test gateway on an ephemeral port, with quick retries and no demo by default."""
    import json

    values: dict[str, Any] = {
        "listen_address": "127.0.0.1:0",
        "retry_initial_seconds": 0.2,
        "retry_max_seconds": 1.0,
        "shutdown_grace_seconds": 2.0,
        "log_format": "text",
        "demo": False,
    }
    if repositories is not None:
        values["repositories_json"] = json.dumps(repositories)
    values.update(overrides)
    return GatewaySettings(**values)


@contextlib.asynccontextmanager
async def running_gateway(
    settings: GatewaySettings,
) -> AsyncIterator[tuple[GatewayServer, gateway_pb2_grpc.ButlerGatewayServiceAsyncStub]]:
    """A started gateway and a stub on a fresh channel; both closed on exit."""
    server = GatewayServer(settings)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.target) as channel:
            yield server, gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
    finally:
        await server.stop(0)


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    """The ErrorInfo packed in a failed call's rich status (fails the test if absent)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, f"no rich status on {error.code()}: {error.details()}"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"no ErrorInfo in the status of {error.code()}: {error.details()}")
