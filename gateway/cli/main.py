"""`campusgw`: run the gateway, check its config, run the demo and the simulators."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from gateway.app.config import GatewayConfig, load_config
from gateway.app.problems import problems_exit
from gateway.cli.accounts import audit_app, tokens_app, users_app
from gateway.cli.db import db_app
from gateway.cli.discover import command as discover_command
from gateway.cli.report import report_app
from gateway.cli.rules import rules_app
from gateway.cli.sim import register_simulators, sim_app
from gateway.core.repositories import StoreUnavailable

app = typer.Typer(help="Campus Security Gateway", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(sim_app, name="sim")
app.add_typer(rules_app, name="rules")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")

app.command("discover")(discover_command)

ConfigPath = Annotated[Path, typer.Argument(help="Gateway config (YAML).")]


def _load_or_exit(path: Path) -> GatewayConfig:
    with problems_exit(1, f"{path}: {{count}} problem(s); the gateway does not start."):
        config = load_config(path)
    return config


@app.command("check-config")
def check_config(path: ConfigPath) -> None:
    """Validate a config: every problem as `file:line: key.path: message`; exit 1 if any."""
    config = _load_or_exit(path)
    typer.echo(f"{path}: ok ({len(config.devices)} devices, {len(config.zones)} zones, "
               f"{len(config.rules)} rules, {len(config.channels)} channels)")


@app.command("run")
def run(config: Annotated[Path, typer.Option("--config", "-c", help="Gateway config.")],
        log_level: Annotated[str, typer.Option(help="Log level.")] = "INFO") -> None:
    """Run the gateway and its API until SIGINT/SIGTERM."""
    from gateway.app.runner import configure_logging, run_until_stopped

    loaded = _load_or_exit(config)
    configure_logging(log_level)
    try:
        asyncio.run(run_until_stopped(loaded))
    except StoreUnavailable as exc:
        typer.echo(f"error: alert store: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("demo")
def demo(
    api_port: Annotated[int, typer.Option(help="Dashboard/API port.")] = 8080,
    every_s: Annotated[float, typer.Option(help="Something happens this often.")] = 15.0,
    seconds: Annotated[float, typer.Option(help="Stop after this long (0: never).")] = 0.0,
) -> None:
    """The whole simulated school: devices, police endpoint, gateway and dashboard."""
    from gateway.app.runner import configure_logging
    from gateway.demo.school import run_demo

    configure_logging("INFO")
    sys.exit(asyncio.run(run_demo(api_port, every_s, seconds)))


@app.command("reference")
def reference(
    camera: Annotated[str, typer.Argument(help="Camera device id.")],
    api: Annotated[str, typer.Option(help="The running gateway's API.")] = (
        "http://127.0.0.1:8080"),
    token: Annotated[str, typer.Option(envvar="CAMPUSGW_API_TOKEN",
                                       help="Operator bearer token.")] = "",
) -> None:
    """Take a camera's current view as the clear reference of its watched regions."""
    import httpx

    try:
        response = httpx.post(f"{api.rstrip('/')}/cameras/{camera}/reference", timeout=30,
                              headers={"Authorization": f"Bearer {token}"}, trust_env=False)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach the gateway at {api}: {exc}", err=True)
        raise typer.Exit(1) from None
    if response.status_code != 200:
        typer.echo(f"{camera}: {response.json().get('detail', response.text)}", err=True)
        raise typer.Exit(1)
    info = response.json()
    typer.echo(f"{camera}: reference taken ({info['frames_used']} frames), "
               f"stored at {info['path']}")


def main() -> None:
    if sys.argv[1:2] == ["sim"]:
        register_simulators()
    app()


if __name__ == "__main__":
    main()
