"""Check the Terraform's resource arguments against the google provider's schema, offline.

``terraform validate`` needs the provider binary, which only the Terraform registry serves. The
prebuilt CDK for Terraform bindings of the same provider (``cdktf-cdktf-provider-google`` on
PyPI, 16.12.1 = hashicorp/google 6.50.0, the version ``infra/terraform`` requires) carry its
schema as generated JavaScript: each resource's ``synthesizeAttributes()`` lists its arguments
and blocks under their Terraform names, each block's ``…ToTerraform()`` function its own, and
its ``get…Attribute('name')`` getters the attributes it exports. This reads that schema from the
wheel and checks every resource and data source in ``infra/terraform``: each argument and nested
block (``dynamic`` ones included) exists where it is used, and each ``<type>.<name>.<attribute>``
reference names an attribute the type has. Types the GA provider lacks (the google-beta ones)
are reported as not checked.

Run (``make scan`` downloads the wheel first):
``python -m deploy.check_terraform_schema build/scan/cdktf_cdktf_provider_google-*.whl``.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "infra" / "terraform"
META_ARGUMENTS = {"for_each", "count", "depends_on", "provider", "lifecycle", "provisioner"}
# Argument name → the schema of its block (the same shape), or None for a plain value.
Schema = dict[str, Any]

_FUNCTION = re.compile(
    r"function (\w+)ToTerraform\(struct\) \{.*?return \{(.*?)\n    \};\n\}", re.S
)
_SYNTHESIZE = re.compile(r"synthesizeAttributes\(\) \{\s*return \{(.*?)\n        \};", re.S)
_ENTRY = re.compile(r"^\s*(\w+): (.*)$", re.M)
_CALLS = re.compile(r"(\w+)ToTerraform\b")
_TYPE = re.compile(r'tfResourceType = "([a-z0-9_]+)"')
_GETTER = re.compile(r"get\w*Attribute\('([a-z0-9_]+)'\)")
_REFERENCE = re.compile(r"\b(data\.)?(google_[a-z0-9_]+)\.[a-z0-9_]+(?:\[[^\]]*\])?\.([a-z0-9_]+)")


@dataclass(frozen=True)
class TypeSchema:
    """One resource or data source type: its arguments and blocks, and what it exports."""

    arguments: Schema
    exported: frozenset[str]


def _block_schema(body: str, functions: dict[str, str], depth: int = 0) -> Schema:
    schema: Schema = {}
    for name, value in _ENTRY.findall(body):
        nested = next((f for f in _CALLS.findall(value) if f in functions), None)
        schema[name] = (
            _block_schema(functions[nested], functions, depth + 1)
            if nested and depth < 10
            else None
        )
    return schema


def _type_schema(source: str) -> tuple[str, TypeSchema] | None:
    type_match, body = _TYPE.search(source), _SYNTHESIZE.search(source)
    if not type_match or not body:
        return None
    functions = {name: text for name, text in _FUNCTION.findall(source)}
    arguments = _block_schema(body.group(1), functions)
    return type_match.group(1), TypeSchema(arguments, frozenset(_GETTER.findall(source)))


def _javascript_files(wheel: Path) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(wheel) as archive:
        inner = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(inner)), mode="r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 4 and parts[1] == "lib" and parts[3] == "index.js":
                    handle = tar.extractfile(member)
                    if handle:
                        yield parts[2], handle.read().decode()


def load_schema(wheel: Path) -> dict[str, TypeSchema]:
    """Every type of the provider, data sources keyed ``data.<type>``."""
    schema: dict[str, TypeSchema] = {}
    for folder, source in _javascript_files(wheel):
        found = _type_schema(source)
        if found:
            prefix = "data." if folder.startswith("data-google-") else ""
            schema[prefix + found[0]] = found[1]
    return schema


def _check_block(where: str, body: dict[str, Any], schema: Schema, problems: list[str]) -> None:
    for name, value in body.items():
        if name in META_ARGUMENTS:
            continue
        if name == "dynamic":
            for dynamic in value:
                for block_name, spec in dynamic.items():
                    nested = schema.get(block_name)
                    if nested is None:
                        problems.append(f"{where}: no block {block_name}")
                        continue
                    for content in spec.get("content", []):
                        _check_block(f"{where}.{block_name}", content, nested, problems)
            continue
        if name not in schema:
            problems.append(f"{where}: no argument {name}")
            continue
        nested = schema[name]
        if nested is not None and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _check_block(f"{where}.{name}", item, nested, problems)


def check(folder: Path, schema: dict[str, TypeSchema]) -> tuple[list[str], set[str]]:
    """Check every ``.tf`` file under ``folder``.

    Returns:
        ``(problems, unchecked types)``.
    """
    problems: list[str] = []
    unchecked: set[str] = set()
    options = hcl2.SerializationOptions(
        with_comments=False, explicit_blocks=False, strip_string_quotes=True
    )
    for path in sorted(folder.rglob("*.tf")):
        where = path.relative_to(folder)
        with path.open() as handle:
            parsed = hcl2.load(handle, serialization_options=options)
        for kind, prefix in (("resource", ""), ("data", "data.")):
            for block in parsed.get(kind, []):
                for type_name, named in block.items():
                    if not type_name.startswith("google_"):
                        continue
                    if prefix + type_name not in schema:
                        unchecked.add(prefix + type_name)
                        continue
                    for name, body in named.items():
                        arguments = schema[prefix + type_name].arguments
                        _check_block(f"{where}: {type_name}.{name}", body, arguments, problems)
        for data, type_name, attribute in _REFERENCE.findall(path.read_text()):
            key = ("data." if data else "") + type_name
            if key not in schema:
                unchecked.add(key)
            elif attribute not in schema[key].arguments and attribute not in schema[key].exported:
                problems.append(f"{where}: {key} has no attribute {attribute}")
    return problems, unchecked


def main(argv: list[str] | None = None) -> int:
    """Command line; exits 1 when a problem was found."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy.check_terraform_schema", description=__doc__.splitlines()[0]
    )
    parser.add_argument("wheel", type=Path, help="the cdktf-cdktf-provider-google wheel")
    parser.add_argument("--terraform", type=Path, default=TERRAFORM, help="folder to check")
    args = parser.parse_args(argv)
    schema = load_schema(args.wheel)
    problems, unchecked = check(args.terraform, schema)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if unchecked:
        print(f"not in the GA provider's schema, not checked: {', '.join(sorted(unchecked))}")
    print(f"{len(schema)} provider types read; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
