"""The ``switchyard`` command line, on the SDK (typer for commands, rich for tables/progress).

``switchyard login``, ``apply -f agent.yaml``, ``agents list|get|versions``,
``runs create|get|list|logs|trace|cancel``; ``--json`` on every command prints one JSON document
for scripts. Exit codes: :mod:`switchyard.cli.output`.
"""

from __future__ import annotations

from switchyard.cli.app import app


def main() -> None:
    """The console script's entry point."""
    app()


__all__ = ["app", "main"]
