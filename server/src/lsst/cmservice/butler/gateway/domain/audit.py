"""The audit trail of collection mutations: one structured log line per mutation that changed something."""

from __future__ import annotations

import logging

from .mutations import MutationResult

__all__ = ["AUDIT_LOGGER_NAME", "record_mutation"]

AUDIT_LOGGER_NAME = "lsst.cmservice.butler.gateway.audit"

_LOG = logging.getLogger(AUDIT_LOGGER_NAME)


def record_mutation(result: MutationResult, *, caller: str, repository: str) -> bool:
    """Log one ``collection mutation`` line if ``result`` changed something and was not a dry run.

    The line carries the caller (from the ``x-caller`` metadata; empty if not sent), the
    repository label, the operation, the collection and each changed collection's state before
    and after. Collection names, types, docs and counts only: nothing secret is logged.

    Returns whether a line was written.
    """
    if result.dry_run or not result.changed:
        return False
    _LOG.info(
        "collection mutation",
        extra={
            "audit": True,
            "caller": caller or "unknown",
            "repository": repository,
            "operation": result.operation,
            "collection": result.collection,
            "changes": [change.as_dict() for change in result.changes],
            "attempts": result.attempts,
        },
    )
    return True
