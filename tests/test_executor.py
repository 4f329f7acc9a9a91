"""The blocking pool: admission control and the thread -> event loop stream bridge."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from lsst.cmservice.butler.gateway.errors import GatewayBusyError
from lsst.cmservice.butler.gateway.executor import STREAM_QUEUE_DEPTH, BlockingRunner


async def test_run_uses_pool_threads_and_admission_limit() -> None:
    runner = BlockingRunner(threads=1, max_in_flight=1)
    release = threading.Event()
    try:
        first = asyncio.ensure_future(runner.run(release.wait, 5))
        await asyncio.sleep(0.05)
        assert runner.in_flight == 1
        with pytest.raises(GatewayBusyError, match="maximum of 1"):
            await runner.run(lambda: None)
        release.set()
        assert await first is True
        assert runner.in_flight == 0
        name = await runner.run(lambda: threading.current_thread().name)
        assert name.startswith("butler-worker")
    finally:
        runner.shutdown()


async def test_stream_stays_in_one_thread_and_batches() -> None:
    runner = BlockingRunner(threads=2, max_in_flight=4)
    threads: set[str] = set()

    def produce() -> Iterator[int]:
        for value in range(1050):
            threads.add(threading.current_thread().name)
            yield value

    try:
        batches = [batch async for batch in runner.stream(produce, batch_size=100)]
        assert [len(b) for b in batches] == [100] * 10 + [50]
        assert [v for b in batches for v in b] == list(range(1050))
        assert len(threads) == 1
        assert runner.in_flight == 0
    finally:
        runner.shutdown()


async def test_stream_is_bounded_and_stops_when_consumer_leaves() -> None:
    runner = BlockingRunner(threads=2, max_in_flight=4)
    produced = 0
    closed = threading.Event()

    def produce() -> Iterator[int]:
        nonlocal produced
        try:
            while True:
                produced += 1
                yield produced
        finally:
            closed.set()

    try:
        stream = runner.stream(produce, batch_size=10)
        first = await anext(stream)
        assert first[0] == 1
        await asyncio.sleep(0.3)
        # The producer ran ahead by at most the queue depth (plus the batch it is filling).
        assert produced <= (STREAM_QUEUE_DEPTH + 2) * 10
        await stream.aclose()
        assert await asyncio.to_thread(closed.wait, 5), "the producer was not closed in its thread"
        assert runner.in_flight == 0
    finally:
        runner.shutdown()


async def test_stream_propagates_producer_errors() -> None:
    runner = BlockingRunner(threads=1, max_in_flight=2)

    def produce() -> Iterator[int]:
        yield 1
        raise ValueError("bad row")

    try:
        with pytest.raises(ValueError, match="bad row"):
            async for _ in runner.stream(produce, batch_size=1):
                pass
    finally:
        runner.shutdown()
