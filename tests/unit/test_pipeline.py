"""The whole run pipeline on in-memory twins, through the edges' transport mapping.

Tool targets, webhook and alert receivers are real HTTP servers on loopback; Google services are
the in-memory twins (their contract suites keep them honest). The end-to-end tests on the local
stack (tests/e2e) cover the same paths with the emulators and the deployed process shapes.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from standardwebhooks import Webhook

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from shared import resources
from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies, utc_now
from shared.domain.model_io import ModelRequest, ModelResponse
from shared.domain.runs import Run, RunStatus
from shared.domain.spec import load_agent_spec
from shared.domain.steps import FunctionCall, ToolCallStatus
from shared.errors import ConflictError, NotFoundError, TransientError
from shared.pipeline.approvals import approve_run, reject_run
from shared.pipeline.continuous import sampled
from shared.pipeline.trigger import request_run
from tests.unit.api_harness import in_memory_dependencies
from tests.unit.pipeline_driver import PipelineDriver

# How long the model, a page and a webhook receiver take to answer when copies of a task run at
# once: long enough that every copy reaches the work's lease before its holder is done.
WORK_S = 0.05


def _page(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    return 200, {"content-type": "text/html"}, f"<p>{request.path}: 19.99 EUR</p>".encode()


def _slow_page(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    time.sleep(WORK_S)
    return _page(request)


def _slow_hook(_request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    time.sleep(WORK_S)
    return 200, {}, b"ok"


class SlowModel(ScriptedModelClient):
    """A scripted model that takes :data:`WORK_S` to answer."""

    def generate(self, request: ModelRequest) -> ModelResponse:
        time.sleep(WORK_S)
        return super().generate(request)


@dataclasses.dataclass
class World:
    pages: HttpReceiver
    hooks: HttpReceiver
    alerts: HttpReceiver


@pytest.fixture
def world() -> Iterator[World]:
    receivers = World(HttpReceiver(responder=_page), HttpReceiver(), HttpReceiver())
    with ExitStack() as stack:
        for receiver in (receivers.pages, receivers.hooks, receivers.alerts):
            stack.enter_context(serve(receiver))
        yield receivers


def _spec(world: World, evals: str = "", max_steps: int = 4) -> str:
    return f"""
agent:
  name: price-monitor
  system_prompt: Report prices.
  tools: [{{name: http_fetch, config: {{allowed_domains: [127.0.0.1], timeout_s: 2}}}}]
  evals: [{evals}]
  delivery: [{{type: webhook, url: "{world.hooks.url}/hook"}}]
  alerts: {{webhook_url: "{world.alerts.url}/alert"}}
  limits: {{max_steps: {max_steps}, timeout_s: 60}}
"""


def _fetch(*urls: str) -> ModelResponse:
    calls = tuple(
        FunctionCall(call_index=i, name="http_fetch", args={"url": url})
        for i, url in enumerate(urls)
    )
    return ModelResponse(function_calls=calls, prompt_tokens=10, completion_tokens=5)


def _answer(text: str) -> ModelResponse:
    return ModelResponse(text=text, finish_reason="STOP", prompt_tokens=20, completion_tokens=7)


def _start(
    world: World,
    turns: list[Any],
    spec: str,
    copies: int = 1,
    *,
    concurrent: bool = False,
    model: type[ScriptedModelClient] = ScriptedModelClient,
) -> tuple[PipelineDriver, Run, str]:
    base = in_memory_dependencies()
    settings = base.settings.model_copy(update={"egress_allowed_networks": ("127.0.0.0/8",)})
    # The real clock: receivers check Standard Webhooks timestamps against it.
    deps: Dependencies = dataclasses.replace(
        base, settings=settings, model=model(turns), clock=utc_now
    )
    org, _key = create_org_with_key(deps, "Acme")
    agent, _version = deps.agents.create_agent(org.org_id, load_agent_spec(spec))
    run = request_run(deps, org.org_id, agent.agent_id, {"product": "widget"})
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    return PipelineDriver(deps, copies=copies, concurrent=concurrent), run, secret


def _event_types(driver: PipelineDriver, run: Run) -> list[str]:
    return [e.type for e in driver.deps.runs.list_events(run.run_id, limit=1000)]


@pytest.mark.parametrize("copies", [1, 2, 3])
def test_a_run_with_two_tool_calls_is_delivered_once_however_often_events_arrive(
    world: World, copies: int
) -> None:
    turns = [_fetch(f"{world.pages.url}/a", f"{world.pages.url}/b"), _answer("a: 19.99 EUR")]
    driver, run, secret = _start(world, turns, _spec(world), copies)

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.DELIVERED
    assert final.output == "a: 19.99 EUR"
    assert sorted(r.path for r in world.pages.requests) == ["/a", "/b"]  # one set of tool calls
    assert len(world.hooks.requests) == 1  # one delivery
    hook = world.hooks.requests[0]
    assert Webhook(secret).verify(hook.body, hook.headers)["output"] == "a: 19.99 EUR"
    assert final.usage.model_steps == 2 and final.usage.tool_calls == 2
    assert final.usage.prompt_tokens == 30 and final.usage.completion_tokens == 12
    types = _event_types(driver, run)
    for status in ("requested", "approved", "running", "generated", "passed", "delivered"):
        assert types.count(f"run.{status}") == 1
    steps = driver.deps.runs.list_steps(run.run_id)
    results = driver.deps.runs.list_tool_results(run.run_id)
    assert [s.step for s in steps] == [0, 1]
    assert [r.status for r in results] == [ToolCallStatus.SUCCEEDED] * 2
    for uri in [s.trace_uri for s in steps] + [r.trace_uri for r in results]:
        assert uri and json.loads(driver.deps.blobs.get(uri))
    artifact = json.loads(driver.deps.blobs.get(final.artifact_uri or ""))
    assert artifact["output"] == "a: 19.99 EUR"
    assert world.alerts.requests == []


def test_gemini_thought_signatures_survive_the_durable_loop(world: World) -> None:
    # Each step is rebuilt from Firestore records; Gemini 3 refuses a conversation whose
    # function calls come back without their signatures (the twin refuses it too).
    fetch = _fetch(f"{world.pages.url}/a")
    signed = fetch.function_calls[0].model_copy(update={"thought_signature": "c2lnbmF0dXJl"})
    turns = [fetch.model_copy(update={"function_calls": (signed,)}), _answer("a: 19.99 EUR")]
    driver, run, _secret = _start(world, turns, _spec(world))

    driver.run_until_quiet()

    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    stored = driver.deps.runs.list_steps(run.run_id)[0].function_calls[0]
    assert stored.thought_signature == "c2lnbmF0dXJl"


@pytest.mark.parametrize("copies", [2, 3])
def test_copies_of_every_task_running_at_once_act_once(world: World, copies: int) -> None:
    world.pages.responder, world.hooks.responder = _slow_page, _slow_hook
    turns = [_fetch(f"{world.pages.url}/a", f"{world.pages.url}/b"), _answer("a: 19.99 EUR")]
    driver, run, _secret = _start(
        world, turns, _spec(world), copies, concurrent=True, model=SlowModel
    )

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.DELIVERED
    assert sorted(r.path for r in world.pages.requests) == ["/a", "/b"]  # one set of tool calls
    assert len(world.hooks.requests) == 1  # one delivery
    assert isinstance(driver.deps.model, ScriptedModelClient)
    assert len(driver.deps.model.requests) == 2  # the model called once per step
    assert (final.usage.model_steps, final.usage.tool_calls) == (2, 2)
    # The copies overlapped: those that found the lease taken answered 503 and were retried.
    assert "503" in driver.outcomes
    assert world.alerts.requests == []


def test_a_lease_left_by_a_dead_holder_is_waited_out_on_the_last_attempt(world: World) -> None:
    driver, run, _secret = _start(world, [_answer("19.99 EUR")], _spec(world))
    # A copy that died while taking step 0: its lease expires in half a second.
    assert driver.deps.runs.acquire_lease(run.run_id, "step-0", "dead", ttl_s=0.5)

    driver.run_until_quiet()

    # Every attempt but the last answered 503; the last waited for the lease, then took the step.
    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    attempts = resources.MODEL_STEPS_QUEUE.max_attempts
    assert driver.outcomes.count("503") == attempts - 1
    assert len(world.hooks.requests) == 1


def test_a_critical_eval_blocks_delivery_and_alerts_the_owner(world: World) -> None:
    evals = "{name: no_email, assert: [{type: not-regex, value: '@example\\.com'}]}"
    driver, run, secret = _start(world, [_answer("mail bob@example.com")], _spec(world, evals))

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.BLOCKED
    assert final.error and final.error.code == "eval_failed" and "no_email" in final.error.message
    assert world.hooks.requests == []
    assert len(world.alerts.requests) == 1
    alert = world.alerts.requests[0]
    Webhook(secret).verify(alert.body, alert.headers)
    assert json.loads(alert.body)["reason"]["code"] == "eval_failed"


def test_a_warning_eval_is_recorded_and_the_run_still_delivered(world: World) -> None:
    evals = "{name: tone, assert: [{type: icontains, value: thanks}], on_failure: {action: warn}}"
    driver, run, _secret = _start(world, [_answer("19.99 EUR")], _spec(world, evals))

    driver.run_until_quiet()

    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    passed = [e for e in driver.deps.runs.list_events(run.run_id) if e.type == "run.passed"]
    assert passed[0].data["warnings"] == ["tone"]


def test_a_failed_preflight_eval_rejects_the_run_before_any_model_call(world: World) -> None:
    evals = "{name: no_widgets, stage: pre_flight, assert: [{type: not-icontains, value: widget}]}"
    driver, run, _secret = _start(world, [_answer("never")], _spec(world, evals))

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.REJECTED
    assert final.error and final.error.code == "preflight_eval_failed"
    assert driver.deps.runs.list_steps(run.run_id) == []
    assert len(world.alerts.requests) == 1


def test_max_steps_stops_a_model_that_keeps_calling_tools(world: World) -> None:
    turns = [_fetch(f"{world.pages.url}/p{i}") for i in range(5)]
    driver, run, _secret = _start(world, turns, _spec(world, max_steps=2))

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.FAILED
    assert final.error and final.error.code == "max_steps_exceeded"
    assert len(driver.deps.runs.list_steps(run.run_id)) == 2


def test_a_tool_that_keeps_failing_fails_the_run_after_the_queues_attempts(world: World) -> None:
    world.pages.responder = lambda _request: (503, {}, b"down")
    driver, run, _secret = _start(
        world, [_fetch(f"{world.pages.url}/a"), _answer("x")], _spec(world)
    )

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    attempts = resources.QUEUES_BY_NAME[resources.tool_queue_name("http_fetch")].max_attempts
    assert len(world.pages.requests) == attempts
    assert final.status == RunStatus.FAILED
    assert final.error and final.error.code == "tool_failed"


def test_a_call_outside_the_allowed_domains_is_refused_and_the_model_told(world: World) -> None:
    turns = [_fetch("http://169.254.169.254/computeMetadata/v1/"), _answer("could not fetch")]
    driver, run, _secret = _start(world, turns, _spec(world))

    driver.run_until_quiet()

    results = driver.deps.runs.list_tool_results(run.run_id)
    assert [r.status for r in results] == [ToolCallStatus.REFUSED]
    assert "allowed_domains" in (results[0].error or "")
    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED


@pytest.mark.parametrize(
    "topic",
    [sub.topic for sub in resources.SUBSCRIPTIONS],
)
@pytest.mark.parametrize(
    "envelope",
    [
        None,
        {"message": "nope"},
        {"message": {"data": "!!not base64!!"}},
        {"message": {"data": base64.b64encode(b"{not json").decode()}},
        {"message": {"data": base64.b64encode(b'{"run_id": 5}').decode()}},
        {"message": {"data": base64.b64encode(b'{"run_id": "no-such-run"}').decode()}},
    ],
)
def test_a_malformed_message_is_dead_lettered_and_acked(
    world: World, topic: str, envelope: object
) -> None:
    driver, _run, _secret = _start(world, [_answer("x")], _spec(world))

    assert driver.push_raw(topic, envelope) == "ack"

    dead = [m for m in driver.publisher.published if m.topic.endswith("-dlq")]
    assert len(dead) == 1
    subscription = next(sub for sub in resources.SUBSCRIPTIONS if sub.topic == topic)
    assert dead[0].topic == subscription.dead_letter_topic
    assert dead[0].attributes["error_code"] in {"malformed_message", "run_not_found"}


def test_a_model_that_stays_unavailable_fails_the_run_on_the_queues_last_attempt(
    world: World,
) -> None:
    outage = TransientError("model_unavailable", "the model service answered 503")
    driver, run, _secret = _start(world, [outage], _spec(world))

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.FAILED
    assert final.error and final.error.code == "model_unavailable"
    attempts = resources.MODEL_STEPS_QUEUE.max_attempts
    assert f"after {attempts} attempts" in final.error.message
    assert len(world.alerts.requests) == 1


REVIEW = (
    "{name: review, assert: [{type: icontains, value: approved}],"
    " on_failure: {action: require_approval}}"
)


def test_a_require_approval_eval_parks_the_run_until_a_reviewer_approves(world: World) -> None:
    driver, run, _secret = _start(world, [_answer("19.99 EUR")], _spec(world, REVIEW))
    driver.run_until_quiet()
    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.AWAITING_APPROVAL
    assert world.hooks.requests == []

    approved = approve_run(driver.deps, run.org_id, run.run_id, "dana@acme")
    driver.run_until_quiet()

    assert approved.status == RunStatus.PASSED
    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    assert len(world.hooks.requests) == 1
    with pytest.raises(ConflictError):
        reject_run(driver.deps, run.org_id, run.run_id, "dana@acme")


def test_a_rejected_review_blocks_the_run_and_alerts_the_owner(world: World) -> None:
    driver, run, _secret = _start(world, [_answer("19.99 EUR")], _spec(world, REVIEW))
    driver.run_until_quiet()

    reject_run(driver.deps, run.org_id, run.run_id, "dana@acme", "wrong currency")
    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.BLOCKED
    assert final.error and final.error.message == "rejected by dana@acme: wrong currency"
    assert world.hooks.requests == []
    assert len(world.alerts.requests) == 1
    with pytest.raises(NotFoundError):
        approve_run(driver.deps, "another-org", run.run_id, "mallory")


def test_each_gates_verdicts_are_stored_with_the_run_once(world: World) -> None:
    evals = (
        "{name: input_ok, stage: pre_flight, assert: [{type: contains, value: widget}]}, "
        "{name: no_email, assert: [{type: not-regex, value: '@example\\.com'}]}"
    )
    driver, run, _secret = _start(
        world, [_answer("mail bob@example.com")], _spec(world, evals), copies=2
    )

    driver.run_until_quiet()

    stored = driver.deps.eval_results.list_run_results(run.run_id)
    assert [(r.stage, r.name, r.passed) for r in stored] == [
        ("pre_flight", "input_ok", True),
        ("post_generation", "no_email", False),
    ]
    assert stored[1].assertions[0].type == "not-regex"
    blocked = [e for e in driver.deps.runs.list_events(run.run_id) if e.type == "run.blocked"]
    assert blocked[0].data["evals"][0]["name"] == "no_email"


def test_a_sampled_continuous_eval_scores_the_delivered_output_once(world: World) -> None:
    evals = (
        "{name: has_price, stage: continuous, sample_rate: 1.0, "
        "assert: [{type: contains, value: EUR}]}"
    )
    driver, run, _secret = _start(world, [_answer("19.99 EUR")], _spec(world, evals), copies=2)

    driver.run_until_quiet()

    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    stored = driver.deps.eval_results.list_run_results(run.run_id)
    assert [(r.stage, r.name, r.passed) for r in stored] == [("continuous", "has_price", True)]
    evaluated = [e for e in driver.deps.runs.list_events(run.run_id) if e.type == "run.evaluated"]
    assert len(evaluated) == 1 and evaluated[0].data["evals"][0]["name"] == "has_price"


def test_a_continuous_eval_never_runs_on_a_run_outside_its_sample(world: World) -> None:
    evals = (
        "{name: has_price, stage: continuous, sample_rate: 0.000001, "
        "assert: [{type: contains, value: EUR}]}"
    )
    driver, run, _secret = _start(world, [_answer("19.99 EUR")], _spec(world, evals))

    driver.run_until_quiet()

    assert driver.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    assert driver.deps.eval_results.list_run_results(run.run_id) == []


def test_sampling_is_decided_by_the_run_id_and_matches_the_rate() -> None:
    ids = [f"run-{i}" for i in range(4000)]

    chosen = [i for i in ids if sampled(i, "has_price", 0.25)]

    assert chosen == [i for i in ids if sampled(i, "has_price", 0.25)]
    assert 0.22 < len(chosen) / len(ids) < 0.28
    assert set(chosen) != {i for i in ids if sampled(i, "tone", 0.25)}
    assert all(sampled(i, "has_price", 1.0) for i in ids)


def _costly(response: ModelResponse) -> ModelResponse:
    # gemini-2.5-flash: 100k tokens in at 0.30 and 10k out at 2.50 USD per 1M: 0.055 USD.
    return response.model_copy(update={"prompt_tokens": 100_000, "completion_tokens": 10_000})


def test_max_cost_stops_the_run_before_a_step_it_cannot_afford(world: World) -> None:
    turns = [_costly(_fetch(f"{world.pages.url}/p{i}")) for i in range(4)]
    spec = _spec(world).replace("timeout_s: 60}", "timeout_s: 60, max_cost_usd: 0.1}")
    driver, run, _secret = _start(world, turns, spec)

    driver.run_until_quiet()

    final = driver.deps.runs.get_run(run.run_id)
    assert final.status == RunStatus.FAILED
    assert final.error and final.error.code == "max_cost_exceeded"
    assert "0.110000 USD" in final.error.message
    assert len(driver.deps.runs.list_steps(run.run_id)) == 2


def test_preflight_rejects_runs_once_the_agents_monthly_budget_is_spent(world: World) -> None:
    spec = _spec(world).replace("timeout_s: 60}", "timeout_s: 60, monthly_budget_usd: 0.05}")
    driver, first, _secret = _start(world, [_costly(_answer("19.99 EUR"))], spec)
    driver.run_until_quiet()
    assert driver.deps.runs.get_run(first.run_id).status == RunStatus.DELIVERED

    second = request_run(driver.deps, first.org_id, first.agent_id, {"product": "gadget"})
    driver.run_until_quiet()

    final = driver.deps.runs.get_run(second.run_id)
    assert final.status == RunStatus.REJECTED
    assert final.error and final.error.code == "monthly_budget_exceeded"
    assert driver.deps.runs.list_steps(second.run_id) == []
