"""RenderSubmissionEnvironment: the environment a batch job needs to reach its repositories."""

from __future__ import annotations

import logging

from lsst.cmservice.butler.v1 import environment_pb2 as pb

from ..domain.environment import (
    CredentialMode,
    EnvironmentRequest,
    EnvironmentSettings,
    IndexMode,
    RenderedEnvironment,
    render_submission_environment,
)
from ..errors import InvalidArgumentError
from ._rpc import GatewayContext, caller_of, unary_rpc
from .base import ServicerBase

__all__ = ["EnvironmentRpcs", "environment_request_from_proto", "environment_to_proto"]

# The audit trail of rendered environments: names only, never a value.
_AUDIT = logging.getLogger("lsst.cmservice.butler.gateway.audit")

_CREDENTIAL_MODES = {
    pb.CREDENTIAL_MODE_UNSPECIFIED: CredentialMode.SEED,
    pb.CREDENTIAL_MODE_SEED: CredentialMode.SEED,
    pb.CREDENTIAL_MODE_PGPASS: CredentialMode.PGPASS,
    pb.CREDENTIAL_MODE_DB_AUTH_ENV: CredentialMode.DB_AUTH_ENV,
}
_INDEX_MODES = {
    pb.REPOSITORY_INDEX_MODE_UNSPECIFIED: IndexMode.INDEX_FILE,
    pb.REPOSITORY_INDEX_MODE_INDEX_FILE: IndexMode.INDEX_FILE,
    pb.REPOSITORY_INDEX_MODE_INLINE: IndexMode.INLINE,
}


def environment_request_from_proto(request: pb.RenderSubmissionEnvironmentRequest) -> EnvironmentRequest:
    """Convert the wire request (INVALID_ARGUMENT for enum values this gateway does not know)."""
    try:
        credential_mode = _CREDENTIAL_MODES[request.credential_mode]
        index_mode = _INDEX_MODES[request.repository_index_mode]
    except KeyError:
        raise InvalidArgumentError(
            "unknown credential_mode or repository_index_mode value", reason="INVALID_MODE"
        ) from None
    return EnvironmentRequest(
        labels=tuple(request.labels),
        credential_mode=credential_mode,
        index_mode=index_mode,
        submission_id=request.submission_id,
    )


def environment_to_proto(rendered: RenderedEnvironment) -> pb.RenderSubmissionEnvironmentResponse:
    """Convert the domain result to its wire form."""
    return pb.RenderSubmissionEnvironmentResponse(
        variables=[
            pb.EnvironmentVariable(name=v.name, value=v.value, secret=v.secret) for v in rendered.variables
        ],
        files=[
            pb.SubmissionFile(path=f.path, content=f.content, mode=f.mode, secret=f.secret)
            for f in rendered.files
        ],
        htcondor_environment=rendered.htcondor_environment,
        bash_exports=rendered.bash_exports,
        bps_environment_yaml=rendered.bps_environment_yaml,
        submission_id=rendered.submission_id,
        cleanup_path=rendered.cleanup_path,
        contains_secrets=rendered.contains_secrets,
    )


def audit_rendered(request: EnvironmentRequest, rendered: RenderedEnvironment, caller: str = "") -> None:
    """One audit line per rendered environment: who, which repositories, which names. No values."""
    _AUDIT.info(
        "submission environment rendered",
        extra={
            "caller": caller,
            "labels": list(request.labels),
            "credential_mode": request.credential_mode.value,
            "index_mode": request.index_mode.value,
            "submission_id": rendered.submission_id,
            "variables": [v.name for v in rendered.variables],
            "secret_variables": [v.name for v in rendered.variables if v.secret],
            "files": [f.path for f in rendered.files],
        },
    )


class EnvironmentRpcs(ServicerBase):
    """RenderSubmissionEnvironment."""

    @unary_rpc
    async def RenderSubmissionEnvironment(
        self, request: pb.RenderSubmissionEnvironmentRequest, context: GatewayContext
    ) -> pb.RenderSubmissionEnvironmentResponse:
        env_request = environment_request_from_proto(request)
        config_uris = {info.label: info.config_uri for info in self.factory.infos()}
        rendered = await self.runner.run(
            render_submission_environment,
            env_request,
            EnvironmentSettings.from_settings(self.settings),
            config_uris,
            self.settings.db_auth_entries(),
        )
        audit_rendered(env_request, rendered, caller_of(context))
        return environment_to_proto(rendered)
