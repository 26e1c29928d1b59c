"""The root command: global options, credentials, and the SDK error → exit code mapping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from switchyard.cli import agents, config, keys, login, runs
from switchyard.cli.output import ExitCode, fail, fail_with
from switchyard.client import Client
from switchyard.errors import SwitchyardError


class _Group(TyperGroup):
    """Turns any SDK error a command lets out into a message and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # click's Context (typer may vendor click)
        try:
            return super().invoke(ctx)
        except SwitchyardError as error:
            fail_with(error)


@dataclass
class State:
    """What the root command hands its subcommands (``ctx.obj``)."""

    api_url: str | None
    api_key: str | None

    def client(self) -> Client:
        """An SDK client with the effective credentials.

        Raises:
            typer.Exit: Code 4 when there are none (run ``switchyard login``).
        """
        credentials = config.load(self.api_url, self.api_key)
        if credentials is None:
            fail("not logged in: run `switchyard login` or set SWITCHYARD_API_KEY", ExitCode.AUTH)
        return Client(credentials.api_url, credentials.credential(), org_id=credentials.org_id)


app = typer.Typer(
    cls=_Group,
    help="Switchyard: run AI agents on Google Cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(agents.agents_app, name="agents")
app.add_typer(runs.runs_app, name="runs")
app.add_typer(keys.keys_app, name="keys")
app.command("apply")(agents.apply)


@app.callback()
def root(
    ctx: typer.Context,
    api_url: Annotated[
        str | None, typer.Option(envvar="SWITCHYARD_API_URL", help="The API's URL.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="SWITCHYARD_API_KEY", help="An API key.")
    ] = None,
) -> None:
    """Switchyard's command line. Credentials: flags, then env vars, then `switchyard login`."""
    ctx.obj = State(api_url, api_key)


app.command("login")(login.login)
