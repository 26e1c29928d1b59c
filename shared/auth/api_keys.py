"""API key minting, parsing and hashing: pure functions, no I/O.

A key reads ``sy_live_<key_id>_<secret>``:

- ``key_id``: 16 lowercase hex digits (64 random bits), the public half, stored in clear and
  used to find the key's record;
- ``secret``: 43 URL-safe base64 characters (256 random bits, above the 160-bit minimum).

The store keeps ``HMAC-SHA256(pepper, secret)`` as hex, never the secret. The pepper is a
platform secret held in Secret Manager, so a copy of the database alone cannot verify guesses
(OWASP Password Storage Cheat Sheet, "Peppering"). A keyed hash rather than a slow password hash
is enough because the secret is random with 256 bits of entropy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from shared.errors import UnauthenticatedError

KEY_PREFIX = "sy_live_"
KEY_ID_BYTES = 8
SECRET_BYTES = 32
PEPPER_BYTES = 32
# 160 bits are 27 base64url characters; shorter secrets were never minted here.
_KEY_PATTERN = re.compile(
    rf"{KEY_PREFIX}(?P<key_id>[0-9a-f]{{16}})_(?P<secret>[A-Za-z0-9_-]{{27,}})"
)


@dataclass(frozen=True)
class MintedKey:
    """A new API key and the parts of it that may be stored.

    Attributes:
        key: The full key, shown to its owner once and never stored.
        key_id: Public id (16 hex digits).
        secret_hash: Hex HMAC-SHA256 of the secret with the pepper (64 hex digits).
    """

    key: str
    key_id: str
    secret_hash: str

    def __repr__(self) -> str:
        return f"MintedKey(key_id={self.key_id!r}, key=<redacted>)"


def new_pepper() -> bytes:
    """A fresh pepper: 256 random bits as URL-safe base64 text (43 bytes, printable)."""
    return secrets.token_urlsafe(PEPPER_BYTES).encode()


def hash_secret(secret: str, pepper: bytes) -> str:
    """The stored form of a key's secret.

    Args:
        secret: The key's secret part.
        pepper: The platform pepper (any length; HMAC hashes long keys).

    Returns:
        64 lowercase hex digits.
    """
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def mint_api_key(pepper: bytes) -> MintedKey:
    """Make a new random API key.

    Args:
        pepper: The platform pepper.

    Returns:
        The key and its storable parts.
    """
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return MintedKey(
        key=f"{KEY_PREFIX}{key_id}_{secret}",
        key_id=key_id,
        secret_hash=hash_secret(secret, pepper),
    )


def parse_api_key(key: str) -> tuple[str, str]:
    """Split a key into its public id and its secret.

    Args:
        key: A key as a client sent it.

    Returns:
        ``(key_id, secret)``.

    Raises:
        UnauthenticatedError: Code ``invalid_api_key``: not a Switchyard key.
    """
    match = _KEY_PATTERN.fullmatch(key)
    if match is None:
        raise UnauthenticatedError("invalid_api_key", "the API key is malformed")
    return match["key_id"], match["secret"]


def secret_matches(secret: str, pepper: bytes, secret_hash: str) -> bool:
    """True when ``secret`` hashes to ``secret_hash``, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret, pepper), secret_hash)
