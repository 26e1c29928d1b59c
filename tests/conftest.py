"""Fixtures shared by every test layer."""

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
    "firebase_auth_emulator_host",
)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The settings of the process, read from the environment (the local stack's when it runs)."""
    return Settings()


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Settings:
    """The settings of a running local stack; fails (never skips) when any emulator is missing.

    Run tests that use it through the stack: ``python -m emulators run -- pytest``.
    """
    missing = [field for field in _STACK_FIELDS if not getattr(settings, field)]
    if missing:
        pytest.fail(
            "the local stack is not running (missing "
            + ", ".join(missing)
            + "): run the tests with `python -m emulators run -- pytest` or `make test`",
            pytrace=False,
        )
    return settings
