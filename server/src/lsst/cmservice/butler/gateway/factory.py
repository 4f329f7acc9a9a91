"""The Butler factory: pre-built templates per repository, short-lived clones per call.

Each repository label has a *generation* of templates: a read-only ``LabeledButlerFactory`` (reads
never wait behind SQLite writers) and, unless the repository is read-only, a writeable one. Both
are built eagerly at start-up, in parallel across repositories, so that every blocking I/O is
front-loaded and the first mutation does not pay ~150 ms of construction. Calls lease a
generation, take their own clone inside their worker thread and close it before the thread is
released, so a Butler is never used by two threads. A refresh builds a new generation beside the
old one; calls in flight finish on the old one, which is closed when its last lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from lsst.daf.butler import Butler, LabeledButlerFactory

from .errors import (
    GatewayBusyError,
    InvalidArgumentError,
    ReadOnlyRepositoryError,
    RepositoryNotFoundError,
    RepositoryUnavailableError,
)
from .executor import BlockingRunner

__all__ = ["ButlerFactory", "RepositoryInfo", "RepositoryState", "RetryPolicy"]

_LOG = logging.getLogger(__name__)


class RepositoryState(enum.Enum):
    """Lifecycle of one repository in the factory."""

    WARMING = "WARMING"
    READY = "READY"
    FAILED = "FAILED"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for failed builds."""

    initial_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after the given number of consecutive failures (>= 1)."""
        base = min(self.max_seconds, self.initial_seconds * 2 ** max(0, failed_attempts - 1))
        return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not cryptography


@dataclass(frozen=True)
class RepositoryInfo:
    """A snapshot of one repository's state, safe to show to callers (no credentials)."""

    label: str
    config_uri: str
    state: RepositoryState
    writeable: bool
    failure_reason: str = ""
    registry_dialect: str = ""
    registry_location: str = ""
    last_refresh_time: datetime.datetime | None = None
    failed_attempts: int = 0
    next_retry_time: datetime.datetime | None = None


class _Generation:
    """One set of built templates, with a lease count so that it is closed only when unused."""

    def __init__(self, label: str, reader: LabeledButlerFactory, writer: LabeledButlerFactory | None) -> None:
        self.label = label
        self.reader = reader
        self.writer = writer
        self.built_at = datetime.datetime.now(datetime.UTC)
        self.dialect = ""
        self.location = ""
        self._leases = 0
        self._retired = False
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            self._leases += 1

    def release(self) -> None:
        with self._lock:
            self._leases -= 1
            close_now = self._retired and self._leases == 0
        if close_now:
            self._close()

    def retire(self) -> None:
        """Close once the last lease ends (at once if none is held)."""
        with self._lock:
            self._retired = True
            close_now = self._leases == 0
        if close_now:
            self._close()

    def _close(self) -> None:
        for factory in (self.reader, self.writer):
            if factory is not None:
                try:
                    factory.close()
                except Exception:
                    _LOG.exception("closing Butler templates of %r failed", self.label)


@dataclass
class _Repository:
    label: str
    config_uri: str
    writeable: bool
    state: RepositoryState = RepositoryState.WARMING
    generation: _Generation | None = None
    failure_reason: str = ""
    failed_attempts: int = 0
    next_retry_time: datetime.datetime | None = None
    build_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    retry_task: asyncio.Task[None] | None = None


def _describe_registry(butler: Butler) -> tuple[str, str]:
    """Dialect and a credential-free location of the registry behind a DirectButler."""
    try:
        url = butler._registry._db._engine.url  # type: ignore[attr-defined]
    except AttributeError:
        return "", ""
    if url.get_backend_name() == "sqlite":
        return "sqlite", str(url.database or "")
    port = f":{url.port}" if url.port else ""
    return url.get_backend_name(), f"{url.host or ''}{port}/{url.database or ''}"


class ButlerFactory:
    """Owns every repository's Butler templates and hands out per-call clones.

    Parameters
    ----------
    repositories
        Label -> Butler config URI, already resolved through the repository index.
    runner
        The blocking pool; builds run there too, so the event loop never waits on I/O.
    read_only
        Labels for which no writeable template is built.
    retry
        Backoff of automatic rebuilds after a failure.
    redact
        Scrubs secrets from failure reasons before they are stored or shown.
    """

    def __init__(
        self,
        repositories: Mapping[str, str],
        runner: BlockingRunner,
        *,
        read_only: Iterable[str] = (),
        retry: RetryPolicy | None = None,
        redact: Callable[[str], str] = str,
    ) -> None:
        read_only = set(read_only)
        self._repositories = {
            label: _Repository(label, uri, writeable=label not in read_only)
            for label, uri in sorted(repositories.items())
        }
        self._runner = runner
        self._retry = retry or RetryPolicy()
        self._redact = redact
        self._closed = False
        # Guards the swap of a repository's generation against leases taken from worker threads.
        self._swap_lock = threading.Lock()

    @property
    def closed(self) -> bool:
        """True once `close` began; a property so that checks after an ``await`` are re-read."""
        return self._closed

    @property
    def labels(self) -> list[str]:
        """Configured labels, sorted."""
        return list(self._repositories)

    # -- lifecycle (event loop) -------------------------------------------------------------------

    async def warm(self) -> None:
        """Build every repository in parallel; return once each has had its first attempt.

        Failures do not raise: the repository is marked FAILED and retried in the background.
        """
        await asyncio.gather(*(self._build(repo) for repo in self._repositories.values()))

    async def refresh(self, label: str) -> RepositoryInfo:
        """Rebuild one repository's templates now (also cancels a pending automatic retry).

        Raises
        ------
        RepositoryNotFoundError
            Unknown label.
        RepositoryUnavailableError
            The rebuild failed; the previous templates, if any, stay in service.
        """
        repo = self._get(label)
        if repo.retry_task is not None:
            repo.retry_task.cancel()
            repo.retry_task = None
        if not await self._build(repo, admit=True):
            raise RepositoryUnavailableError(
                f"rebuilding repository {label!r} failed: {repo.failure_reason}", label=label
            )
        return self.info(label)

    async def close(self) -> None:
        """Cancel retries and close every template (clones in flight keep working until released)."""
        self._closed = True
        for repo in self._repositories.values():
            if repo.retry_task is not None:
                repo.retry_task.cancel()
        for repo in self._repositories.values():
            with self._swap_lock:
                generation, repo.generation = repo.generation, None
            if generation is not None:
                await self._runner.run(generation.retire, admit=False)

    async def _build(self, repo: _Repository, *, admit: bool = False) -> bool:
        # admit=True counts a caller's refresh against the admission limit; warm-up and
        # background retries are the gateway's own work and never refused.
        async with repo.build_lock:
            if self._closed:
                return False
            started = time.perf_counter()
            try:
                generation = await self._runner.run(self._build_generation, repo, admit=admit)
            except GatewayBusyError:
                raise  # refused before it started: says nothing about the repository
            except Exception as exc:
                self._record_failure(repo, exc)
                return False
            if self.closed:  # the gateway shut down while this build ran; the pool may be gone
                generation.retire()
                return False
            with self._swap_lock:
                previous, repo.generation = repo.generation, generation
                repo.state = RepositoryState.READY
                repo.failure_reason = ""
                repo.failed_attempts = 0
                repo.next_retry_time = None
            if previous is not None:
                await self._runner.run(previous.retire, admit=False)
            _LOG.info(
                "repository ready",
                extra={
                    "label": repo.label,
                    "dialect": generation.dialect,
                    "writeable": repo.writeable,
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
            return True

    def _build_generation(self, repo: _Repository) -> _Generation:
        # Runs in a worker thread. create_butler() builds and caches the template (from_config
        # plus preloaded caches); the clone it returns is closed at once.
        mapping = {repo.label: repo.config_uri}
        reader = LabeledButlerFactory(mapping, writeable=False)
        writer = LabeledButlerFactory(mapping, writeable=True) if repo.writeable else None
        try:
            with reader.create_butler(repo.label) as probe:
                dialect, location = _describe_registry(probe)
            if writer is not None:
                writer.create_butler(repo.label).close()
        except BaseException:
            reader.close()
            if writer is not None:
                writer.close()
            raise
        generation = _Generation(repo.label, reader, writer)
        generation.dialect, generation.location = dialect, location
        return generation

    def _record_failure(self, repo: _Repository, exc: BaseException) -> None:
        reason = self._redact(f"{type(exc).__name__}: {exc}".strip())[:1000]
        repo.failed_attempts += 1
        repo.failure_reason = reason
        if repo.generation is None:
            repo.state = RepositoryState.FAILED
        delay = self._retry.delay(repo.failed_attempts)
        _LOG.warning(
            "repository build failed",
            extra={"label": repo.label, "reason": reason, "attempt": repo.failed_attempts},
        )
        if repo.generation is None and not self._closed:
            repo.next_retry_time = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=delay)
            repo.retry_task = asyncio.get_running_loop().create_task(self._retry_later(repo, delay))

    async def _retry_later(self, repo: _Repository, delay: float) -> None:
        await asyncio.sleep(delay)
        repo.retry_task = None
        await self._build(repo)

    # -- queries about repositories ---------------------------------------------------------------

    def _get(self, label: str) -> _Repository:
        if not label:
            raise InvalidArgumentError("a repository label is required", reason="MISSING_LABEL")
        try:
            return self._repositories[label]
        except KeyError:
            raise RepositoryNotFoundError(label, self.labels) from None

    def info(self, label: str) -> RepositoryInfo:
        """Describe one repository (raises `RepositoryNotFoundError` for an unknown label)."""
        repo = self._get(label)
        generation = repo.generation
        return RepositoryInfo(
            label=repo.label,
            config_uri=self._redact(repo.config_uri),
            state=repo.state,
            writeable=repo.writeable,
            failure_reason=repo.failure_reason,
            registry_dialect=generation.dialect if generation else "",
            registry_location=generation.location if generation else "",
            last_refresh_time=generation.built_at if generation else None,
            failed_attempts=repo.failed_attempts,
            next_retry_time=repo.next_retry_time,
        )

    def infos(self) -> list[RepositoryInfo]:
        """Describe every repository, in label order."""
        return [self.info(label) for label in self._repositories]

    # -- clones (worker threads) ------------------------------------------------------------------

    def _lease(self, label: str) -> _Generation:
        repo = self._get(label)
        with self._swap_lock:
            generation = repo.generation
            if generation is None:
                detail = f": {repo.failure_reason}" if repo.failure_reason else ""
                state = repo.state.value.lower()
                raise RepositoryUnavailableError(
                    f"repository {label!r} is not ready ({state}){detail}", label=label
                )
            generation.acquire()
        return generation

    @contextlib.contextmanager
    def reader(self, label: str, collections: Iterable[str] | None = None) -> Iterator[Butler]:
        """A read-only clone for this thread only, closed on exit.

        ``collections`` constrains the clone's default collections; defaults are not inferred
        (``inferDefaults=False`` costs 0.5 ms instead of 12-45 ms), so queries name their governors.
        """
        generation = self._lease(label)
        try:
            with generation.reader.create_butler(label) as template_clone:
                if collections is None:
                    yield template_clone
                    return
                with template_clone.clone(collections=list(collections), inferDefaults=False) as butler:
                    yield butler
        finally:
            generation.release()

    @contextlib.contextmanager
    def writer(
        self, label: str, collections: Iterable[str] | None = None, run: str | None = None
    ) -> Iterator[Butler]:
        """A writeable clone for this thread only, closed on exit.

        Raises
        ------
        RepositoryUnavailableError
            If the repository is not ready.
        ReadOnlyRepositoryError
            If the repository is configured read-only.
        """
        generation = self._lease(label)
        try:
            if generation.writer is None:
                raise ReadOnlyRepositoryError(
                    f"repository {label!r} is served read-only; mutations are refused", label=label
                )
            with generation.writer.create_butler(label) as template_clone:
                if collections is None and run is None:
                    yield template_clone
                    return
                with template_clone.clone(
                    collections=list(collections) if collections is not None else ...,
                    run=run if run is not None else ...,
                    inferDefaults=False,
                ) as butler:
                    yield butler
        finally:
            generation.release()
