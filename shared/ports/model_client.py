"""ModelClient: one generate call to a model (Vertex AI Gemini in production)."""

from __future__ import annotations

import abc

from shared.domain.model_io import ModelRequest, ModelResponse


class ModelClient(abc.ABC):
    """Sends one model step's request."""

    @abc.abstractmethod
    def generate(self, request: ModelRequest) -> ModelResponse:
        """Generate the next turn.

        Raises:
            RateLimitedError: Code ``model_rate_limited`` (HTTP 429 from the model service).
            TransientError: Code ``model_unavailable`` (5xx, timeout, connection failure).
            PermanentError: Code ``model_request_rejected`` (4xx other than 429: a bad request,
                or, on the local stack, an unscripted one).
        """
