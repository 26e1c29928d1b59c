"""Integration credentials of the caller's organisation: ``/v1/credentials`` (``admin`` scope).

``POST`` stores an API key, bearer token or OAuth 2.0 credential: the values go to Secret
Manager, Firestore keeps the metadata, and no answer ever contains a value. A credential is
used by an agent only within a grant (``POST /v1/credentials/{id}/grants`` with ``{"agent_id",
"hosts", "methods", "paths"}``; one grant per agent, a new one replaces it), and only by the
tools the agent's spec configures with its id (``http_request``'s ``credentials``). ``DELETE``
revokes it: the proxy refuses it from the next call on.
"""

from __future__ import annotations

from flask import Blueprint, url_for

from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import page_args, parse_body
from shared.domain.base import Model
from shared.domain.credentials import Credential, Grant
from shared.proxy import vault
from shared.proxy.vault import NewCredential

bp = Blueprint("credentials", __name__, url_prefix="/credentials")


class CredentialDocument(Model):
    """One credential's metadata (never a value).

    Attributes:
        credential: The metadata.
    """

    credential: Credential


def _document(credential: Credential) -> dict[str, object]:
    # Metadata only: the model holds no secret, but say so explicitly for the next reader.
    return {"credential": credential.model_dump(mode="json")}


@bp.post("")
def create_credential() -> tuple[dict[str, object], int, dict[str, str]]:
    """Store a credential: 201 with ``{"credential"}`` (metadata, no value) and a Location."""
    credential = vault.store_credential(dependencies(), caller_org_id(), parse_body(NewCredential))
    location = url_for(".get_credential", credential_id=credential.credential_id)
    return _document(credential), 201, {"Location": location}


@bp.get("")
def list_credentials() -> dict[str, object]:
    """One page of the organisation's credentials, oldest first: ``{"items",
    "next_page_token"}`` (metadata, revoked ones included)."""
    page_size, page_token = page_args()
    page = dependencies().credentials.list_for_org(
        caller_org_id(), page_size=page_size, page_token=page_token
    )
    return {
        "items": [c.model_dump(mode="json") for c in page.items],
        "next_page_token": page.next_page_token,
    }


@bp.get("/<credential_id>")
def get_credential(credential_id: str) -> dict[str, object]:
    """One credential's metadata: ``{"credential"}``."""
    return _document(vault.get_credential(dependencies(), caller_org_id(), credential_id))


@bp.delete("/<credential_id>")
def revoke_credential(credential_id: str) -> dict[str, object]:
    """Revoke the credential: 200 with ``{"credential"}`` (``revoked_at`` set)."""
    deps = dependencies()
    credential = vault.get_credential(deps, caller_org_id(), credential_id)
    return _document(vault.revoke_credential(deps, credential))


@bp.post("/<credential_id>/grants")
def grant_credential(credential_id: str) -> dict[str, object]:
    """Grant the credential to an agent for hosts, methods and paths: 200 with
    ``{"credential"}``."""
    grant = parse_body(Grant)
    deps = dependencies()
    return _document(vault.grant_credential(deps, caller_org_id(), credential_id, grant))
