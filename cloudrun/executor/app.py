"""The executor service (Cloud Run, private): the agent loop's HTTP edge.

Routes, each invoked with an OIDC token that Cloud Run's IAM check verifies before the request
reaches this code (the service does not allow unauthenticated calls):

- ``POST /pubsub/run-approved``: Pub/Sub push of ``run-approved`` (2xx ack, 503 redeliver).
- ``POST /tasks/model-step``, ``/tasks/tool-call``, ``/tasks/webhook-delivery``: Cloud Tasks
  (2xx done, 503/429 retry).
- ``GET /healthz``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request

from shared import resources
from shared.composition import Dependencies, get_dependencies
from shared.domain.messages import ModelStepTask, ToolCallTask, WebhookDeliveryTask
from shared.logging import configure_logging
from shared.pipeline import delivery, execution
from shared.settings import get_settings
from shared.transport import cloud_tasks, pubsub


def create_app(deps: Dependencies | None = None) -> Flask:
    """The executor app; dependencies come from ``get_dependencies()`` on first use if None."""
    app = Flask(__name__)
    settings = deps.settings if deps else get_settings()
    configure_logging(settings.project_id, settings.log_level)

    def resolve() -> Dependencies:
        return deps or get_dependencies()

    run_approved = resources.SUBSCRIPTIONS_BY_CONSUMER["executor"]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(run_approved.push_path)
    def run_approved_push() -> Response:
        envelope = request.get_json(silent=True)
        outcome = pubsub.process(resolve(), envelope, run_approved, execution.start_execution)
        return Response(status=503 if outcome is pubsub.Outcome.RETRY else 204)

    def task_route(path: str, payload_type: type, handler: Callable[..., object]) -> None:
        def handle() -> Response:
            status, headers = cloud_tasks.process(
                resolve(), request.get_data(), dict(request.headers), payload_type, handler
            )
            return Response(status=status, headers=headers)

        app.add_url_rule(path, endpoint=path, view_func=handle, methods=["POST"])

    task_route(execution.MODEL_STEP_PATH, ModelStepTask, execution.take_model_step)
    task_route(execution.TOOL_CALL_PATH, ToolCallTask, execution.make_tool_call)
    task_route(delivery.WEBHOOK_DELIVERY_PATH, WebhookDeliveryTask, delivery.deliver_webhook)
    return app
