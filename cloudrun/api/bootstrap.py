"""Bootstrap an organisation: ``python -m cloudrun.api.bootstrap --org "Acme"``.

Creates the API key pepper when it does not exist, then an organisation, its first API key and
its webhook signing secret, and prints the key and the secret once: only a hash of the key is
stored; the secret is also kept in Secret Manager for the deliver stage. With
``--owner-email`` (or ``--owner-uid``) a person who has signed up with Firebase Authentication
becomes the organisation's first owner.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shared.adapters.store_support import check_document_id
from shared.auth.onboarding import create_org_with_key
from shared.composition import get_dependencies
from shared.domain.members import Membership
from shared.resources import webhook_signing_secret_id


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command.

    Prints ``org_id: ...``, ``api_key: sy_live_...`` and ``webhook_signing_secret: whsec_...``
    on stdout, one per line (and ``owner_uid: ...`` after ``org_id`` when an owner is named).

    Raises:
        NotFoundError: Code ``user_not_found``: no Firebase user has ``--owner-email``
            (nothing is created).
        ValidationError: Code ``invalid_id``: ``--owner-uid`` cannot name a membership
            (nothing is created).
        TransientError: A store, the secret service or Firebase Authentication is unavailable.
    """
    parser = argparse.ArgumentParser(
        prog="python -m cloudrun.api.bootstrap",
        description="Create an organisation with its first API key and webhook signing secret.",
    )
    parser.add_argument("--org", required=True, help="display name of the organisation")
    owners = parser.add_mutually_exclusive_group()
    owners.add_argument("--owner-email", help="make this Firebase user the first owner")
    owners.add_argument("--owner-uid", help="make the Firebase user with this uid the first owner")
    args = parser.parse_args(argv)

    deps = get_dependencies()
    owner_uid = args.owner_uid
    if args.owner_email:  # looked up first: an unknown email creates nothing
        from shared.auth.firebase import FirebaseIdTokens  # firebase-admin only when needed
        from shared.gcp_clients import firebase_app

        owner_uid = FirebaseIdTokens(firebase_app(deps.settings)).uid_for_email(args.owner_email)
    if owner_uid:
        check_document_id("owner_uid", owner_uid)
    org, api_key = create_org_with_key(deps, args.org)
    webhook_secret = deps.secrets.access(webhook_signing_secret_id(org.org_id)).decode()
    print(f"org_id: {org.org_id}")
    if owner_uid:
        owner = Membership(
            org_id=org.org_id,
            uid=owner_uid,
            role="owner",
            email=args.owner_email,
            created_at=deps.clock(),
            created_by="bootstrap",
        )
        deps.members.put(owner)
        print(f"owner_uid: {owner_uid}")
    print(f"api_key: {api_key}")
    print(f"webhook_signing_secret: {webhook_secret}")
    print("Store the key and the secret now: they are not shown again.", file=sys.stderr)


if __name__ == "__main__":
    main()
