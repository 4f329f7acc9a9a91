"""RPCs about the configured repositories: list, describe, refresh."""

from __future__ import annotations

import datetime

from google.protobuf import timestamp_pb2

from lsst.cmservice.butler.v1 import repositories_pb2 as pb

from ..factory import RepositoryInfo, RepositoryState
from ._rpc import GatewayContext, unary_rpc
from .base import ServicerBase

__all__ = ["RepositoryRpcs", "repository_to_proto"]

_STATE = {
    RepositoryState.WARMING: pb.REPOSITORY_STATE_WARMING,
    RepositoryState.READY: pb.REPOSITORY_STATE_READY,
    RepositoryState.FAILED: pb.REPOSITORY_STATE_FAILED,
}


def _timestamp(value: datetime.datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def repository_to_proto(info: RepositoryInfo) -> pb.Repository:
    """Convert the factory's snapshot to its wire form."""
    return pb.Repository(
        label=info.label,
        state=_STATE[info.state],
        failure_reason=info.failure_reason,
        registry_dialect=info.registry_dialect,
        registry_location=info.registry_location,
        writeable=info.writeable,
        last_refresh_time=_timestamp(info.last_refresh_time),
        failed_attempts=info.failed_attempts,
        next_retry_time=_timestamp(info.next_retry_time),
        config_uri=info.config_uri,
    )


class RepositoryRpcs(ServicerBase):
    """ListRepositories, GetRepository, RefreshRepository."""

    @unary_rpc
    async def ListRepositories(
        self, request: pb.ListRepositoriesRequest, context: GatewayContext
    ) -> pb.ListRepositoriesResponse:
        return pb.ListRepositoriesResponse(
            repositories=[repository_to_proto(info) for info in self.factory.infos()]
        )

    @unary_rpc
    async def GetRepository(
        self, request: pb.GetRepositoryRequest, context: GatewayContext
    ) -> pb.GetRepositoryResponse:
        return pb.GetRepositoryResponse(repository=repository_to_proto(self.factory.info(request.label)))

    @unary_rpc
    async def RefreshRepository(
        self, request: pb.RefreshRepositoryRequest, context: GatewayContext
    ) -> pb.RefreshRepositoryResponse:
        info = await self.factory.refresh(request.label)
        return pb.RefreshRepositoryResponse(repository=repository_to_proto(info))
