"""Onboarding an organisation: the pepper, the org, its first API key, its webhook secret.

The webhook signing secret follows the Standard Webhooks specification
(https://www.standardwebhooks.com/): ``whsec_`` followed by the base64 of 32 random bytes, the
form the ``standardwebhooks`` package's ``Webhook(secret)`` accepts.
"""

from __future__ import annotations

import base64
import secrets

from shared import resources
from shared.auth.api_keys import mint_api_key, new_pepper
from shared.composition import Dependencies
from shared.domain.agents import ApiKey, Org
from shared.errors import NotFoundError
from shared.ports.secret_store import SecretStore

WEBHOOK_SECRET_PREFIX = "whsec_"
WEBHOOK_SECRET_BYTES = 32


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_<base64 of 32 random bytes>``."""
    raw = secrets.token_bytes(WEBHOOK_SECRET_BYTES)
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(raw).decode()


def ensure_pepper(store: SecretStore) -> bytes:
    """The API key pepper, created first when it does not exist.

    Raises:
        TransientError: The secret service is unavailable.
    """
    try:
        return store.access(resources.API_KEY_PEPPER_SECRET)
    except NotFoundError:
        store.put(resources.API_KEY_PEPPER_SECRET, new_pepper())
        # Read back rather than return ours: of two bootstraps racing, both use the winner.
        return store.access(resources.API_KEY_PEPPER_SECRET)


def create_org_with_key(deps: Dependencies, name: str) -> tuple[Org, str]:
    """Create an organisation, its first API key and its webhook signing secret.

    The key is returned once and stored only as a hash; the webhook signing secret is stored
    under :func:`shared.resources.webhook_signing_secret_id` (read it with ``deps.secrets.access``).

    Args:
        deps: Dependencies.
        name: Display name of the organisation.

    Returns:
        ``(org, api_key)``, the key as ``sy_live_<key_id>_<secret><checksum>`` with the
        ``admin`` scope.

    Raises:
        ConflictError: The minted key id exists already (64 random bits: practically never).
        TransientError: A store or the secret service is unavailable.
    """
    pepper = ensure_pepper(deps.secrets)
    org = deps.identities.create_org(name)
    minted = mint_api_key(pepper)
    deps.identities.add_api_key(
        ApiKey(
            key_id=minted.key_id,
            org_id=org.org_id,
            secret_hash=minted.secret_hash,
            created_at=deps.clock(),
            name="bootstrap",
            scopes=("admin",),
        )
    )
    deps.secrets.put(resources.webhook_signing_secret_id(org.org_id), new_webhook_secret().encode())
    return org, minted.key
