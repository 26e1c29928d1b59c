"""``switchyard keys create|list|revoke``: the organisation's API keys (the ``admin`` scope)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from switchyard.cli.agents import JsonOption
from switchyard.cli.output import console, errors, print_json
from switchyard.client import Client
from switchyard.models import ApiKey

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)

SCOPES = ("agents:read", "agents:write", "runs:read", "runs:write", "credentials:write", "admin")


def _client(ctx: typer.Context) -> Client:
    client: Client = ctx.obj.client()
    return client


def _state(key: ApiKey) -> str:
    if key.revoked:
        return "[red]revoked[/red]"
    if key.rotated_to:
        return f"[yellow]rotated to {key.rotated_to}[/yellow]"
    return "[green]active[/green]"


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A label for the key, such as ci or laptop.")],
    scopes: Annotated[
        list[str],
        typer.Option("--scope", "-s", help=f"A scope (repeat for more): {', '.join(SCOPES)}."),
    ],
    test: Annotated[bool, typer.Option("--test", help="A test key (sy_test_...).")] = False,
    expires_in_s: Annotated[
        int | None, typer.Option("--expires-in", min=60, help="Seconds until it stops working.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mint a key. The key is printed this once: store it now."""
    with _client(ctx) as client:
        created = client.create_key(
            name, scopes, mode="test" if test else "live", expires_in_s=expires_in_s
        )
    if as_json:
        print_json(created)
        return
    record = created.api_key
    errors.print(f"created key {record.key_id} ({', '.join(record.scopes)}); shown once:")
    typer.echo(created.key)  # alone on stdout, so `$(switchyard keys create ...)` captures it


@keys_app.command("list")
def list_keys(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The organisation's keys, oldest first (never their secrets)."""
    with _client(ctx) as client:
        keys = list(client.list_keys())
    if as_json:
        print_json({"items": keys})
        return
    table = Table("id", "name", "mode", "scopes", "state", "created", "last used")
    for key in keys:
        table.add_row(
            key.key_id,
            key.name,
            key.mode,
            ", ".join(key.scopes),
            _state(key),
            f"{key.created_at:%Y-%m-%d %H:%M:%S}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never",
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (the part after sy_live_).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a key; every instance of the API refuses it within 5 s."""
    with _client(ctx) as client:
        key = client.revoke_key(key_id)
    if as_json:
        print_json(key)
        return
    console.print(f"revoked key {key.key_id} ({key.name})")
