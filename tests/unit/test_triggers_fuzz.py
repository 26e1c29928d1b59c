"""Fuzz ``POST /v1/hooks/{trigger_id}``: thousands of broken signatures, timestamps and bodies.

Every answer must be a 4xx problem (400, 401, 404 or 413), never a 5xx, and no run may start.
Hypothesis draws the requests from a fixed seed (``derandomize``), so a failure reproduces; the
last test checks the count and prints the tally (``pytest -s`` shows it).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.composition import utc_now
from shared.domain.triggers import WebhookPreset
from shared.triggers.signatures import sign_request
from tests.unit.api_harness import ApiHarness, in_memory_dependencies, make_harness
from tests.unit.triggers_support import webhook_agent

PRESETS: tuple[WebhookPreset, ...] = ("standard", "github", "stripe", "slack")
EXAMPLES_PER_TEST = 800
REFUSALS = {400, 401, 404, 413}
TALLY: Counter[int] = Counter()

FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class _World:
    """One API with a webhook agent per preset, shared by every example, on the wall clock
    (the examples sign with the wall clock's time, and a run of them takes seconds)."""

    def __init__(self) -> None:
        self.api = make_harness(dataclasses.replace(in_memory_dependencies(), clock=utc_now))
        self.triggers: dict[str, dict[str, Any]] = {p: webhook_agent(self.api, p) for p in PRESETS}


_world: _World | None = None


def world() -> _World:
    global _world
    if _world is None:
        _world = _World()
    return _world


def post(api: ApiHarness, path: str, body: bytes, headers: dict[str, str]) -> int:
    response = api.client.post(path, data=body, headers=headers)
    TALLY[response.status_code] += 1
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.status_code in REFUSALS, (response.status_code, response.get_json())
    assert response.mimetype == "application/problem+json"
    return response.status_code


# Header values as a WSGI server can deliver them: latin-1 text without line breaks.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=120,
)
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
b64 = st.binary(min_size=0, max_size=48).map(lambda raw: base64.b64encode(raw).decode())
timestamps = st.one_of(
    st.integers(min_value=-(10**13), max_value=10**13).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    header_text,
    st.sampled_from(["", "0", "1e400", "nan", "-0", "٣٤", "1" * 13, " 1", "+1"]),
)
bodies = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=256).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
)


def signature_headers(preset: WebhookPreset) -> st.SearchStrategy[dict[str, str]]:
    """Headers in the preset's vocabulary, each one broken, random or absent."""
    if preset == "standard":
        fields = {
            "webhook-id": st.one_of(header_text, st.just("msg_1")),
            "webhook-timestamp": timestamps,
            "webhook-signature": st.one_of(
                header_text,
                b64.map(lambda s: f"v1,{s}"),
                st.lists(b64.map(lambda s: f"v1,{s}"), max_size=4).map(" ".join),
                st.sampled_from(["v1", "v1,", ",", "v1,a,b", "v2,AAAA", "v1,====", "v1 v1"]),
            ),
        }
    elif preset == "github":
        fields = {
            "X-Hub-Signature-256": st.one_of(
                header_text,
                hex64.map(lambda h: f"sha256={h}"),
                st.sampled_from(["sha256=", "sha1=abc", "sha256=" + "Z" * 64, "=" * 70]),
            ),
            "X-GitHub-Delivery": header_text,
            "X-GitHub-Event": st.sampled_from(["push", "ping", "issues", ""]),
        }
    elif preset == "stripe":
        fields = {
            "Stripe-Signature": st.one_of(
                header_text,
                st.builds(lambda t, v: f"t={t},v1={v}", timestamps, hex64),
                st.builds(lambda t, v: f"t={t},v1={v},v1={v}", timestamps, header_text),
                st.sampled_from(["t=", "v1=", "t=1,t=2", ",,,", "t=1,v0=" + "a" * 64]),
            )
        }
    else:
        fields = {
            "X-Slack-Signature": st.one_of(
                header_text, hex64.map(lambda h: f"v0={h}"), st.sampled_from(["v0=", "v1=ab"])
            ),
            "X-Slack-Request-Timestamp": timestamps,
        }
    return st.fixed_dictionaries({}, optional=fields)  # type: ignore[arg-type]


@st.composite
def broken_requests(draw: st.DrawFn) -> tuple[WebhookPreset, dict[str, str], bytes]:
    preset = draw(st.sampled_from(PRESETS))
    headers = draw(signature_headers(preset))
    headers["Content-Type"] = draw(
        st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"])
    )
    return preset, headers, draw(bodies)


@FUZZ
@given(request=broken_requests())
def test_random_and_broken_signature_headers_are_refused(
    request: tuple[WebhookPreset, dict[str, str], bytes],
) -> None:
    preset, headers, body = request
    w = world()
    status = post(w.api, w.triggers[preset]["path"], body, headers)
    assert status in {400, 401}


@FUZZ
@given(
    preset=st.sampled_from(PRESETS),
    body=bodies,
    # Outside the 300 s tolerance by a minute at least: on a loaded machine the request may
    # reach the check a few seconds after it was signed, and 301 s ahead would then be inside.
    offset_s=st.one_of(
        st.integers(min_value=360, max_value=10**9), st.integers(min_value=-(10**9), max_value=-360)
    ),
)
def test_validly_signed_requests_with_a_stale_or_future_timestamp_are_refused(
    preset: WebhookPreset, body: bytes, offset_s: int
) -> None:
    w = world()
    at = datetime.now(UTC) + timedelta(seconds=offset_s)
    body = body.decode("latin-1").encode()  # text, as Standard Webhooks signs it
    headers = sign_request(preset, w.triggers[preset]["signing_secret"], body, at, "d")
    if preset == "github":  # it signs no timestamp: send other bytes than it signed instead
        body += b"!"
    status = post(w.api, w.triggers[preset]["path"], body, headers)
    assert status in {400, 401}


@FUZZ
@given(
    preset=st.sampled_from(PRESETS),
    body=bodies,
    flip=st.integers(min_value=0, max_value=10_000),
    secret=st.one_of(st.none(), b64.map(lambda s: "whsec_" + s), header_text),
)
def test_a_signature_over_other_bytes_or_with_another_secret_is_refused(
    preset: WebhookPreset, body: bytes, flip: int, secret: str | None
) -> None:
    w = world()
    real = w.triggers[preset]["signing_secret"]
    signed_body = body.decode("latin-1").encode()
    if secret is None or secret == real:
        # The right secret over the body with one byte changed (or one byte added).
        tampered = bytearray(signed_body) or bytearray(b"{}")
        index = flip % len(tampered)
        tampered[index] = (tampered[index] + 1 + flip % 255) % 256
        if bytes(tampered) == signed_body:
            tampered.append(0)
        sent = bytes(tampered)
        secret = real
    else:
        sent = signed_body
    try:
        headers = sign_request(preset, secret, signed_body, datetime.now(UTC), "d")
    except Exception:  # an unusable key for the Standard Webhooks signer: send junk instead
        headers = {"webhook-id": "d", "webhook-timestamp": "1", "webhook-signature": "v1,AA=="}
    status = post(w.api, w.triggers[preset]["path"], sent, headers)
    assert status in {400, 401}


@FUZZ
@given(preset=st.sampled_from(PRESETS), tail=st.binary(max_size=256), form=st.booleans())
def test_validly_signed_bodies_that_do_not_parse_are_400(
    preset: WebhookPreset, tail: bytes, form: bool
) -> None:
    w = world()
    form = form and preset != "standard"  # Standard Webhooks signs text: JSON only
    if form:
        body = b"\xff" + tail  # never UTF-8: no form can be read from it
    elif preset == "standard":
        body = tail.decode("utf-8", "replace").encode() + b"\x00"
    else:
        body = tail + b"\x00"  # a raw NUL is invalid JSON anywhere, inside strings too
    headers = sign_request(
        preset, w.triggers[preset]["signing_secret"], body, datetime.now(UTC), "d"
    )
    headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
    status = post(w.api, w.triggers[preset]["path"], body, headers)
    assert status == 400


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(trigger_id=header_text.filter(lambda t: "/" not in t and "?" not in t and "#" not in t))
def test_unknown_trigger_ids_are_404(trigger_id: str) -> None:
    w = world()
    path = "/v1/hooks/" + (trigger_id.encode("latin-1").hex() or "x")
    status = post(w.api, path, b"{}", {"webhook-id": "a"})
    assert status == 404


def test_the_fuzz_made_thousands_of_requests_no_5xx_and_no_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = world()
    total = sum(TALLY.values())
    runs = w.api.deps.runs.list_runs(w.api.org_id, page_size=1000).items
    with capsys.disabled():
        tally = dict(sorted(TALLY.items()))
        print(f"\nwebhook fuzz: {total} requests, answers {tally}, runs {len(runs)}")
    assert total >= 4 * EXAMPLES_PER_TEST
    assert not any(status >= 500 for status in TALLY)
    assert runs == ()
