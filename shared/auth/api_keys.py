"""API key minting, parsing and hashing: pure functions, no I/O.

A key reads ``sy_<mode>_<key_id>_<secret><checksum>``, shaped like GitHub's tokens so that
secret scanners (GitHub push protection, trufflehog, gitleaks) can match it exactly and verify it
offline:

- ``sy_live_`` or ``sy_test_``: a fixed, greppable prefix naming the key's mode;
- ``key_id``: 16 lowercase hex digits (64 random bits), the public half, stored in clear and
  used to find the key's record;
- ``secret``: 32 base62 characters (``secrets.choice``: 32 * log2(62) ≈ 190 random bits, above
  the 160-bit minimum);
- ``checksum``: the CRC32 of everything before it, as 6 base62 digits (GitHub's "Behind GitHub's
  new authentication token formats", 2021). CRC32 detects every single-character change, so a
  typo is refused before any database read.

The store keeps ``HMAC-SHA256(pepper, secret)`` as hex, never the secret. The pepper is a
platform secret held in Secret Manager, so a copy of the database alone cannot verify guesses
(OWASP Password Storage Cheat Sheet, "Peppering"). A keyed hash rather than a slow password hash
is enough because the secret is random with 190 bits of entropy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass
from typing import Literal

from shared.errors import UnauthenticatedError

KeyMode = Literal["live", "test"]

KEY_PREFIXES: dict[KeyMode, str] = {"live": "sy_live_", "test": "sy_test_"}
KEY_PREFIX = KEY_PREFIXES["live"]
KEY_ID_BYTES = 8
SECRET_LENGTH = 32
CHECKSUM_LENGTH = 6
PEPPER_BYTES = 32
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_KEY_PATTERN = re.compile(
    r"sy_(?P<mode>live|test)_(?P<key_id>[0-9a-f]{16})_"
    rf"(?P<secret>[0-9A-Za-z]{{{SECRET_LENGTH}}})(?P<checksum>[0-9A-Za-z]{{{CHECKSUM_LENGTH}}})"
)


@dataclass(frozen=True)
class MintedKey:
    """A new API key and the parts of it that may be stored.

    Attributes:
        key: The full key, shown to its owner once and never stored.
        key_id: Public id (16 hex digits).
        secret_hash: Hex HMAC-SHA256 of the secret with the pepper (64 hex digits).
        mode: ``live`` or ``test``, the key's prefix.
    """

    key: str
    key_id: str
    secret_hash: str
    mode: KeyMode = "live"

    def __repr__(self) -> str:
        return f"MintedKey(key_id={self.key_id!r}, key=<redacted>)"


@dataclass(frozen=True)
class ParsedKey:
    """A well-formed key whose checksum holds: its mode, public id and secret."""

    mode: KeyMode
    key_id: str
    secret: str


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


def checksum(body: str) -> str:
    """CRC32 of ``body`` as 6 base62 digits, most significant first (62**6 > 2**32)."""
    value = zlib.crc32(body.encode())
    digits = []
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def mint_api_key(pepper: bytes, mode: KeyMode = "live") -> MintedKey:
    """Make a new random API key.

    Args:
        pepper: The platform pepper.
        mode: ``live`` (``sy_live_``) or ``test`` (``sy_test_``).

    Returns:
        The key and its storable parts.
    """
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = "".join(secrets.choice(BASE62) for _ in range(SECRET_LENGTH))
    body = f"{KEY_PREFIXES[mode]}{key_id}_{secret}"
    return MintedKey(
        key=body + checksum(body),
        key_id=key_id,
        secret_hash=hash_secret(secret, pepper),
        mode=mode,
    )


def parse_key(key: str) -> ParsedKey:
    """Check a key's form and checksum offline and split it into its parts.

    Args:
        key: A key as a client sent it.

    Returns:
        Its mode, public id and secret.

    Raises:
        UnauthenticatedError: Code ``invalid_api_key``: not a Switchyard key, or a typo (the
            checksum does not hold).
    """
    match = _KEY_PATTERN.fullmatch(key)
    if match is None:
        raise UnauthenticatedError("invalid_api_key", "the API key is malformed")
    body = key[:-CHECKSUM_LENGTH]
    if not hmac.compare_digest(checksum(body), match["checksum"]):
        raise UnauthenticatedError("invalid_api_key", "the API key's checksum does not match")
    mode: KeyMode = "live" if match["mode"] == "live" else "test"
    return ParsedKey(mode=mode, key_id=match["key_id"], secret=match["secret"])


def parse_api_key(key: str) -> tuple[str, str]:
    """Split a key into its public id and its secret (see :func:`parse_key`).

    Raises:
        UnauthenticatedError: Code ``invalid_api_key``.
    """
    parsed = parse_key(key)
    return parsed.key_id, parsed.secret


def secret_matches(secret: str, pepper: bytes, secret_hash: str) -> bool:
    """True when ``secret`` hashes to ``secret_hash``, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret, pepper), secret_hash)
