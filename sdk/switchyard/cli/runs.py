"""``switchyard runs create|get|list|logs|trace|cancel``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from switchyard.cli.agents import JsonOption, resolve_agent
from switchyard.cli.output import ExitCode, console, fail, print_json
from switchyard.cli.watch import watch
from switchyard.client import Client
from switchyard.models import Run, RunEvent

runs_app = typer.Typer(help="Runs: start, follow, inspect, cancel.", no_args_is_help=True)

RunArgument = Annotated[str, typer.Argument(help="The run's id.")]
_STATUS_STYLE = {"delivered": "green", "running": "cyan", "requested": "dim"}


def _client(ctx: typer.Context) -> Client:
    client: Client = ctx.obj.client()
    return client


def _input(text: str | None, file: Path | None) -> dict[str, Any]:
    raw = file.read_text() if file else text or "{}"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        fail(f"the input is not JSON: {error}", ExitCode.USAGE)
    if not isinstance(value, dict):
        fail("the input must be a JSON object", ExitCode.USAGE)
    return value


def _status(run: Run) -> str:
    style = _STATUS_STYLE.get(run.status, "red" if run.terminal else "yellow")
    return f"[{style}]{run.status}[/{style}]"


def _show_run(run: Run) -> None:
    console.print(f"run {run.run_id}: {_status(run)}")
    where = f" in {run.environment}" if run.environment else ""
    console.print(f"agent {run.agent_id} v{run.agent_version}{where}, trigger {run.trigger}")
    usage = run.usage
    console.print(
        f"{usage.model_steps} model steps, {usage.tool_calls} tool calls, "
        f"{usage.prompt_tokens}+{usage.completion_tokens} tokens"
    )
    if run.error:
        console.print(f"[red]{run.error.code}[/red]: {run.error.message}")
    if run.output:
        console.print(run.output)


@runs_app.command("create")
def create_run(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="The agent's name or id.")],
    input_json: Annotated[
        str | None, typer.Option("--input", "-i", help="The run's input, a JSON object.")
    ] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input-file", exists=True, help="A JSON file of the input.")
    ] = None,
    watch_run: Annotated[
        bool,
        typer.Option(
            "--watch", "-w", help="Follow the run to its end; exit 1 unless it is delivered."
        ),
    ] = False,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Makes repeating this command start one run.")
    ] = None,
    environment: Annotated[
        str | None,
        typer.Option("--environment", "-e", help="dev, staging or prod (the default: prod)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Start a run of the version an environment (prod by default) runs."""
    run_input = _input(input_json, input_file)
    with _client(ctx) as client:
        agent_id = resolve_agent(client, agent).agent.agent_id
        run = client.create_run(
            agent_id, run_input, idempotency_key=idempotency_key, environment=environment
        )
        if not watch_run:
            if as_json:
                print_json(run)
            else:
                console.print(f"started run {run.run_id}")
            return
        if as_json:
            for _event in client.stream_events(run.run_id):
                pass
        else:
            console.print(f"run {run.run_id}")
            watch(client, run.run_id, console)
        run = client.get_run(run.run_id)
    if as_json:
        print_json(run)
    else:
        _show_run(run)
    if not run.succeeded:
        raise typer.Exit(int(ExitCode.RUN_UNSUCCESSFUL))


@runs_app.command("get")
def get_run(
    ctx: typer.Context,
    run_id: RunArgument,
    wait: Annotated[
        float, typer.Option(min=0, max=60, help="Seconds to wait for the run to end.")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """One run: status, usage, error and output."""
    with _client(ctx) as client:
        run = client.get_run(run_id, wait_s=wait)
    if as_json:
        print_json(run)
    else:
        _show_run(run)


@runs_app.command("list")
def list_runs(
    ctx: typer.Context,
    agent: Annotated[str | None, typer.Option(help="Only this agent's (name or id).")] = None,
    status: Annotated[str | None, typer.Option(help="Only runs in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The organisation's runs, newest first."""
    with _client(ctx) as client:
        agent_id = resolve_agent(client, agent).agent.agent_id if agent else None
        pages = client.list_runs(agent_id=agent_id, status=status, page_size=min(limit, 100))
        runs = [run for _, run in zip(range(limit), pages, strict=False)]
    if as_json:
        print_json({"items": runs})
        return
    table = Table("run", "agent", "version", "status", "created")
    for run in runs:
        created = f"{run.created_at:%Y-%m-%d %H:%M:%S}"
        table.add_row(run.run_id, run.agent_id, str(run.agent_version), _status(run), created)
    console.print(table)


def _event_line(event: RunEvent) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in event.data.items() if not isinstance(v, dict | list))
    return f"{event.seq:>4} {event.at:%H:%M:%S} {event.type:<22} {detail}"


@runs_app.command("logs")
def logs(
    ctx: typer.Context,
    run_id: RunArgument,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep going until the run ends.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The run's event log; with --follow, live until the run ends."""
    events: list[RunEvent] = []
    with _client(ctx) as client:
        known = client.get_run(run_id).event_count
        for event in client.stream_events(run_id):
            if not as_json:
                console.print(_event_line(event), highlight=False, markup=False)
            events.append(event)
            if not follow and event.seq >= known:
                break
    if as_json:
        print_json({"items": events})


@runs_app.command("trace")
def trace(ctx: typer.Context, run_id: RunArgument, as_json: JsonOption = False) -> None:
    """The run's model steps and tool calls."""
    with _client(ctx) as client:
        found = client.get_trace(run_id)
    if as_json:
        print_json(found)
        return
    table = Table("step", "call", "kind", "status / finish", "tokens in/out")
    for step in found.steps:
        table.add_row(
            str(step.get("step")),
            "",
            "model",
            str(step.get("finish_reason", "")),
            f"{step.get('prompt_tokens', '')}/{step.get('completion_tokens', '')}",
        )
        for call in (c for c in found.tool_calls if c.get("step") == step.get("step")):
            kind = f"tool {call.get('name', '?')}"
            table.add_row("", str(call.get("call_index")), kind, str(call.get("status", "")), "")
    console.print(f"run {found.run_id}: {found.status}")
    console.print(table)


@runs_app.command("cancel")
def cancel(ctx: typer.Context, run_id: RunArgument, as_json: JsonOption = False) -> None:
    """Cancel a run; honoured between steps. Exit 2 when it has already ended."""
    with _client(ctx) as client:
        run = client.cancel_run(run_id)
    if as_json:
        print_json(run)
    else:
        console.print(f"run {run.run_id}: {_status(run)}")
