"""``switchyard apply`` and ``switchyard agents list|get|versions|environments|promote|rollback``.

Environments: a new agent runs version 1 in ``dev``, ``staging`` and ``prod``; ``apply`` of a
new version moves ``dev`` only; ``agents promote`` and ``agents rollback`` move the others.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.syntax import Syntax
from rich.table import Table

from switchyard.cli.output import ExitCode, console, fail, print_json
from switchyard.client import Client
from switchyard.errors import NotFoundError
from switchyard.models import AgentDetail, EnvironmentChange, EnvironmentPointer

agents_app = typer.Typer(help="Agents and their versions.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AgentArgument = Annotated[str, typer.Argument(help="The agent's name or id.")]


def _client(ctx: typer.Context) -> Client:
    client: Client = ctx.obj.client()
    return client


def resolve_agent(client: Client, ref: str) -> AgentDetail:
    """The agent whose id or name is ``ref``.

    Raises:
        NotFoundError: Neither.
    """
    try:
        return client.get_agent(ref)
    except NotFoundError:
        agent = client.find_agent(ref)
        if agent is None:
            raise
        return client.get_agent(agent.agent_id)


def spec_diff(before: dict[str, Any], after: dict[str, Any], labels: tuple[str, str]) -> str:
    """A unified diff of two specs as YAML (empty when they are equal)."""
    old = yaml.safe_dump(before, sort_keys=True).splitlines(keepends=True)
    new = yaml.safe_dump(after, sort_keys=True).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, *labels))


def _spec_name(text: str) -> str:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        fail(f"the file is not YAML: {error}", ExitCode.USAGE)
    body = document.get("agent", document) if isinstance(document, dict) else None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str):
        fail("the spec has no agent.name", ExitCode.USAGE)
    return name


def apply(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Option("--file", "-f", exists=True, dir_okay=False, help="The agent's YAML.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Create the agent named in the file, or add a version to it, and show what changed.

    The diff compares the previous version's spec with the new one, both as the API
    normalised them (defaults filled in).
    """
    text = file.read_text()
    name = _spec_name(text)
    with _client(ctx) as client:
        existing = client.find_agent(name)
        if existing is None:
            detail = client.create_agent(text)
            diff, action = "", "created"
        else:
            before = client.get_agent(existing.agent_id).version
            detail = client.update_agent(existing.agent_id, text)
            labels = (f"{name} v{before.version}", f"{name} v{detail.version.version}")
            diff = spec_diff(before.spec, detail.version.spec, labels)
            action = "updated" if diff else "unchanged"
    if as_json:
        print_json({"action": action, "diff": diff, **detail.model_dump(mode="json")})
        return
    console.print(
        f"[bold]{action}[/bold] agent {name} ({detail.agent.agent_id}), "
        f"version {detail.version.version}"
    )
    if diff:
        console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
    elif action == "unchanged":
        console.print("the spec is the same as the previous version's")


@agents_app.command("list")
def list_agents(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The organisation's agents."""
    with _client(ctx) as client:
        agents = list(client.list_agents())
    if as_json:
        print_json({"items": agents})
        return
    table = Table("name", "id", "version", "active", "updated")
    for agent in agents:
        table.add_row(
            agent.name,
            agent.agent_id,
            str(agent.latest_version),
            "yes" if agent.active else "no",
            f"{agent.updated_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)


@agents_app.command("get")
def get_agent(ctx: typer.Context, agent: AgentArgument, as_json: JsonOption = False) -> None:
    """One agent: its latest version's spec and its trigger."""
    with _client(ctx) as client:
        detail = resolve_agent(client, agent)
    if as_json:
        print_json(detail)
        return
    console.print(
        f"[bold]{detail.agent.name}[/bold] ({detail.agent.agent_id}), "
        f"version {detail.version.version}, {'active' if detail.agent.active else 'inactive'}"
    )
    if detail.agent.environments:
        where = ", ".join(f"{n} v{p.version}" for n, p in _ordered(detail.agent.environments))
        console.print(f"environments: {where}")
    if detail.trigger:
        console.print(f"trigger: {detail.trigger}")
    spec = yaml.safe_dump(detail.version.spec, sort_keys=False)
    console.print(Syntax(spec, "yaml", theme="ansi_dark", background_color="default"))


@agents_app.command("versions")
def list_versions(ctx: typer.Context, agent: AgentArgument, as_json: JsonOption = False) -> None:
    """An agent's versions."""
    with _client(ctx) as client:
        detail = resolve_agent(client, agent)
        versions = list(client.list_versions(detail.agent.agent_id))
    if as_json:
        print_json({"items": versions})
        return
    table = Table("version", "created", "model", "tools")
    for version in versions:
        model = version.spec.get("model", {})
        tools = ", ".join(tool.get("name", "?") for tool in version.spec.get("tools", []))
        table.add_row(
            str(version.version),
            f"{version.created_at:%Y-%m-%d %H:%M:%S}",
            str(model.get("name", "")) if isinstance(model, dict) else "",
            tools,
        )
    console.print(table)


ENVIRONMENT_ORDER = ("dev", "staging", "prod")
EnvironmentArgument = Annotated[str, typer.Argument(help="dev, staging or prod.")]
VersionOption = Annotated[int, typer.Option("--version", "-v", min=1, help="The version.")]


def _ordered(environments: dict[str, EnvironmentPointer]) -> list[tuple[str, EnvironmentPointer]]:
    order = {name: index for index, name in enumerate(ENVIRONMENT_ORDER)}
    return sorted(environments.items(), key=lambda item: (order.get(item[0], 99), item[0]))


def _print_change(change: EnvironmentChange, as_json: bool) -> None:
    if as_json:
        print_json(change)
        return
    name, environment = change.agent.name, change.environment
    if change.from_version == change.to_version:
        console.print(f"{name} {environment} already runs version {change.to_version}")
    else:
        console.print(
            f"[bold]{name}[/bold] {environment}: version {change.from_version} → "
            f"{change.to_version}"
        )


@agents_app.command("environments")
def list_environments(
    ctx: typer.Context, agent: AgentArgument, as_json: JsonOption = False
) -> None:
    """The version each environment (dev, staging, prod) runs, and who moved it there."""
    with _client(ctx) as client:
        detail = resolve_agent(client, agent)
        environments = client.list_environments(detail.agent.agent_id)
    if as_json:
        print_json(environments)
        return
    table = Table("environment", "version", "updated", "by")
    for name, pointer in _ordered(environments.environments):
        table.add_row(
            name,
            str(pointer.version),
            f"{pointer.updated_at:%Y-%m-%d %H:%M:%S}",
            pointer.updated_by,
        )
    console.print(table)


@agents_app.command("promote")
def promote(
    ctx: typer.Context,
    agent: AgentArgument,
    environment: EnvironmentArgument,
    version: Annotated[
        int | None, typer.Option("--version", "-v", min=1, help="The version to run.")
    ] = None,
    from_environment: Annotated[
        str | None,
        typer.Option("--from", help="Run what this other environment runs (e.g. staging)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Promote an environment to a version (--version N) or to another's (--from staging)."""
    if (version is None) == (from_environment is None):
        fail("give exactly one of --version and --from", ExitCode.USAGE)
    with _client(ctx) as client:
        detail = resolve_agent(client, agent)
        change = client.promote(
            detail.agent.agent_id,
            environment,
            version=version,
            from_environment=from_environment,
        )
    _print_change(change, as_json)


@agents_app.command("rollback")
def rollback(
    ctx: typer.Context,
    agent: AgentArgument,
    environment: EnvironmentArgument,
    version: VersionOption,
    as_json: JsonOption = False,
) -> None:
    """Roll an environment back to an earlier version, in one call."""
    with _client(ctx) as client:
        detail = resolve_agent(client, agent)
        change = client.rollback(detail.agent.agent_id, environment, version)
    _print_change(change, as_json)
