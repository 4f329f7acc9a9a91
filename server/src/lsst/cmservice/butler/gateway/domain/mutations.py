"""How every collection mutation runs: one transaction, dry runs rolled back, deadlocks retried.

A mutation is a function (the *body*) that takes a writeable clone and fills in a `MutationResult`.
`run_mutation` runs it inside ONE ``butler.transaction()`` so that a failure part-way leaves the
repository as it was; a dry run executes exactly the same body and then rolls the transaction back,
so its report comes from the real effects. Transactions that PostgreSQL aborts as deadlocked or
unserializable are retried with backoff on a fresh clone, then reported as
`ConcurrentModificationError` (nothing applied).
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy.exc
from lsst.daf.butler import Butler, CollectionType

from ..errors import ConcurrentModificationError
from ..factory import ButlerFactory

__all__ = [
    "RETRYABLE_SQLSTATES",
    "CollectionChange",
    "CollectionSnapshot",
    "MutationBody",
    "MutationResult",
    "RetrySettings",
    "checkpoint",
    "inject_fault",
    "run_mutation",
]

_LOG = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL SQLSTATEs retried inside the gateway: deadlock detected, serialization failure."""


@dataclass(frozen=True)
class CollectionSnapshot:
    """A collection as it was before or is after a mutation."""

    name: str
    kind: CollectionType
    doc: str = ""
    children: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """Plain form for audit lines."""
        entry: dict[str, object] = {"type": self.kind.name, "doc": self.doc}
        if self.kind is CollectionType.CHAINED:
            entry["children"] = list(self.children)
        return entry


@dataclass(frozen=True)
class CollectionChange:
    """What a mutation did to one collection (``before``/``after`` None: did not / does not exist)."""

    name: str
    before: CollectionSnapshot | None
    after: CollectionSnapshot | None
    datasets_added: int = 0
    datasets_removed: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain form for audit lines."""
        return {
            "collection": self.name,
            "before": self.before.as_dict() if self.before else None,
            "after": self.after.as_dict() if self.after else None,
            "datasets_added": self.datasets_added,
            "datasets_removed": self.datasets_removed,
        }


@dataclass
class MutationResult:
    """The outcome of one mutation (or, with ``dry_run``, the outcome it would have)."""

    operation: str
    collection: str
    dry_run: bool
    changes: list[CollectionChange] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    children: tuple[str, ...] = ()
    datasets: int = 0
    doc_updated: bool = False
    removed: bool = False
    unlinked_from: list[str] = field(default_factory=list)
    snapshot: CollectionSnapshot | None = None
    attempts: int = 1

    @property
    def changed(self) -> bool:
        """Whether anything changed (would change)."""
        return bool(self.changes)


@dataclass(frozen=True)
class RetrySettings:
    """Backoff of transactions aborted by PostgreSQL as deadlocked or unserializable."""

    max_attempts: int = 8
    initial_seconds: float = 0.02
    max_seconds: float = 1.0

    def delay(self, failed_attempts: int) -> float:
        """Seconds to sleep after the given number of aborted attempts (with jitter)."""
        base = min(self.max_seconds, self.initial_seconds * 2 ** (failed_attempts - 1))
        return base * random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not cryptography


class _RollBackError(Exception):
    """Raised at the end of a dry run's transaction so that it is rolled back."""


# -- fault injection (tests force a failure between two steps of a real mutation) ------------------

_fault_hook: Callable[[str], None] | None = None


@contextlib.contextmanager
def inject_fault(step: str, error: Exception) -> Iterator[None]:
    """Raise ``error`` when a mutation reaches the named step (``"operation:step"``), for tests.

    Steps: ``ensure:created``, ``assemble:created``, ``assemble:disassociated``, ``chain:created``,
    ``chain:edited``, ``remove:unlinked``, ``remove:removed``, ``disassociate:done``.
    """
    global _fault_hook

    def hook(reached: str) -> None:
        if reached == step:
            raise error

    previous, _fault_hook = _fault_hook, hook
    try:
        yield
    finally:
        _fault_hook = previous


def checkpoint(step: str) -> None:
    if _fault_hook is not None:
        _fault_hook(step)


def _is_retryable(exc: BaseException) -> bool:
    # Walk the cause chain: daf_butler sometimes re-raises driver errors wrapped in its own.
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        candidates: list[object] = [current]
        if isinstance(current, sqlalchemy.exc.DBAPIError):
            candidates.append(current.orig)
        for candidate in candidates:
            if getattr(candidate, "sqlstate", None) in RETRYABLE_SQLSTATES:
                return True
        current = current.__cause__ or current.__context__
    return False


# -- the transaction runner -----------------------------------------------------------------------

MutationBody = Callable[[Butler, MutationResult, list[Callable[[], None]]], None]


def run_mutation(
    factory: ButlerFactory,
    label: str,
    result_template: MutationResult,
    body: MutationBody,
    retry: RetrySettings | None = None,
) -> MutationResult:
    """Run ``body`` in one transaction on a fresh writeable clone; roll back for a dry run.

    ``body`` fills in a fresh copy of the result and may queue actions to run after the commit
    (emptying the datastore trash of removed datasets, which cannot be rolled back).
    """
    retry = retry or RetrySettings()
    attempt = 0
    while True:
        attempt += 1
        result = MutationResult(
            result_template.operation, result_template.collection, result_template.dry_run
        )
        after_commit: list[Callable[[], None]] = []
        try:
            with factory.writer(label) as butler:
                try:
                    with butler.transaction():
                        body(butler, result, after_commit)
                        if result.dry_run:
                            raise _RollBackError
                except _RollBackError:
                    pass
                else:
                    for action in after_commit:
                        action()
        except Exception as exc:
            if not _is_retryable(exc):
                raise
            if attempt >= retry.max_attempts:
                raise ConcurrentModificationError(
                    f"{result.operation} of {result.collection!r} was aborted {attempt} times by "
                    "concurrent edits (deadlock or serialization failure); nothing was applied, retry",
                    retry_safe="true",
                ) from None
            delay = retry.delay(attempt)
            _LOG.info(
                "collection mutation aborted by the database, retrying",
                extra={"operation": result.operation, "collection": result.collection, "attempt": attempt},
            )
            time.sleep(delay)
            continue
        result.attempts = attempt
        return result
