"""Scripts: the model turns the Gemini emulator answers with, and how to load them.

A script is written in YAML (or JSON) and usually ships beside the agent spec it drives::

    script: price-monitor
    match: {switchyard-agent: competitor-price-monitor}   # request labels that select it
    turns:
      - function_calls: [{name: http_fetch, args: {url: "http://127.0.0.1:8080/p1"}}]
      - text: "The price is 12.99 EUR"

Turn ``i`` answers the request whose ``contents`` already hold ``i`` model turns, so a script
reads top to bottom as the model's side of the conversation. A turn may instead be an ``error``
(Google's ``{code, message, status}``), optionally after ``delay_s``, for fault tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from google.genai import types
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCRIPT_SUFFIXES = (".yaml", ".yml", ".json")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScriptedFunctionCall(_Frozen):
    """A function call the model makes.

    Attributes:
        name: Name of a function the request declares, such as ``"http_fetch"``.
        args: JSON object of arguments.
        id: Call id echoed by the caller's ``functionResponse``; None sends no id, and then the
            response is matched by name only.
        thought_signature: Base64 ``thoughtSignature`` sent on the call's part, as Gemini 3
            does; a later request whose model turn lacks it is refused, as Gemini 3 refuses it.
            None sends none and checks none.
    """

    name: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None
    thought_signature: str | None = Field(default=None, pattern=r"^[A-Za-z0-9+/]+={0,2}$")


class UsageOverride(_Frozen):
    """Token counts to report instead of the emulator's deterministic estimate.

    Attributes:
        prompt_token_count: Tokens of the request; None keeps the estimate.
        candidates_token_count: Tokens of the answer; None keeps the estimate.
        total_token_count: None reports prompt plus candidates tokens.
    """

    prompt_token_count: int | None = Field(default=None, ge=0)
    candidates_token_count: int | None = Field(default=None, ge=0)
    total_token_count: int | None = Field(default=None, ge=0)


class ScriptedError(_Frozen):
    """An error the emulator answers with, in Google's error format.

    Attributes:
        code: HTTP status, such as 429 or 503. google-genai raises ``ClientError`` for 4xx and
            ``ServerError`` for 5xx.
        message: Human-readable detail.
        status: Google's canonical status name, such as ``"RESOURCE_EXHAUSTED"``.
    """

    code: int = Field(ge=400, le=599)
    message: str
    status: str = Field(pattern=r"^[A-Z_]+$")


class Turn(_Frozen):
    """One model turn: text and/or function calls, or an error.

    Attributes:
        text: Text the model answers with.
        function_calls: Calls the model makes, in order.
        usage: Token counts overriding the estimate.
        finish_reason: A ``google.genai.types.FinishReason`` name; ``STOP`` by default.
        error: When set, the request fails with this error instead.
        delay_s: Seconds to wait before answering, to exercise client timeouts.
    """

    text: str | None = None
    function_calls: tuple[ScriptedFunctionCall, ...] = ()
    usage: UsageOverride | None = None
    finish_reason: types.FinishReason = types.FinishReason.STOP
    error: ScriptedError | None = None
    delay_s: float = Field(default=0.0, ge=0.0)

    @field_validator("finish_reason", mode="before")
    @classmethod
    def _known_finish_reason(cls, value: Any) -> Any:
        # FinishReason accepts unknown names with only a warning; a typo must fail the script.
        if isinstance(value, str) and value.upper() not in types.FinishReason.__members__:
            raise ValueError(f"unknown finish_reason {value!r}")
        return value

    @model_validator(mode="after")
    def _answer_or_error(self) -> Turn:
        if self.error is not None:
            if self.text is not None or self.function_calls or self.usage is not None:
                raise ValueError("an error turn has no text, function_calls or usage")
        elif self.text is None and not self.function_calls:
            raise ValueError("a turn needs text, function_calls or an error")
        return self


class Script(_Frozen):
    """A scripted conversation, selected by the labels of a request.

    Attributes:
        schema_version: Version of this format.
        name: Unique name (key ``script`` in files and JSON); registering a name again replaces
            the earlier script.
        match: Request ``labels`` that must all be present, with these values, to select the
            script; ``{}`` matches every request.
        turns: Model turns in conversation order.
    """

    schema_version: Literal[1] = 1
    name: str = Field(alias="script", min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    match: dict[str, str] = Field(default_factory=dict)
    turns: tuple[Turn, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _error_turn_is_last(self) -> Script:
        # An error adds no model turn to the conversation, so the position never moves past it.
        for index, turn in enumerate(self.turns[:-1]):
            if turn.error is not None:
                raise ValueError(f"turn {index} is an error, so the turns after it are unreachable")
        return self

    def to_json(self) -> dict[str, Any]:
        """The script as the JSON the admin API accepts and lists (file keys, no defaults)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def load_script(path: Path) -> Script:
    """Read one script from a YAML or JSON file.

    Args:
        path: File holding one script document.

    Returns:
        The validated script.

    Raises:
        OSError: When the file cannot be read.
        yaml.YAMLError: When the file is not YAML (JSON is YAML too).
        pydantic.ValidationError: When the document is not a valid script.
    """
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Script.model_validate(document)


def load_scripts(directory: Path) -> list[Script]:
    """Read every ``*.yaml``, ``*.yml`` and ``*.json`` file of a directory, in name order.

    Name order makes the registration order, and so which of two matching scripts wins,
    the same on every machine.

    Args:
        directory: Folder of script files; subfolders are not read.

    Returns:
        The scripts, in file name order.

    Raises:
        NotADirectoryError: When ``directory`` is not a folder.
        ValueError: When a file is not a valid script; the message names the file.
    """
    if not directory.is_dir():
        raise NotADirectoryError(f"scripts folder {directory} does not exist")
    paths = sorted(p for p in directory.iterdir() if p.suffix in SCRIPT_SUFFIXES and p.is_file())
    scripts = []
    for path in paths:
        try:
            scripts.append(load_script(path))
        except (OSError, yaml.YAMLError, ValueError) as error:
            raise ValueError(f"{path}: not a valid script: {error}") from error
    return scripts
