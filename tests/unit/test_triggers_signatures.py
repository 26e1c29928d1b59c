"""Signature verification of each preset, and every exception standardwebhooks can raise."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from shared.domain.triggers import WebhookPreset
from shared.errors import PermanentError, UnauthenticatedError
from shared.triggers.signatures import STANDARD_WEBHOOKS_ERRORS, sign_request, verify_signature

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _fresh_now() -> None:
    # standardwebhooks checks timestamps against the real clock, so "now" is read per test:
    # a module-level time goes stale when the suite runs longer than the 5-minute tolerance.
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0)


BODY = b'{"id": "evt_1", "event_id": "Ev1", "n": 1}'


def _standard(webhook_id: str, timestamp: str, signature: str) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize("preset", ["standard", "github", "stripe", "slack"])
def test_each_preset_verifies_its_own_signature_with_any_valid_secret(
    preset: WebhookPreset,
) -> None:
    headers = _lower(sign_request(preset, SECRET, BODY, NOW, "msg_1"))

    verify_signature(preset, [SECRET], BODY, headers, NOW)
    verify_signature(preset, [OTHER, SECRET], BODY, headers, NOW)  # a rotated keyring
    with pytest.raises(UnauthenticatedError) as wrong:
        verify_signature(preset, [OTHER], BODY, headers, NOW)
    assert wrong.value.code == "webhook_signature_invalid"


def test_no_valid_secret_verifies_nothing() -> None:
    headers = _lower(sign_request("github", SECRET, BODY, NOW, "x"))

    with pytest.raises(UnauthenticatedError):
        verify_signature("github", [], BODY, headers, NOW)


@pytest.mark.parametrize(
    ("secret", "body"),
    [
        ("whsec_", BODY),  # EmptyWebhookSecretError
        ("whsec_!!not-base64!!", BODY),  # binascii.Error
        (SECRET, b"\xff\xfe not utf-8"),  # UnicodeDecodeError
    ],
)
def test_errors_the_package_raises_inside_verify_are_a_401(secret: str, body: bytes) -> None:
    headers = _lower(sign_request("standard", SECRET, BODY, NOW, "msg_1"))

    with pytest.raises(UnauthenticatedError) as refused:
        verify_signature("standard", [secret], body, headers, NOW)
    assert refused.value.code == "webhook_signature_invalid"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "v1"},
        {"webhook-id": "a", "webhook-timestamp": "x", "webhook-signature": "v1,AAAA"},
        {"webhook-id": "a", "webhook-timestamp": "1e400", "webhook-signature": "v1,AAAA"},
        {"webhook-id": "a", "webhook-timestamp": "nan", "webhook-signature": "v1,AAAA"},
        {"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "v1,!!!"},
        {"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "v1,a,b"},
        {"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "v1,AAA"},
        {"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "v1,\u00e9"},
    ],
)
def test_the_package_raises_only_the_listed_types_on_malformed_headers(
    headers: dict[str, str],
) -> None:
    # The list the verifier catches must cover everything the package lets out.
    for secret in (SECRET, "whsec_", "whsec_!!", "plain"):
        with pytest.raises(STANDARD_WEBHOOKS_ERRORS):
            Webhook(secret).verify(BODY, headers)


def test_the_package_raises_on_a_non_utf8_body_and_unparsable_json() -> None:
    headers = sign_request("standard", SECRET, b"not json", NOW, "m")
    with pytest.raises(STANDARD_WEBHOOKS_ERRORS):
        Webhook(SECRET).verify(b"\xff", headers)
    with pytest.raises(STANDARD_WEBHOOKS_ERRORS):
        Webhook(SECRET).verify(b"not json", headers)  # json_parse=True by default


@pytest.mark.parametrize(
    ("preset", "headers"),
    [
        ("standard", _standard("a", "1", "v1,AAAA")),
        ("standard", _standard("a b", "1", "v1,AA")),
        ("standard", _standard("a", "1" * 13, "v1,AA")),
        ("github", {"x-hub-signature-256": "sha256=" + "g" * 64}),
        ("github", {"x-hub-signature-256": "sha256=" + "a" * 63}),
        ("stripe", {"stripe-signature": "t=1,v1=" + "z" * 64}),
        ("stripe", {"stripe-signature": "=1,v1=" + "a" * 64}),
        ("stripe", {"stripe-signature": "t=-5,v1=" + "a" * 64}),
        ("slack", {"x-slack-signature": "v0=" + "a" * 64, "x-slack-request-timestamp": "1.5"}),
        ("slack", {"x-slack-signature": "v0=" + "a" * 64, "x-slack-request-timestamp": "x" * 5000}),
    ],
)  # fmt: skip
def test_malformed_headers_are_refused_as_permanent_errors(
    preset: WebhookPreset, headers: dict[str, str]
) -> None:
    with pytest.raises(PermanentError) as refused:
        verify_signature(preset, [SECRET], BODY, headers, NOW)
    assert refused.value.code in {
        "webhook_signature_malformed",
        "webhook_timestamp_out_of_tolerance",
    }


def test_stripe_accepts_any_of_several_v1_signatures() -> None:
    timestamp = str(int(NOW.timestamp()))
    good = sign_request("stripe", SECRET, BODY, NOW, "x")["Stripe-Signature"].split("v1=")[1]
    header = f"t={timestamp},v1={'0' * 64},v1={good},v0={'1' * 64}"

    verify_signature("stripe", [SECRET], BODY, {"stripe-signature": header}, NOW)


def test_the_tolerance_is_five_minutes_either_way() -> None:
    for offset, accepted in ((300, True), (-300, True), (301, False), (-301, False)):
        headers = _lower(sign_request("slack", SECRET, BODY, NOW + timedelta(seconds=offset), "x"))
        if accepted:
            verify_signature("slack", [SECRET], BODY, headers, NOW)
        else:
            with pytest.raises(UnauthenticatedError):
                verify_signature("slack", [SECRET], BODY, headers, NOW)
