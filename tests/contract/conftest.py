"""Fixtures of the contract suites: each port's suite runs against its twin and its adapter.

A suite parametrizes its own fixture over ``["memory", <backend>]`` and asks for the backend's
fixture (``stack``, ``firestore_client``) only in the backend's case, so the twin's half runs
without the local stack and the backend's half fails loudly (never skips) without it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from google.cloud import firestore

from shared.settings import Settings

T = TypeVar("T")


@pytest.fixture(scope="session")
def firestore_client(stack: Settings) -> firestore.Client:
    """A client of the local stack's Firestore emulator (found through FIRESTORE_EMULATOR_HOST)."""
    return firestore.Client(project=stack.project_id)


@pytest.fixture
def namespace() -> str:
    """A random token no other test gets.

    Ids and names made with it cannot collide with another test's on the shared emulators, so
    no test needs to clean up after itself.
    """
    return uuid.uuid4().hex[:12]


def _race(count: int, call: Callable[[], T]) -> list[T]:
    barrier = threading.Barrier(count)

    def contender(_: int) -> T:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(contender, range(count)))


@pytest.fixture
def race() -> Callable[..., list[Any]]:
    """``race(count, call)``: ``call()`` on ``count`` threads released at once.

    Returns the results in no particular order; the first error any thread raised is raised.
    """
    return _race
