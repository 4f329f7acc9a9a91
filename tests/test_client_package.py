"""The client distribution: installs without lsst-daf-butler, covers the service, types for users."""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lsst.cmservice.butler.client import AsyncGatewayClient, GatewayClient
from lsst.cmservice.butler.client._rpcs import GATEWAY_RPCS, GATEWAY_SERVICE, StreamRpc
from lsst.cmservice.butler.v1 import gateway_pb2

ROOT = Path(__file__).resolve().parent.parent
CLIENT_SRC = ROOT / "client" / "src" / "lsst" / "cmservice" / "butler" / "client"
FORBIDDEN = (
    "lsst.daf",
    "lsst.utils",
    "lsst.resources",
    "lsst.cmservice.butler.gateway",
    "sqlalchemy",
    "pydantic",
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def readme_python_blocks(section: str) -> list[str]:
    """The ```python blocks of one README section (``## <section>``)."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


def test_client_imports_nothing_from_the_server_side() -> None:
    offenders = []
    for path in sorted(CLIENT_SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
    assert (CLIENT_SRC / "py.typed").exists()


def test_client_installs_without_daf_butler(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT / "client")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = (
        "import importlib.util, lsst.cmservice.butler.client as c;"
        "assert importlib.util.find_spec('lsst.daf') is None;"
        "assert importlib.util.find_spec('lsst.cmservice.butler.gateway') is None;"
        "print(c.ClientConfig.from_env({'CM_BUTLER_GATEWAY_CLIENT_ADDRESS': 'unix:/run/gw.sock'}).address)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unix:/run/gw.sock"


def test_every_rpc_of_the_service_has_client_methods() -> None:
    service = gateway_pb2.DESCRIPTOR.services_by_name["ButlerGatewayService"]
    assert {rpc.name for rpc in GATEWAY_RPCS} == {m.name for m in service.methods}, (
        "add the missing RPCs to client/src/lsst/cmservice/butler/client/_rpcs.py, aio.py and sync.py"
    )
    for rpc in GATEWAY_RPCS:
        method = service.methods_by_name[rpc.name]
        assert rpc.service == GATEWAY_SERVICE
        assert rpc.request_type.DESCRIPTOR.full_name == method.input_type.full_name
        assert rpc.response_type.DESCRIPTOR.full_name == method.output_type.full_name
        assert isinstance(rpc, StreamRpc) == method.server_streaming
        for client in (AsyncGatewayClient, GatewayClient):
            function = getattr(client, _snake(rpc.name), None)
            assert function is not None, f"{client.__name__} lacks {_snake(rpc.name)}"
            parameters = inspect.signature(function).parameters
            for keyword in ("timeout", "metadata"):
                assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY
        sync_params = list(inspect.signature(getattr(GatewayClient, _snake(rpc.name))).parameters)
        assert sync_params == list(
            inspect.signature(getattr(AsyncGatewayClient, _snake(rpc.name))).parameters
        )


MISUSE = """
import asyncio
from lsst.cmservice.butler.client import AsyncGatewayClient, RepositoryState


async def misuse(client: AsyncGatewayClient) -> None:
    repository = await client.get_repository("demo", 5)
    if repository.state == "READY":
        pass
    label: int = repository.label
"""


def _mypy(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", "--no-error-summary", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.timeout(600)
def test_user_code_type_checks(tmp_path: Path) -> None:
    (example,) = readme_python_blocks("Python client")
    good = tmp_path / "readme_example.py"
    good.write_text(example)
    result = _mypy(good)
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "misuse.py"
    bad.write_text(MISUSE)
    result = _mypy(bad)
    assert result.returncode == 1
    assert "Too many positional arguments" in result.stdout  # timeout is keyword-only
    assert "Non-overlapping equality check" in result.stdout  # the state is an enum, not a string
    assert 'Incompatible types in assignment (expression has type "str"' in result.stdout
