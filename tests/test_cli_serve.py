"""The console script end to end: `serve --demo` reaches SERVING and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lsst.cmservice.butler.v1 import gateway_pb2_grpc
from lsst.cmservice.butler.v1 import repositories_pb2 as pb


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_serving(target: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise AssertionError(f"gateway at {target} never reported SERVING")


def test_serve_demo_and_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAF_BUTLER_", "CM_BUTLER_GATEWAY_"))}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lsst.cmservice.butler.gateway",
            "serve",
            "--demo",
            "--data-dir",
            str(tmp_path),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_serving(f"127.0.0.1:{port}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            listed = gateway_pb2_grpc.ButlerGatewayServiceStub(channel).ListRepositories(
                pb.ListRepositoriesRequest(), timeout=5
            )
        assert [(r.label, r.state) for r in listed.repositories] == [("demo", pb.REPOSITORY_STATE_READY)]
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    messages = [json.loads(line)["message"] for line in stderr.splitlines() if line.startswith("{")]
    assert "serving" in messages
    assert messages.index("received SIGTERM") < messages.index("shutting down") < messages.index("stopped")
