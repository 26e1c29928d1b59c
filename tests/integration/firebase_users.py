"""People in the local stack's Firebase Auth emulator: created with firebase-admin, signed in
through the emulator's Identity Toolkit REST API, so every ID token is a real one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import firebase_admin
import httpx
import pytest
from firebase_admin import auth

from shared.gcp_clients import firebase_app
from shared.settings import Settings

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Person:
    """A user of the emulator.

    Attributes:
        uid: Firebase uid.
        email: Their (unique) email.
        password: Their password.
    """

    uid: str
    email: str
    password: str = PASSWORD


def auth_emulator(stack: Settings) -> str:
    """The Auth emulator's ``host:port``; fails (never skips) without it."""
    if not stack.firebase_auth_emulator_host:
        pytest.fail("FIREBASE_AUTH_EMULATOR_HOST is not set: run through `python -m emulators`")
    return stack.firebase_auth_emulator_host


def admin_app(stack: Settings) -> firebase_admin.App:
    """The process's firebase-admin app, on the emulator."""
    auth_emulator(stack)
    return firebase_app(stack)


def create_person(stack: Settings, name: str = "person") -> Person:
    """A new user with an email and :data:`PASSWORD`."""
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
    user = auth.create_user(email=email, password=PASSWORD, app=admin_app(stack))
    return Person(uid=user.uid, email=email)


def sign_in(stack: Settings, person: Person) -> str:
    """A fresh ID token of ``person`` (``accounts:signInWithPassword`` on the emulator)."""
    host = auth_emulator(stack)
    answer = httpx.post(
        f"http://{host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword",
        params={"key": "emulator"},
        json={"email": person.email, "password": person.password, "returnSecureToken": True},
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["idToken"])
