"""The gateway's lifecycle in one place: build, listen, warm, serve, drain, close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from lsst.cmservice.butler.v1 import gateway_pb2, gateway_pb2_grpc

from .auth import TokenInterceptor
from .config import GatewaySettings
from .demo import DEMO_LABEL, build_demo_repository
from .environment import apply_process_environment, resolve_repository_index, restore_process_environment
from .executor import BlockingRunner
from .factory import ButlerFactory, RetryPolicy
from .redaction import Redactor
from .servicer import ButlerGatewayServicer

__all__ = ["SERVICE_NAME", "GatewayServer", "serve"]

_LOG = logging.getLogger(__name__)

SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["ButlerGatewayService"].full_name


class GatewayServer:
    """One gateway instance: a grpc.aio server, its health service and its Butler factory.

    ``start()`` listens at once and reports NOT_SERVING until every repository has had its first
    build attempt, then SERVING; ``stop()`` reports NOT_SERVING, lets calls in flight finish within
    the grace period, then closes the factory. Tests run it in-process on port 0 or a Unix socket.
    """

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.redactor = Redactor(settings.secret_values())
        self.runner = BlockingRunner(settings.worker_threads, settings.max_concurrent_calls)
        # grpc-stubs' health stub predates the aio servicer.
        self.health = health.aio.HealthServicer()  # type: ignore[attr-defined]
        self.factory: ButlerFactory | None = None
        self.port: int | None = None
        self.unix_socket: Path | None = None
        self.startup_seconds: float | None = None
        self._server: grpc.aio.Server | None = None
        self._stopped = asyncio.Event()
        self._previous_environment: dict[str, str | None] | None = None

    @property
    def target(self) -> str:
        """A gRPC target string that reaches this server (TCP preferred)."""
        if self.port is not None:
            host = self.settings.listen_address.rsplit(":", 1)[0].strip("[]") or "127.0.0.1"
            host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - dial, not bind
            return f"{host}:{self.port}"
        if self.unix_socket is not None:
            return f"unix:{self.unix_socket}"
        raise RuntimeError("the server is not listening")

    async def start(self) -> None:
        """Listen, then warm every repository; returns when the gateway is SERVING."""
        started = time.perf_counter()
        self._previous_environment = apply_process_environment(self.settings)
        _LOG.info("starting cm-butler-gateway", extra={"settings": self.settings.describe()})
        repositories = await self._resolve_repositories()
        self.factory = ButlerFactory(
            repositories,
            self.runner,
            read_only=self.settings.read_only_repositories,
            retry=RetryPolicy(self.settings.retry_initial_seconds, self.settings.retry_max_seconds),
            redact=self.redactor,
        )
        self._server = self._build_server()
        self._listen(self._server)
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        await self._server.start()
        await self.factory.warm()
        await self._set_health(health_pb2.HealthCheckResponse.SERVING)
        self.startup_seconds = time.perf_counter() - started
        _LOG.info(
            "serving",
            extra={
                "target": self.target,
                "repositories": [f"{i.label}={i.state.value}" for i in self.factory.infos()],
                "startup_seconds": round(self.startup_seconds, 3),
            },
        )

    async def _resolve_repositories(self) -> dict[str, str]:
        extra: dict[str, str] = {}
        if self.settings.serves_demo:
            # Building the demo takes seconds the first time; keep the loop free meanwhile.
            uri = await self.runner.run(build_demo_repository, self.settings.data_dir, admit=False)
            extra[DEMO_LABEL] = uri
        return resolve_repository_index(self.settings, extra)

    def _build_server(self) -> grpc.aio.Server:
        assert self.factory is not None
        interceptors = []
        if self.settings.auth_token is not None and self.settings.auth_token.get_secret_value():
            interceptors.append(TokenInterceptor(self.settings.auth_token.get_secret_value()))
        limit = self.settings.max_message_bytes
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
                ("grpc.so_reuseport", 0),
            ],
        )
        servicer = ButlerGatewayServicer(self.settings, self.factory, self.runner, self.redactor)
        gateway_pb2_grpc.add_ButlerGatewayServiceServicer_to_server(servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        if self.settings.reflection:
            reflection.enable_server_reflection(
                (
                    SERVICE_NAME,
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ),
                server,
            )
        return server

    def _listen(self, server: grpc.aio.Server) -> None:
        if self.settings.listen_address:
            self.port = server.add_insecure_port(self.settings.listen_address)
            if self.port == 0:
                raise OSError(f"cannot listen on {self.settings.listen_address}")
        if self.settings.unix_socket is not None:
            path = self.settings.unix_socket.absolute()
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # a stale socket from a killed predecessor
            # The umask closes the window between bind and chmod; chmod then sets the asked mode.
            previous = os.umask(0o177)
            try:
                server.add_insecure_port(f"unix:{path}")
            finally:
                os.umask(previous)
            path.chmod(self.settings.unix_socket_mode)
            self.unix_socket = path

    async def _set_health(self, status: health_pb2.HealthCheckResponse.ServingStatus.ValueType) -> None:
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first, then stop with a grace period, then close the factory."""
        if self._server is None or self._stopped.is_set():
            return
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        _LOG.info("shutting down", extra={"grace_seconds": grace})
        await self.health.enter_graceful_shutdown()
        await self._server.stop(grace)
        if self.factory is not None:
            await self.factory.close()
        self.runner.shutdown()
        if self.unix_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                self.unix_socket.unlink()
        if self._previous_environment is not None:
            restore_process_environment(self._previous_environment)
        self._stopped.set()
        _LOG.info("stopped")

    async def wait_stopped(self) -> None:
        """Return once `stop` has completed."""
        await self._stopped.wait()


async def serve(settings: GatewaySettings) -> None:
    """Run a gateway in the foreground until SIGTERM or SIGINT, then shut it down gracefully."""
    gateway = GatewayServer(settings)
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def on_signal(signum: int) -> None:
        _LOG.info("received %s", signal.Signals(signum).name)
        if not stopping:
            stopping.append(loop.create_task(gateway.stop()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await gateway.start()
        await gateway.wait_stopped()
    finally:
        if not stopping:
            await gateway.stop(0)
