"""``switchyard login``: store an API key, or sign a person in with Firebase Authentication.

With ``--api-key`` (or at the prompt) the key is checked against the API and stored. With
``--email`` the person signs in with their password (Identity Toolkit's
``accounts:signInWithPassword``, or the Auth emulator's when ``FIREBASE_AUTH_EMULATOR_HOST`` is
set); the ID and refresh tokens are stored, and later commands refresh the ID token when it
is about to expire. Either way the credentials are tried with one request before they are
saved, so a bad login keeps the previous one.
"""

from __future__ import annotations

from typing import Annotated

import typer

from switchyard.cli import config
from switchyard.cli.output import console, print_json
from switchyard.client import Client
from switchyard.firebase import FirebaseSession


def login(
    api_url: Annotated[str, typer.Option(prompt="API URL", help="The API's URL.")],
    api_key: Annotated[
        str | None, typer.Option(help="An API key (sy_live_...); prompted for without --email.")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Sign in as this person (Firebase Authentication).")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="The person's password; prompted for when not given.")
    ] = None,
    firebase_api_key: Annotated[
        str,
        typer.Option(
            envvar="SWITCHYARD_FIREBASE_API_KEY",
            help="The Firebase project's Web API key (any value for the Auth emulator).",
        ),
    ] = "emulator",
    org: Annotated[
        str | None,
        typer.Option(help="The organisation to act for, when the person belongs to several."),
    ] = None,
    emulator_host: Annotated[
        str | None, typer.Option(envvar="FIREBASE_AUTH_EMULATOR_HOST", hidden=True)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check an API URL and credentials, then store them (0600) in the user's config directory."""
    url = api_url.rstrip("/")
    if email is not None:
        secret = password or typer.prompt("Password", hide_input=True)
        session = FirebaseSession.sign_in(email, secret, firebase_api_key, emulator_host)
        credentials = config.Credentials(url, firebase=session.tokens, org_id=org)
    else:
        key = api_key or typer.prompt("API key", hide_input=True)
        credentials = config.Credentials(url, api_key=key)
    with Client(url, credentials.credential(), org_id=credentials.org_id) as client:
        next(iter(client.list_agents(page_size=1)), None)  # the credentials work
    path = config.save(credentials)
    who = email or "an API key"
    if as_json:
        print_json({"api_url": url, "config_path": str(path), "signed_in_as": who})
    else:
        console.print(f"Logged in to {url} as {who}; saved to {path}")
