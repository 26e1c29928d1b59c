"""Every error as ``application/problem+json`` (RFC 9457), mapped once for the whole app.

A problem document has ``type``, ``title``, ``status``, ``detail``, Switchyard's stable
``code``, and for validation errors ``errors: [{field, message}]``:

- :class:`~shared.errors.SwitchyardError`: the error's ``http_status`` and ``code``; transient
  errors add ``Retry-After`` (seconds).
- Werkzeug's HTTP errors (unknown route 404, wrong method 405, body too large 413, ...): their
  status, with a code derived from the reason phrase (``method_not_allowed``).
- Anything else: 500 with a generic detail; the exception is logged, never sent.

Every 401 carries ``WWW-Authenticate: Bearer`` (RFC 6750 §3).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from shared.errors import RateLimitedError, SwitchyardError, TransientError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:switchyard:problem:"
WWW_AUTHENTICATE = 'Bearer realm="switchyard"'
DEFAULT_RETRY_AFTER_S = 5

logger = logging.getLogger(__name__)


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    """A problem+json response.

    Args:
        status: HTTP status code.
        code: Stable machine-readable code, also the end of the ``type`` URN.
        detail: Human-readable explanation of this occurrence; never a secret.
        headers: Extra response headers.
        extensions: Extra members, such as ``errors``; they cannot replace the standard ones.

    Returns:
        The response.
    """
    body = {
        **(extensions or {}),
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    response = Response(current_app.json.dumps(body), status, mimetype=PROBLEM_CONTENT_TYPE)
    response.headers.update(headers or {})
    if status == HTTPStatus.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


def _retry_after(error: TransientError) -> str:
    if isinstance(error, RateLimitedError):
        return str(max(1, math.ceil(error.retry_after_s)))
    return str(DEFAULT_RETRY_AFTER_S)


def handle_switchyard_error(error: SwitchyardError) -> Response:
    """Map an error of Switchyard's tree to its status and code."""
    headers = {}
    if isinstance(error, TransientError):
        headers["Retry-After"] = _retry_after(error)
        logger.warning(
            "transient failure on %s %s: %s (%s)",
            request.method,
            request.path,
            error.message,
            error.code,
        )
    return problem(
        error.http_status, error.code, error.message, headers=headers, extensions=error.details
    )


def handle_http_exception(error: HTTPException) -> Response:
    """Map a Werkzeug HTTP error (404, 405, 413, 415, ...) to a problem document."""
    status = error.code or HTTPStatus.INTERNAL_SERVER_ERROR
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    code = re.sub(r"[^a-z0-9]+", "_", HTTPStatus(status).phrase.lower()).strip("_")
    return problem(status, code, str(error.description), headers=headers)


def handle_unexpected_error(error: Exception) -> Response:
    """Log an unexpected exception and answer a generic 500 that leaks nothing."""
    logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return problem(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "an unexpected error occurred")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; Flask picks the most specific one for each exception."""
    app.register_error_handler(SwitchyardError, handle_switchyard_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected_error)
