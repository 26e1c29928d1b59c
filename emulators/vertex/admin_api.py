"""The emulator's admin API: register, list and forget scripts, and a health check.

``PUT /emulator/scripts/{name}`` takes a script as JSON (the file format; ``script`` may be
left out and then defaults to ``{name}``), ``GET /emulator/scripts`` lists them oldest first,
``DELETE /emulator/scripts/{name}`` forgets one, and ``GET /healthz`` answers ``{"status": "ok"}``.
Errors use Google's error JSON like the model endpoints.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from emulators.vertex.registry import ScriptRegistry
from emulators.vertex.script import Script
from emulators.vertex.wire import error_body


def admin_blueprint(registry: ScriptRegistry) -> Blueprint:
    """The admin endpoints over ``registry``.

    Args:
        registry: The scripts the model endpoints answer from.

    Returns:
        A blueprint to register on the emulator's Flask app.
    """
    blueprint = Blueprint("vertex_admin", __name__)

    @blueprint.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @blueprint.get("/emulator/scripts")
    def list_scripts() -> Response:
        return jsonify(scripts=[script.to_json() for script in registry.snapshot()])

    @blueprint.put("/emulator/scripts/<name>")
    def put_script(name: str) -> tuple[Response, int]:
        try:
            document = json.loads(request.get_data())
            if not isinstance(document, dict):
                raise ValueError("the body must be a JSON object")
            if document.setdefault("script", name) != name:
                raise ValueError(f"the body names script {document['script']!r}, the URL {name!r}")
            script = Script.model_validate(document)
        except ValueError as error:  # also json.JSONDecodeError and pydantic's ValidationError
            message = f"invalid script {name!r}: {error}"
            return jsonify(error_body(400, "INVALID_ARGUMENT", message)), 400
        registry.put(script)
        return jsonify(script.to_json()), 200

    @blueprint.delete("/emulator/scripts/<name>")
    def delete_script(name: str) -> tuple[Response, int]:
        if not registry.delete(name):
            message = f"no script named {name!r}"
            return jsonify(error_body(404, "NOT_FOUND", message)), 404
        return jsonify({}), 200

    return blueprint
