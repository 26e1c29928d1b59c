"""VertexModelClient: one Gemini ``generateContent`` call on Vertex AI, through google-genai.

The request maps onto Gemini's ``contents`` (one ``Content`` per message, text and function
call / response parts), ``systemInstruction``, ``generationConfig``, ``tools`` and ``labels``;
automatic function calling is off, since the executor runs every tool call as a Cloud Task. The
client makes one attempt (google-genai retries only when given ``retry_options``): retries belong
to the ``model-steps`` queue, which also paces the Vertex quota.

Errors map onto the tree by HTTP status: 429 (quota or shared capacity exhausted; Google advises
backing off, https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429) is
:class:`RateLimitedError`; 408, 5xx, timeouts and connection failures are transient; any other
4xx is permanent and carries the service's message.
"""

from __future__ import annotations

import base64
import math

import httpx
import httpx2
from google.genai import Client as GenaiClient
from google.genai import errors, types

from shared.domain.model_io import Message, ModelRequest, ModelResponse
from shared.domain.steps import FunctionCall
from shared.errors import PermanentError, RateLimitedError, SwitchyardError, TransientError
from shared.gcp_clients import genai_client
from shared.ports.model_client import ModelClient
from shared.settings import Settings

#: Seconds to wait after a 429 that names no ``Retry-After``. Vertex AI quotas are per minute,
#: and Google's advice is to back off; the queue's own backoff grows from here.
DEFAULT_RETRY_AFTER_S = 10.0

# google-genai 3 sends with httpx2 by default and with httpx when configured to.
_TRANSPORT_ERRORS = (httpx.TransportError, httpx2.TransportError)


class VertexModelClient(ModelClient):
    """Gemini on Vertex AI (or the local Gemini emulator, when the settings name one).

    Args:
        settings: Builds the default client.
        client: google-genai client in Vertex AI mode;
            ``shared.gcp_clients.genai_client(settings)`` when None.
    """

    def __init__(self, settings: Settings, client: GenaiClient | None = None) -> None:
        self._client = client or genai_client(settings)

    def generate(self, request: ModelRequest) -> ModelResponse:
        """See :meth:`ModelClient.generate`.

        Raises:
            RateLimitedError: Code ``model_rate_limited``; ``retry_after_s`` from the
                ``Retry-After`` header, else :data:`DEFAULT_RETRY_AFTER_S`.
            TransientError: Code ``model_unavailable``.
            PermanentError: Code ``model_request_rejected``, with the service's message.
        """
        try:
            response = self._client.models.generate_content(
                model=request.model.name,
                contents=[_content(message) for message in request.messages],
                config=_config(request),
            )
        except errors.APIError as error:
            raise _mapped(error) from error
        except _TRANSPORT_ERRORS as error:
            raise TransientError("model_unavailable", f"{request.model.name}: {error!r}") from error
        return _model_response(response)


def _content(message: Message) -> types.Content:
    parts = [types.Part(text=message.text)] if message.text is not None else []
    parts += [
        types.Part(
            function_call=types.FunctionCall(name=call.name, args=call.args, id=call.id),
            thought_signature=(
                base64.b64decode(call.thought_signature) if call.thought_signature else None
            ),
        )
        for call in message.function_calls
    ]
    parts += [
        types.Part(
            function_response=types.FunctionResponse(
                name=response.name, id=response.id, response=response.response
            )
        )
        for response in message.function_responses
    ]
    return types.Content(role=message.role, parts=parts)


def _config(request: ModelRequest) -> types.GenerateContentConfig:
    declarations = [
        types.FunctionDeclaration(
            name=tool.name,
            description=tool.description,
            parameters_json_schema=tool.parameters or None,
        )
        for tool in request.tools
    ]
    return types.GenerateContentConfig(
        system_instruction=request.system_prompt,
        temperature=request.model.temperature,
        max_output_tokens=request.model.max_output_tokens,
        tools=[types.Tool(function_declarations=declarations)] if declarations else None,
        labels=request.labels or None,
        http_options=types.HttpOptions(timeout=math.ceil(request.timeout_s * 1000)),
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )


def _model_response(response: types.GenerateContentResponse) -> ModelResponse:
    candidate = response.candidates[0] if response.candidates else None
    parts = (candidate.content.parts if candidate and candidate.content else None) or []
    texts = [part.text for part in parts if part.text is not None and not part.thought]
    calls = [part for part in parts if part.function_call is not None]
    if candidate is not None and candidate.finish_reason is not None:
        finish_reason: str | None = candidate.finish_reason.name
    elif response.prompt_feedback and response.prompt_feedback.block_reason:
        finish_reason = response.prompt_feedback.block_reason.name  # the prompt was blocked
    else:
        finish_reason = None
    usage = response.usage_metadata or types.GenerateContentResponseUsageMetadata()
    return ModelResponse(
        text="".join(texts) if texts else None,
        function_calls=tuple(_function_call(index, part) for index, part in enumerate(calls)),
        finish_reason=finish_reason,
        prompt_tokens=usage.prompt_token_count or 0,
        # Thinking tokens are billed as output, beside the answer's own.
        completion_tokens=(usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0),
        # The body only: the HTTP headers google-genai attaches are no part of the answer.
        raw=response.model_dump(mode="json", exclude_none=True, exclude={"sdk_http_response"}),
    )


def _function_call(index: int, part: types.Part) -> FunctionCall:
    call = part.function_call or types.FunctionCall()
    signature = part.thought_signature
    return FunctionCall(
        call_index=index,
        name=call.name or "",
        args=call.args or {},
        id=call.id,
        thought_signature=base64.b64encode(signature).decode() if signature else None,
    )


def _retry_after_s(error: errors.APIError) -> float:
    headers = getattr(error.response, "headers", None) or {}
    try:
        seconds = float(headers.get("retry-after", ""))
    except ValueError:  # absent, or an HTTP date, which Vertex AI does not send
        return DEFAULT_RETRY_AFTER_S
    return seconds if seconds >= 0 else DEFAULT_RETRY_AFTER_S


def _mapped(error: errors.APIError) -> SwitchyardError:
    detail = f"{error.code} {error.status}: {error.message}"
    if error.code == 429:
        return RateLimitedError("model_rate_limited", detail, retry_after_s=_retry_after_s(error))
    if 400 <= error.code < 500 and error.code != 408:
        return PermanentError("model_request_rejected", detail)
    return TransientError("model_unavailable", detail)
