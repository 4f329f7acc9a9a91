"""Every grpcurl and buf curl example in README.md runs, in order, against a fresh demo gateway."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
DOC_ADDRESS = "127.0.0.1:50051"
TOOLS = ("grpcurl", "buf curl")


@dataclass(frozen=True)
class Example:
    """One command line from a README code block."""

    line: int
    command: str
    expect: str | None  # grpcurl's code name (NotFound) when the example must fail

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.command.split(' ', 2)[1][:12]}"


def readme_examples(text: str) -> list[Example]:
    """Lines starting with ``grpcurl `` or ``buf curl `` inside code blocks, in order.

    A ``# expect: <Code>`` line just before an example says it must fail with that code. A line
    ending with a backslash continues on the next one.
    """
    examples: list[Example] = []
    in_block = False
    expect: str | None = None
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("```"):
            in_block, expect = not in_block, None
            continue
        if not in_block:
            continue
        if pending is not None:
            start, command = pending
            command = f"{command} {line.rstrip(chr(92)).strip()}"
            pending = (start, command) if line.endswith("\\") else None
            if pending is None:
                examples.append(Example(start, command, expect))
                expect = None
            continue
        if match := re.fullmatch(r"# expect: (\w+)", line):
            expect = match.group(1)
            continue
        if line.startswith(tuple(f"{tool} " for tool in TOOLS)):
            if line.endswith("\\"):
                pending = (number, line.rstrip("\\").strip())
                continue
            examples.append(Example(number, line, expect))
        expect = None
    return examples


EXAMPLES = readme_examples(README.read_text())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_serving(target: str, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the demo gateway exited: {process.communicate()[1][-2000:]}")
            try:
                if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise AssertionError(f"the demo gateway at {target} never reported SERVING")


@pytest.fixture(scope="module")
def demo_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh ``cm-butler-gateway serve --demo`` process; yields its address."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAF_BUTLER_", "CM_BUTLER_GATEWAY_"))}
    process = subprocess.Popen(
        [
            str(BIN / "cm-butler-gateway"),
            "serve",
            "--demo",
            "--data-dir",
            str(tmp_path_factory.mktemp("readme-demo")),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_serving(f"127.0.0.1:{port}", process)
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _argv(example: Example, address: str) -> list[str]:
    argv = shlex.split(example.command.replace(DOC_ADDRESS, address))
    if argv[0] == "grpcurl":
        return [str(BIN / "grpcurl"), *argv[1:]]
    assert argv[:2] == ["buf", "curl"], example.command
    return [str(BIN / "buf"), *argv[1:]]


def _snake(code: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", code).lower()


def test_readme_has_examples() -> None:
    commands = [e.command for e in EXAMPLES]
    assert any(c.endswith(" list") for c in commands), "a service listing through reflection"
    assert any("grpc.health.v1.Health/Check" in c for c in commands), "a health check"
    assert sum(c.startswith("buf curl ") for c in commands) >= 2, "list and health through buf curl"
    assert any(e.expect for e in EXAMPLES), "an error example"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_readme_example(example: Example, demo_gateway: str) -> None:
    result = subprocess.run(_argv(example, demo_gateway), capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    if example.expect is None:
        assert result.returncode == 0, f"README line {example.line} failed:\n{example.command}\n{output}"
    else:
        assert result.returncode != 0, f"README line {example.line} should fail:\n{output}"
        wanted = (
            f"Code: {example.expect}" if example.command.startswith("grpcurl") else _snake(example.expect)
        )
        assert wanted in output, f"README line {example.line}: expected {example.expect}:\n{output}"


def test_readme_python_example_runs(demo_gateway: str) -> None:
    from .test_client_package import readme_python_blocks

    (example,) = readme_python_blocks("Python client")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CM_BUTLER_GATEWAY_CLIENT_")}
    env["CM_BUTLER_GATEWAY_CLIENT_ADDRESS"] = demo_gateway
    result = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("demo READY ")
    assert "REPOSITORY_NOT_FOUND no-such-repo " in result.stdout
    lines = result.stdout.splitlines()
    assert "truncated: True" in lines
    assert "chain: ('LSSTCam/raw/all', 'LSSTCam/calib')" in lines
    assert lines[-1] == "COLLECTION_CYCLE"
