"""Foundation figures: start-up time to SERVING, per-call clone cost, health latency under load.

Run: ``.venv/bin/python benchmarks/foundation.py`` (``make bench``). Prints a table; asserts nothing.

- Start-up: a real ``cm-butler-gateway serve`` subprocess, timed from spawn to the first SERVING
  health answer (this includes ~2 s of Python imports), and the server's own ``startup_seconds``
  (listen -> warm -> SERVING) from its log. Cases: the demo repository (fresh data directory,
  so the demo is built, and again with it built), and two repositories (two SQLite repositories,
  plus a PostgreSQL one when the PostgreSQL 15 binaries are installed).
- Clone cost: inside an in-process gateway, entering and leaving ``factory.reader`` /
  ``factory.writer`` in a worker thread, against a direct ``Butler.clone()`` of a template.
- Health under load: health ``Check`` latency from this process to a gateway subprocess whose
  worker pool (2 threads) is kept saturated by concurrent ``RefreshRepository`` calls (each one
  rebuilds real Butler templates on the pool), against the idle latency.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lsst.cmservice.butler.v1 import gateway_pb2_grpc, queries_pb2
from lsst.cmservice.butler.v1 import repositories_pb2 as pb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  (n={len(samples)})"


@contextmanager
def gateway_process(
    env_extra: dict[str, str], *args: str
) -> Iterator[tuple[str, subprocess.Popen[str], float]]:
    """Spawn a gateway; yield its target, process and seconds from spawn to SERVING."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAF_BUTLER_", "CM_BUTLER_GATEWAY_"))}
    env.update(env_extra)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/cm-butler-gateway"), "serve", "--listen", f"127.0.0.1:{port}", *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    target = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        break
                except grpc.RpcError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(f"gateway exited: {process.stderr.read() if process.stderr else ''}")
                time.sleep(0.02)
        yield target, process, time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _server_startup_seconds(process: subprocess.Popen[str]) -> float | None:
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("{") and json.loads(line).get("message") == "serving":
            return float(json.loads(line)["startup_seconds"])
    return None


def bench_startup(work: Path) -> None:
    from lsst.cmservice.butler.gateway import demo

    print("\n== start-up to SERVING (spawn -> first SERVING health answer; server's own figure)")
    data_dir = work / "demo-data"
    for case in ("demo, fresh data dir (builds the demo)", "demo, already built"):
        with gateway_process({}, "--demo", "--data-dir", str(data_dir)) as (_, process, seconds):
            process.send_signal(signal.SIGTERM)
            server = _server_startup_seconds(process)
        print(f"  {case:<45} {seconds:6.2f} s   server start() {server:6.3f} s")

    repos = {
        "first": demo.build_demo_repository(work / "first"),
        "second": demo.build_demo_repository(work / "second"),
    }
    env = {"DAF_BUTLER_REPOSITORIES": json.dumps(repos)}
    with gateway_process(env) as (_, process, seconds):
        process.send_signal(signal.SIGTERM)
        server = _server_startup_seconds(process)
    print(f"  {'two SQLite repositories':<45} {seconds:6.2f} s   server start() {server:6.3f} s")

    from tests.support.postgres import PostgresServer, postgres_available

    if postgres_available() is not None:
        print("  (PostgreSQL not available: skipped the SQLite + PostgreSQL case)")
        return
    with PostgresServer() as postgres:
        database = postgres.create_database("bench", owner="bench", password=secrets.token_urlsafe(12))
        credentials = json.dumps([database.db_auth_entry()])
        os.environ["LSST_DB_AUTH_CREDENTIALS"] = credentials
        uri = demo.create_repository(work / "pg", registry_db=database.url(), namespace="bench")
        from lsst.daf.butler import Butler

        with Butler.from_config(uri, writeable=True) as butler:
            demo.populate(butler)
        env = {
            "DAF_BUTLER_REPOSITORIES": json.dumps({"sqlite": repos["first"], "pg": uri}),
            "LSST_DB_AUTH_CREDENTIALS": credentials,
        }
        with gateway_process(env) as (_, process, seconds):
            process.send_signal(signal.SIGTERM)
            server = _server_startup_seconds(process)
        print(f"  {'SQLite + PostgreSQL repositories':<45} {seconds:6.2f} s   server start() {server:6.3f} s")


def _time_in_thread(function: Callable[[], None], count: int) -> list[float]:
    samples: list[float] = []

    def run() -> None:
        for _ in range(count):
            started = time.perf_counter()
            function()
            samples.append(time.perf_counter() - started)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return samples


def bench_clone_cost(work: Path) -> None:
    from lsst.daf.butler import Butler

    from lsst.cmservice.butler.gateway import demo
    from lsst.cmservice.butler.gateway.config import GatewaySettings
    from lsst.cmservice.butler.gateway.server import GatewayServer

    print("\n== per-call clone cost inside the server (enter + close, in a worker thread)")
    uri = demo.build_demo_repository(work / "clones")
    settings = GatewaySettings(
        repositories_json=json.dumps({"demo": uri}), listen_address="127.0.0.1:0", log_level="WARNING"
    )
    collections = [next(iter(demo.DEMO.raw_runs.values()))]

    async def measure() -> None:
        server = GatewayServer(settings)
        await server.start()
        factory = server.factory
        assert factory is not None

        def reader() -> None:
            with factory.reader("demo"):
                pass

        def constrained() -> None:
            with factory.reader("demo", collections=collections):
                pass

        def writer() -> None:
            with factory.writer("demo", run="bench/run"):
                pass

        try:
            for name, function, count in (
                ("factory.reader(label)", reader, 2000),
                ("factory.reader(label, collections=[run])", constrained, 2000),
                ("factory.writer(label, run=...)", writer, 500),
            ):
                samples = await asyncio.to_thread(_time_in_thread, function, count)
                print(f"  {name:<45} {_percentiles(samples)}")
        finally:
            await server.stop(0)

    asyncio.run(measure())
    template = Butler.from_config(uri)

    def direct() -> None:
        template.clone().close()

    print(f"  {'direct template.clone() (reference)':<45} {_percentiles(_time_in_thread(direct, 2000))}")
    template.close()


def bench_health_under_load(work: Path) -> None:
    from lsst.cmservice.butler.gateway import demo

    print("\n== health Check latency, idle and with the worker pool (2 threads) saturated")
    uri = demo.build_demo_repository(work / "health")
    env = {
        "DAF_BUTLER_REPOSITORIES": json.dumps({"demo": uri}),
        "CM_BUTLER_GATEWAY_WORKER_THREADS": "2",
        "CM_BUTLER_GATEWAY_LOG_LEVEL": "WARNING",
    }
    with gateway_process(env) as (target, _, _seconds), grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        stub = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)

        def checks(count: int) -> list[float]:
            samples = []
            for _ in range(count):
                started = time.perf_counter()
                health.Check(health_pb2.HealthCheckRequest(), timeout=5)
                samples.append(time.perf_counter() - started)
                time.sleep(0.005)
            return samples

        print(f"  {'idle':<45} {_percentiles(checks(300))}")
        raw_collection = next(iter(demo.DEMO.raw_runs.values()))
        loads: dict[str, Callable[[], object]] = {
            "CountDatasets": lambda: stub.CountDatasets(
                queries_pb2.CountDatasetsRequest(
                    label="demo", dataset_type="raw", collections=[raw_collection]
                ),
                timeout=60,
            ),
            "RefreshRepository": lambda: stub.RefreshRepository(
                pb.RefreshRepositoryRequest(label="demo"), timeout=60
            ),
        }
        for name, call in loads.items():
            stop = threading.Event()
            completed = [0]

            def load(
                call: Callable[[], object] = call,
                stop: threading.Event = stop,
                completed: list[int] = completed,
            ) -> None:
                while not stop.is_set():
                    call()
                    completed[0] += 1

            loaders = [threading.Thread(target=load) for _ in range(6)]
            for thread in loaders:
                thread.start()
            time.sleep(1.0)
            samples = checks(300)
            stop.set()
            for thread in loaders:
                thread.join()
            label = f"pool saturated (6 callers of {name})"
            print(f"  {label:<45} {_percentiles(samples)}  [{completed[0]} calls meanwhile]")


def main() -> None:
    """Run every foundation benchmark and print the figures."""
    print(
        f"cm-butler-gateway foundation benchmark ({os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')})"
    )
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    try:
        bench_startup(work)
        bench_clone_cost(work)
        bench_health_under_load(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
