"""``GET /healthz``: liveness, without authentication and without touching any dependency."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer ``{"status": "ok"}`` while the process serves requests."""
    return {"status": "ok"}
