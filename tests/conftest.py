"""Fixtures shared by every test layer."""

from __future__ import annotations

import pytest

from shared.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The settings of the process, read from the environment (the local stack's when it runs)."""
    return Settings()
