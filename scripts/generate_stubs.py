"""Generate the Python gRPC stubs (with .pyi) from protos/, or check that the committed ones match."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc_tools

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = Path("lsst/cmservice/butler/v1")
OUTPUT_ROOT = ROOT / "client" / "src"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def generate(output_root: Path) -> list[Path]:
    """Run protoc (from grpcio-tools) with the Python, .pyi, gRPC and mypy-gRPC generators.

    Returns the generated files, relative to ``output_root``.
    """
    protos = sorted((PROTO_ROOT / PACKAGE_DIR).glob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    # The mypy-protobuf plugin lives beside this interpreter (the project's virtualenv).
    plugin = Path(sys.executable).parent / "protoc-gen-mypy_grpc"
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={output_root}",
        f"--pyi_out={output_root}",
        f"--grpc_python_out={output_root}",
        f"--plugin=protoc-gen-mypy_grpc={plugin}",
        f"--mypy_grpc_out={output_root}",
        *(str(p.relative_to(PROTO_ROOT)) for p in protos),
    ]
    subprocess.run(command, check=True)
    return sorted(
        p.relative_to(output_root)
        for p in (output_root / PACKAGE_DIR).iterdir()
        if p.name.endswith(GENERATED_SUFFIXES)
    )


def committed_files() -> list[Path]:
    """The generated files currently in the client package."""
    return sorted(
        p.relative_to(OUTPUT_ROOT)
        for p in (OUTPUT_ROOT / PACKAGE_DIR).iterdir()
        if p.name.endswith(GENERATED_SUFFIXES)
    )


def main() -> int:
    """Regenerate, or with --check report drift and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed stubs differ from protos/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh_root = Path(tmp)
        fresh = generate(fresh_root)
        if args.check:
            current = committed_files()
            drift = sorted(set(fresh) ^ set(current))
            drift += [
                p
                for p in fresh
                if p in current and not filecmp.cmp(fresh_root / p, OUTPUT_ROOT / p, shallow=False)
            ]
            if drift:
                print("Generated stubs are out of date; run `make protos`:", *drift, sep="\n  ")
                return 1
            print(f"{len(fresh)} generated files match protos/")
            return 0
        for stale in committed_files():
            if stale not in fresh:
                (OUTPUT_ROOT / stale).unlink()
        for path in fresh:
            shutil.copyfile(fresh_root / path, OUTPUT_ROOT / path)
        print(f"Wrote {len(fresh)} files under {OUTPUT_ROOT / PACKAGE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
