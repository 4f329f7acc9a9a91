"""Typed exceptions for failed calls, chosen by the ErrorInfo reason first and the status code next."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = [
    "ERROR_DOMAIN",
    "AbortedError",
    "AlreadyExistsError",
    "CallCancelledError",
    "ChainChangedError",
    "CollectionCycleError",
    "CollectionHasParentsError",
    "CollectionInUseError",
    "CollectionNotFoundError",
    "CollectionTypeMismatchError",
    "ConcurrentModificationError",
    "ConflictingDefinitionError",
    "CredentialConflictError",
    "CredentialError",
    "CredentialNotFoundError",
    "CredentialUnusableError",
    "DatasetTypeNotFoundError",
    "DeadlineExceededError",
    "DimensionNotFoundError",
    "FailedPreconditionError",
    "GatewayBusyError",
    "GatewayError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidCollectionNameError",
    "InvalidDataIdError",
    "InvalidDatasetTypeError",
    "InvalidQueryError",
    "InvalidSubmissionIdError",
    "NotFoundError",
    "PermissionDeniedError",
    "ReadOnlyRepositoryError",
    "RepositoryNotFoundError",
    "RepositoryUnavailableError",
    "ResourceExhaustedError",
    "RunRemovalNotConfirmedError",
    "SecretEnvironmentDisabledError",
    "SplitImpossibleError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnquotableValueError",
    "UnrepresentableValueError",
    "error_from_rpc",
]

ERROR_DOMAIN = "butler-gateway.cmservice.lsst.org"
"""The ``ErrorInfo.domain`` of the gateway's errors."""


class GatewayError(Exception):
    """A call to the gateway failed.

    Raised ``from`` the `grpc.RpcError`, so the original is in ``__cause__``.

    Attributes
    ----------
    code
        The gRPC status code.
    reason
        The stable ``ErrorInfo.reason`` (for example ``REPOSITORY_NOT_FOUND``); empty when the
        failure did not come from the gateway (connection refused, deadline passed on the client).
    metadata
        ``ErrorInfo.metadata`` (for example ``label``, ``request_id``).
    message
        The server's message, meant for people.
    attempts
        How many attempts the client made, retries included.
    """

    status_code: ClassVar[grpc.StatusCode | None] = None
    """The status code this class stands for (None: any)."""
    reasons: ClassVar[tuple[str, ...]] = ()
    """ErrorInfo reasons mapped to this class."""

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode,
        reason: str = "",
        metadata: Mapping[str, str] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{code.name}{f' ({reason})' if reason else ''}: {message}")
        self.message = message
        self.code = code
        self.reason = reason
        self.metadata: dict[str, str] = dict(metadata or {})
        self.attempts = attempts

    @property
    def request_id(self) -> str | None:
        """The gateway's request id for this call (find it in the gateway's log), if it sent one."""
        return self.metadata.get("request_id")


# One class per status code the gateway (or the transport) uses ...
class NotFoundError(GatewayError):
    """Something named in the request does not exist."""

    status_code = grpc.StatusCode.NOT_FOUND


class InvalidArgumentError(GatewayError):
    """The request is wrong; fix it rather than retry (for example MISSING_LABEL)."""

    status_code = grpc.StatusCode.INVALID_ARGUMENT


class FailedPreconditionError(GatewayError):
    """The request is valid but the repository's state forbids it; do not retry until fixed."""

    status_code = grpc.StatusCode.FAILED_PRECONDITION


class UnavailableError(GatewayError):
    """The gateway or the repository cannot serve now; retrying later may succeed."""

    status_code = grpc.StatusCode.UNAVAILABLE


class AbortedError(GatewayError):
    """The operation lost a race with a concurrent one; retry the whole operation."""

    status_code = grpc.StatusCode.ABORTED


class ResourceExhaustedError(GatewayError):
    """A limit was reached (admission limit, message size)."""

    status_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class UnauthenticatedError(GatewayError):
    """The gateway wants ``authorization: Bearer <token>`` and got none or a wrong one."""

    status_code = grpc.StatusCode.UNAUTHENTICATED
    reasons = ("UNAUTHENTICATED",)


class PermissionDeniedError(GatewayError):
    """The caller may not do this."""

    status_code = grpc.StatusCode.PERMISSION_DENIED


class AlreadyExistsError(GatewayError):
    """What the request would create exists already."""

    status_code = grpc.StatusCode.ALREADY_EXISTS


class DeadlineExceededError(GatewayError):
    """The call's deadline (its ``timeout``) passed before it finished."""

    status_code = grpc.StatusCode.DEADLINE_EXCEEDED


class CallCancelledError(GatewayError):
    """The call was cancelled."""

    status_code = grpc.StatusCode.CANCELLED


class UnimplementedError(GatewayError):
    """The gateway does not know this RPC (it is older than this client)."""

    status_code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(GatewayError):
    """An unexpected failure in the gateway; its log has the details under ``request_id``."""

    status_code = grpc.StatusCode.INTERNAL
    reasons = ("INTERNAL",)


# ... and one class per stable reason that callers may want to catch on its own.
class RepositoryNotFoundError(NotFoundError):
    """The repository label is not configured in the gateway."""

    reasons = ("REPOSITORY_NOT_FOUND",)


class CollectionNotFoundError(NotFoundError):
    """A collection named in the request does not exist."""

    reasons = ("COLLECTION_NOT_FOUND",)


class DatasetTypeNotFoundError(NotFoundError):
    """A dataset type named in the request is not registered."""

    reasons = ("DATASET_TYPE_NOT_FOUND",)


class DimensionNotFoundError(NotFoundError):
    """A dimension named in the request does not exist in the repository's universe."""

    reasons = ("DIMENSION_NOT_FOUND",)


class InvalidQueryError(InvalidArgumentError):
    """A query expression (``where``) or its bind values are not valid."""

    reasons = ("INVALID_QUERY",)


class InvalidDataIdError(InvalidArgumentError):
    """A data ID names values that do not exist or do not fit together."""

    reasons = ("INVALID_DATA_ID",)


class InvalidDatasetTypeError(InvalidArgumentError):
    """A dataset type definition or name is not valid."""

    reasons = ("INVALID_DATASET_TYPE",)


class CollectionCycleError(FailedPreconditionError):
    """The chain edit would make a CHAINED collection contain itself."""

    reasons = ("COLLECTION_CYCLE",)


class CollectionTypeMismatchError(FailedPreconditionError):
    """A collection exists with another type than the one the operation needs."""

    reasons = ("COLLECTION_TYPE_MISMATCH",)


class ReadOnlyRepositoryError(FailedPreconditionError):
    """A mutation was asked of a repository the gateway serves read-only."""

    reasons = ("REPOSITORY_READ_ONLY",)


class ConflictingDefinitionError(FailedPreconditionError):
    """Something exists already with a different definition."""

    reasons = ("CONFLICTING_DEFINITION",)


class InvalidCollectionNameError(InvalidArgumentError):
    """A collection name is not 1-64 characters from letters, digits and ``_ . + - / : @``."""

    reasons = ("INVALID_COLLECTION_NAME",)


class UnquotableValueError(InvalidArgumentError):
    """A value cannot be written into a where predicate (a string with a quote or line break)."""

    reasons = ("UNQUOTABLE_VALUE",)


class UnrepresentableValueError(InvalidArgumentError):
    """A rendered environment form cannot carry a variable's value (``metadata["variable"]``)."""

    reasons = ("UNREPRESENTABLE_VALUE",)


class InvalidSubmissionIdError(InvalidArgumentError):
    """The submission id is not 1-128 characters from ``[A-Za-z0-9._-]`` (not starting with ".")."""

    reasons = ("INVALID_SUBMISSION_ID",)


class ChainChangedError(FailedPreconditionError):
    """A compare-and-set chain edit found other children than ``expected_children``; nothing changed."""

    reasons = ("CHAIN_CHANGED",)


class CollectionHasParentsError(FailedPreconditionError):
    """The collection is still a child of CHAINED collections; pass ``unlink_from_parents``."""

    reasons = ("COLLECTION_HAS_PARENTS",)


class RunRemovalNotConfirmedError(FailedPreconditionError):
    """Removing a RUN deletes its datasets; pass ``remove_run_and_datasets=True`` to confirm."""

    reasons = ("RUN_REMOVAL_NOT_CONFIRMED",)


class CollectionInUseError(FailedPreconditionError):
    """The collection is still referenced (for example by datasets elsewhere) and cannot go."""

    reasons = ("COLLECTION_IN_USE",)


class SplitImpossibleError(FailedPreconditionError):
    """The selection has fewer distinct values than the requested ``min_groups``."""

    reasons = ("SPLIT_IMPOSSIBLE",)


class SecretEnvironmentDisabledError(FailedPreconditionError):
    """A secret-returning credential mode was asked of a gateway with those modes disabled."""

    reasons = ("SECRET_ENVIRONMENT_DISABLED",)


class CredentialError(FailedPreconditionError):
    """The gateway holds no usable credential for a requested PostgreSQL repository."""

    reasons: ClassVar[tuple[str, ...]] = (
        "CREDENTIAL_NOT_FOUND",
        "CREDENTIAL_CONFLICT",
        "CREDENTIAL_UNUSABLE",
    )


class CredentialNotFoundError(CredentialError):
    """No credential of the gateway matches a requested PostgreSQL registry."""

    reasons = ("CREDENTIAL_NOT_FOUND",)


class CredentialConflictError(CredentialError):
    """The repositories need different PostgreSQL users; render them in separate submissions."""

    reasons = ("CREDENTIAL_CONFLICT",)


class CredentialUnusableError(CredentialError):
    """A credential cannot be written to a password file (a line break); use the db-auth mode."""

    reasons = ("CREDENTIAL_UNUSABLE",)


class RepositoryUnavailableError(UnavailableError):
    """The repository is warming up, failed to build, or its database is down."""

    reasons = ("REPOSITORY_UNAVAILABLE",)


class ConcurrentModificationError(AbortedError):
    """Another writer changed the collection meanwhile; re-read and retry the operation."""

    reasons = ("CONCURRENT_MODIFICATION",)


class GatewayBusyError(ResourceExhaustedError):
    """The gateway is running its maximum of Butler calls; retry shortly (the client does)."""

    reasons = ("GATEWAY_BUSY",)


def _subclasses(cls: type[GatewayError]) -> list[type[GatewayError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


_BY_CODE: dict[grpc.StatusCode, type[GatewayError]] = {}
_BY_REASON: dict[str, type[GatewayError]] = {}
for _cls in _subclasses(GatewayError):
    if _cls.status_code is not None and not _cls.reasons:
        _BY_CODE.setdefault(_cls.status_code, _cls)
    for _reason in _cls.reasons:
        _BY_REASON[_reason] = _cls
for _cls in (UnauthenticatedError, InternalError):
    _BY_CODE[_cls.status_code] = _cls


def _error_info(error: grpc.Call) -> error_details_pb2.ErrorInfo | None:
    try:
        status = rpc_status.from_call(error)
    except ValueError:  # a status whose code or message disagrees with the call's own
        return None
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def error_class(code: grpc.StatusCode, reason: str) -> type[GatewayError]:
    """The most specific class for a code and reason.

    A known reason wins when it agrees with the code; an unknown reason (from a newer gateway)
    falls back to the code's class, so ``except NotFoundError`` keeps working.
    """
    by_reason = _BY_REASON.get(reason)
    if by_reason is not None and by_reason.status_code is code:
        return by_reason
    return _BY_CODE.get(code, GatewayError)


def error_from_rpc(error: grpc.RpcError, *, attempts: int = 1) -> GatewayError:
    """Translate a failed call (sync or aio) into the typed exception; the caller raises it ``from``."""
    call: grpc.Call = error  # type: ignore[assignment]  # every RpcError a channel raises is a Call
    code = call.code()
    info = _error_info(call)
    reason = info.reason if info is not None and info.domain == ERROR_DOMAIN else ""
    metadata = dict(info.metadata) if info is not None else {}
    cls = error_class(code, reason)
    return cls(call.details() or code.name, code=code, reason=reason, metadata=metadata, attempts=attempts)
