"""Reading ``infra/terraform`` with python-hcl2, for the repository tests.

Values come back as python-hcl2 serialises them with quotes stripped: literals as Python values,
expressions as ``"${...}"`` strings, blocks as lists of dicts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "infra" / "terraform"
MODULE = TERRAFORM / "modules" / "switchyard"
ENVIRONMENTS = TERRAFORM / "environments"

_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


@dataclass
class Config:
    """The blocks of every ``.tf`` file of one folder, merged.

    Attributes:
        resources: ``{type: {name: body}}``.
        data: ``{type: {name: body}}`` of the data sources.
        locals: Every local value by name.
        variables: ``{name: body}``.
        outputs: ``{name: body}``.
        modules: ``{name: body}`` of the module calls.
    """

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        """The body of resource ``kind.name``; a KeyError names what is missing."""
        try:
            return self.resources[kind][name]
        except KeyError:
            raise KeyError(f"no resource {kind}.{name} in the Terraform") from None


def _merge_named(target: dict[str, dict[str, Any]], blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        for name, body in block.items():
            assert name not in target, f"{name} is declared twice"
            target[name] = body


@functools.cache
def load(folder: Path) -> Config:
    """Parse every ``.tf`` file directly in ``folder``."""
    config = Config()
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle, serialization_options=_OPTIONS)
        for kind, target in (("resource", config.resources), ("data", config.data)):
            for block in parsed.get(kind, []):
                for type_name, named in block.items():
                    _merge_named(target.setdefault(type_name, {}), [named])
        for block in parsed.get("locals", []):
            for name, value in block.items():
                assert name not in config.locals, f"local.{name} is declared twice"
                config.locals[name] = value
        _merge_named(config.variables, parsed.get("variable", []))
        _merge_named(config.outputs, parsed.get("output", []))
        _merge_named(config.modules, parsed.get("module", []))
    return config


def module() -> Config:
    """The ``switchyard`` module."""
    return load(MODULE)


def environments() -> dict[str, Config]:
    """Each environment root by name (``dev``, ``prod``)."""
    return {path.name: load(path) for path in sorted(ENVIRONMENTS.iterdir()) if path.is_dir()}


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of ``body``."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block"
    return blocks[0]  # type: ignore[no-any-return]


def dynamic_content(body: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """``(for_each, content)`` of the dynamic block ``name`` of ``body``."""
    for dynamic in body.get("dynamic", []):
        if name in dynamic:
            spec = dynamic[name]
            return spec["for_each"], spec["content"][0]
    raise KeyError(f"no dynamic {name} block")


def all_strings(value: Any) -> list[str]:
    """Every string anywhere inside ``value`` (keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *all_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    return []
