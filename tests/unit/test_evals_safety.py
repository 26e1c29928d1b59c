"""Safety and pre-flight input checks: real personal data and credentials are flagged, look-alikes
that fail their checksum or range are not."""

from __future__ import annotations

import base64
import json

import pytest

from shared.domain.spec import Assertion, EvalSpec
from shared.evals.assertions import run_assertion
from shared.evals.gate import evaluate
from shared.evals.pii import find_pii
from shared.evals.secrets import find_secrets


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("email", "write to jane.doe+news@example.co.uk today"),
        ("phone", "call +49 30 901820"),
        ("phone", "call (415) 555-2671"),
        ("card", "card 4111 1111 1111 1111"),
        ("card", "amex 3782-822463-10005"),
        ("iban", "pay to DE89 3704 0044 0532 0130 00"),
        ("iban", "GB82WEST12345698765432 please"),
        ("ssn", "SSN 536-22-1234"),
        ("ip", "from 192.168.1.10"),
        ("ip", "from 2001:db8::1"),
    ],
)
def test_personal_data_is_found(kind: str, text: str) -> None:
    assert kind in find_pii(text)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("email", "not an address: jane@localhost or @handle"),
        ("phone", "call 555-0100 or 123"),  # not a valid US number
        ("card", "card 4111 1111 1111 1112"),  # fails Luhn
        ("card", "order 1234567812345670"),  # passes Luhn, but no card scheme starts with 1
        ("iban", "DE89 3704 0044 0532 0130 01"),  # wrong mod-97 check digits
        ("iban", "DE89 3704 0044 0532 0130"),  # too short for Germany
        ("ssn", "666-12-3456"),  # area 666 is never issued
        ("ssn", "000-12-3456 and 123-00-4567 and 123-45-0000"),  # zero fields
        ("ssn", "078-05-1120"),  # the Woolworth wallet number
        ("ssn", "912-34-5678"),  # area 900-999 is not an SSN
        ("ip", "999.1.1.1 and 10.0.0.256"),
        ("ip", "at 10:30:00"),
    ],
)
def test_invalid_numbers_are_not_flagged(kind: str, text: str) -> None:
    assert kind not in find_pii(text)


def test_not_contains_pii_names_the_kinds_and_masks_them() -> None:
    result = run_assertion(Assertion(type="not-contains-pii"), "mail jane.doe@example.com")

    assert not result.passed
    assert "email: ja…om (20 chars)" in result.reason
    assert "jane.doe@example.com" not in result.reason


def test_pii_kinds_and_phone_regions_are_chosen_by_the_value() -> None:
    text = "Ruf an: 030 901820, jane@example.com"

    only_phone = Assertion(
        type="not-contains-pii", value={"kinds": ["phone"], "phone_regions": ["DE"]}
    )
    assert not run_assertion(only_phone, text).passed
    assert run_assertion(
        Assertion(type="not-contains-pii", value=["phone"]), text
    ).passed  # US only
    assert run_assertion(Assertion(type="contains-pii", value=["email"]), text).passed


def _jwt(header: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part({'sub': '1'})}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("aws_access_key", "key AKIAIOSFODNN7EXAMPLE"),
        ("aws_secret_key", 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'),
        ("private_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."),
        ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        ("github_token", "token ghp_" + "a" * 36),
        ("slack_token", "xoxb-123456789012-123456789012-abcdefghijklmnop"),
        ("stripe_key", "sk_live_" + "4" * 24),
        ("google_api_key", "AIza" + "B" * 35),
        ("switchyard_key", "sy_live_0123456789abcdef_" + "x" * 27),
        ("basic_auth_url", "https://admin:hunter2@db.example.com/"),
        ("jwt", _jwt({"alg": "HS256", "typ": "JWT"})),
    ],
)
def test_credentials_are_found(kind: str, text: str) -> None:
    assert kind in find_secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        "the AKIA prefix alone, AKIAshort",
        "sk_test_" + "4" * 24,  # Stripe test keys are not live credentials
        "https://example.com/path//double",
        _jwt({"typ": "JWT"}),  # no alg: not a JWT header
        "eyJub3QganNvbg.eyJ4Ijox.sig",  # header is not JSON
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_look_alikes_are_not_credentials(text: str) -> None:
    assert find_secrets(text) == {}


def test_not_contains_secret_masks_what_it_found() -> None:
    result = run_assertion(Assertion(type="not-contains-secret"), "use AKIAIOSFODNN7EXAMPLE")

    assert not result.passed
    assert "AKIAIOSFODNN7EXAMPLE" not in result.reason and "aws_access_key" in result.reason


def test_a_pre_flight_gate_checks_the_input_size_pii_and_secrets() -> None:
    spec = EvalSpec.model_validate(
        {
            "name": "input_hygiene",
            "stage": "pre_flight",
            "assert": [
                {"type": "max-bytes", "value": 200},
                {"type": "not-contains-pii"},
                {"type": "not-contains-secret"},
            ],
        }
    )
    clean = json.dumps({"competitor": "competitor1.com", "currency": "EUR"})
    leaky = json.dumps({"note": "card 4111 1111 1111 1111"})

    assert evaluate(spec, clean).passed
    result = evaluate(spec, leaky)
    assert not result.passed and result.blocks
    assert [a.passed for a in result.assertions] == [True, False, True]
    too_big = evaluate(spec, json.dumps({"text": "x" * 300}))
    assert too_big.assertions[0].reason == "Text is 312 bytes, more than the limit of 200 bytes"


def test_max_bytes_counts_utf8_bytes() -> None:
    assert run_assertion(Assertion(type="max-bytes", value=4), "€x").passed  # 3 + 1 bytes
    assert not run_assertion(Assertion(type="max-bytes", value=3), "€x").passed
