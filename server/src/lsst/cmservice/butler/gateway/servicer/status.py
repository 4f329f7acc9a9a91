"""The one error table: exception -> gRPC status code + ``google.rpc.ErrorInfo`` reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import grpc
import sqlalchemy.exc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from lsst.daf.butler import (
    CollectionCycleError as ButlerCollectionCycleError,
)
from lsst.daf.butler import (
    DataIdValueError,
    EmptyQueryResultError,
    InvalidQueryError,
    MissingCollectionError,
    MissingDatasetTypeError,
)
from lsst.daf.butler.registry import (
    CollectionTypeError,
    ConflictingDefinitionError,
    DatasetTypeError,
    OrphanedRecordError,
)
from lsst.utils.db_auth import DbAuthError

from ..errors import (
    ChainChangedError,
    CollectionCycleError,
    CollectionHasParentsError,
    CollectionNotFoundError,
    CollectionTypeMismatchError,
    ConcurrentModificationError,
    CredentialNotFoundError,
    DimensionNotFoundError,
    GatewayBusyError,
    GatewayError,
    InvalidArgumentError,
    ReadOnlyRepositoryError,
    RepositoryNotFoundError,
    RepositoryUnavailableError,
    SecretEnvironmentDisabledError,
    SplitImpossibleError,
    UnauthenticatedError,
)

__all__ = ["ERROR_DOMAIN", "ERROR_TABLE", "ErrorRule", "abort_with", "build_status", "rule_for"]

_LOG = logging.getLogger(__name__)

ERROR_DOMAIN = "butler-gateway.cmservice.lsst.org"


@dataclass(frozen=True)
class ErrorRule:
    """How one exception type reaches a caller.

    ``reason`` None means the exception is a `GatewayError` that names its own reason.
    ``message`` None passes the exception's own text (it is safe by construction: our own errors
    and daf_butler's user errors); otherwise the fixed text replaces it (SQL, URLs and driver
    messages must never reach a caller).
    """

    exception: type[BaseException]
    code: grpc.StatusCode
    reason: str | None = None
    message: str | None = None


# Most specific first: the first rule whose type matches wins.
ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(RepositoryNotFoundError, grpc.StatusCode.NOT_FOUND),
    ErrorRule(RepositoryUnavailableError, grpc.StatusCode.UNAVAILABLE),
    ErrorRule(ReadOnlyRepositoryError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorRule(GatewayBusyError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    ErrorRule(UnauthenticatedError, grpc.StatusCode.UNAUTHENTICATED),
    ErrorRule(SecretEnvironmentDisabledError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(CredentialNotFoundError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(DimensionNotFoundError, grpc.StatusCode.NOT_FOUND),
    ErrorRule(SplitImpossibleError, grpc.StatusCode.FAILED_PRECONDITION),
    # Collection mutations (issue 4).
    ErrorRule(CollectionNotFoundError, grpc.StatusCode.NOT_FOUND),
    ErrorRule(CollectionTypeMismatchError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(CollectionCycleError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(ChainChangedError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(CollectionHasParentsError, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorRule(ConcurrentModificationError, grpc.StatusCode.ABORTED),
    ErrorRule(ButlerCollectionCycleError, grpc.StatusCode.FAILED_PRECONDITION, "COLLECTION_CYCLE"),
    ErrorRule(OrphanedRecordError, grpc.StatusCode.FAILED_PRECONDITION, "COLLECTION_IN_USE"),
    # daf_butler's user errors: their messages name the bad input, never a secret.
    ErrorRule(MissingDatasetTypeError, grpc.StatusCode.NOT_FOUND, "DATASET_TYPE_NOT_FOUND"),
    ErrorRule(MissingCollectionError, grpc.StatusCode.NOT_FOUND, "COLLECTION_NOT_FOUND"),
    ErrorRule(DataIdValueError, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_DATA_ID"),
    ErrorRule(InvalidQueryError, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUERY"),
    ErrorRule(EmptyQueryResultError, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUERY"),
    ErrorRule(CollectionTypeError, grpc.StatusCode.FAILED_PRECONDITION, "COLLECTION_TYPE_MISMATCH"),
    ErrorRule(DatasetTypeError, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_DATASET_TYPE"),
    ErrorRule(ConflictingDefinitionError, grpc.StatusCode.FAILED_PRECONDITION, "CONFLICTING_DEFINITION"),
    # Registry database trouble: retryable, and the driver's text (SQL, host, user) stays in the log.
    ErrorRule(
        DbAuthError,
        grpc.StatusCode.UNAVAILABLE,
        "REPOSITORY_UNAVAILABLE",
        "the registry credentials could not be used; check LSST_DB_AUTH_CREDENTIALS",
    ),
    ErrorRule(
        sqlalchemy.exc.OperationalError,
        grpc.StatusCode.UNAVAILABLE,
        "REPOSITORY_UNAVAILABLE",
        "the registry database is unavailable; retry later",
    ),
    ErrorRule(
        sqlalchemy.exc.InterfaceError,
        grpc.StatusCode.UNAVAILABLE,
        "REPOSITORY_UNAVAILABLE",
        "the registry database connection failed; retry later",
    ),
    # Every other GatewayError subclass (added by later features) without its own row.
    ErrorRule(GatewayError, grpc.StatusCode.FAILED_PRECONDITION),
)


def rule_for(exc: BaseException) -> ErrorRule | None:
    """The table row for an exception, or None for an unexpected one (-> INTERNAL)."""
    for rule in ERROR_TABLE:
        if isinstance(exc, rule.exception):
            return rule
    return None


def build_status(
    exc: BaseException, request_id: str, redact: Callable[[str], str]
) -> tuple[grpc.StatusCode, status_pb2.Status]:
    """Translate an exception into a gRPC code and a rich status with ``ErrorInfo``.

    Unexpected exceptions become INTERNAL with a fixed message that points at the request id;
    the caller of this function logs the traceback.
    """
    rule = rule_for(exc)
    metadata = {"request_id": request_id}
    if rule is None:
        code = grpc.StatusCode.INTERNAL
        reason = "INTERNAL"
        message = f"internal error; the gateway log has the details under request id {request_id}"
    else:
        code = rule.code
        if isinstance(exc, GatewayError):
            reason = exc.instance_reason
            metadata.update(exc.metadata)
            message = exc.message
        else:
            reason = rule.reason or "GATEWAY_ERROR"
            message = rule.message or str(exc)
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=redact(message)[:4000], details=[detail])
    return code, status


async def abort_with(context: grpc.aio.ServicerContext[Any, Any], status: status_pb2.Status) -> NoReturn:
    """Abort the call with a rich status (code, message and details in the trailer)."""
    converted = rpc_status.to_status(status)
    await context.abort(converted.code, converted.details, converted.trailing_metadata)
    raise AssertionError("abort returned")  # pragma: no cover - abort always raises


assert grpc.StatusCode.INTERNAL.value[0] == code_pb2.INTERNAL  # the two numberings agree
