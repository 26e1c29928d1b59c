"""Signing in with Firebase Authentication: email and password, then fresh ID tokens on demand.

Uses Firebase's REST APIs (https://firebase.google.com/docs/reference/rest/auth):
``accounts:signInWithPassword`` of Identity Toolkit to sign in, and Secure Token's ``token``
endpoint to exchange the refresh token for a new ID token (ID tokens last an hour). Both take
the project's Web API key. With an emulator host (``FIREBASE_AUTH_EMULATOR_HOST``) the same
paths are served by the Firebase Auth emulator at ``http://<host>/``.

A :class:`FirebaseSession` is a token provider: pass it where a client takes an API key, and
each request gets a valid ID token::

    session = FirebaseSession.sign_in("ann@example.com", password, web_api_key)
    with Client(url, session) as client: ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from switchyard.errors import AuthenticationError, TransportError

IDENTITY_TOOLKIT = "https://identitytoolkit.googleapis.com"
SECURE_TOKEN = "https://securetoken.googleapis.com"
REFRESH_MARGIN_S = 60.0  # refresh a token this long before it expires
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FirebaseTokens:
    """A signed-in person's tokens.

    Attributes:
        id_token: The ID token (a JWT) the API takes as a bearer token.
        refresh_token: Exchanged for the next ID token.
        expires_at: When the ID token expires (Unix seconds).
        uid: The person's Firebase uid.
        email: The address they signed in with.
        web_api_key: The Firebase project's Web API key (public; it names the project).
        emulator_host: ``host:port`` of the Auth emulator, or None for Google's servers.
    """

    id_token: str
    refresh_token: str
    expires_at: float
    uid: str
    email: str
    web_api_key: str
    emulator_host: str | None = None


def _base(service: str, emulator_host: str | None) -> str:
    if emulator_host:
        return f"http://{emulator_host}/{service.removeprefix('https://')}"
    return service


def _post(url: str, web_api_key: str, **kwargs: Any) -> dict[str, Any]:
    try:
        answer = httpx.post(url, params={"key": web_api_key}, timeout=TIMEOUT_S, **kwargs)
    except httpx.HTTPError as error:
        raise TransportError(f"Firebase Authentication cannot be reached: {error}") from error
    body: dict[str, Any] = answer.json() if answer.content else {}
    if answer.status_code != 200:
        # Firebase's message starts with its code: "INVALID_LOGIN_CREDENTIALS", "USER_DISABLED"
        message = str(body.get("error", {}).get("message", f"HTTP_{answer.status_code}"))
        code = message.split(" ", 1)[0].lower()
        raise AuthenticationError(401, code, f"Firebase Authentication refused: {message}")
    return body


class FirebaseSession:
    """A token provider: ``session()`` returns a valid ID token, refreshing it when due.

    Args:
        tokens: The tokens of a sign-in.
        on_refresh: Called with the new tokens after each refresh (to store them).
        clock: Unix seconds (``time.time``).
    """

    def __init__(
        self,
        tokens: FirebaseTokens,
        on_refresh: Callable[[FirebaseTokens], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._on_refresh = on_refresh
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def tokens(self) -> FirebaseTokens:
        """The current tokens."""
        return self._tokens

    @classmethod
    def sign_in(
        cls, email: str, password: str, web_api_key: str, emulator_host: str | None = None
    ) -> FirebaseSession:
        """Sign in with email and password (``accounts:signInWithPassword``).

        Raises:
            AuthenticationError: Wrong email or password, or a disabled user (Firebase's
                message, such as ``INVALID_LOGIN_CREDENTIALS``, is in the error).
            TransportError: Firebase cannot be reached.
        """
        url = f"{_base(IDENTITY_TOOLKIT, emulator_host)}/v1/accounts:signInWithPassword"
        body = _post(
            url,
            web_api_key,
            json={"email": email, "password": password, "returnSecureToken": True},
        )
        tokens = FirebaseTokens(
            id_token=body["idToken"],
            refresh_token=body["refreshToken"],
            expires_at=time.time() + float(body["expiresIn"]),
            uid=body["localId"],
            email=body.get("email", email),
            web_api_key=web_api_key,
            emulator_host=emulator_host,
        )
        return cls(tokens)

    def refresh(self) -> FirebaseTokens:
        """Exchange the refresh token for a new ID token (Secure Token's ``token``).

        Raises:
            AuthenticationError: The refresh token was revoked or the user disabled or deleted:
                sign in again.
            TransportError: Firebase cannot be reached.
        """
        old = self._tokens
        url = f"{_base(SECURE_TOKEN, old.emulator_host)}/v1/token"
        body = _post(
            url,
            old.web_api_key,
            data={"grant_type": "refresh_token", "refresh_token": old.refresh_token},
        )
        self._tokens = replace(
            old,
            id_token=body["id_token"],
            refresh_token=body["refresh_token"],
            expires_at=self._clock() + float(body["expires_in"]),
        )
        if self._on_refresh is not None:
            self._on_refresh(self._tokens)
        return self._tokens

    def __call__(self) -> str:
        """A valid ID token: the current one, or a new one when it expires within a minute."""
        with self._lock:
            if self._tokens.expires_at - self._clock() < REFRESH_MARGIN_S:
                self.refresh()
            return self._tokens.id_token
