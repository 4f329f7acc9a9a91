"""Which failures the client retries, and how long it waits between attempts."""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from .errors import GatewayError

__all__ = ["CallKind", "Deadline", "RetryPolicy", "should_retry"]


class CallKind(enum.Enum):
    """How safe an RPC is to send again after a failure."""

    READ = "read"
    """No side effect: UNAVAILABLE and GATEWAY_BUSY are retried."""

    RETRY_SAFE_MUTATION = "retry-safe mutation"
    """A mutation the server declares idempotent (for example redefining a chain, or a refresh):
    UNAVAILABLE, ABORTED and GATEWAY_BUSY are retried."""

    MUTATION = "mutation"
    """Any other mutation: only GATEWAY_BUSY (refused at admission, before any work) is retried,
    plus ABORTED when the server marks that failure ``retry_safe`` in its ErrorInfo."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by attempts and by the call's deadline.

    The wait before retry ``n`` (1-based) is uniform in ``[0, min(max_backoff, initial_backoff *
    multiplier ** (n - 1))]``; a wait that would pass the call's deadline is not taken and the last
    error is raised instead.

    Parameters
    ----------
    max_attempts
        Attempts in total, the first included; 1 disables retries.
    initial_backoff
        Upper bound of the first wait, in seconds.
    max_backoff
        Upper bound of any wait, in seconds.
    multiplier
        Growth of the bound from one retry to the next.
    """

    max_attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be >= 0 and multiplier >= 1")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, retry: int, rand: Callable[[float, float], float] = random.uniform) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        bound = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return rand(0.0, bound)


class Deadline:
    """The overall deadline of one client call, shared by all its attempts."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._expires = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        if self._expires is None:
            return None
        return max(0.0, self._expires - time.monotonic())

    def allows(self, wait: float) -> bool:
        """Whether waiting ``wait`` seconds still leaves time for another attempt."""
        remaining = self.remaining()
        return remaining is None or remaining > wait


_RETRIED: dict[CallKind, frozenset[grpc.StatusCode]] = {
    CallKind.READ: frozenset({grpc.StatusCode.UNAVAILABLE}),
    CallKind.RETRY_SAFE_MUTATION: frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED}),
    CallKind.MUTATION: frozenset(),
}


def should_retry(error: GatewayError, kind: CallKind) -> bool:
    """Whether a failed attempt of a call of this kind may be sent again."""
    if error.code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        # Only the gateway's admission refusal is known to have done nothing; a message over the
        # size limit (also RESOURCE_EXHAUSTED) would fail again.
        return error.reason == "GATEWAY_BUSY"
    if error.code is grpc.StatusCode.ABORTED and error.metadata.get("retry_safe") == "true":
        return True
    return error.code in _RETRIED[kind]
