"""Bootstrap an organisation: ``python -m cloudrun.api.bootstrap --org "Acme"``.

Creates the API key pepper when it does not exist, then an organisation, its first API key and
its webhook signing secret, and prints the key and the secret once: only a hash of the key is
stored; the secret is also kept in Secret Manager for the deliver stage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shared.auth.onboarding import create_org_with_key
from shared.composition import get_dependencies
from shared.resources import webhook_signing_secret_id


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command.

    Prints ``org_id: ...``, ``api_key: sy_live_...`` and ``webhook_signing_secret: whsec_...``
    on stdout, one per line.

    Raises:
        TransientError: A store or the secret service is unavailable.
    """
    parser = argparse.ArgumentParser(
        prog="python -m cloudrun.api.bootstrap",
        description="Create an organisation with its first API key and webhook signing secret.",
    )
    parser.add_argument("--org", required=True, help="display name of the organisation")
    args = parser.parse_args(argv)

    deps = get_dependencies()
    org, api_key = create_org_with_key(deps, args.org)
    webhook_secret = deps.secrets.access(webhook_signing_secret_id(org.org_id)).decode()
    print(f"org_id: {org.org_id}")
    print(f"api_key: {api_key}")
    print(f"webhook_signing_secret: {webhook_secret}")
    print("Store the key and the secret now: they are not shown again.", file=sys.stderr)


if __name__ == "__main__":
    main()
