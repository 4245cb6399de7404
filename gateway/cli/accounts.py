"""`campusgw users|tokens|audit`: operator accounts, API tokens and the audit chain, worked
directly on the configured store (every change is audited as `cli:<login>`)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from gateway.accounts.service import AccountError, AccountService
from gateway.app.config import load_config
from gateway.app.problems import problems_exit
from gateway.core.accounts import Role, verify_chain
from gateway.core.clock import SystemClock
from gateway.core.repositories import StoreUnavailable
from gateway.store.open import open_store

T = TypeVar("T")

users_app = typer.Typer(help="Operator accounts (passwords hashed with Argon2id).",
                        no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for machine clients (stored hashed, shown once).",
                         no_args_is_help=True)
audit_app = typer.Typer(help="The audit log, each line chained to the one before.",
                        no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Gateway config.")]
NameArg = Annotated[str, typer.Argument(help="User name.")]
StdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (no prompt).")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@asynccontextmanager
async def _accounts(config: Path) -> AsyncIterator[AccountService]:
    with problems_exit(1, f"{config}: {{count}} problem(s)."):
        loaded = load_config(config)
    store = open_store(loaded.store)
    await store.open()
    try:
        yield AccountService(store.users, store.sessions, store.tokens, store.audit,
                             SystemClock())
    finally:
        await store.close()


def _run(config: Path, work: Callable[[AccountService], Awaitable[T]]) -> T:
    async def go() -> T:
        async with _accounts(config) as accounts:
            return await work(accounts)
    try:
        return asyncio.run(go())
    except (AccountError, StoreUnavailable) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(name: NameArg, config: ConfigOption,
              role: Annotated[Role, typer.Option(help="What the user may do.")],
              display_name: Annotated[str, typer.Option(help="Shown in the console.")] = "",
              language: Annotated[str, typer.Option(help="zh-CN or en.")] = "zh-CN",
              password_stdin: StdinOption = False) -> None:
    """Add a user."""
    password = _password(password_stdin)
    _run(config, lambda a: a.add_user(name, password, role, _actor(), display_name, language))
    typer.echo(f"user {name} added ({role.value})")


@users_app.command("passwd")
def users_passwd(name: NameArg, config: ConfigOption,
                 password_stdin: StdinOption = False) -> None:
    """Set a user's password (their sessions end)."""
    password = _password(password_stdin)
    _run(config, lambda a: a.set_password(name, password, _actor()))
    typer.echo(f"password of {name} changed; their sessions ended")


@users_app.command("disable")
def users_disable(name: NameArg, config: ConfigOption) -> None:
    """Disable a user (their sessions end at once)."""
    _run(config, lambda a: a.set_disabled(name, True, _actor()))
    typer.echo(f"user {name} disabled")


@users_app.command("enable")
def users_enable(name: NameArg, config: ConfigOption) -> None:
    """Enable a disabled user again."""
    _run(config, lambda a: a.set_disabled(name, False, _actor()))
    typer.echo(f"user {name} enabled")


@users_app.command("list")
def users_list(config: ConfigOption) -> None:
    """Every user, their role and whether they are disabled."""
    for user in _run(config, lambda a: a.users.all()):
        typer.echo(f"{user.name:20} {user.role.value:11} {user.language:6} "
                   f"{'disabled' if user.disabled else 'active':8} {user.display_name}")


@tokens_app.command("add")
def tokens_add(name: Annotated[str, typer.Argument(help="Token name, e.g. police-evidence.")],
               config: ConfigOption,
               role: Annotated[Role, typer.Option(help="What the token may do.")]) -> None:
    """Issue a token: printed once, stored only as its hash."""
    secret = _run(config, lambda a: a.issue_token(name, role, _actor()))
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list(config: ConfigOption) -> None:
    for token in _run(config, lambda a: a.tokens.all()):
        typer.echo(f"{token.name:24} {token.role.value:11} by {token.created_by:16} "
                   f"{'revoked' if token.revoked_at is not None else 'live'}")


@tokens_app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(help="Token name.")],
                  config: ConfigOption) -> None:
    _run(config, lambda a: a.revoke_token(name, _actor()))
    typer.echo(f"token {name} revoked")


@audit_app.command("verify")
def audit_verify(config: ConfigOption) -> None:
    """Check the chain: exit 1 naming each removed or altered line."""
    entries = _run(config, lambda a: a.audit_log.entries())
    problems = verify_chain(entries)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"audit log: {len(problems)} problem(s) in {len(entries)} lines", err=True)
        raise typer.Exit(1)
    head = entries[-1].hash if entries else "(empty)"
    typer.echo(f"audit log intact: {len(entries)} lines, last hash {head}")
