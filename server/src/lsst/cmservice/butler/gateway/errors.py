"""Domain exceptions: each carries a stable reason; ``servicer/status.py`` maps them to gRPC codes."""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ChainChangedError",
    "CollectionCycleError",
    "CollectionHasParentsError",
    "CollectionNotFoundError",
    "CollectionTypeMismatchError",
    "ConcurrentModificationError",
    "CredentialNotFoundError",
    "DimensionNotFoundError",
    "GatewayBusyError",
    "GatewayError",
    "InvalidArgumentError",
    "ReadOnlyRepositoryError",
    "RepositoryNotFoundError",
    "RepositoryUnavailableError",
    "SecretEnvironmentDisabledError",
    "SplitImpossibleError",
    "UnauthenticatedError",
]


class GatewayError(Exception):
    """An error the gateway reports on purpose: its message is safe to send to the caller.

    Parameters
    ----------
    message
        What happened and what the caller can do, with no secret, SQL or traceback in it.
    reason
        Overrides the class's stable ``reason`` (an UPPER_SNAKE_CASE word for ``ErrorInfo``).
    **metadata
        Small facts for ``ErrorInfo.metadata`` (for example the repository label).
    """

    reason: ClassVar[str] = "GATEWAY_ERROR"

    def __init__(self, message: str, *, reason: str | None = None, **metadata: str) -> None:
        super().__init__(message)
        self.message = message
        self.instance_reason = reason or type(self).reason
        self.metadata = metadata


class InvalidArgumentError(GatewayError):
    """The request itself is wrong (missing field, bad name, unparsable expression)."""

    reason = "INVALID_ARGUMENT"


class RepositoryNotFoundError(GatewayError):
    """The label is not one of the configured repositories."""

    reason = "REPOSITORY_NOT_FOUND"

    def __init__(self, label: str, known: list[str]) -> None:
        shown = ", ".join(repr(k) for k in known[:20]) or "none"
        super().__init__(f"unknown repository label {label!r}; configured labels: {shown}", label=label)


class RepositoryUnavailableError(GatewayError):
    """The repository exists but cannot serve now (warming up, failed build, database down)."""

    reason = "REPOSITORY_UNAVAILABLE"


class GatewayBusyError(GatewayError):
    """Too many Butler calls are already admitted; retry after a short delay."""

    reason = "GATEWAY_BUSY"


class UnauthenticatedError(GatewayError):
    """The call lacks the configured bearer token, or sent a wrong one."""

    reason = "UNAUTHENTICATED"


class ReadOnlyRepositoryError(GatewayError):
    """A mutation was asked of a repository the gateway serves read-only."""

    reason = "REPOSITORY_READ_ONLY"


class SecretEnvironmentDisabledError(GatewayError):
    """A secret-returning submission-environment mode was asked for while such modes are disabled."""

    reason = "SECRET_ENVIRONMENT_DISABLED"


class CredentialNotFoundError(GatewayError):
    """A repository's registry has no usable credential among the gateway's (names the repository)."""

    reason = "CREDENTIAL_NOT_FOUND"


class DimensionNotFoundError(GatewayError):
    """A dimension or dimension element name is not in the repository's universe."""

    reason = "DIMENSION_NOT_FOUND"


class SplitImpossibleError(GatewayError):
    """A split plan cannot meet its constraints (fewer distinct values than groups asked for)."""

    reason = "SPLIT_IMPOSSIBLE"


class CollectionNotFoundError(GatewayError):
    """Collections a mutation needs do not exist (the message names every missing one)."""

    reason = "COLLECTION_NOT_FOUND"


class CollectionTypeMismatchError(GatewayError):
    """A collection exists with another type than the operation needs."""

    reason = "COLLECTION_TYPE_MISMATCH"


class ChainChangedError(GatewayError):
    """A compare-and-set chain edit found other children than the caller expected."""

    reason = "CHAIN_CHANGED"


class CollectionHasParentsError(GatewayError):
    """A collection to remove is still a child of CHAINED collections (the message names them)."""

    reason = "COLLECTION_HAS_PARENTS"


class ConcurrentModificationError(GatewayError):
    """Concurrent edits kept aborting a mutation (deadlock, serialization failure) after retries.

    Nothing was applied, so the caller may retry.
    """

    reason = "CONCURRENT_MODIFICATION"


class CollectionCycleError(GatewayError):
    """A chain edit would make a CHAINED collection (indirectly) contain itself."""

    reason = "COLLECTION_CYCLE"
