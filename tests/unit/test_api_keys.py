"""API keys: minting, parsing, hashing, verification, onboarding and the bootstrap command."""

from __future__ import annotations

import base64
import math
import re

import pytest
from standardwebhooks import Webhook

from cloudrun.api import bootstrap
from shared import resources
from shared.adapters.in_memory_secret_store import InMemorySecretStore
from shared.auth.api_keys import (
    BASE62,
    checksum,
    hash_secret,
    mint_api_key,
    new_pepper,
    parse_api_key,
    parse_key,
    secret_matches,
)
from shared.auth.authenticator import ApiKeyAuthenticator
from shared.auth.onboarding import create_org_with_key, ensure_pepper
from shared.domain.agents import ApiKey
from shared.errors import TransientError, UnauthenticatedError
from shared.resources import webhook_signing_secret_id
from tests.unit.api_harness import in_memory_dependencies

PEPPER = b"pepper-for-tests"
KEY_FORMAT = re.compile(r"^sy_live_[0-9a-f]{16}_[0-9A-Za-z]{38}$")


def test_a_minted_key_has_the_documented_format_and_over_160_bits_of_secret() -> None:
    minted = mint_api_key(PEPPER)

    assert KEY_FORMAT.match(minted.key)
    key_id, secret = parse_api_key(minted.key)
    assert key_id == minted.key_id
    assert len(secret) * math.log2(62) >= 160
    assert set(secret) <= set(BASE62)
    assert minted.key not in repr(minted)
    assert minted.key.endswith(checksum(minted.key[:-6]))


def test_a_test_key_has_its_own_prefix() -> None:
    minted = mint_api_key(PEPPER, "test")

    assert minted.key.startswith("sy_test_")
    assert parse_key(minted.key).mode == "test"


def test_only_a_keyed_hash_of_the_secret_is_stored() -> None:
    minted = mint_api_key(PEPPER)
    _, secret = parse_api_key(minted.key)

    assert minted.secret_hash == hash_secret(secret, PEPPER)
    assert re.fullmatch(r"[0-9a-f]{64}", minted.secret_hash)
    assert secret not in minted.secret_hash
    assert hash_secret(secret, b"another pepper") != minted.secret_hash


def test_keys_are_unique() -> None:
    keys = {mint_api_key(PEPPER).key for _ in range(100)}
    assert len(keys) == 100


def test_the_secret_matches_only_its_own_hash_and_pepper() -> None:
    minted = mint_api_key(PEPPER)
    _, secret = parse_api_key(minted.key)

    assert secret_matches(secret, PEPPER, minted.secret_hash)
    assert not secret_matches(secret + "x", PEPPER, minted.secret_hash)
    assert not secret_matches(secret, b"wrong", minted.secret_hash)


_BODY = "sy_live_0123456789abcdef_" + "a" * 32


@pytest.mark.parametrize(
    "key",
    [
        "",
        "sy_live_",
        "sk_live_0123456789abcdef_" + "a" * 38,
        "sy_live_0123456789ABCDEF_" + "a" * 38,  # key ids are lowercase hex
        "sy_live_0123456789abcde_" + "a" * 38,  # 15 hex digits
        "sy_live_0123456789abcdef_" + "a" * 26,  # under 160 bits
        "sy_live_0123456789abcdef_" + "a" * 37 + "!",
        _BODY + checksum(_BODY) + "\n",
        _BODY + "000000",  # a wrong checksum
        "sy_prod_" + _BODY[8:] + checksum("sy_prod_" + _BODY[8:]),
    ],
)
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(UnauthenticatedError) as raised:
        parse_api_key(key)
    assert raised.value.code == "invalid_api_key"


def test_the_pepper_is_random_and_printable() -> None:
    assert new_pepper() != new_pepper()
    assert new_pepper().decode().isprintable()


def test_create_org_with_key_stores_the_org_a_hashed_key_and_a_webhook_secret() -> None:
    deps = in_memory_dependencies()

    org, key = create_org_with_key(deps, "Acme")

    key_id, secret = parse_api_key(key)
    record = deps.identities.find_api_key(key_id)
    assert record is not None
    assert record.org_id == org.org_id
    assert record.secret_hash == hash_secret(secret, deps.secrets.access("api-key-pepper"))
    assert deps.identities.get_org(org.org_id).name == "Acme"
    webhook_secret = deps.secrets.access(webhook_signing_secret_id(org.org_id)).decode()
    assert webhook_signing_secret_id(org.org_id) == f"org-{org.org_id}-webhook-signing"
    assert webhook_secret.startswith("whsec_")
    assert len(base64.b64decode(webhook_secret.removeprefix("whsec_"))) == 32
    Webhook(webhook_secret)  # the standardwebhooks package accepts it


def test_the_pepper_is_created_once_and_kept() -> None:
    deps = in_memory_dependencies()
    first = ensure_pepper(deps.secrets)

    create_org_with_key(deps, "Acme")
    create_org_with_key(deps, "Globex")

    assert deps.secrets.access(resources.API_KEY_PEPPER_SECRET) == first


def test_each_org_gets_its_own_webhook_secret() -> None:
    deps = in_memory_dependencies()
    acme, _ = create_org_with_key(deps, "Acme")
    globex, _ = create_org_with_key(deps, "Globex")

    assert deps.secrets.access(webhook_signing_secret_id(acme.org_id)) != deps.secrets.access(
        webhook_signing_secret_id(globex.org_id)
    )


def test_the_authenticator_returns_the_record_of_a_valid_key() -> None:
    deps = in_memory_dependencies()
    org, key = create_org_with_key(deps, "Acme")

    record = ApiKeyAuthenticator(deps.identities, deps.secrets).authenticate(key)

    assert record.org_id == org.org_id


def test_the_authenticator_refuses_unknown_wrong_and_revoked_keys() -> None:
    deps = in_memory_dependencies()
    _, key = create_org_with_key(deps, "Acme")
    authenticator = ApiKeyAuthenticator(deps.identities, deps.secrets)
    key_id, secret = parse_api_key(key)
    body = f"sy_live_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    wrong_secret = body + checksum(body)  # a valid checksum, so the store is asked
    unknown = mint_api_key(ensure_pepper(deps.secrets)).key
    revoked = mint_api_key(ensure_pepper(deps.secrets))
    record = deps.identities.find_api_key(key_id)
    assert record is not None
    deps.identities.add_api_key(
        ApiKey(
            key_id=revoked.key_id,
            org_id=record.org_id,
            secret_hash=revoked.secret_hash,
            created_at=record.created_at,
            revoked=True,
        )
    )

    for bad in (wrong_secret, unknown, revoked.key):
        with pytest.raises(UnauthenticatedError):
            authenticator.authenticate(bad)


def test_the_authenticator_reads_the_pepper_once() -> None:
    deps = in_memory_dependencies()
    _, key = create_org_with_key(deps, "Acme")
    authenticator = ApiKeyAuthenticator(deps.identities, deps.secrets)
    authenticator.authenticate(key)

    deps.secrets.put(resources.API_KEY_PEPPER_SECRET, b"rotated")

    assert authenticator.authenticate(key).key_id == parse_api_key(key)[0]


def test_without_the_pepper_keys_cannot_be_checked_and_a_failure_is_not_cached() -> None:
    deps = in_memory_dependencies()
    _, key = create_org_with_key(deps, "Acme")
    empty = InMemorySecretStore()
    authenticator = ApiKeyAuthenticator(deps.identities, empty)

    with pytest.raises(TransientError) as raised:
        authenticator.authenticate(key)
    assert raised.value.code == "api_keys_unavailable"

    empty.put(resources.API_KEY_PEPPER_SECRET, deps.secrets.access(resources.API_KEY_PEPPER_SECRET))
    assert authenticator.authenticate(key).key_id == parse_api_key(key)[0]


def test_the_bootstrap_command_prints_the_key_and_the_webhook_secret_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deps = in_memory_dependencies()
    monkeypatch.setattr(bootstrap, "get_dependencies", lambda: deps)

    bootstrap.main(["--org", "Acme"])

    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert deps.identities.get_org(printed["org_id"]).name == "Acme"
    record = ApiKeyAuthenticator(deps.identities, deps.secrets).authenticate(printed["api_key"])
    assert record.org_id == printed["org_id"]
    assert printed["webhook_signing_secret"].encode() == deps.secrets.access(
        webhook_signing_secret_id(printed["org_id"])
    )
