"""``POST /v1/hooks/{trigger_id}``: each preset starts one run; replays, bad signatures, bodies,
mapping, handshakes, rotation and deactivation, on the in-memory twins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.domain.runs import TriggerKind
from shared.domain.triggers import WebhookPreset
from shared.triggers.hooks import MAX_BODY_BYTES
from shared.triggers.signatures import sign_request
from tests.unit.api_harness import ApiHarness, assert_problem
from tests.unit.triggers_support import (
    FakeClock,
    payload_for,
    runs_of,
    send_signed,
    trigger_harness,
    webhook_agent,
)

PRESETS: list[WebhookPreset] = ["standard", "github", "stripe", "slack"]
HEX = "a" * 64


def _standard(webhook_id: str, timestamp: str, signature: str) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }


@pytest.fixture
def harness() -> tuple[ApiHarness, FakeClock]:
    return trigger_harness()


@pytest.fixture
def api(harness: tuple[ApiHarness, FakeClock]) -> ApiHarness:
    return harness[0]


def test_a_webhook_agent_gets_a_url_and_a_secret_shown_once(api: ApiHarness) -> None:
    trigger = webhook_agent(api)

    assert trigger["path"] == f"/v1/hooks/{trigger['trigger_id']}"
    assert trigger["url"].endswith(trigger["path"])
    assert trigger["signing_secret"].startswith("whsec_")
    shown = api.client.get(f"/v1/agents/{trigger['agent_id']}", headers=api.auth()).get_json()
    assert shown["trigger"]["trigger_id"] == trigger["trigger_id"]
    assert "signing_secret" not in shown["trigger"]
    assert trigger["signing_secret"] not in json.dumps(shown)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_signed_webhook_of_each_preset_starts_exactly_one_run(
    api: ApiHarness, preset: WebhookPreset
) -> None:
    trigger = webhook_agent(api, preset)
    body = payload_for(preset, "delivery-1")

    response = send_signed(api, trigger, body, delivery="delivery-1")

    assert response.status_code == 202, response.get_json()
    runs = runs_of(api, trigger["agent_id"])
    assert [run.run_id for run in runs] == [response.get_json()["run_id"]]
    assert runs[0].trigger == TriggerKind.WEBHOOK
    assert runs[0].input == {"payload": json.loads(body)}
    assert [m.topic for m in api.published].count("run-requested") == 1


@pytest.mark.parametrize("preset", PRESETS)
def test_a_replayed_delivery_answers_200_and_starts_no_run(
    api: ApiHarness, preset: WebhookPreset
) -> None:
    trigger = webhook_agent(api, preset)
    body = payload_for(preset, "delivery-1")
    first = send_signed(api, trigger, body, delivery="delivery-1")

    # The sender's retry: the same delivery id, possibly signed again a moment later.
    again = send_signed(
        api, trigger, body, delivery="delivery-1", at=datetime.now(UTC) + timedelta(seconds=3)
    )

    assert again.status_code == 200
    assert again.get_json() == {**first.get_json(), "replayed": True}
    assert len(runs_of(api, trigger["agent_id"])) == 1


def test_a_new_delivery_id_is_a_new_run(api: ApiHarness) -> None:
    trigger = webhook_agent(api)

    for delivery in ("msg_1", "msg_2"):
        response = send_signed(api, trigger, payload_for("standard", delivery), delivery=delivery)
        assert response.status_code == 202

    assert len(runs_of(api, trigger["agent_id"])) == 2


def test_a_delivery_being_processed_is_409(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = webhook_agent(api)
    original = api.deps.agents.get_agent
    answers: list[int] = []

    def get_agent_and_meanwhile_redeliver(org_id: str, agent_id: str) -> Any:
        if not answers:  # inside the first delivery's effect: the sender retries already
            answers.append(send_signed(api, trigger, payload_for("standard", "m")).status_code)
        return original(org_id, agent_id)

    monkeypatch.setattr(api.deps.agents, "get_agent", get_agent_and_meanwhile_redeliver)
    first = send_signed(api, trigger, payload_for("standard", "m"))

    assert first.status_code == 202
    assert answers == [409]
    assert len(runs_of(api, trigger["agent_id"])) == 1


@pytest.mark.parametrize("preset", PRESETS)
def test_a_tampered_body_or_another_secret_is_401_and_starts_nothing(
    api: ApiHarness, preset: WebhookPreset
) -> None:
    trigger = webhook_agent(api, preset)
    body = payload_for(preset, "d")
    signed = sign_request(preset, trigger["signing_secret"], body, datetime.now(UTC), "d")
    forged = sign_request(preset, "whsec_" + "A" * 43 + "=", body, datetime.now(UTC), "d")

    tampered = api.client.post(trigger["path"], data=body + b" ", headers=signed)
    wrong_key = api.client.post(trigger["path"], data=body, headers=forged)

    assert_problem(tampered, 401, "webhook_signature_invalid")
    assert_problem(wrong_key, 401, "webhook_signature_invalid")
    assert runs_of(api, trigger["agent_id"]) == []


@pytest.mark.parametrize("preset", ["standard", "stripe", "slack"])
@pytest.mark.parametrize("skew_s", [-305, 305])
def test_a_timestamp_more_than_five_minutes_off_is_401(
    harness: tuple[ApiHarness, FakeClock], preset: WebhookPreset, skew_s: int
) -> None:
    api, clock = harness
    trigger = webhook_agent(api, preset)
    # Five seconds past the tolerance of the clock that checks it: the standardwebhooks
    # package reads the wall clock, the Stripe and Slack checks the platform's (frozen) clock.
    now = datetime.now(UTC) if preset == "standard" else clock.now
    at = now + timedelta(seconds=skew_s)

    response = send_signed(api, trigger, payload_for(preset, "d"), at=at)

    assert_problem(response, 401, "webhook_timestamp_out_of_tolerance")
    assert runs_of(api, trigger["agent_id"]) == []


@pytest.mark.parametrize(
    ("preset", "headers", "status", "code"),
    [
        ("standard", {}, 401, "webhook_signature_missing"),
        ("standard", _standard("a", "1", "v1"), 400, "webhook_signature_malformed"),
        ("standard", _standard("a", "soon", "v1,AA=="), 400, "webhook_signature_malformed"),
        ("github", {"X-Hub-Signature-256": "sha1=abc"}, 400, "webhook_signature_malformed"),
        ("github", {}, 401, "webhook_signature_missing"),
        ("stripe", {"Stripe-Signature": "t=1,t=2,v1=" + HEX}, 400, "webhook_signature_malformed"),
        ("stripe", {"Stripe-Signature": "nonsense"}, 400, "webhook_signature_malformed"),
        ("stripe", {"Stripe-Signature": "t=1,v0=" + "a" * 64}, 401, "webhook_signature_missing"),
        ("slack", {"X-Slack-Signature": "v0=" + "a" * 64}, 401, "webhook_signature_missing"),
        ("slack", {"X-Slack-Signature": "v1=" + "a" * 64, "X-Slack-Request-Timestamp": "1"},
         400, "webhook_signature_malformed"),
    ],
)  # fmt: skip
def test_malformed_or_missing_signature_headers_are_problems(
    api: ApiHarness, preset: WebhookPreset, headers: dict[str, str], status: int, code: str
) -> None:
    trigger = webhook_agent(api, preset)

    response = api.client.post(trigger["path"], data=payload_for(preset, "d"), headers=headers)

    assert_problem(response, status, code)
    assert runs_of(api, trigger["agent_id"]) == []


def test_an_unknown_trigger_is_404_without_an_api_key(api: ApiHarness) -> None:
    response = api.client.post("/v1/hooks/0123456789abcdef", data=b"{}")

    assert_problem(response, 404, "trigger_not_found")


def test_a_body_over_the_cap_is_413_before_it_is_verified(api: ApiHarness) -> None:
    trigger = webhook_agent(api)
    body = json.dumps({"blob": "x" * MAX_BODY_BYTES}).encode()

    response = send_signed(api, trigger, body)

    assert_problem(response, 413, "request_entity_too_large")
    assert runs_of(api, trigger["agent_id"]) == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"[" * 100 + b"]" * 100])
def test_a_signed_body_that_is_not_json_is_400(api: ApiHarness, body: bytes) -> None:
    trigger = webhook_agent(api, "github")

    response = send_signed(api, trigger, body)

    assert_problem(response, 400, "invalid_payload")
    assert runs_of(api, trigger["agent_id"]) == []


def test_a_jsonpath_mapping_builds_the_input(api: ApiHarness) -> None:
    mapping = {"title": "$.pull_request.title", "labels": "$.labels[*].name", "none": "$.nope"}
    trigger = webhook_agent(api, "github", input=mapping)
    body = {"pull_request": {"title": "Fix"}, "labels": [{"name": "a"}, {"name": "b"}]}

    response = send_signed(api, trigger, json.dumps(body).encode())

    assert response.status_code == 202
    run = api.deps.runs.get_run(response.get_json()["run_id"])
    assert run.input == {"title": "Fix", "labels": ["a", "b"], "none": None}


def test_a_single_jsonpath_selects_the_input_object(api: ApiHarness) -> None:
    trigger = webhook_agent(api, "stripe", input="$.data.object")
    body = {"id": "evt_1", "data": {"object": {"amount": 1200, "currency": "eur"}}}

    response = send_signed(api, trigger, json.dumps(body).encode())

    assert api.deps.runs.get_run(response.get_json()["run_id"]).input == {
        "amount": 1200,
        "currency": "eur",
    }


def test_an_invalid_jsonpath_is_refused_when_the_spec_is_saved(api: ApiHarness) -> None:
    document = {
        "agent": {
            "name": "bad-mapping",
            "system_prompt": "x",
            "trigger": {"type": "webhook", "input": {"title": "$..["}},
        }
    }

    response = api.client.post("/v1/agents", json=document, headers=api.auth())

    body = assert_problem(response, 422, "invalid_spec")
    assert body["errors"][0]["field"] == "agent.trigger.input"


def test_github_ping_and_slack_url_verification_are_answered_without_a_run(
    api: ApiHarness,
) -> None:
    github = webhook_agent(api, "github")
    slack = webhook_agent(api, "slack")

    ping = send_signed(
        api, github, b'{"zen": "Keep it simple."}', headers={"X-GitHub-Event": "ping"}
    )
    challenge = send_signed(api, slack, b'{"type": "url_verification", "challenge": "c-123"}')

    assert ping.status_code == 200 and ping.get_json()["event"] == "ping"
    assert challenge.status_code == 200 and challenge.get_json() == {"challenge": "c-123"}
    assert runs_of(api, github["agent_id"]) == runs_of(api, slack["agent_id"]) == []


def test_a_slack_form_post_is_parsed(api: ApiHarness) -> None:
    trigger = webhook_agent(api, "slack")
    body = b"command=%2Fprice&text=widget"
    signed = sign_request("slack", trigger["signing_secret"], body, datetime.now(UTC), "x")

    response = api.client.post(
        trigger["path"],
        data=body,
        headers={**signed, "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 202
    run = api.deps.runs.get_run(response.get_json()["run_id"])
    assert run.input == {"payload": {"command": "/price", "text": "widget"}}


def test_rotation_keeps_the_old_secret_valid_for_its_grace_period(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    trigger = webhook_agent(api, "github")
    old = trigger["signing_secret"]

    rotated = api.client.post(
        f"/v1/agents/{trigger['agent_id']}/trigger/rotate-secret",
        json={"grace_period_s": 3600},
        headers=api.auth(),
    )

    new = rotated.get_json()["trigger"]["signing_secret"]
    assert rotated.status_code == 200 and new != old
    assert send_signed(api, trigger, b"{}", secret=new, delivery="1").status_code == 202
    assert send_signed(api, trigger, b"{}", secret=old, delivery="2").status_code == 202
    clock.advance(seconds=3601)
    late = send_signed(api, trigger, b"{}", secret=old, delivery="3")
    assert_problem(late, 401, "webhook_signature_invalid")
    assert send_signed(api, trigger, b"{}", secret=new, delivery="4").status_code == 202


def test_rotation_can_set_the_senders_own_secret_with_no_grace(api: ApiHarness) -> None:
    trigger = webhook_agent(api, "stripe")
    stripe_secret = "whsec_" + "s3cr3t" * 6

    rotated = api.client.post(
        f"/v1/agents/{trigger['agent_id']}/trigger/rotate-secret",
        json={"grace_period_s": 0, "secret": stripe_secret},
        headers=api.auth(),
    )

    assert rotated.get_json()["trigger"]["signing_secret"] == stripe_secret
    old = send_signed(api, trigger, payload_for("stripe", "evt_1"), delivery="x")
    assert_problem(old, 401, "webhook_signature_invalid")
    ok = send_signed(api, trigger, payload_for("stripe", "evt_2"), secret=stripe_secret)
    assert ok.status_code == 202


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"grace_period_s": -1}, "invalid_body"),
        ({"grace_period_s": 10**9}, "invalid_body"),
        ({"secret": "short"}, "invalid_secret"),
    ],
)
def test_a_bad_rotation_is_422(api: ApiHarness, body: dict[str, Any], code: str) -> None:
    trigger = webhook_agent(api, "slack")

    response = api.client.post(
        f"/v1/agents/{trigger['agent_id']}/trigger/rotate-secret", json=body, headers=api.auth()
    )

    assert_problem(response, 422, code)


def test_rotating_a_manual_agent_is_409(api: ApiHarness) -> None:
    agent_id = api.create_agent("manual")

    response = api.client.post(
        f"/v1/agents/{agent_id}/trigger/rotate-secret", json={}, headers=api.auth()
    )

    assert_problem(response, 409, "not_a_webhook_trigger")


def test_a_deactivated_agent_s_url_is_404_and_activation_restores_it(api: ApiHarness) -> None:
    trigger = webhook_agent(api)
    agent_path = f"/v1/agents/{trigger['agent_id']}"

    off = api.client.post(f"{agent_path}/deactivate", headers=api.auth()).get_json()
    refused = send_signed(api, trigger, payload_for("standard", "a"), delivery="a")
    on = api.client.post(f"{agent_path}/activate", headers=api.auth()).get_json()
    accepted = send_signed(api, trigger, payload_for("standard", "b"), delivery="b")

    assert off["agent"]["active"] is False and off["trigger"]["enabled"] is False
    assert_problem(refused, 404, "trigger_not_found")
    assert on["trigger"]["trigger_id"] == trigger["trigger_id"] and on["trigger"]["enabled"]
    assert accepted.status_code == 202


def test_changing_the_trigger_away_disables_the_url_and_back_keeps_url_and_secret(
    api: ApiHarness,
) -> None:
    trigger = webhook_agent(api, name="switcher")
    agent_path = f"/v1/agents/{trigger['agent_id']}"

    def put(new_trigger: dict[str, Any]) -> dict[str, Any]:
        document = {"agent": {"name": "switcher", "system_prompt": "x", "trigger": new_trigger}}
        response = api.client.put(agent_path, json=document, headers=api.auth())
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json()["trigger"])

    assert put({"type": "manual"}) == {"type": "manual"}
    assert_problem(send_signed(api, trigger, b"{}"), 404, "trigger_not_found")
    back = put({"type": "webhook"})
    assert back["trigger_id"] == trigger["trigger_id"] and "signing_secret" not in back
    assert send_signed(api, trigger, b"{}").status_code == 202


def test_another_organisation_cannot_rotate_or_see_the_trigger(api: ApiHarness) -> None:
    trigger = webhook_agent(api)

    rotated = api.client.post(
        f"/v1/agents/{trigger['agent_id']}/trigger/rotate-secret",
        json={},
        headers=api.auth(api.other_key),
    )

    assert_problem(rotated, 404, "agent_not_found")
