"""``contains-secret`` (use it as ``not-contains-secret``): credentials in the text.

Switchyard's own type. The patterns are those of Yelp's detect-secrets plugins (``aws.py``,
``private_key.py``, ``github_token.py``, ``gitlab_token.py``, ``slack.py``, ``stripe.py``,
``twilio.py``, ``sendgrid.py``, ``npm.py``, ``mailchimp.py``, ``square_oauth.py``,
``azure_storage_key.py``, ``basic_auth.py``, ``jwt.py``) plus the documented formats of
Google API keys, OpenAI and Anthropic keys and Switchyard's own API keys. A JWT counts only
when its header decodes to JSON naming an ``alg``, as detect-secrets checks. High-entropy
strings in general are not flagged: that heuristic flags hashes and ids too often to gate on.

The value selects kinds (a list; all when omitted). Findings are reported masked.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any

from shared.evals.pii import mask
from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "aws_access_key": re.compile(
        r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "aws_secret_key": re.compile(
        r"aws.{0,20}?(?:secret|key).{0,20}?['\"]([0-9a-zA-Z/+]{40})['\"]", re.IGNORECASE
    ),
    "private_key": re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-[23]"
    ),
    "github_token": re.compile(
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}\b|\bgithub_pat_[0-9A-Za-z_]{82}\b"
    ),
    "gitlab_token": re.compile(r"\bglpat-[0-9A-Za-z_-]{20}\b"),
    "slack_token": re.compile(
        r"\bxox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+\b"
        r"|https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"
    ),
    "stripe_key": re.compile(r"\b[rs]k_live_[0-9a-zA-Z]{24,}\b"),
    "twilio_key": re.compile(r"\bAC[a-z0-9]{32}\b|\bSK[a-z0-9]{32}\b"),
    "sendgrid_key": re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    "npm_token": re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    "mailchimp_key": re.compile(r"\b[0-9a-z]{32}-us[0-9]{1,2}\b"),
    "square_token": re.compile(r"\bsq0csp-[0-9A-Za-z_-]{43}\b|\bsq0atp-[0-9A-Za-z_-]{22}\b"),
    "azure_storage_key": re.compile(r"AccountKey=[A-Za-z0-9+/=]{88}"),
    "google_api_key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    "openai_key": re.compile(
        r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
    ),
    "anthropic_key": re.compile(r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}"),
    "switchyard_key": re.compile(r"\bsy_live_[0-9a-f]{16}_[A-Za-z0-9_-]{27,}"),
    "basic_auth_url": re.compile(r"://[^{}\s:/@]+:([^{}\s:/@]+)@"),
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"),
}
SECRET_KINDS = tuple(SECRET_PATTERNS)


def _is_jwt(token: str) -> bool:
    parts = token.split(".")
    if len(parts) < 2:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(header, dict) and "alg" in header


def find_secrets(text: str, kinds: tuple[str, ...] = SECRET_KINDS) -> dict[str, list[str]]:
    """The credentials found in ``text``, by kind (only kinds with findings)."""
    found: dict[str, list[str]] = {}
    for kind in kinds:
        matches = [m.group() for m in SECRET_PATTERNS[kind].finditer(text)]
        if kind == "jwt":
            matches = [m for m in matches if _is_jwt(m)]
        if matches:
            found[kind] = matches
    return found


def _kinds(value: Any) -> tuple[str, ...]:
    return SECRET_KINDS if value is None else tuple(value)


def check_contains_secret(check: Check) -> Outcome:
    """Whether the text holds a credential of the selected kinds."""
    kinds = _kinds(check.assertion.value)
    found = find_secrets(check.output, kinds)
    summary = "; ".join(f"{kind}: {', '.join(mask(m) for m in ms)}" for kind, ms in found.items())
    if check.inverse:
        return Outcome.binary(not found, f"Found credentials ({summary})")
    return Outcome.binary(bool(found), "Expected a credential, found none")


def validate_secret(assertion: Assertion) -> None:
    """Kinds, when given, must be known."""
    value = assertion.value
    if value is None:
        return
    if not isinstance(value, list) or not value:
        raise AssertionValueError('"contains-secret" value must be a list of kinds')
    unknown = [k for k in value if k not in SECRET_PATTERNS]
    if unknown:
        raise AssertionValueError(
            f"unknown secret kinds {unknown}; known: {', '.join(SECRET_KINDS)}"
        )


# --- max-bytes: the size of a pre-flight input --------------------------------------------------


def check_max_bytes(check: Check) -> Outcome:
    """The text is at most ``value`` bytes in UTF-8 (pre-flight: the run's input as JSON)."""
    size = len(check.output.encode("utf-8", "surrogatepass"))
    limit = check.assertion.value
    passed = (size <= limit) != check.inverse
    relation = "at most" if check.inverse else "more than"
    return Outcome.binary(passed, f"Text is {size} bytes, {relation} the limit of {limit} bytes")


def validate_max_bytes(assertion: Assertion) -> None:
    """A positive whole number of bytes."""
    value = assertion.value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AssertionValueError('"max-bytes" needs a positive whole number of bytes as value')
