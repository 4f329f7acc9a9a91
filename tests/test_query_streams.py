"""Large streams: every row arrives in batches; client cancellation and deadlines stop the producer."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest

from lsst.cmservice.butler.client import AsyncGatewayClient, ClientConfig
from lsst.cmservice.butler.gateway.server import GatewayServer
from lsst.cmservice.butler.v1 import queries_pb2 as pb

from .support.bulk import BULK_RUN, build_bulk_repository
from .support.gateway import running_gateway, settings_for

EXPOSURES, DETECTORS = 400, 25
ROWS = EXPOSURES * DETECTORS


@pytest.fixture(scope="module")
def bulk_repo(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_bulk_repository(
        Path(tmp_path_factory.mktemp("bulk")) / "repo", exposures=EXPOSURES, detectors=DETECTORS
    )


def _request(**kwargs: object) -> pb.QueryDatasetsRequest:
    return pb.QueryDatasetsRequest(label="bulk", dataset_type="raw", collections=[BULK_RUN], **kwargs)  # type: ignore[arg-type]


async def _wait_idle(server: GatewayServer, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while server.runner.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert server.runner.in_flight == 0


async def test_full_stream_returns_every_row_in_batches(bulk_repo: str) -> None:
    async with running_gateway(settings_for({"bulk": bulk_repo})) as (server, stub):
        sizes = []
        ids: set[str] = set()
        async for message in stub.QueryDatasets(_request()):
            sizes.append(len(message.refs))
            ids.update(ref.id for ref in message.refs)
            assert not message.truncated
        assert len(ids) == ROWS
        assert max(sizes) == 500
        assert len(sizes) == -(-ROWS // 500)
        await _wait_idle(server)


async def test_client_cancel_stops_the_producer(bulk_repo: str) -> None:
    async with running_gateway(settings_for({"bulk": bulk_repo})) as (server, stub):
        call = stub.QueryDatasets(_request())
        first = await call.read()
        assert isinstance(first, pb.QueryDatasetsResponse)
        assert len(first.refs) == 500
        assert server.runner.in_flight == 1
        call.cancel()
        # The admission slot is released and the pool serves the next query.
        await _wait_idle(server)
        count = await stub.CountDatasets(
            pb.CountDatasetsRequest(label="bulk", dataset_type="raw", collections=[BULK_RUN])
        )
        assert count.count == ROWS


async def test_deadline_stops_a_slow_consumer(bulk_repo: str) -> None:
    settings = settings_for({"bulk": bulk_repo}, worker_threads=1)
    async with running_gateway(settings) as (server, stub):
        call = stub.QueryDatasets(_request(), timeout=1.0)

        async def read_slowly() -> None:
            async for _ in call:
                await asyncio.sleep(0.3)  # far slower than the producer: the queue fills up

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await read_slowly()
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await _wait_idle(server)
        # With one worker thread, this answers only if the stream's producer has let go of it.
        count = await asyncio.wait_for(
            stub.CountDatasets(
                pb.CountDatasetsRequest(label="bulk", dataset_type="raw", collections=[BULK_RUN])
            ),
            timeout=5,
        )
        assert count.count == ROWS


async def test_event_loop_stays_free_during_a_stream(bulk_repo: str) -> None:
    async with running_gateway(settings_for({"bulk": bulk_repo})) as (_, stub):
        stalls: list[float] = []

        async def tick() -> None:
            while True:
                started = time.perf_counter()
                await asyncio.sleep(0.01)
                stalls.append(time.perf_counter() - started - 0.01)

        ticker = asyncio.create_task(tick())
        rows = 0
        async for message in stub.QueryDatasets(_request()):
            rows += len(message.refs)
        ticker.cancel()
        assert rows == ROWS
        # The client and the server share this loop; row production runs in a worker thread, so
        # the loop never stalls for long (the GIL still shares time with that thread).
        assert max(stalls) < 0.5


async def test_client_break_cancels_the_call(bulk_repo: str) -> None:
    async with (
        running_gateway(settings_for({"bulk": bulk_repo})) as (server, _),
        AsyncGatewayClient(ClientConfig(address=server.target)) as client,
    ):
        seen = 0
        async for ref in client.query_datasets("bulk", "raw", [BULK_RUN]):
            seen += 1
            assert ref.dataset_type == "raw"
            # The producer is still running: rows are pending beyond the first batch.
            assert server.runner.in_flight == 1
            if seen == 600:  # the client flattens the batches: this is inside the second one
                break
        # Dropping the stream on break cancels the call and releases the admission slot.
        await _wait_idle(server)
        assert await client.count_datasets("bulk", "raw", [BULK_RUN]) == ROWS
