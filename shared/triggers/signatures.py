"""Verifying a webhook's signature on its raw body, for each preset a trigger may name.

=========  =============================================  ======================================
Preset     Headers                                        Signed bytes, scheme
=========  =============================================  ======================================
standard   ``webhook-id``, ``webhook-timestamp``,         ``id.timestamp.body``, HMAC-SHA256,
           ``webhook-signature: v1,<base64> ...``         base64 (Standard Webhooks, verified
                                                          by the ``standardwebhooks`` package)
github     ``X-Hub-Signature-256: sha256=<hex>``          the body, HMAC-SHA256, hex (GitHub,
                                                          "Validating webhook deliveries")
stripe     ``Stripe-Signature: t=<unix>,v1=<hex>,...``    ``t.body``, HMAC-SHA256, hex (Stripe,
                                                          "Verify webhook signatures manually")
slack      ``X-Slack-Request-Timestamp: <unix>``,         ``v0:timestamp:body``, HMAC-SHA256,
           ``X-Slack-Signature: v0=<hex>``                hex (Slack, "Verifying requests")
=========  =============================================  ======================================

Timestamps must be within five minutes of now, either way (all three schemes that sign one
recommend it), so a captured request cannot be replayed later; for ``standard`` the package
checks the same tolerance again on the wall clock. Every comparison is
``hmac.compare_digest``; every secret still valid (the current one and those in their rotation
grace period) is tried. Outcomes, each a :class:`~shared.errors.PermanentError` with the status
the hook answers:

- a signature header is absent: 401 ``webhook_signature_missing``;
- a header is present but not in its scheme's format: 400 ``webhook_signature_malformed``;
- the timestamp is too old or too new: 401 ``webhook_timestamp_out_of_tolerance``;
- no signature matches: 401 ``webhook_signature_invalid``.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError

from shared.domain.triggers import WebhookPreset
from shared.errors import PermanentError, UnauthenticatedError

TOLERANCE_S = 300
MAX_HEADER_CHARS = 4096

# Everything standardwebhooks lets out on malformed input: its own two errors, RuntimeError for
# an unusable secret, and what its parsing raises unguarded (a signature without a comma is a
# ValueError of tuple unpacking, bad base64 a binascii.Error, a non-UTF-8 body a
# UnicodeDecodeError; the latter two are ValueErrors too, named for the reader).
STANDARD_WEBHOOKS_ERRORS: tuple[type[Exception], ...] = (
    WebhookVerificationError,
    EmptyWebhookSecretError,
    RuntimeError,
    binascii.Error,
    UnicodeDecodeError,
    ValueError,
    TypeError,
    OverflowError,
)

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_STANDARD_SIGNATURE = re.compile(r"v[0-9]+,[A-Za-z0-9+/=]{1,200}")
_WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,256}")


def _missing(header: str) -> UnauthenticatedError:
    return UnauthenticatedError("webhook_signature_missing", f"the {header} header is missing")


def _malformed(header: str, why: str) -> PermanentError:
    return PermanentError("webhook_signature_malformed", f"the {header} header {why}")


def _invalid() -> UnauthenticatedError:
    return UnauthenticatedError(
        "webhook_signature_invalid", "no signature matches the body and the trigger's secret"
    )


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise _missing(name)
    if len(value) > MAX_HEADER_CHARS:
        raise _malformed(name, f"is longer than {MAX_HEADER_CHARS} characters")
    return value


def _check_timestamp(name: str, value: str, now: datetime) -> None:
    if not _TIMESTAMP.fullmatch(value):
        raise _malformed(name, "is not a unix timestamp in seconds")
    if abs(now.timestamp() - int(value)) > TOLERANCE_S:
        raise UnauthenticatedError(
            "webhook_timestamp_out_of_tolerance",
            f"the {name} header is more than {TOLERANCE_S} seconds from now",
        )


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _any_match(
    candidates: Sequence[str], expected: Callable[[str], str], secrets: Sequence[str]
) -> None:
    for secret in secrets:
        digest = expected(secret)
        if any(hmac.compare_digest(digest, c.lower()) for c in candidates):
            return
    raise _invalid()


def _standard(
    secrets: Sequence[str], body: bytes, headers: Mapping[str, str], now: datetime
) -> None:
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signature = _header(headers, "webhook-signature")
    if not _WEBHOOK_ID.fullmatch(webhook_id):
        raise _malformed("webhook-id", "must be 1 to 256 printable characters")
    if not all(_STANDARD_SIGNATURE.fullmatch(part) for part in signature.split(" ")):
        raise _malformed("webhook-signature", "must be space-separated 'v1,<base64>' entries")
    _check_timestamp("webhook-timestamp", timestamp, now)
    signed = {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
    for secret in secrets:
        try:
            Webhook(secret).verify(body, signed, json_parse=False)
            return
        except STANDARD_WEBHOOKS_ERRORS:
            continue
    raise _invalid()


def _github(secrets: Sequence[str], body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    name = "x-hub-signature-256"
    signature = _header(headers, name)
    scheme, _, digest = signature.partition("=")
    if scheme != "sha256" or not _HEX_SHA256.fullmatch(digest):
        raise _malformed(name, "must be 'sha256=<64 hex digits>'")
    _any_match([digest], lambda secret: _hmac_hex(secret, body), secrets)


def _stripe(secrets: Sequence[str], body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    name = "stripe-signature"
    pairs = [item.partition("=") for item in _header(headers, name).split(",")]
    if any(not sep or not key for key, sep, _ in pairs):
        raise _malformed(name, "must be comma-separated key=value pairs")
    timestamps = [value for key, _, value in pairs if key == "t"]
    signatures = [value for key, _, value in pairs if key == "v1"]
    if len(timestamps) != 1:
        raise _malformed(name, "must carry exactly one t=<timestamp>")
    if not signatures:
        raise UnauthenticatedError("webhook_signature_missing", f"the {name} header has no v1")
    if not all(_HEX_SHA256.fullmatch(s) for s in signatures):
        raise _malformed(name, "has a v1 signature that is not 64 hex digits")
    _check_timestamp(name, timestamps[0], now)
    signed = timestamps[0].encode() + b"." + body
    _any_match(signatures, lambda secret: _hmac_hex(secret, signed), secrets)


def _slack(secrets: Sequence[str], body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    timestamp = _header(headers, "x-slack-request-timestamp")
    signature = _header(headers, "x-slack-signature")
    version, _, digest = signature.partition("=")
    if version != "v0" or not _HEX_SHA256.fullmatch(digest):
        raise _malformed("x-slack-signature", "must be 'v0=<64 hex digits>'")
    _check_timestamp("x-slack-request-timestamp", timestamp, now)
    signed = b"v0:" + timestamp.encode() + b":" + body
    _any_match([digest], lambda secret: _hmac_hex(secret, signed), secrets)


_VERIFIERS = {"standard": _standard, "github": _github, "stripe": _stripe, "slack": _slack}


def verify_signature(
    preset: WebhookPreset,
    secrets: Sequence[str],
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> None:
    """Check that ``body`` was signed by the sender ``preset`` names with one of ``secrets``.

    Args:
        preset: The trigger's preset.
        secrets: The trigger's valid secrets, current first.
        body: The raw request body, exactly as received.
        headers: Request headers with lower-case names.
        now: The current time (UTC), for the timestamp tolerance.

    Raises:
        UnauthenticatedError: Codes ``webhook_signature_missing``, ``webhook_signature_invalid``,
            ``webhook_timestamp_out_of_tolerance`` (HTTP 401).
        PermanentError: Code ``webhook_signature_malformed`` (HTTP 400).
    """
    if not secrets:
        raise _invalid()
    _VERIFIERS[preset](secrets, body, headers, now)


def sign_request(
    preset: WebhookPreset, secret: str, body: bytes, at: datetime, webhook_id: str
) -> dict[str, str]:
    """The signature headers a sender of ``preset`` sends with ``body`` (the sender's side of
    :func:`verify_signature`, for tests, demos and clients).

    Args:
        preset: The sender.
        secret: The trigger's signing secret.
        body: The exact body to send.
        at: The signing time (UTC).
        webhook_id: Delivery id (``webhook-id`` / ``X-GitHub-Delivery``; Stripe and Slack put
            theirs in the body).

    Returns:
        The signature headers.
    """
    timestamp = str(int(at.timestamp()))
    if preset == "standard":
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": Webhook(secret).sign(webhook_id, at, body.decode()),
        }
    if preset == "github":
        return {
            "X-Hub-Signature-256": "sha256=" + _hmac_hex(secret, body),
            "X-GitHub-Delivery": webhook_id,
            "X-GitHub-Event": "push",
        }
    if preset == "stripe":
        signed = timestamp.encode() + b"." + body
        return {"Stripe-Signature": f"t={timestamp},v1={_hmac_hex(secret, signed)}"}
    signed = b"v0:" + timestamp.encode() + b":" + body
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + _hmac_hex(secret, signed),
    }
