"""Which ports of ``Dependencies`` each deployable can reach, read statically from the source.

Starting at a deployable's entry module (``functions/<name>/main.py``, ``cloudrun/<name>/main.py``)
this follows its imports of ``shared`` and ``cloudrun`` modules (not the adapters, nor the
composition root that builds every adapter) and reports each port whose use, ``deps.<port>``,
appears in a module it reached. That over-approximates: a module shared by two deployables may
hold code only one of them runs; the tests list such cases with their reason.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTS = ("model", "tasks", "blobs", "secrets", "scheduler", "publisher")
_USE = {port: re.compile(rf"\bdeps_?(?:\(\))?\.{port}\b") for port in PORTS}
_NOT_FOLLOWED = ("shared.adapters", "shared.composition")


def _module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path, module: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {
        name
        for name in found
        if name.split(".")[0] in {"shared", "cloudrun"}
        and not name.startswith(_NOT_FOLLOWED)
        and _module_path(name)
    }


def reached_modules(entry: Path, module: str) -> dict[str, Path]:
    """Every module ``entry`` (named ``module``) reaches through its imports."""
    seen: dict[str, Path] = {}
    pending = [(module, entry)]
    while pending:
        name, path = pending.pop()
        if name in seen:
            continue
        seen[name] = path
        for imported in _imports(path, name):
            imported_path = _module_path(imported)
            if imported_path:
                pending.append((imported, imported_path))
    return seen


@functools.cache
def reached_ports() -> dict[str, frozenset[str]]:
    """Deployable name → the ports its reachable code uses."""
    entries = {
        path.parent.name: (path, f"{folder}.{path.parent.name}.main")
        for folder in ("functions", "cloudrun")
        for path in (ROOT / folder).glob("*/main.py")
    }
    result: dict[str, frozenset[str]] = {}
    for name, (entry, module) in entries.items():
        texts = [path.read_text() for path in reached_modules(entry, module).values()]
        result[name] = frozenset(
            port for port in PORTS if any(_USE[port].search(text) for text in texts)
        )
    return result
