"""A spec's numbers are numbers: booleans and numeric strings are refused, ints taken as floats."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.spec import load_agent_spec
from shared.errors import ValidationError


def _spec(**agent: Any) -> dict[str, Any]:
    return {"agent": {"name": "n", "system_prompt": "p", **agent}}


@pytest.mark.parametrize(
    ("agent", "field"),
    [
        ({"model": {"temperature": False}}, "agent.model.temperature"),
        ({"model": {"temperature": "0.5"}}, "agent.model.temperature"),
        ({"model": {"max_output_tokens": True}}, "agent.model.max_output_tokens"),
        ({"limits": {"max_steps": "8"}}, "agent.limits.max_steps"),
        ({"limits": {"max_cost_usd": True}}, "agent.limits.max_cost_usd"),
    ],
)
def test_a_boolean_or_string_is_not_a_number(agent: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_agent_spec(_spec(**agent))

    assert caught.value.code == "invalid_spec"
    assert [error["field"] for error in caught.value.details["errors"]] == [field]


def test_an_integer_is_a_float() -> None:
    spec = load_agent_spec(_spec(model={"temperature": 1}, limits={"timeout_s": 60}))

    assert (spec.model.temperature, spec.limits.timeout_s) == (1.0, 60.0)
