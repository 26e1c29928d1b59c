"""A webhook trigger's signing secrets in Secret Manager, and their rotation with a grace period.

The secrets live as one JSON :class:`~shared.domain.triggers.SigningKeyring` per Secret
Manager version under :func:`shared.resources.webhook_trigger_secret_id`: the current secret,
then older ones until their grace period ends. A rotation adds a version; only the webhook
edge and the rotation read it, and the secret is returned to the user once, when it is made.

Generated secrets have the Standard Webhooks form (``whsec_`` + base64 of 32 random bytes),
which every preset accepts. Stripe and Slack make their senders' secrets themselves, so a
rotation may instead set the secret the sender shows.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta

import pydantic

from shared.auth.onboarding import WEBHOOK_SECRET_PREFIX, new_webhook_secret
from shared.composition import Dependencies
from shared.domain.triggers import SigningKey, SigningKeyring, WebhookPreset
from shared.errors import TransientError, ValidationError

MAX_GRACE = timedelta(days=7)
MAX_KEYS = 5
_SENDER_SECRET = re.compile(r"[\x21-\x7e]{16,256}")


def check_secret(preset: WebhookPreset, secret: str) -> None:
    """Refuse a user-supplied secret the preset's senders could not sign with.

    Raises:
        ValidationError: Code ``invalid_secret``.
    """
    if preset == "standard":
        encoded = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
        try:
            size = len(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            size = 0
        valid = secret.startswith(WEBHOOK_SECRET_PREFIX) and 24 <= size <= 64
        rule = "'whsec_' followed by the base64 of 24 to 64 bytes"
    else:
        valid = bool(_SENDER_SECRET.fullmatch(secret))
        rule = "16 to 256 printable ASCII characters without spaces"
    if not valid:
        raise ValidationError(
            "invalid_secret",
            f"a {preset} signing secret must be {rule}",
            errors=[{"field": "secret", "message": f"must be {rule}"}],
        )


def first_keyring(now: datetime) -> tuple[SigningKeyring, str]:
    """A new trigger's keyring and its generated secret."""
    secret = new_webhook_secret()
    return SigningKeyring(keys=(SigningKey(secret=secret, created_at=now),)), secret


def rotated(
    keyring: SigningKeyring, now: datetime, grace: timedelta, secret: str | None = None
) -> tuple[SigningKeyring, str]:
    """``keyring`` with a new current secret; the others stay valid for ``grace`` at most.

    Args:
        keyring: The stored keyring.
        now: The current time (UTC).
        grace: How long the replaced secrets stay valid (0 to seven days).
        secret: The new secret, or None to generate one.

    Returns:
        ``(keyring, new_secret)``.
    """
    new = secret or new_webhook_secret()
    until = now + grace
    kept = [
        key.model_copy(update={"expires_at": min(key.expires_at or until, until)})
        for key in keyring.keys
        if (key.expires_at is None or key.expires_at > now) and until > now
    ]
    keys = (SigningKey(secret=new, created_at=now), *kept[: MAX_KEYS - 1])
    return SigningKeyring(keys=keys), new


def store_keyring(deps: Dependencies, secret_id: str, keyring: SigningKeyring) -> None:
    """Add ``keyring`` as the secret's newest version.

    Raises:
        TransientError: The secret service is unavailable.
    """
    deps.secrets.put(secret_id, keyring.model_dump_json().encode())


def load_keyring(deps: Dependencies, secret_id: str) -> SigningKeyring:
    """The trigger's keyring.

    Raises:
        NotFoundError: Code ``secret_not_found``.
        TransientError: The secret service is unavailable, or the stored keyring is unreadable
            (code ``keyring_unreadable``: an operator must repair it).
    """
    raw = deps.secrets.access(secret_id)
    try:
        return SigningKeyring.model_validate_json(raw)
    except pydantic.ValidationError as error:
        raise TransientError(
            "keyring_unreadable", f"the signing keys in secret {secret_id} do not parse"
        ) from error
