"""The agent spec: what a team writes in YAML to define an agent (DESIGN.md §3).

::

    agent:
      name: competitor-price-monitor
      system_prompt: You are a competitor pricing analyst...
      model: {name: gemini-2.5-flash, temperature: 0.2}
      trigger: {type: manual}                  # manual | webhook | cron | event
      tools:
        - {name: http_fetch, config: {allowed_domains: [competitor1.com]}}
      evals:
        - name: mentions_price
          stage: post_generation
          assert: [{type: icontains, value: "EUR"}]
          on_failure: {severity: critical, action: block_delivery}
      delivery: [{type: webhook, url: "https://example.com/hook"}]
      alerts: {webhook_url: "https://example.com/alerts"}
      limits: {max_steps: 8, timeout_s: 120, max_cost_usd: 0.50}

:func:`load_agent_spec` parses YAML or JSON and reports every problem at once, each naming its
field. Tool and assertion names are checked against what this build of Switchyard knows.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
import yaml
from croniter import croniter
from pydantic import (
    AnyHttpUrl,
    Field,
    SerializerFunctionWrapHandler,
    StrictFloat,
    StrictInt,
    field_validator,
    model_serializer,
    model_validator,
)

from shared.domain.base import Model
from shared.domain.environments import DEFAULT_ENVIRONMENT, Environment
from shared.domain.http_tools import HttpToolSpec
from shared.errors import ValidationError

KNOWN_TOOLS = ("http_fetch", "http_request", "gcs_write", "slack_post")
# Assertion types with promptfoo's meaning (``docs/evals.md``); each also takes the ``not-``
# prefix. ``shared.evals.registry`` holds a checker for every one of them.
KNOWN_ASSERTIONS = (
    # text
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any",
    "icontains-all", "starts-with", "regex", "word-count", "levenshtein",
    # structured output
    "is-json", "contains-json", "is-xml", "contains-xml", "is-html", "contains-html", "is-sql",
    # similarity to a reference
    "rouge-n", "bleu", "gleu",
    # measured on the run
    "latency", "cost", "perplexity", "finish-reason", "is-refusal", "tool-call-f1",
    # model-graded
    "llm-rubric", "factuality", "model-graded-closedqa", "g-eval",
    # safety and input checks (Switchyard's own)
    "contains-pii", "contains-secret", "max-bytes",
)  # fmt: skip
# Types promptfoo has that cannot work here, with the reason given at validation.
UNSUPPORTED_ASSERTIONS = {
    "meteor": "METEOR needs the WordNet corpus (NLTK data), which Switchyard does not download "
    "at run time; use rouge-n, bleu or gleu instead",
}
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"


class ModelConfig(Model):
    """The Gemini model and its sampling settings.

    Attributes:
        name: Vertex AI model id, such as ``gemini-2.5-flash``.
        temperature: Sampling temperature, 0 to 2.
        max_output_tokens: Cap on tokens generated per model step, or None for the model's own.
    """

    name: str = "gemini-2.5-flash"
    temperature: StrictFloat = Field(default=0.2, ge=0.0, le=2.0)
    max_output_tokens: StrictInt | None = Field(default=None, ge=1, le=65536)


class ManualTrigger(Model):
    """Runs start from the API (``POST /v1/agents/{id}/runs``)."""

    type: Literal["manual"] = "manual"


class WebhookTrigger(Model):
    """Runs start from a signed webhook (``POST /v1/hooks/{trigger_id}``).

    The trigger's URL and signing secret are made when the spec is saved (the secret is shown
    once); see :mod:`shared.triggers.signatures` for what each preset checks.

    Attributes:
        preset: How the sender signs: ``standard`` (Standard Webhooks: ``webhook-id``,
            ``webhook-timestamp``, ``webhook-signature``), ``github`` (``X-Hub-Signature-256``),
            ``stripe`` (``Stripe-Signature``) or ``slack`` (``X-Slack-Signature`` v0).
        input: How the payload becomes the run's input. None: ``{"payload": <body>}``. A
            JSONPath such as ``"$.pull_request"``: the object it selects. A mapping of input
            fields to JSONPaths such as ``{title: "$.pull_request.title"}``: an object built
            from them (a path that matches nothing gives null; several matches, a list).
        environment: The environment whose version the runs use (``prod`` by default).
    """

    type: Literal["webhook"]
    preset: Literal["standard", "github", "stripe", "slack"] = "standard"
    input: str | dict[str, str] | None = None
    environment: Environment = DEFAULT_ENVIRONMENT

    @field_validator("input")
    @classmethod
    def _valid_paths(cls, value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        # Imported here: the mapping module loads jsonpath-ng, which only webhook specs need.
        from shared.triggers.mapping import check_input_mapping

        check_input_mapping(value)
        return value


# Cloud Scheduler's unix-cron grammar: croniter also accepts extensions (L, #, W, seconds)
# that Cloud Scheduler refuses, so a spec must not pass here and fail at the Scheduler.
_CRON_ELEMENT = r"(?:\*|\d+|[A-Za-z]{3})(?:-(?:\d+|[A-Za-z]{3}))?(?:/\d+)?"
_CRON_FIELD = re.compile(rf"{_CRON_ELEMENT}(?:,{_CRON_ELEMENT})*")


class CronTrigger(Model):
    """Runs start on a unix-cron schedule in a time zone, through Cloud Scheduler.

    Policies (enforced by :mod:`shared.triggers.cron_intake` when a tick arrives):

    - ``overlap``, when the previous scheduled run is still going: ``skip`` the tick, ``queue``
      it until that run ends (one tick waits at most; a newer tick replaces it), or ``allow``
      it to run alongside.
    - ``missed``, for a tick that arrives after the next one is due (an outage, a backlog):
      ``skip`` it, or ``run_once``: all the ticks missed so far start one run.

    Attributes:
        schedule: Five-field unix-cron expression, in Cloud Scheduler's grammar.
        timezone: IANA time-zone name; the schedule is read on its wall clock.
        overlap: ``skip`` (default), ``queue`` or ``allow``.
        missed: ``skip`` (default) or ``run_once``.
        paused: True keeps the Scheduler job, paused.
        environment: The environment whose version the runs use (``prod`` by default).
    """

    type: Literal["cron"]
    schedule: str
    timezone: str = "UTC"
    overlap: Literal["skip", "queue", "allow"] = "skip"
    missed: Literal["skip", "run_once"] = "skip"
    paused: bool = False
    environment: Environment = DEFAULT_ENVIRONMENT

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        fields = value.split()
        if (
            len(fields) != 5
            or not all(_CRON_FIELD.fullmatch(field) for field in fields)
            or not croniter.is_valid(value)
        ):
            raise ValueError(f"{value!r} is not a five-field unix-cron expression")
        try:
            croniter(value).get_next()
        except ValueError:  # CroniterBadDateError: a date that never comes, such as 31 February
            raise ValueError(f"{value!r} never fires") from None
        return " ".join(fields)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value


class EventTrigger(Model):
    """Runs start when another agent's run is delivered, with that run's output as input.

    A chain that would loop back to this agent is refused when the spec is saved
    (:mod:`shared.pipeline.agents`).

    Attributes:
        source_agent: Id of the agent, in the same organisation, whose runs trigger this one.
        on: Run outcomes that trigger: ``delivered`` (the only one so far).
        environment: The environment whose version this agent's runs use (``prod`` by
            default); the source agent's runs chain from whichever environment they ran in.
    """

    type: Literal["event"]
    source_agent: str = Field(min_length=1, max_length=128)
    on: tuple[Literal["delivered"], ...] = Field(default=("delivered",), min_length=1)
    environment: Environment = DEFAULT_ENVIRONMENT


Trigger = Annotated[
    ManualTrigger | WebhookTrigger | CronTrigger | EventTrigger, Field(discriminator="type")
]


class HttpFetchConfig(Model):
    """Configuration of the built-in ``http_fetch`` tool.

    Attributes:
        allowed_domains: Hosts the tool may GET; a domain also allows its subdomains.
        max_bytes: Largest response body returned to the model, in bytes.
        timeout_s: Time limit of one fetch, in seconds.
    """

    allowed_domains: tuple[str, ...] = Field(min_length=1)
    # The result is stored in a Firestore document (1 MiB at most) with its other fields.
    max_bytes: StrictInt = Field(default=100_000, ge=1, le=500_000)
    timeout_s: StrictFloat = Field(default=10.0, gt=0, le=60)


class HttpRequestConfig(Model):
    """Configuration of the built-in ``http_request`` tool (any method, with a credential).

    Attributes:
        credentials: Ids of the credentials the model may name; each is usable only within its
            grant to the agent (``POST /v1/credentials/{id}/grants``: hosts, methods, paths).
        max_bytes: Largest response body returned to the model, in bytes.
        timeout_s: Time limit of one request, in seconds.
    """

    credentials: tuple[str, ...] = Field(min_length=1)
    max_bytes: StrictInt = Field(default=100_000, ge=1, le=500_000)
    timeout_s: StrictFloat = Field(default=10.0, gt=0, le=60)


class GcsWriteConfig(Model):
    """Configuration of the built-in ``gcs_write`` tool (an artifact in the agent's prefix).

    Attributes:
        max_bytes: Largest artifact, in bytes.
        content_types: MIME types the model may write.
    """

    max_bytes: StrictInt = Field(default=1_000_000, ge=1, le=10_000_000)
    content_types: tuple[str, ...] = ("text/plain", "text/markdown", "text/csv", "application/json")


class SlackPostConfig(Model):
    """Configuration of the built-in ``slack_post`` tool (Slack ``chat.postMessage``).

    Attributes:
        channel: The one channel it posts to; the spec's ``permissions.slack`` must hold
            ``write:channels:<channel>``.
        credential: Id of the bot token credential (granted for ``POST /api/chat.postMessage``
            on ``slack.com``).
        timeout_s: Time limit of one post, in seconds.
    """

    channel: str = Field(min_length=1)
    credential: str = Field(min_length=1)
    timeout_s: StrictFloat = Field(default=10.0, gt=0, le=60)


TOOL_CONFIGS: dict[str, type[Model]] = {
    "http_fetch": HttpFetchConfig,
    "http_request": HttpRequestConfig,
    "gcs_write": GcsWriteConfig,
    "slack_post": SlackPostConfig,
}


class ToolSpec(Model):
    """A tool the agent may call.

    Attributes:
        name: A tool this build knows (see ``KNOWN_TOOLS``).
        config: The tool's configuration, checked against its schema.
    """

    name: str
    config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_and_configured(self) -> ToolSpec:
        if self.name not in TOOL_CONFIGS:
            raise ValueError(f"unknown tool {self.name!r}; known tools: {', '.join(KNOWN_TOOLS)}")
        try:
            TOOL_CONFIGS[self.name].model_validate(self.config)
        except pydantic.ValidationError as error:
            problems = "; ".join(
                f"config.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(problems) from None
        return self

    def parsed_config(self) -> Model:
        """The config as the tool's own model (already validated)."""
        return TOOL_CONFIGS[self.name].model_validate(self.config)


class Assertion(Model):
    """One promptfoo-style assertion (promptfoo 0.123's ``Assertion`` fields that apply here).

    Attributes:
        type: Assertion type, optionally prefixed with ``not-`` (see ``KNOWN_ASSERTIONS``), or
            ``assert-set``.
        value: What the output is compared with (string, number, list or object, by type).
        threshold: The type's pass mark: a minimum score (``rouge-n``, ``bleu``, ``g-eval``, …),
            a maximum (``levenshtein`` distance, ``latency`` in ms, ``cost`` in USD,
            ``perplexity``), or for ``assert-set`` the set's own aggregate pass mark.
        weight: Weight in the enclosing score; 0 measures without gating.
        metric: Name under which the result is reported.
        provider: Grader model for model-graded types (a Vertex AI model id); the context's
            grader model when unset.
        rubric_prompt: Grader prompt replacing promptfoo's default (key ``rubricPrompt``): a
            JSON chat (``[{"role": "system", "content": ...}, ...]``) or plain text, with
            ``{{ output }}``, ``{{ rubric }}``, ... placeholders.
        assertions: The assertions of an ``assert-set`` (key ``assert``).
    """

    type: str
    value: Any = None
    threshold: StrictFloat | None = None
    weight: StrictFloat = Field(default=1.0, ge=0.0)
    metric: str | None = None
    provider: str | None = None
    rubric_prompt: str | None = Field(default=None, alias="rubricPrompt")
    assertions: tuple[Assertion, ...] | None = Field(default=None, alias="assert")

    @model_serializer(mode="wrap")
    def _omit_unset_extensions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Fields added after the first spec format are left out while unset, so a stored spec
        # reads back exactly as it was written.
        data: dict[str, Any] = handler(self)
        for field in ("threshold", "provider", "rubric_prompt", "assertions"):
            if getattr(self, field) is None:
                data.pop(field, None)
                alias = type(self).model_fields[field].alias
                if alias:
                    data.pop(alias, None)
        return data

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        base = value.removeprefix("not-")
        if base in UNSUPPORTED_ASSERTIONS:
            raise ValueError(
                f"assertion type {value!r} is not supported: {UNSUPPORTED_ASSERTIONS[base]}"
            )
        if value != "assert-set" and base not in KNOWN_ASSERTIONS:
            raise ValueError(
                f"unknown assertion type {value!r}; known: {', '.join(KNOWN_ASSERTIONS)} "
                "(each also with a not- prefix), and assert-set"
            )
        return value

    @model_validator(mode="after")
    def _valid_for_type(self) -> Assertion:
        # The rules of each type live with its checker; imported here, not at module level,
        # because the eval engine imports this module.
        from shared.evals.registry import validate_assertion

        validate_assertion(self)
        return self


class EvalStage(StrEnum):
    """When an eval runs: on the run's input, on its output, or after delivery on a sample."""

    PRE_FLIGHT = "pre_flight"
    POST_GENERATION = "post_generation"
    CONTINUOUS = "continuous"


class FailureAction(StrEnum):
    """What a failed eval does to the run."""

    BLOCK_DELIVERY = "block_delivery"
    REQUIRE_APPROVAL = "require_approval"
    WARN = "warn"
    LOG = "log"


class OnFailure(Model):
    """Severity and action of a failed eval.

    Attributes:
        severity: ``info``, ``warning`` or ``critical``.
        action: What a failure does: block delivery, require approval, warn or log.
    """

    severity: Literal["info", "warning", "critical"] = "critical"
    action: FailureAction = FailureAction.BLOCK_DELIVERY


class EvalSpec(Model):
    """A gate: a list of assertions, scored and compared with a threshold.

    Attributes:
        name: Unique name within the agent.
        type: Category, such as ``functional`` or ``safety``.
        method: ``programmatic``, ``llm_as_judge`` or ``hybrid``: a label for people; what runs
            is decided by the assertion types.
        stage: ``pre_flight`` (on the run's input), ``post_generation`` (on its output) or
            ``continuous`` (after delivery, on a sampled share of runs).
        assertions: The assertions (key ``assert`` in YAML).
        threshold: Pass mark for the weighted score, 0 to 1; without it every gating
            assertion must pass.
        on_failure: Severity and action when the eval fails.
        sample_rate: Share of runs a ``continuous`` eval scores, above 0 up to 1.
    """

    name: str
    type: Literal[
        "functional", "quality", "safety", "latency", "cost", "consistency", "freshness"
    ] = "functional"
    method: Literal["programmatic", "llm_as_judge", "hybrid"] = "programmatic"
    stage: EvalStage = EvalStage.POST_GENERATION
    assertions: tuple[Assertion, ...] = Field(alias="assert")
    threshold: StrictFloat | None = Field(default=None, ge=0.0, le=1.0)
    on_failure: OnFailure = OnFailure()
    sample_rate: StrictFloat = Field(default=1.0, gt=0.0, le=1.0)

    @field_validator("assertions", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and not value:
            raise ValueError("an eval needs at least one assertion")
        return value


class WebhookDelivery(Model):
    """POST the output, signed with the Standard Webhooks scheme, to ``url``.

    Attributes:
        type: Always ``webhook``.
        url: Where the output is posted.
    """

    type: Literal["webhook"]
    url: AnyHttpUrl


class Alerts(Model):
    """Where the owner hears about stopped runs; a log entry when nothing is set.

    Attributes:
        webhook_url: A URL that receives a signed alert for each stopped run.
    """

    webhook_url: AnyHttpUrl | None = None


class Limits(Model):
    """Policy stops of a run.

    Attributes:
        max_steps: Model steps at most.
        timeout_s: Wall time from start of execution to answer, in seconds.
        max_cost_usd: Spend cap of one run in USD, or None: no model step starts once the
            run's steps cost this much (:mod:`shared.pipeline.budget`).
        monthly_budget_usd: Spend cap of the agent's runs per calendar month (UTC) in USD, or
            None: pre-flight rejects a run once the month's runs cost this much.
    """

    max_steps: StrictInt = Field(default=8, ge=1, le=100)
    timeout_s: StrictFloat = Field(default=120.0, gt=0, le=3600)
    max_cost_usd: StrictFloat | None = Field(default=None, gt=0)
    monthly_budget_usd: StrictFloat | None = Field(default=None, gt=0)


class AgentSpec(Model):
    """The whole spec of one agent version.

    Attributes:
        name: The agent's name, unique in the organisation (lowercase, digits and dashes).
        description: A description for people.
        system_prompt: The model's system instruction.
        model: Which model, and its generation settings.
        trigger: How runs start: manual, webhook, cron or event.
        tools: The tools the model may call, each with its configuration.
        http_tools: User-defined HTTP tools (:class:`shared.domain.http_tools.HttpToolSpec`).
        permissions: Extra permissions by tool name.
        evals: Gates on the run's input and output.
        delivery: Where a passed run's output is sent.
        alerts: Where stopped runs are reported.
        limits: Policy stops of a run.
    """

    schema_version: Literal[1] = 1
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    system_prompt: str = Field(min_length=1)
    model: ModelConfig = ModelConfig()
    trigger: Trigger = ManualTrigger()
    tools: tuple[ToolSpec, ...] = ()
    http_tools: tuple[HttpToolSpec, ...] = ()
    permissions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    evals: tuple[EvalSpec, ...] = ()
    delivery: tuple[WebhookDelivery, ...] = ()
    alerts: Alerts = Alerts()
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _unique_names(self) -> AgentSpec:
        for kind, names in (
            ("tool", [t.name for t in self.tools] + [t.name for t in self.http_tools]),
            ("eval", [e.name for e in self.evals]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind} names: {', '.join(duplicates)}")
        built_in = sorted(t.name for t in self.http_tools if t.name in TOOL_CONFIGS)
        if built_in:
            raise ValueError(f"http_tools cannot reuse built-in tool names: {', '.join(built_in)}")
        return self

    def tool(self, name: str) -> ToolSpec | None:
        """The agent's tool called ``name``, or None."""
        return next((tool for tool in self.tools if tool.name == name), None)

    def http_tool(self, name: str) -> HttpToolSpec | None:
        """The agent's user-defined HTTP tool called ``name``, or None."""
        return next((tool for tool in self.http_tools if tool.name == name), None)

    def evals_at(self, stage: EvalStage) -> tuple[EvalSpec, ...]:
        """The evals that run at ``stage``."""
        return tuple(e for e in self.evals if e.stage == stage)


class _Document(Model):
    agent: AgentSpec


_TRIGGER_TAGS = {"manual", "webhook", "cron", "event"}


def _field_path(location: tuple[int | str, ...]) -> str:
    # pydantic puts the union's discriminator tag in the path; users never wrote it.
    parts = [
        str(part)
        for index, part in enumerate(location)
        if not (index and location[index - 1] == "trigger" and part in _TRIGGER_TAGS)
    ]
    return ".".join(parts) or "agent"


def load_agent_spec(source: str | bytes | dict[str, Any]) -> AgentSpec:
    """Parse and validate an agent spec.

    Args:
        source: YAML or JSON text (a document with a top-level ``agent`` key), or that document
            already parsed.

    Returns:
        The validated spec.

    Raises:
        ValidationError: Code ``invalid_spec``; ``details["errors"]`` lists every problem as
            ``{"field": "agent.limits.max_steps", "message": "..."}``.
    """
    if isinstance(source, dict):
        document = source
    else:
        try:
            document = yaml.safe_load(source)
        except yaml.YAMLError as error:
            raise ValidationError(
                "invalid_spec",
                "the spec is not valid YAML or JSON",
                errors=[{"field": "agent", "message": str(error)}],
            ) from None
    if not isinstance(document, dict) or "agent" not in document:
        raise ValidationError(
            "invalid_spec",
            "the spec must be a mapping with a top-level 'agent' key",
            errors=[{"field": "agent", "message": "missing"}],
        )
    try:
        return _Document.model_validate(document).agent
    except pydantic.ValidationError as error:
        errors = [
            {"field": _field_path(e["loc"]), "message": e["msg"].removeprefix("Value error, ")}
            for e in error.errors()
        ]
        raise ValidationError(
            "invalid_spec", f"the spec has {len(errors)} problem(s)", errors=errors
        ) from None
