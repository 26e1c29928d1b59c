"""How the CLI prints and exits.

Exit codes (scripts can rely on them):

====  ======================================================================
0     success
1     the watched run did not succeed (``runs create --watch``: it ended failed, blocked,
      rejected, cancelled or delivery_failed)
2     usage: a bad command line, or a request the API refused as invalid (400, 409, 422)
3     not found (404)
4     authentication: no credentials, or the key was refused (401, 403)
5     server or transient: 5xx, rate limited after the retries, API unreachable
====  ======================================================================
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console

from switchyard.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SwitchyardError,
)

console = Console()
errors = Console(stderr=True)


class ExitCode(IntEnum):
    """The CLI's exit codes (see the module docstring)."""

    OK = 0
    RUN_UNSUCCESSFUL = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    SERVER = 5


def exit_code(error: SwitchyardError) -> ExitCode:
    """The exit code for an SDK error."""
    if isinstance(error, NotFoundError):
        return ExitCode.NOT_FOUND
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return ExitCode.AUTH
    if isinstance(error, BadRequestError | ConflictError):
        return ExitCode.USAGE
    return ExitCode.SERVER


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(int(code))


def fail_with(error: SwitchyardError) -> NoReturn:
    """Report an SDK error and exit with its code."""
    if isinstance(error, ApiError):
        fail(f"{error.detail} ({error.status} {error.code})", exit_code(error))
    fail(str(error), exit_code(error))


def jsonable(value: Any) -> Any:
    """``value`` with pydantic models dumped as JSON-ready data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as one JSON document on stdout (plain, no colour, for scripts)."""
    typer.echo(json.dumps(jsonable(value), indent=2, default=str))
