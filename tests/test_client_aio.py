"""The async client end to end against a real gateway: results, typed errors, retries, deadlines."""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
import threading
import time
from pathlib import Path

import grpc
import pytest

from lsst.cmservice.butler.client import (
    AsyncGatewayClient,
    ClientConfig,
    DeadlineExceededError,
    GatewayBusyError,
    InvalidArgumentError,
    NotFoundError,
    RepositoryNotFoundError,
    RepositoryState,
    RepositoryUnavailableError,
    RetryPolicy,
    ServingStatus,
    UnauthenticatedError,
    UnavailableError,
)
from lsst.cmservice.butler.gateway.server import SERVICE_NAME, GatewayServer

from .conftest import RepoUnderTest
from .support.gateway import settings_for

QUICK_RETRY = RetryPolicy(max_attempts=20, initial_backoff=0.05, max_backoff=0.3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("transport", ["tcp", "unix"])
async def test_repository_methods(any_repo: RepoUnderTest, transport: str, tmp_path: Path) -> None:
    listen = {"listen_address": "", "unix_socket": tmp_path / "gw.sock"} if transport == "unix" else {}
    settings = settings_for(
        {any_repo.label: any_repo.config_uri}, db_auth_credentials=any_repo.credentials_json, **listen
    )
    server = GatewayServer(settings)
    await server.start()
    try:
        if transport == "unix":
            assert server.target.startswith("unix:/")
        async with AsyncGatewayClient(ClientConfig(address=server.target)) as client:
            listed = await client.list_repositories()
            assert [r.label for r in listed] == [any_repo.label]
            repository = await client.get_repository(any_repo.label, timeout=10)
            assert repository == listed[0]
            assert repository.state is RepositoryState.READY
            assert repository.ready
            assert repository.registry_dialect == any_repo.dialect
            assert repository.writeable
            assert repository.config_uri == any_repo.config_uri
            assert repository.next_retry_time is None
            assert repository.last_refresh_time is not None
            assert repository.last_refresh_time.tzinfo is datetime.UTC
            assert repository.last_refresh_time <= datetime.datetime.now(datetime.UTC)
            refreshed = await client.refresh_repository(any_repo.label)
            assert refreshed.last_refresh_time is not None
            assert refreshed.last_refresh_time > repository.last_refresh_time
            assert await client.check_health() is ServingStatus.SERVING
            assert await client.check_health(SERVICE_NAME) is ServingStatus.SERVING
    finally:
        await server.stop(0)


async def test_typed_errors_carry_reason_metadata_and_cause(sqlite_repo: RepoUnderTest) -> None:
    server = GatewayServer(settings_for({"main": sqlite_repo.config_uri}))
    await server.start()
    try:
        config = ClientConfig(address=server.target, send_request_ids=True)
        async with AsyncGatewayClient(config) as client:
            with pytest.raises(RepositoryNotFoundError) as caught:
                await client.get_repository("nope")
            error = caught.value
            assert isinstance(error, NotFoundError)
            assert error.code is grpc.StatusCode.NOT_FOUND
            assert error.reason == "REPOSITORY_NOT_FOUND"
            assert error.metadata["label"] == "nope"
            assert error.request_id is not None
            assert len(error.request_id) == 16
            assert "'main'" in error.message
            assert error.attempts == 1  # NOT_FOUND is never retried
            assert isinstance(error.__cause__, grpc.aio.AioRpcError)

            with pytest.raises(InvalidArgumentError) as missing:
                await client.refresh_repository("", metadata=[("x-request-id", "caller-chosen-id")])
            assert type(missing.value) is InvalidArgumentError  # no dedicated class: falls back to the code's
            assert missing.value.reason == "MISSING_LABEL"
            assert missing.value.request_id == "caller-chosen-id"
    finally:
        await server.stop(0)


async def test_token_and_caller_are_sent(
    sqlite_repo: RepoUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    token = "s3cret-token-for-the-client"
    server = GatewayServer(settings_for({"main": sqlite_repo.config_uri}, auth_token=token))
    await server.start()
    try:
        for wrong in (None, "not-the-token"):
            async with AsyncGatewayClient(ClientConfig(address=server.target, token=wrong)) as client:
                with pytest.raises(UnauthenticatedError) as caught:
                    await client.list_repositories()
                assert caught.value.reason == "UNAUTHENTICATED"
                assert caught.value.attempts == 1
                # Health stays open without the token (Kubernetes probes).
                assert await client.check_health() is ServingStatus.SERVING
        config = ClientConfig(address=server.target, token=token, caller="cm-service-test")
        assert token not in repr(config)
        caplog.set_level(logging.INFO, logger="lsst.cmservice.butler.gateway.rpc")
        async with AsyncGatewayClient(config) as client:
            assert [r.label for r in await client.list_repositories()] == ["main"]
        # The gateway's access log names the caller the client announced.
        logged = [r for r in caplog.records if getattr(r, "method", None) == "ListRepositories"]
        assert [getattr(r, "caller", None) for r in logged] == ["cm-service-test"]
    finally:
        await server.stop(0)


async def test_gateway_busy_is_typed_then_retried(
    sqlite_repo: RepoUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for({"main": sqlite_repo.config_uri}, worker_threads=1, max_concurrent_calls=1)
    server = GatewayServer(settings)
    await server.start()
    release = threading.Event()
    blocker = asyncio.ensure_future(server.runner.run(release.wait, 30))
    try:
        await asyncio.sleep(0.1)
        no_retry = ClientConfig(address=server.target, retry=RetryPolicy.disabled())
        async with AsyncGatewayClient(no_retry) as client:
            with pytest.raises(GatewayBusyError) as caught:
                await client.refresh_repository("main")
            assert caught.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
            assert caught.value.reason == "GATEWAY_BUSY"
        # With retries, the call succeeds once the pool frees up.
        asyncio.get_running_loop().call_later(0.4, release.set)
        caplog.set_level(logging.DEBUG, logger="lsst.cmservice.butler.client")
        async with AsyncGatewayClient(ClientConfig(address=server.target, retry=QUICK_RETRY)) as client:
            refreshed = await client.refresh_repository("main", timeout=20)
        assert refreshed.state is RepositoryState.READY
        assert any("after RESOURCE_EXHAUSTED" in r.getMessage() for r in caplog.records)
    finally:
        release.set()
        await blocker
        await server.stop(0)


async def test_repository_unavailable_retried_within_the_deadline(
    sqlite_repo: RepoUnderTest, tmp_path: Path
) -> None:
    settings = settings_for(
        {"main": sqlite_repo.config_uri, "broken": str(tmp_path / "none" / "butler.yaml")}
    )
    server = GatewayServer(settings)
    await server.start()
    try:
        three = ClientConfig(address=server.target, retry=RetryPolicy(max_attempts=3, initial_backoff=0.01))
        async with AsyncGatewayClient(three) as client:
            broken = await client.get_repository("broken")
            assert broken.state is RepositoryState.FAILED
            assert broken.next_retry_time is not None
            with pytest.raises(RepositoryUnavailableError) as caught:
                await client.refresh_repository("broken")
            assert isinstance(caught.value, UnavailableError)
            assert caught.value.reason == "REPOSITORY_UNAVAILABLE"
            assert caught.value.attempts == 3
        # Many attempts allowed, but the call's deadline bounds them.
        many = ClientConfig(address=server.target, retry=RetryPolicy(max_attempts=1000, initial_backoff=0.2))
        async with AsyncGatewayClient(many) as client:
            started = time.monotonic()
            with pytest.raises(UnavailableError) as bounded:
                await client.refresh_repository("broken", timeout=1.0)
            assert time.monotonic() - started < 2.5
            assert 1 < bounded.value.attempts < 100
    finally:
        await server.stop(0)


async def test_deadline_expiry_is_typed(sqlite_repo: RepoUnderTest) -> None:
    # One worker thread held busy: the next Butler call waits for it past its deadline.
    settings = settings_for({"main": sqlite_repo.config_uri}, worker_threads=1, max_concurrent_calls=4)
    server = GatewayServer(settings)
    await server.start()
    release = threading.Event()
    blocker = asyncio.ensure_future(server.runner.run(release.wait, 30))
    try:
        async with AsyncGatewayClient(ClientConfig(address=server.target)) as client:
            started = time.monotonic()
            with pytest.raises(DeadlineExceededError) as caught:
                await client.refresh_repository("main", timeout=0.5)
            assert 0.4 < time.monotonic() - started < 3
            assert caught.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
            assert caught.value.attempts == 1  # a passed deadline is final
            # The config's default timeout applies when the call gives none.
        short = ClientConfig(address=server.target, timeout=0.3)
        async with AsyncGatewayClient(short) as client:
            with pytest.raises(DeadlineExceededError):
                await client.refresh_repository("main")
    finally:
        release.set()
        await blocker
        await server.stop(0)


async def test_retry_succeeds_after_gateway_briefly_unavailable(sqlite_repo: RepoUnderTest) -> None:
    port = _free_port()
    settings = settings_for({"main": sqlite_repo.config_uri}, listen_address=f"127.0.0.1:{port}")
    config = ClientConfig(address=f"127.0.0.1:{port}", retry=QUICK_RETRY)
    async with AsyncGatewayClient(config) as client:
        # The call starts before anything listens on the port.
        call = asyncio.ensure_future(client.list_repositories(timeout=30))
        await asyncio.sleep(0.5)
        assert not call.done()
        first = GatewayServer(settings)
        await first.start()
        try:
            assert [r.label for r in await call] == ["main"]
        finally:
            await first.stop(0)
        # A restart on the same port: the same client (and channel) carries on.
        again = asyncio.ensure_future(client.get_repository("main", timeout=30))
        await asyncio.sleep(0.5)
        assert not again.done()
        second = GatewayServer(settings)
        await second.start()
        try:
            assert (await again).label == "main"
        finally:
            await second.stop(0)
    # Without retries the same outage is an UnavailableError at once.
    async with AsyncGatewayClient(
        ClientConfig(address=config.address, retry=RetryPolicy.disabled())
    ) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.list_repositories(timeout=5)
        assert caught.value.reason == ""  # from the transport, not the gateway


async def test_stream_break_cancels_the_call(sqlite_repo: RepoUnderTest) -> None:
    server = GatewayServer(settings_for({"main": sqlite_repo.config_uri}))
    await server.start()
    try:
        watchers = server.health._watcher_count_by_service
        async with AsyncGatewayClient(ClientConfig(address=server.target)) as client:
            stream = client.watch_health()
            async for status in stream:
                assert status is ServingStatus.SERVING
                break
            call = stream.call
            assert call is not None
            assert watchers.get("") == 1  # the server still streams to us ...
            del stream  # ... until the loop's stream is dropped
            await asyncio.wait_for(call.code(), 5)
            assert await call.code() == grpc.StatusCode.CANCELLED
            for _ in range(50):
                if "" not in watchers:
                    break
                await asyncio.sleep(0.05)
            assert "" not in watchers

            # `async with` cancels at the end of the block.
            async with client.watch_health() as statuses:
                assert await anext(statuses) is ServingStatus.SERVING
                assert watchers.get("") == 1
            assert statuses.call is not None
            assert await asyncio.wait_for(statuses.call.code(), 5) == grpc.StatusCode.CANCELLED
            assert [s async for s in statuses] == []
    finally:
        await server.stop(0)


async def test_wait_until_serving_waits_for_a_late_gateway(sqlite_repo: RepoUnderTest) -> None:
    port = _free_port()
    settings = settings_for({"main": sqlite_repo.config_uri}, listen_address=f"127.0.0.1:{port}")
    async with AsyncGatewayClient(ClientConfig(address=f"127.0.0.1:{port}")) as client:
        with pytest.raises(UnavailableError):
            await client.wait_until_serving(timeout=0.5)
        waiting = asyncio.ensure_future(client.wait_until_serving(timeout=30))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        server = GatewayServer(settings)
        await server.start()
        try:
            await waiting
            assert await client.check_health() is ServingStatus.SERVING
        finally:
            await server.stop(0)
