"""The Node.js client (clients/node) against a real gateway serving the demo repository."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lsst.cmservice.butler.gateway import demo
from lsst.cmservice.butler.gateway.server import GatewayServer

from .support.gateway import settings_for

NODE_DIR = Path(__file__).resolve().parent.parent / "clients" / "node"
ROOT = NODE_DIR.parent.parent


def _node() -> str:
    node = shutil.which("node")
    missing = None if node else "node is not installed"
    if node and not (NODE_DIR / "node_modules" / "@grpc" / "grpc-js").is_dir():
        missing = "clients/node/node_modules is missing: run `make node-deps`"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    return node


@pytest.fixture(scope="module")
def demo_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo.build_demo_repository(tmp_path_factory.mktemp("node-demo"))


async def _run_node(node: str, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        node, str(NODE_DIR / "client.js"), *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode()


def test_node_scenarios_know_the_demo() -> None:
    # client.js asserts these demo facts; keep them in step with demo.DEMO.
    script = (NODE_DIR / "client.js").read_text()
    assert "const LSSTCAM_RAWS = 'LSSTCam/raw/all';" in script
    assert demo.DEMO.raw_runs["LSSTCam"] == "LSSTCam/raw/all"
    assert f"const LSSTCAM_RAW_COUNT = {demo.DEMO.expected_raw_count('LSSTCam/raw/all')};" in script
    assert demo.DEMO.raw_runs["LATISS"] == "LATISS/raw/all"


@pytest.mark.parametrize("transport", ["tcp-with-token", "unix"])
async def test_node_client_scenarios(demo_uri: str, transport: str, tmp_path: Path) -> None:
    node = _node()
    token = "node-client-token" if transport == "tcp-with-token" else None
    listen = {"listen_address": "", "unix_socket": tmp_path / "gw.sock"} if transport == "unix" else {}
    server = GatewayServer(settings_for({demo.DEMO_LABEL: demo_uri}, auth_token=token, **listen))
    await server.start()
    try:
        args = ["--address", server.target] + (["--token", token] if token else [])
        returncode, output = await _run_node(node, *args)
        assert returncode == 0, output
        assert "7 passed, 0 failed" in output, output
        for scenario in (
            "listRepositories",
            "unknownRepositoryIsNotFound",
            "healthWatchStreamCancels",
            "queryDatasetsStream",
            "chainCollectionsMutation",
        ):
            assert f"ok {scenario}" in output
        if token:
            # Without the token the gateway refuses, and the scenario says so.
            returncode, output = await _run_node(
                node, "--address", server.target, "--scenario", "listRepositories"
            )
            assert returncode == 1
            assert "FAILED listRepositories" in output
            assert "UNAUTHENTICATED" in output
    finally:
        await server.stop(0)


def test_typescript_stubs_generate_offline(tmp_path: Path) -> None:
    _node()
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "buf"),
            "generate",
            "protos",
            "--template",
            "protos/buf.gen.ts.yaml",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    generated = tmp_path / "clients" / "node" / "gen" / "lsst" / "cmservice" / "butler" / "v1"
    gateway = (generated / "gateway_pb.ts").read_text()
    assert "ButlerGatewayService" in gateway
    assert "ListRepositories" in gateway
    assert (generated / "repositories_pb.ts").exists()


def test_go_stubs_generate_offline(tmp_path: Path) -> None:
    if not (shutil.which("protoc-gen-go") and shutil.which("protoc-gen-go-grpc")):
        missing = "protoc-gen-go / protoc-gen-go-grpc not on PATH: run `make system-deps`"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI installs them; a skip there would hide a missing install step
        pytest.skip(missing)
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "buf"),
            "generate",
            "protos",
            "--template",
            "protos/buf.gen.go.yaml",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    generated = tmp_path / "gen" / "go" / "lsst" / "cmservice" / "butler" / "v1"
    service = (generated / "gateway_grpc.pb.go").read_text()
    assert "package butlerv1" in service
    assert "ListRepositories(ctx context.Context" in service
