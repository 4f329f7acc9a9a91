"""Benchmark of the query RPCs: gateway (separate process) versus direct in-process Butler calls.

Builds (once, cached in ``--data-dir``) a SQLite demo repository grown to about 100,000
registry-only raws, starts ``cm-butler-gateway serve`` on it in a subprocess, and measures in the
same run: p50/p99 of a small query and of a count, the rows/s of a full stream of every raw, and
PlanGroups, each through the gateway and directly in this process, with ratios; plus the server's
resident memory before and during the full stream (sampled from /proc).

    .venv/bin/python benchmarks/queries.py [--data-dir /tmp/cm-bench] [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsst.daf.butler import Butler  # noqa: E402

from lsst.cmservice.butler.gateway.domain.planning import ByQuery, plan_from_counts  # noqa: E402
from lsst.cmservice.butler.gateway.domain.queries import Constraint, DatasetSearch, value_counts  # noqa: E402
from lsst.cmservice.butler.v1 import gateway_pb2_grpc, planning_pb2, queries_pb2, repositories_pb2  # noqa: E402
from tests.support.bulk import BULK_DAY_OBS, BULK_RUN, build_bulk_repository  # noqa: E402

EXPOSURES, DETECTORS = 1000, 100
SMALL_WHERE = f"instrument = 'LSSTCam' AND exposure = {BULK_DAY_OBS * 100_000 + 1500}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _repository(data_dir: Path) -> str:
    root = data_dir / f"bulk{EXPOSURES}x{DETECTORS}"
    marker = root / ".complete"
    if marker.exists():
        return marker.read_text()
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    uri = build_bulk_repository(root, exposures=EXPOSURES, detectors=DETECTORS)
    marker.write_text(uri)
    print(f"built {EXPOSURES * DETECTORS} raws in {time.perf_counter() - started:.1f} s")
    return uri


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _timings(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    for _ in range(5):
        function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.99 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cm-butler-gateway-bench"))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    uri = _repository(args.data_dir)

    port = _free_port()
    env = dict(os.environ, DAF_BUTLER_REPOSITORIES=json.dumps({"bulk": uri}))
    env.pop("DAF_BUTLER_REPOSITORY_INDEX", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "cm-butler-gateway"), "serve", "--listen", f"127.0.0.1:{port}",
         "--log-format", "json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=60)
        stub = gateway_pb2_grpc.ButlerGatewayServiceStub(channel)
        deadline = time.monotonic() + 60
        ready = repositories_pb2.REPOSITORY_STATE_READY
        while (
            stub.GetRepository(repositories_pb2.GetRepositoryRequest(label="bulk")).repository.state != ready
        ):
            if time.monotonic() > deadline:
                raise SystemExit("the gateway did not get the repository ready within 60 s")
            time.sleep(0.1)
        butler = Butler.from_config(uri)
        run(stub, butler, server.pid, args.repeat)
        butler.close()
        channel.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(stub: gateway_pb2_grpc.ButlerGatewayServiceStub, template: Butler, pid: int, repeat: int) -> None:
    small = queries_pb2.QueryDatasetsRequest(
        label="bulk", dataset_type="raw", collections=[BULK_RUN], where=SMALL_WHERE
    )
    count = queries_pb2.CountDatasetsRequest(label="bulk", dataset_type="raw", collections=[BULK_RUN])

    def gateway_small() -> int:
        return sum(len(m.refs) for m in stub.QueryDatasets(small))

    def direct_small() -> int:
        with template.clone() as butler, butler.query() as query:
            return len(list(query.datasets("raw", [BULK_RUN]).where(SMALL_WHERE)))

    def gateway_count() -> int:
        return int(stub.CountDatasets(count).count)

    def direct_count() -> int:
        with template.clone() as butler, butler.query() as query:
            return query.datasets("raw", [BULK_RUN]).count()

    assert gateway_small() == direct_small() == DETECTORS
    total = direct_count()
    assert gateway_count() == total == EXPOSURES * DETECTORS
    print(f"repository: {total} raws in {BULK_RUN}; server pid {pid}")
    print(f"{'measure':44} {'gateway':>12} {'direct':>12} {'ratio':>7}")
    for name, via_gateway, direct, n in (
        (f"small QueryDatasets ({DETECTORS} rows) p50/p99 ms", gateway_small, direct_small, repeat),
        (f"CountDatasets ({total}) p50/p99 ms", gateway_count, direct_count, max(10, repeat // 10)),
    ):
        g50, g99 = _timings(via_gateway, n)
        d50, d99 = _timings(direct, n)
        print(f"{name:44} {g50:6.2f}/{g99:<6.2f} {d50:6.2f}/{d99:<6.2f} {g50 / d50:6.2f}x")

    # Full stream: every row, with the server's memory sampled while it streams.
    rss_before = _rss_kib(pid)
    peak = [rss_before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_kib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    rows = 0
    messages = 0
    for message in stub.QueryDatasets(
        queries_pb2.QueryDatasetsRequest(label="bulk", dataset_type="raw", collections=[BULK_RUN])
    ):
        rows += len(message.refs)
        messages += 1
    gateway_seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    assert rows == total

    started = time.perf_counter()
    with template.clone() as butler, butler.query() as query:
        direct_rows = sum(1 for _ in query.datasets("raw", [BULK_RUN]))
    direct_seconds = time.perf_counter() - started
    assert direct_rows == total
    g_rate, d_rate = rows / gateway_seconds, direct_rows / direct_seconds
    label = f"full stream rows/s ({total} rows)"
    print(f"{label:44} {g_rate:12,.0f} {d_rate:12,.0f} {d_rate / g_rate:6.2f}x")
    print(f"  gateway: {messages} messages in {gateway_seconds:.2f} s; direct: {direct_seconds:.2f} s")
    print(
        f"  server RSS: {rss_before / 1024:.0f} MiB before, peak {peak[0] / 1024:.0f} MiB during the stream "
        f"(+{(peak[0] - rss_before) / 1024:.0f} MiB); VmHWM {_rss_kib(pid, 'VmHWM') / 1024:.0f} MiB"
    )

    # PlanGroups: the split planner reads every data ID once.
    plan_request = planning_pb2.PlanGroupsRequest(
        label="bulk",
        dataset_type="raw",
        collections=[BULK_RUN],
        predicates=["instrument = 'LSSTCam'"],
        dimension="exposure",
        by_query=planning_pb2.SplitByQuery(min_groups=10, max_size=20_000),
    )

    def gateway_plan() -> int:
        return len(stub.PlanGroups(plan_request).groups)

    def direct_plan() -> int:
        with template.clone() as butler:
            counts = value_counts(
                butler,
                "exposure",
                DatasetSearch("raw", (BULK_RUN,)),
                Constraint(where="instrument = 'LSSTCam'"),
            )
        return len(plan_from_counts("exposure", counts, True, ByQuery(10, 20_000)).groups)

    assert gateway_plan() == direct_plan()
    g50, g99 = _timings(gateway_plan, 3)
    d50, d99 = _timings(direct_plan, 3)
    label = f"PlanGroups exposure ({total} rows) p50 ms"
    print(f"{label:44} {g50:12.0f} {d50:12.0f} {g50 / d50:6.2f}x")


if __name__ == "__main__":
    main()
