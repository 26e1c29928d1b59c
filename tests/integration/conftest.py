"""Integration tests run against the local stack and fail loudly, never skip, without it.

Run them through the stack: ``python -m emulators run -- pytest tests/integration``.
"""

from __future__ import annotations

import pytest

from shared.settings import Settings

_STACK_FIELDS = (
    "pubsub_emulator_host",
    "firestore_emulator_host",
    "storage_emulator_host",
    "cloud_tasks_emulator_host",
    "secret_manager_emulator_host",
    "scheduler_emulator_host",
    "vertex_base_url",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Settings:
    """The settings of a running local stack; fails the test when any emulator is missing."""
    missing = [field for field in _STACK_FIELDS if not getattr(settings, field)]
    if missing:
        pytest.fail(
            "the local stack is not running (missing "
            + ", ".join(missing)
            + "): run the tests with `python -m emulators run -- pytest`",
            pytrace=False,
        )
    return settings
