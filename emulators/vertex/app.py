"""The emulator's Flask app: the Gemini endpoints and the admin API over one script registry."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import NotFound

from emulators.vertex.admin_api import admin_blueprint
from emulators.vertex.model_api import model_blueprint
from emulators.vertex.registry import ScriptRegistry
from emulators.vertex.wire import error_body


def create_app(registry: ScriptRegistry) -> Flask:
    """Build the emulator app.

    Args:
        registry: Scripts to answer from; the admin API adds to and removes from it.

    Returns:
        A Flask app, to serve with werkzeug (``python -m emulators.vertex``) or to test with
        ``app.test_client()``.
    """
    app = Flask(__name__)
    app.register_blueprint(admin_blueprint(registry))
    app.register_blueprint(model_blueprint(registry))

    @app.errorhandler(NotFound)
    def not_found(_: NotFound) -> tuple[Response, int]:
        # A client on another API version or method should learn what the emulator serves.
        message = (
            f"the Gemini emulator does not serve {request.method} {request.path}; it serves "
            "POST /{version}/projects/{project}/locations/{location}/publishers/{publisher}/"
            "models/{model}:generateContent and :streamGenerateContent?alt=sse"
        )
        return jsonify(error_body(404, "NOT_FOUND", message)), 404

    return app
