"""A small reader of Switchyard's Dockerfiles, for the tests that lint them and run their CMD.

It understands what the Dockerfiles use: comments, line continuations, and the instructions
FROM, ENV (``key=value`` pairs), WORKDIR, COPY (``src... dest``), RUN, USER, EXPOSE,
HEALTHCHECK and CMD (exec form only: a JSON array).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = {path.parent.name: path for path in sorted((ROOT / "cloudrun").glob("*/Dockerfile"))}


@dataclass
class Dockerfile:
    """The instructions of one Dockerfile.

    Attributes:
        base: The FROM image.
        env: ENV values, in order.
        workdir: The last WORKDIR.
        copies: ``(sources, destination)`` of each COPY.
        user: The last USER.
        healthcheck: The HEALTHCHECK command (exec form).
        cmd: The CMD, exec form.
        instructions: ``(INSTRUCTION, arguments)`` in order.
    """

    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    user: str = "root"
    healthcheck: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    instructions: list[tuple[str, str]] = field(default_factory=list)


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse(path: Path) -> Dockerfile:
    """Read ``path``.

    Raises:
        ValueError: An instruction this reader does not know, or a CMD in shell form.
    """
    parsed = Dockerfile()
    for line in _logical_lines(path.read_text()):
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        arguments = arguments.strip()
        parsed.instructions.append((instruction, arguments))
        if instruction == "FROM":
            parsed.base = arguments.split()[0]
        elif instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                parsed.env[key] = value
        elif instruction == "WORKDIR":
            parsed.workdir = arguments
        elif instruction == "COPY":
            *sources, destination = arguments.split()
            parsed.copies.append((sources, destination))
        elif instruction == "USER":
            parsed.user = arguments
        elif instruction == "HEALTHCHECK":
            _options, _, command = arguments.partition("CMD ")
            parsed.healthcheck = json.loads(command)
        elif instruction == "CMD":
            if not arguments.startswith("["):
                raise ValueError(f"{path}: CMD must be in exec form")
            parsed.cmd = json.loads(arguments)
        elif instruction not in {"RUN", "EXPOSE"}:
            raise ValueError(f"{path}: unexpected instruction {instruction}")
    return parsed
