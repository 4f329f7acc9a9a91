"""Command line: ``cm-butler-gateway serve``, ``build-demo`` and ``settings``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from .config import ConfigurationError, GatewaySettings, load_settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cm-butler-gateway",
        description="gRPC sidecar serving pre-cached LSST data Butlers to CM Service. "
        "Settings come from the environment (see the README); options override them.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway in the foreground")
    serve.add_argument("--demo", action="store_true", default=None, help="also serve the demo repository")
    serve.add_argument("--listen", dest="listen_address", help="TCP host:port ('' for none)")
    serve.add_argument("--unix-socket", type=Path, help="also listen on this Unix socket")
    serve.add_argument("--data-dir", type=Path, help="directory of the embedded demo repository")
    serve.add_argument("--log-format", choices=["json", "text"])
    demo = commands.add_parser("build-demo", help="build (or find) the demo repository and print its URI")
    demo.add_argument("--data-dir", type=Path)
    commands.add_parser("settings", help="print the effective settings, secrets masked")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("demo", "listen_address", "unix_socket", "data_dir", "log_format")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(**_overrides(args))
    except ConfigurationError as exc:
        print(f"cm-butler-gateway: {exc}", file=sys.stderr)
        return 2
    if args.command == "settings":
        print(json.dumps(settings.describe(), indent=2))
        return 0
    if args.command == "build-demo":
        from .demo import build_demo_repository

        print(build_demo_repository(settings.data_dir))
        return 0
    return _serve(settings)


def _serve(settings: GatewaySettings) -> int:
    # Imported here so that `settings` and `--help` stay fast (lsst.daf.butler costs ~2 s).
    from .logs import configure_logging
    from .redaction import Redactor
    from .server import serve

    configure_logging(settings.log_level, settings.log_format, Redactor(settings.secret_values()))
    try:
        asyncio.run(serve(settings))
    except ConfigurationError as exc:
        print(f"cm-butler-gateway: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
