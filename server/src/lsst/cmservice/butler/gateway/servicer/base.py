"""State shared by every RPC family of the servicer."""

from __future__ import annotations

from ..config import GatewaySettings
from ..executor import BlockingRunner
from ..factory import ButlerFactory
from ..redaction import Redactor

__all__ = ["ServicerBase"]


class ServicerBase:
    """Holds the factory, the blocking pool and the redactor; RPC families subclass it.

    Handlers stay thin: convert the request, run domain code on the pool, convert the result.
    """

    def __init__(
        self, settings: GatewaySettings, factory: ButlerFactory, runner: BlockingRunner, redactor: Redactor
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.runner = runner
        self._redactor = redactor

    def redact(self, text: str) -> str:
        """Remove secrets from text bound for a caller or a log line."""
        return self._redactor(text)
