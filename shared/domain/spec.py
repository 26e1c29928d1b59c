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
from pydantic import AnyHttpUrl, Field, field_validator, model_validator

from shared.domain.base import Model
from shared.errors import ValidationError

KNOWN_TOOLS = ("http_fetch",)
# Programmatic assertions with promptfoo's meaning; each also takes the ``not-`` prefix.
KNOWN_ASSERTIONS = ("equals", "contains", "icontains", "regex", "is-json")
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"


class ModelConfig(Model):
    """The Gemini model and its sampling settings.

    Attributes:
        name: Vertex AI model id, such as ``gemini-2.5-flash``.
        temperature: Sampling temperature, 0 to 2.
        max_output_tokens: Cap on tokens generated per model step, or None for the model's own.
    """

    name: str = "gemini-2.5-flash"
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    max_output_tokens: int | None = Field(default=None, ge=1, le=65536)


class ManualTrigger(Model):
    """Runs start from the API (``POST /v1/agents/{id}/runs``)."""

    type: Literal["manual"] = "manual"


class WebhookTrigger(Model):
    """Runs start from a signed webhook (``POST /v1/hooks/{trigger_id}``)."""

    type: Literal["webhook"]


class CronTrigger(Model):
    """Runs start on a unix-cron schedule in a time zone, through Cloud Scheduler.

    Attributes:
        schedule: Five-field unix-cron expression.
        timezone: IANA time-zone name; the schedule is read in it.
    """

    type: Literal["cron"]
    schedule: str
    timezone: str = "UTC"

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field unix-cron expression")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value


class EventTrigger(Model):
    """Runs start when another agent's run reaches one of the named outcomes.

    Attributes:
        source_agent: Id of the agent whose runs trigger this one.
        on: Run outcomes that trigger, such as ``["delivered"]``.
    """

    type: Literal["event"]
    source_agent: str
    on: tuple[Literal["delivered", "blocked", "failed"], ...] = ("delivered",)


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
    max_bytes: int = Field(default=100_000, ge=1, le=500_000)
    timeout_s: float = Field(default=10.0, gt=0, le=60)


TOOL_CONFIGS: dict[str, type[Model]] = {"http_fetch": HttpFetchConfig}


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
    """One promptfoo-style assertion.

    Attributes:
        type: Assertion type, optionally prefixed with ``not-``.
        value: What the output is compared with (string, list or object, by type).
        weight: Weight in the eval's score; 0 measures without gating.
        metric: Name under which the result is reported.
    """

    type: str
    value: Any = None
    weight: float = Field(default=1.0, ge=0.0)
    metric: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        base = value.removeprefix("not-")
        if base not in KNOWN_ASSERTIONS:
            raise ValueError(
                f"unknown assertion type {value!r}; known: {', '.join(KNOWN_ASSERTIONS)} "
                "(each also with a not- prefix)"
            )
        return value

    @model_validator(mode="after")
    def _value_given(self) -> Assertion:
        if self.type.removeprefix("not-") != "is-json" and self.value is None:
            raise ValueError(f"assertion {self.type!r} needs a value")
        if self.type.removeprefix("not-") == "regex":
            try:
                re.compile(str(self.value))
            except re.error as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return self


class EvalStage(StrEnum):
    """When an eval runs."""

    PRE_FLIGHT = "pre_flight"
    POST_GENERATION = "post_generation"


class FailureAction(StrEnum):
    """What a failed eval does to the run."""

    BLOCK_DELIVERY = "block_delivery"
    WARN = "warn"
    LOG = "log"


class OnFailure(Model):
    """Severity and action of a failed eval."""

    severity: Literal["info", "warning", "critical"] = "critical"
    action: FailureAction = FailureAction.BLOCK_DELIVERY


class EvalSpec(Model):
    """A gate: a list of assertions, scored and compared with a threshold.

    Attributes:
        name: Unique name within the agent.
        type: Category, such as ``functional`` or ``safety``.
        method: ``programmatic`` (the only method this build runs).
        stage: ``pre_flight`` (on the run's input) or ``post_generation`` (on its output).
        assertions: The assertions (key ``assert`` in YAML).
        threshold: Pass mark for the weighted score, 0 to 1; without it every gating
            assertion must pass.
        on_failure: Severity and action when the eval fails.
    """

    name: str
    type: Literal[
        "functional", "quality", "safety", "latency", "cost", "consistency", "freshness"
    ] = "functional"
    method: Literal["programmatic"] = "programmatic"
    stage: EvalStage = EvalStage.POST_GENERATION
    assertions: tuple[Assertion, ...] = Field(alias="assert")
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    on_failure: OnFailure = OnFailure()

    @field_validator("assertions", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and not value:
            raise ValueError("an eval needs at least one assertion")
        return value


class WebhookDelivery(Model):
    """POST the output, signed with the Standard Webhooks scheme, to ``url``."""

    type: Literal["webhook"]
    url: AnyHttpUrl


class Alerts(Model):
    """Where the owner hears about stopped runs; a log entry when nothing is set."""

    webhook_url: AnyHttpUrl | None = None


class Limits(Model):
    """Policy stops of a run.

    Attributes:
        max_steps: Model steps at most.
        timeout_s: Wall time from start of execution to answer, in seconds.
        max_cost_usd: Spend cap of one run in USD, or None.
    """

    max_steps: int = Field(default=8, ge=1, le=100)
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    max_cost_usd: float | None = Field(default=None, gt=0)


class AgentSpec(Model):
    """The whole spec of one agent version."""

    schema_version: Literal[1] = 1
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    system_prompt: str = Field(min_length=1)
    model: ModelConfig = ModelConfig()
    trigger: Trigger = ManualTrigger()
    tools: tuple[ToolSpec, ...] = ()
    permissions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    evals: tuple[EvalSpec, ...] = ()
    delivery: tuple[WebhookDelivery, ...] = ()
    alerts: Alerts = Alerts()
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _unique_names(self) -> AgentSpec:
        for kind, names in (
            ("tool", [t.name for t in self.tools]),
            ("eval", [e.name for e in self.evals]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind} names: {', '.join(duplicates)}")
        return self

    def tool(self, name: str) -> ToolSpec | None:
        """The agent's tool called ``name``, or None."""
        return next((tool for tool in self.tools if tool.name == name), None)

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
