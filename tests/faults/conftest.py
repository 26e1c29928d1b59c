"""Fault tests (marker ``faults``): one private stack for the package, broken on purpose.

Run them alone with ``python -m emulators run --no-services -- pytest -m faults``; ``make test``
runs them with the rest. Each module that needs a stack started differently (duplicate Cloud
Tasks dispatches) starts its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.harness import FaultStack, private_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="package")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """A private stack with services that the package's tests may break; always stopped."""
    with private_stack(tmp_path_factory.mktemp("fault-stack")) as started:
        yield started
