"""How firebase-admin's verdicts on an ID token become the API's problem codes.

Against the Auth emulator firebase-admin checks neither signatures nor expiry (it takes the
emulator's unsigned tokens as they are), so ``id_token_expired`` and the unavailable case cannot
be produced there; here ``verify_id_token`` answers each way firebase-admin documents, and
``tests/integration/test_firebase_auth.py`` covers the rest with real tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import firebase_admin
import pytest
from firebase_admin import auth

from shared.auth.firebase import FirebaseIdTokens
from shared.errors import TransientError, UnauthenticatedError


@pytest.fixture(scope="module")
def app() -> Iterator[firebase_admin.App]:
    app = firebase_admin.initialize_app(options={"projectId": "demo-unit"}, name="unit-tokens")
    yield app
    firebase_admin.delete_app(app)


@pytest.mark.parametrize(
    ("raised", "code"),
    [
        (auth.ExpiredIdTokenError("expired", cause=None), "id_token_expired"),
        (auth.RevokedIdTokenError("revoked"), "id_token_revoked"),
        (auth.UserDisabledError("disabled"), "user_disabled"),
        (auth.InvalidIdTokenError("bad signature"), "invalid_id_token"),
        (auth.UserNotFoundError("deleted"), "invalid_id_token"),
        (ValueError("empty"), "invalid_id_token"),
    ],
)
def test_each_refusal_has_its_code(
    app: firebase_admin.App, monkeypatch: pytest.MonkeyPatch, raised: Exception, code: str
) -> None:
    def verify(token: str, **_: Any) -> dict[str, Any]:
        raise raised

    monkeypatch.setattr(auth, "verify_id_token", verify)

    with pytest.raises(UnauthenticatedError) as caught:
        FirebaseIdTokens(app).verify("a.b.c")
    assert caught.value.code == code


def test_unreachable_keys_or_users_are_transient(
    app: firebase_admin.App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def verify(token: str, **_: Any) -> dict[str, Any]:
        raise auth.CertificateFetchError("no keys", cause=None)

    monkeypatch.setattr(auth, "verify_id_token", verify)

    with pytest.raises(TransientError) as caught:
        FirebaseIdTokens(app).verify("a.b.c")
    assert caught.value.code == "firebase_auth_unavailable"
    assert not isinstance(caught.value, UnauthenticatedError)


def test_a_valid_token_names_its_user_and_revocation_is_always_checked(
    app: firebase_admin.App, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def verify(token: str, **kwargs: Any) -> dict[str, Any]:
        calls.append({"token": token, **kwargs})
        return {"uid": "ann", "sub": "ann", "email": "ann@example.com"}

    monkeypatch.setattr(auth, "verify_id_token", verify)

    user = FirebaseIdTokens(app).verify("a.b.c")

    assert (user.uid, user.email) == ("ann", "ann@example.com")
    assert calls == [{"token": "a.b.c", "app": app, "check_revoked": True}]
