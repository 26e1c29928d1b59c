"""The Gemini REST endpoints, at the paths google-genai calls in Vertex AI mode.

google-genai 3.x posts to ``/v1beta1/projects/{project}/locations/{location}/publishers/google/
models/{model}:generateContent`` and ``...:streamGenerateContent?alt=sse`` below the client's
``base_url``; the version segment is matched loosely so ``v1`` clients work too. Every answer
comes from a script; a request no script answers fails with HTTP 400, never with an invented
reply.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError

from emulators.vertex.conversation import UnscriptedRequestError, choose_turn
from emulators.vertex.registry import ScriptRegistry
from emulators.vertex.script import Turn
from emulators.vertex.wire import GenerateContentRequest, error_body, render_response, render_stream

logger = logging.getLogger(__name__)

_MODEL_PATH = (
    "/<version>/projects/<project>/locations/<location>/publishers/<publisher>/models/<model>"
)


class _ErrorReply(Exception):
    """An error answer in Google's format: HTTP ``code``, canonical ``status``, ``message``."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


def _sse(chunks: Iterator[dict[str, object]]) -> Iterator[str]:
    for chunk in chunks:
        yield f"data: {json.dumps(chunk)}\n\n"


def model_blueprint(registry: ScriptRegistry) -> Blueprint:
    """The ``generateContent`` and ``streamGenerateContent`` endpoints.

    Args:
        registry: Scripts to answer from.

    Returns:
        A blueprint to register on the emulator's Flask app.
    """
    blueprint = Blueprint("vertex_models", __name__)

    def scripted_turn(model: str) -> tuple[GenerateContentRequest, Turn]:
        try:
            body = GenerateContentRequest.model_validate_json(request.get_data())
        except ValidationError as error:
            raise _ErrorReply(400, "INVALID_ARGUMENT", f"invalid request: {error}") from error
        try:
            script, index, turn = choose_turn(
                registry.snapshot(), body.labels, body.contents, body.tools
            )
        except UnscriptedRequestError as error:
            logger.warning("unscripted request for %s: %s", model, error.message)
            raise _ErrorReply(400, "INVALID_ARGUMENT", error.message) from error
        logger.info(
            "script %r turn %d answers %s (labels %s)", script.name, index, model, body.labels
        )
        if turn.delay_s:
            time.sleep(turn.delay_s)
        if turn.error is not None:
            raise _ErrorReply(turn.error.code, turn.error.status, turn.error.message)
        return body, turn

    @blueprint.errorhandler(_ErrorReply)
    def error_reply(error: _ErrorReply) -> tuple[Response, int]:
        return jsonify(error_body(error.code, error.status, error.message)), error.code

    @blueprint.post(f"{_MODEL_PATH}:generateContent")
    def generate_content(model: str, **_path: str) -> Response:
        body, turn = scripted_turn(model)
        return jsonify(render_response(turn, body, model))

    @blueprint.post(f"{_MODEL_PATH}:streamGenerateContent")
    def stream_generate_content(model: str, **_path: str) -> Response:
        if request.args.get("alt") != "sse":
            raise _ErrorReply(
                400, "INVALID_ARGUMENT", "the emulator streams only server-sent events (alt=sse)"
            )
        body, turn = scripted_turn(model)
        return Response(_sse(render_stream(turn, body, model)), mimetype="text/event-stream")

    return blueprint
