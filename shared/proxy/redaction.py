"""Redact secret values from anything the proxy returns, stores, traces or logs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
# Shorter values would redact ordinary words; the vault refuses to store them.
MIN_SECRET_CHARS = 8


class Redactor:
    """Replaces every registered secret value with ``[REDACTED]``, in strings at any depth.

    Longer values are replaced first, so a secret containing another is redacted whole.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Register more values (empty and too-short ones are ignored)."""
        self._secrets.update(s for s in secrets if len(s) >= MIN_SECRET_CHARS)

    def text(self, value: str) -> str:
        """``value`` with every secret replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        return value

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like ``value`` with every string (keys too) redacted."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value
