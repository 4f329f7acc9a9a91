"""Command line: ``cm-butler-gateway serve``, ``build-demo``, ``settings`` and ``render-env``."""

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
    _add_render_env(commands)
    return parser


def _add_render_env(commands: Any) -> None:
    render = commands.add_parser(
        "render-env",
        help="render a batch job's submission environment (as RenderSubmissionEnvironment does)",
    )
    render.add_argument("labels", nargs="+", metavar="LABEL", help="repositories the job will use")
    render.add_argument(
        "--mode", choices=["seed", "pgpass", "db-auth"], default="seed", help="credential mode"
    )
    render.add_argument(
        "--index", choices=["index-file", "inline"], default="index-file", help="repository index"
    )
    render.add_argument("--submission-id", default="", help="per-submission id (default: random)")
    render.add_argument(
        "--format",
        choices=["json", "htcondor", "bash", "yaml"],
        default="json",
        help="json: the RPC's response; otherwise only that rendered form",
    )
    render.add_argument("--data-dir", type=Path, help="directory of the embedded demo repository")
    render.add_argument("--log-format", choices=["json", "text"])


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
    if args.command == "render-env":
        return _render_env(settings, args)
    if args.command == "build-demo":
        from .demo import build_demo_repository

        print(build_demo_repository(settings.data_dir))
        return 0
    return _serve(settings)


def _render_env(settings: GatewaySettings, args: argparse.Namespace) -> int:
    # The same domain code and proto conversion as the RPC, so operators see the same output.
    from google.protobuf import json_format

    from .demo import DEMO_LABEL, build_demo_repository
    from .domain.environment import (
        CredentialMode,
        EnvironmentRequest,
        EnvironmentSettings,
        IndexMode,
        render_submission_environment,
    )
    from .environment import apply_process_environment, resolve_repository_index
    from .errors import GatewayError
    from .logs import configure_logging
    from .redaction import Redactor
    from .servicer.environment import audit_rendered, environment_to_proto

    redactor = Redactor(settings.secret_values())
    configure_logging(settings.log_level, settings.log_format, redactor)
    request = EnvironmentRequest(
        labels=tuple(args.labels),
        credential_mode=CredentialMode(args.mode),
        index_mode=IndexMode(args.index),
        submission_id=args.submission_id,
    )
    try:
        apply_process_environment(settings)
        extra = {DEMO_LABEL: build_demo_repository(settings.data_dir)} if settings.serves_demo else {}
        config_uris = resolve_repository_index(settings, extra)
        rendered = render_submission_environment(
            request, EnvironmentSettings.from_settings(settings), config_uris, settings.db_auth_entries()
        )
    except (GatewayError, ConfigurationError) as exc:
        print(f"cm-butler-gateway: {redactor(str(exc))}", file=sys.stderr)
        return 1 if isinstance(exc, GatewayError) else 2
    audit_rendered(request, rendered, caller="cli")
    if args.format == "json":
        print(
            json_format.MessageToJson(
                environment_to_proto(rendered), indent=2, preserving_proto_field_name=True
            )
        )
    elif args.format == "htcondor":
        print(f"environment = {rendered.htcondor_environment}")
    elif args.format == "bash":
        print(rendered.bash_exports, end="")
    else:
        print(rendered.bps_environment_yaml, end="")
    return 0


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
