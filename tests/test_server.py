"""The foundation through a real server: warm-up, repositories, health, auth, errors, shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lsst.daf.butler import Butler, DataIdValueError
from lsst.resources import ResourcePath

from lsst.cmservice.butler.gateway import demo
from lsst.cmservice.butler.gateway.server import SERVICE_NAME, GatewayServer
from lsst.cmservice.butler.v1 import gateway_pb2_grpc
from lsst.cmservice.butler.v1 import repositories_pb2 as pb

from .conftest import RepoUnderTest
from .support.gateway import error_info, running_gateway, settings_for
from .support.postgres import PostgresServer

READY = pb.REPOSITORY_STATE_READY
FAILED = pb.REPOSITORY_STATE_FAILED


async def _health(target: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(target) as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5
        )
        return int(response.status)


async def _wait_for_state(
    stub: gateway_pb2_grpc.ButlerGatewayServiceAsyncStub, label: str, state: int, timeout: float = 20
) -> pb.Repository:
    deadline = time.monotonic() + timeout
    while True:
        repository = (await stub.GetRepository(pb.GetRepositoryRequest(label=label))).repository
        if repository.state == state or time.monotonic() > deadline:
            return repository
        await asyncio.sleep(0.1)


async def test_warm_up_then_serving(any_repo: RepoUnderTest) -> None:
    settings = settings_for(
        {any_repo.label: any_repo.config_uri}, db_auth_credentials=any_repo.credentials_json
    )
    async with running_gateway(settings) as (server, stub):
        # start() returns only after the warm-up, so SERVING is already reported.
        assert await _health(server.target) == health_pb2.HealthCheckResponse.SERVING
        assert await _health(server.target, SERVICE_NAME) == health_pb2.HealthCheckResponse.SERVING
        listed = (await stub.ListRepositories(pb.ListRepositoriesRequest())).repositories
        assert [r.label for r in listed] == [any_repo.label]
        repository = listed[0]
        assert repository.state == READY
        assert repository.registry_dialect == any_repo.dialect
        assert repository.writeable
        assert repository.failure_reason == ""
        assert repository.HasField("last_refresh_time")
        assert repository.config_uri == any_repo.config_uri
        for credential in any_repo.credentials:
            assert credential["password"] not in str(repository)
        if any_repo.dialect == "postgresql":
            assert repository.registry_location.startswith("127.0.0.1:")
            assert "@" not in repository.registry_location


async def test_read_only_repository_is_reported(sqlite_repo: RepoUnderTest) -> None:
    settings = settings_for({"ro": sqlite_repo.config_uri}, read_only_repositories=["ro"])
    async with running_gateway(settings) as (_server, stub):
        repository = (await stub.GetRepository(pb.GetRepositoryRequest(label="ro"))).repository
        assert repository.state == READY
        assert not repository.writeable


async def test_unknown_and_missing_label(sqlite_repo: RepoUnderTest) -> None:
    async with running_gateway(settings_for({"main": sqlite_repo.config_uri})) as (_, stub):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetRepository(pb.GetRepositoryRequest(label="nope"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        info = error_info(caught.value)
        assert info.reason == "REPOSITORY_NOT_FOUND"
        assert info.metadata["label"] == "nope"
        assert "'main'" in (caught.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RefreshRepository(pb.RefreshRepositoryRequest(label=""))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(caught.value).reason == "MISSING_LABEL"


async def test_failing_repository_beside_a_good_one_recovers(
    sqlite_repo: RepoUnderTest, tmp_path: Path
) -> None:
    broken_root = tmp_path / "later"
    settings = settings_for({"good": sqlite_repo.config_uri, "broken": str(broken_root / "butler.yaml")})
    async with running_gateway(settings) as (server, stub):
        assert await _health(server.target) == health_pb2.HealthCheckResponse.SERVING
        good = (await stub.GetRepository(pb.GetRepositoryRequest(label="good"))).repository
        assert good.state == READY
        broken = (await stub.GetRepository(pb.GetRepositoryRequest(label="broken"))).repository
        assert broken.state == FAILED
        assert "butler.yaml" in broken.failure_reason
        assert broken.failed_attempts >= 1
        assert broken.HasField("next_retry_time")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RefreshRepository(pb.RefreshRepositoryRequest(label="broken"))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(caught.value).reason == "REPOSITORY_UNAVAILABLE"
        # Fix it: the repository appears where the label points; the backoff retry picks it up.
        shutil.copytree(Path(ResourcePath(sqlite_repo.config_uri).ospath).parent, broken_root)
        recovered = await _wait_for_state(stub, "broken", READY)
        assert recovered.state == READY, recovered.failure_reason
        assert recovered.failed_attempts == 0
        assert not recovered.HasField("next_retry_time")


@pytest.mark.postgres
async def test_database_down_at_start_then_back(pg_repo: RepoUnderTest, postgres: PostgresServer) -> None:
    settings = settings_for({"pg": pg_repo.config_uri}, db_auth_credentials=pg_repo.credentials_json)
    postgres.pause()
    try:
        server = GatewayServer(settings)
        await server.start()
    finally:
        postgres.resume()
    try:
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
            listed = (await stub.ListRepositories(pb.ListRepositoriesRequest())).repositories
            # The start-up attempt failed while the database was down; it was not cached forever.
            assert listed[0].failed_attempts >= 1 or listed[0].state == READY
            assert pg_repo.credentials[0]["password"] not in listed[0].failure_reason
            recovered = await _wait_for_state(stub, "pg", READY)
            assert recovered.state == READY
    finally:
        await server.stop(0)


@pytest.mark.postgres
async def test_database_down_while_serving_is_unavailable(
    pg_repo: RepoUnderTest, postgres: PostgresServer
) -> None:
    settings = settings_for({"pg": pg_repo.config_uri}, db_auth_credentials=pg_repo.credentials_json)
    async with running_gateway(settings) as (_server, stub):
        with postgres.stop_temporarily():
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.RefreshRepository(pb.RefreshRepositoryRequest(label="pg"), timeout=30)
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert error_info(caught.value).reason == "REPOSITORY_UNAVAILABLE"
            assert pg_repo.credentials[0]["password"] not in (caught.value.details() or "")
            # The old templates stay in service while the rebuild fails.
            still = (await stub.GetRepository(pb.GetRepositoryRequest(label="pg"))).repository
            assert still.state == READY
            assert still.failure_reason
        refreshed = (await stub.RefreshRepository(pb.RefreshRepositoryRequest(label="pg"))).repository
        assert refreshed.state == READY
        assert refreshed.failure_reason == ""


@pytest.mark.postgres
async def test_db_auth_file_is_never_read(
    pg_repo: RepoUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = pg_repo.credentials[0]
    home = tmp_path / "home"
    (home / ".lsst").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))

    def write_auth_file(path: Path, password: str) -> None:
        path.write_text(
            json.dumps([{"url": entry["url"], "username": entry["username"], "password": password}])
        )
        path.chmod(0o600)

    # Wrong credentials in both DbAuth file locations; right ones in LSST_DB_AUTH_CREDENTIALS.
    write_auth_file(home / ".lsst" / "db-auth.yaml", "wrong-password")
    write_auth_file(tmp_path / "other-auth.yaml", "wrong-password")
    monkeypatch.setenv("LSST_DB_AUTH", str(tmp_path / "other-auth.yaml"))
    settings = settings_for({"pg": pg_repo.config_uri}, db_auth_credentials=pg_repo.credentials_json)
    async with running_gateway(settings) as (_, stub):
        repository = (await stub.GetRepository(pb.GetRepositoryRequest(label="pg"))).repository
        assert repository.state == READY, repository.failure_reason

    # Right credentials only in the files: the gateway must not use them.
    write_auth_file(home / ".lsst" / "db-auth.yaml", entry["password"])
    write_auth_file(tmp_path / "other-auth.yaml", entry["password"])
    monkeypatch.setenv("PGPASSWORD", entry["password"])
    monkeypatch.delenv("LSST_DB_AUTH_CREDENTIALS", raising=False)
    async with running_gateway(settings_for({"pg": pg_repo.config_uri})) as (_, stub):
        repository = (await stub.GetRepository(pb.GetRepositoryRequest(label="pg"))).repository
        assert repository.state == FAILED
        assert "password" in repository.failure_reason.lower()
        assert entry["password"] not in repository.failure_reason


async def test_token_required_except_for_health(sqlite_repo: RepoUnderTest) -> None:
    token = "correct-horse-battery-staple"
    settings = settings_for({"main": sqlite_repo.config_uri}, auth_token=token)
    async with running_gateway(settings) as (server, stub):
        for metadata in ((), (("authorization", "Bearer wrong"),), (("authorization", token),)):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ListRepositories(pb.ListRepositoriesRequest(), metadata=metadata)
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert error_info(caught.value).reason == "UNAUTHENTICATED"
            assert token not in (caught.value.details() or "")
        ok = await stub.ListRepositories(
            pb.ListRepositoriesRequest(), metadata=(("authorization", f"Bearer {token}"),)
        )
        assert [r.label for r in ok.repositories] == ["main"]
        assert await _health(server.target) == health_pb2.HealthCheckResponse.SERVING


async def test_unix_socket_owner_only(sqlite_repo: RepoUnderTest, tmp_path: Path) -> None:
    socket_path = tmp_path / "run" / "gateway.sock"
    settings = settings_for({"main": sqlite_repo.config_uri}, listen_address="", unix_socket=socket_path)
    async with running_gateway(settings) as (server, stub):
        assert server.target == f"unix:{socket_path}"
        assert stat.S_IMODE(socket_path.stat().st_mode) == 0o600
        listed = await stub.ListRepositories(pb.ListRepositoriesRequest())
        assert listed.repositories[0].state == READY
    assert not socket_path.exists()


async def test_unix_socket_mode_configurable(sqlite_repo: RepoUnderTest, tmp_path: Path) -> None:
    socket_path = tmp_path / "gateway.sock"
    settings = settings_for(
        {"main": sqlite_repo.config_uri}, listen_address="", unix_socket=socket_path, unix_socket_mode=0o660
    )
    async with running_gateway(settings):
        assert stat.S_IMODE(socket_path.stat().st_mode) == 0o660


async def test_health_answers_while_pool_is_saturated(sqlite_repo: RepoUnderTest) -> None:
    settings = settings_for({"main": sqlite_repo.config_uri}, worker_threads=1, max_concurrent_calls=1)
    async with running_gateway(settings) as (server, stub):
        release = threading.Event()
        blocker = asyncio.ensure_future(server.runner.run(release.wait, 30))
        await asyncio.sleep(0.1)
        try:
            started = time.perf_counter()
            assert await _health(server.target) == health_pb2.HealthCheckResponse.SERVING
            assert time.perf_counter() - started < 2.0
            # Butler work beyond the admission limit is refused at once, not queued forever.
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.RefreshRepository(pb.RefreshRepositoryRequest(label="main"), timeout=10)
            assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert error_info(caught.value).reason == "GATEWAY_BUSY"
        finally:
            release.set()
            await blocker


def _add_detector(config_uri: str, instrument: str, detector_id: int) -> None:
    with Butler.from_config(config_uri, writeable=True) as butler:
        butler.registry.insertDimensionData(
            "detector",
            {
                "instrument": instrument,
                "id": detector_id,
                "full_name": f"R99_S{detector_id % 100:02d}",
                "name_in_raft": f"S{detector_id % 100:02d}",
                "raft": "R99",
                "purpose": "SCIENCE",
            },
        )


def _expand(server: GatewayServer, label: str, instrument: str, detector_id: int) -> None:
    assert server.factory is not None
    with server.factory.reader(label) as butler:
        butler.registry.expandDataId(instrument=instrument, detector=detector_id)


async def test_refresh_clears_stale_dimension_cache(tmp_path: Path) -> None:
    uri = demo.build_demo_repository(tmp_path)
    instrument = demo.DEMO.primary_instrument
    async with running_gateway(settings_for({"main": uri})) as (server, stub):
        before = (await stub.GetRepository(pb.GetRepositoryRequest(label="main"))).repository
        # Another process adds a detector; the warm template's preloaded cache does not know it.
        await asyncio.to_thread(_add_detector, uri, instrument, 901)
        with pytest.raises(DataIdValueError):
            await server.runner.run(_expand, server, "main", instrument, 901)
        refreshed = (await stub.RefreshRepository(pb.RefreshRepositoryRequest(label="main"))).repository
        assert refreshed.state == READY
        assert refreshed.last_refresh_time.ToDatetime() > before.last_refresh_time.ToDatetime()
        await server.runner.run(_expand, server, "main", instrument, 901)


async def test_refresh_keeps_calls_in_flight_working(tmp_path: Path) -> None:
    uri = demo.build_demo_repository(tmp_path)
    async with running_gateway(settings_for({"main": uri})) as (server, stub):
        assert server.factory is not None
        factory = server.factory
        holding = threading.Event()
        release = threading.Event()

        def long_read() -> int:
            with factory.reader("main") as butler:
                holding.set()
                release.wait(10)
                # The old generation must still be open for this clone.
                return len(butler.collections.query_info("*"))

        reader = asyncio.ensure_future(server.runner.run(long_read))
        await asyncio.to_thread(holding.wait, 10)
        await stub.RefreshRepository(pb.RefreshRepositoryRequest(label="main"))
        release.set()
        assert await reader > 0


async def test_unexpected_error_is_internal_without_details(
    sqlite_repo: RepoUnderTest, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    async with running_gateway(settings_for({"main": sqlite_repo.config_uri})) as (server, stub):
        assert server.factory is not None

        def explode(label: str) -> None:
            raise RuntimeError("SELECT password FROM secrets WHERE user='x'")

        monkeypatch.setattr(server.factory, "info", explode)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetRepository(
                pb.GetRepositoryRequest(label="main"), metadata=(("x-request-id", "req-42"),)
            )
        assert caught.value.code() == grpc.StatusCode.INTERNAL
        details = caught.value.details() or ""
        assert "SELECT" not in details
        assert "Traceback" not in details
        assert "req-42" in details
        info = error_info(caught.value)
        assert info.reason == "INTERNAL"
        assert info.metadata["request_id"] == "req-42"


async def test_graceful_stop_finishes_call_in_flight(tmp_path: Path) -> None:
    uri = demo.build_demo_repository(tmp_path)
    server = GatewayServer(settings_for({"main": uri}, shutdown_grace_seconds=10))
    await server.start()
    assert server.factory is not None
    factory = server.factory
    entered = threading.Event()

    def slow_build(repo: Any) -> Any:
        entered.set()
        time.sleep(1.0)
        return original(repo)

    original = factory._build_generation
    factory._build_generation = slow_build  # type: ignore[method-assign]  # fault injection
    async with grpc.aio.insecure_channel(server.target) as channel:
        stub = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
        call = asyncio.ensure_future(stub.RefreshRepository(pb.RefreshRepositoryRequest(label="main")))
        await asyncio.to_thread(entered.wait, 10)
        stopping = asyncio.ensure_future(server.stop())
        await asyncio.sleep(0.2)
        # NOT_SERVING is reported as soon as the shutdown begins.
        assert server.health._server_status[""] == health_pb2.HealthCheckResponse.NOT_SERVING
        response = await call
        assert response.repository.state == READY
        await stopping
    with pytest.raises(grpc.aio.AioRpcError):
        async with grpc.aio.insecure_channel(server.target) as channel:
            await gateway_pb2_grpc.ButlerGatewayServiceStub(channel).ListRepositories(
                pb.ListRepositoriesRequest(), timeout=2
            )


async def test_process_environment_owned_while_serving_then_restored(
    sqlite_repo: RepoUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "borrowed")
    monkeypatch.delenv("LSST_DB_AUTH_CREDENTIALS", raising=False)
    async with running_gateway(settings_for({"main": sqlite_repo.config_uri})) as (server, _):
        assert server.startup_seconds is not None
        assert server.startup_seconds > 0
        # Non-empty even without credentials, so that DbAuth never falls back to a file.
        assert os.environ["LSST_DB_AUTH_CREDENTIALS"] == "[]"
        assert "PGPASSWORD" not in os.environ
        assert not Path(os.environ["PGPASSFILE"]).exists()
    assert "LSST_DB_AUTH_CREDENTIALS" not in os.environ
    assert os.environ["PGPASSWORD"] == "borrowed"


async def test_not_serving_and_warming_until_built(
    sqlite_repo: RepoUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lsst.cmservice.butler.gateway.factory import ButlerFactory

    release = threading.Event()
    original = ButlerFactory._build_generation

    def held_build(self: ButlerFactory, repo: Any) -> Any:
        release.wait(20)  # hold the warm-up so its intermediate state can be observed
        return original(self, repo)

    monkeypatch.setattr(ButlerFactory, "_build_generation", held_build)
    server = GatewayServer(settings_for({"main": sqlite_repo.config_uri}))
    starting = asyncio.ensure_future(server.start())
    try:
        while server.port is None or server.factory is None:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert await _health(server.target) == health_pb2.HealthCheckResponse.NOT_SERVING
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
            warming = (await stub.GetRepository(pb.GetRepositoryRequest(label="main"))).repository
            assert warming.state == pb.REPOSITORY_STATE_WARMING
            release.set()
            await starting
            assert await _health(server.target) == health_pb2.HealthCheckResponse.SERVING
            ready = (await stub.GetRepository(pb.GetRepositoryRequest(label="main"))).repository
            assert ready.state == READY
    finally:
        release.set()
        await starting
        await server.stop(0)


async def test_reflection_can_be_switched_off(sqlite_repo: RepoUnderTest) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    async def list_services(reflection_on: bool) -> list[str]:
        settings = settings_for({"main": sqlite_repo.config_uri}, reflection=reflection_on)
        async with (
            running_gateway(settings) as (server, _),
            grpc.aio.insecure_channel(server.target) as channel,
        ):
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            responses = [r async for r in stub.ServerReflectionInfo(iter([request]))]
            return [s.name for s in responses[0].list_services_response.service]

    assert SERVICE_NAME in await list_services(True)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await list_services(False)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
