"""Assemble each Cloud Function's deployable source: what Cloud Functions builds and runs.

For every ``functions/<name>/main.py`` this writes ``<out>/<name>/`` with:

- ``main.py``: the function's edge, unchanged (its target is ``<name>``, the folder's name);
- ``shared/``: the ``shared`` package the edge imports (no caches);
- ``requirements.txt``: the pinned runtime closure of :mod:`deploy.requirements`, the same file
  for every function and for the container images.

With ``--zip`` it also writes ``<out>/<name>-<sha256 prefix>.zip`` (entries sorted, timestamps
fixed, so the same source gives the same bytes and the same object name) and
``<out>/function_sources.tfvars.json``, the Terraform variable that names those objects. The
content hash in the object name is what makes Terraform redeploy a function whose source
changed, and only then.

Run: ``python -m deploy.assemble_functions [--out build/functions] [--zip]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from deploy.requirements import RequirementsError, runtime_requirements

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "functions"
SOURCE_PREFIX = "functions"  # object name prefix in the function sources bucket
TFVARS_FILE = "function_sources.tfvars.json"
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


@dataclass(frozen=True)
class FunctionSource:
    """One assembled function.

    Attributes:
        name: Function name, its folder's name and its entry point (``--target``).
        directory: The assembled source folder.
        archive: The zip of that folder, when one was made.
    """

    name: str
    directory: Path
    archive: Path | None = None

    @property
    def object_name(self) -> str | None:
        """Object name of the archive in the function sources bucket, or None without one."""
        return f"{SOURCE_PREFIX}/{self.archive.name}" if self.archive else None


def function_names(root: Path = ROOT) -> list[str]:
    """Names of the functions in ``root/functions``: every folder with a ``main.py``."""
    return sorted(path.parent.name for path in (root / "functions").glob("*/main.py"))


def assemble_one(name: str, out: Path, requirements: str, root: Path = ROOT) -> FunctionSource:
    """Write the source folder of function ``name`` under ``out`` (replacing an old one)."""
    target = out / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(root / "functions" / name / "main.py", target / "main.py")
    shutil.copytree(root / "shared", target / "shared", ignore=_IGNORED)
    (target / "requirements.txt").write_text(requirements)
    return FunctionSource(name, target)


def zip_source(source: FunctionSource) -> FunctionSource:
    """Zip ``source.directory`` reproducibly into ``<name>-<sha256[:12]>.zip`` beside it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in source.directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(source.directory).as_posix(), _ZIP_TIMESTAMP)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    for old in source.directory.parent.glob(f"{source.name}-*.zip"):
        old.unlink()
    path = source.directory.parent / f"{source.name}-{hashlib.sha256(data).hexdigest()[:12]}.zip"
    path.write_bytes(data)
    return FunctionSource(source.name, source.directory, path)


def assemble(out: Path = DEFAULT_OUT, make_zips: bool = False) -> list[FunctionSource]:
    """Assemble every function under ``out``; see the module docstring.

    Raises:
        RequirementsError: The virtualenv does not hold the runtime dependencies.
    """
    requirements = runtime_requirements()
    sources = [assemble_one(name, out, requirements) for name in function_names()]
    if make_zips:
        sources = [zip_source(source) for source in sources]
        tfvars = {"function_source_objects": {s.name: s.object_name for s in sources}}
        (out / TFVARS_FILE).write_text(json.dumps(tfvars, indent=2, sort_keys=True) + "\n")
    return sources


def main(argv: list[str] | None = None) -> int:
    """Command line; prints one line per function."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy.assemble_functions", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--zip", action="store_true", help="also write zips and the tfvars file")
    args = parser.parse_args(argv)
    try:
        sources = assemble(args.out.resolve(), args.zip)
    except RequirementsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for source in sources:
        print(
            f"{source.name}: {source.directory}" + (f" {source.archive}" if source.archive else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
