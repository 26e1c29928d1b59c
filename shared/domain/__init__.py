"""Switchyard's domain models: pure pydantic, no I/O and no Google import."""
