"""The explicitly sized thread pool that runs blocking Butler work off the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .errors import GatewayBusyError

__all__ = ["BlockingRunner"]

T = TypeVar("T")

# Rows cross from the worker thread to the event loop in batches: one hop per row would cost more
# than the row itself.
DEFAULT_STREAM_BATCH = 500
# Batches buffered between producer thread and consumer; bounds the server's memory per stream.
STREAM_QUEUE_DEPTH = 4


class BlockingRunner:
    """Runs blocking callables on a dedicated pool, with admission control.

    The event loop (and with it the health service) never runs Butler code. Calls beyond
    ``max_in_flight`` (running plus waiting for a thread) fail at once with
    `GatewayBusyError` instead of queueing without bound. Context variables (the request id)
    follow the work into the thread.

    Parameters
    ----------
    threads
        Worker threads; each Butler call holds one thread and one database connection.
    max_in_flight
        Calls admitted at once.
    """

    def __init__(self, threads: int, max_in_flight: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="butler-worker")
        self.threads = threads
        self.max_in_flight = max_in_flight
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Calls admitted and not yet finished."""
        return self._in_flight

    def _admit(self) -> None:
        if self._in_flight >= self.max_in_flight:
            raise GatewayBusyError(
                f"the gateway is running its maximum of {self.max_in_flight} Butler calls; retry shortly"
            )
        self._in_flight += 1

    async def run(self, function: Callable[..., T], /, *args: object, admit: bool = True) -> T:
        """Run ``function(*args)`` on the pool and await its result.

        ``admit=False`` bypasses admission control, for the gateway's own work (repository builds).
        A cancelled caller does not stop a thread already running; the result is then discarded.
        """
        if admit:
            self._admit()
        try:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            call = functools.partial(context.run, function, *args)
            return await loop.run_in_executor(self._pool, call)
        finally:
            if admit:
                self._in_flight -= 1

    async def stream(
        self, produce: Callable[[], Iterator[T]], *, batch_size: int = DEFAULT_STREAM_BATCH
    ) -> AsyncGenerator[list[T], None]:
        """Iterate ``produce()`` in one worker thread and yield its items in batches.

        The whole iteration, including any Butler clone it opens, stays in one thread. The
        producer blocks when the consumer is ``STREAM_QUEUE_DEPTH`` batches behind (bounded memory)
        and stops at its next item once the consumer goes away (client cancel, deadline, break).
        """
        self._admit()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[list[T] | BaseException | None] = asyncio.Queue()
        # Credits bound what the producer may run ahead; the consumer returns one per batch taken.
        credits = threading.Semaphore(STREAM_QUEUE_DEPTH)
        stop = threading.Event()

        def hand_over(item: list[T] | BaseException | None) -> bool:
            # Blocks this worker thread until the consumer has room; False once it went away.
            while not credits.acquire(timeout=0.25):
                if stop.is_set():
                    return False
            if stop.is_set():
                return False
            loop.call_soon_threadsafe(queue.put_nowait, item)
            return True

        def pump() -> None:
            iterator = produce()
            try:
                chunk: list[T] = []
                for item in iterator:
                    chunk.append(item)
                    if len(chunk) >= batch_size:
                        if not hand_over(chunk):
                            return
                        chunk = []
                    elif stop.is_set():
                        return
                if chunk and not hand_over(chunk):
                    return
                hand_over(None)
            except BaseException as exc:
                hand_over(exc)
            finally:
                # Close the generator here, in its own thread, so that the Butler clone it holds
                # is released by the thread that used it (not later by the garbage collector).
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()

        context = contextvars.copy_context()
        worker = loop.run_in_executor(self._pool, functools.partial(context.run, pump))
        try:
            while True:
                item = await queue.get()
                credits.release()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            self._in_flight -= 1
            # Let the producer notice; do not wait on it (it may be inside a slow query).
            worker.add_done_callback(lambda f: None if f.cancelled() else f.exception())

    def shutdown(self) -> None:
        """Stop accepting work; threads finish what they run."""
        self._pool.shutdown(wait=False, cancel_futures=True)
