"""The base of every Switchyard model: frozen, strict about unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Frozen, ``extra="forbid"``: a typo in a field name is an error, never silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
