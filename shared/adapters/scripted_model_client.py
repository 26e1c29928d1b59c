"""ScriptedModelClient: the ModelClient twin that answers from a script of turns.

Like the Gemini emulator (``emulators/vertex``) and ADK's ``MockModel``, turn ``i`` answers the
request whose messages already hold ``i`` model turns, so a script reads top to bottom as the
model's side of the conversation and a retried request gets the same answer. It refuses what
Gemini refuses, so unit tests catch a malformed conversation: a request past the script, a
function call turn not answered by the request's last message, and calls to undeclared tools.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.model_io import ModelRequest, ModelResponse
from shared.errors import PermanentError, SwitchyardError
from shared.ports.model_client import ModelClient


class ScriptedModelClient(ModelClient):
    """Answers each request with the scripted turn at its position.

    Args:
        turns: The model's turns in conversation order; a turn that is an error is raised
            instead of answered (``RateLimitedError("model_rate_limited", ...)``, ...).

    Attributes:
        requests: Every request received, oldest first, for assertions.
    """

    def __init__(self, turns: Sequence[ModelResponse | SwitchyardError]) -> None:
        self._turns = tuple(turns)
        self.requests: list[ModelRequest] = []

    def generate(self, request: ModelRequest) -> ModelResponse:
        """See :meth:`ModelClient.generate`.

        Raises:
            PermanentError: Code ``model_request_rejected``: the script has no turn at the
                request's position, the previous turn's function calls are not all answered by
                the last message, an earlier model turn lacks a call's ``thought_signature``
                (Gemini 3 refuses that), or the turn calls a tool the request does not declare.
            SwitchyardError: The scripted error of this turn.
        """
        self.requests.append(request)
        index = sum(1 for message in request.messages if message.role == "model")
        if index >= len(self._turns):
            raise PermanentError(
                "model_request_rejected",
                f"the script has {len(self._turns)} turns, but the request already holds "
                f"{index} model turns",
            )
        unanswered = _unanswered_calls(request)
        if unanswered:
            raise PermanentError(
                "model_request_rejected",
                "the last message must answer every function call of the previous model turn; "
                f"unanswered: {', '.join(unanswered)}",
            )
        unsigned = self._unsigned_calls(request)
        if unsigned:
            raise PermanentError(
                "model_request_rejected",
                "every function call must come back with its thought_signature; missing: "
                + ", ".join(unsigned),
            )
        turn = self._turns[index]
        if isinstance(turn, SwitchyardError):
            raise turn
        declared = {tool.name for tool in request.tools}
        undeclared = [call.name for call in turn.function_calls if call.name not in declared]
        if undeclared:
            raise PermanentError(
                "model_request_rejected",
                f"turn {index} calls {', '.join(undeclared)}, which the request does not declare",
            )
        return turn

    def _unsigned_calls(self, request: ModelRequest) -> list[str]:
        """Scripted calls with a thought signature that their model message does not carry."""
        model_turns = [message for message in request.messages if message.role == "model"]
        unsigned = []
        for index, (message, turn) in enumerate(zip(model_turns, self._turns, strict=False)):
            if isinstance(turn, SwitchyardError):
                continue
            for call in turn.function_calls:
                sent = message.function_calls[call.call_index : call.call_index + 1]
                if call.thought_signature and (
                    not sent or sent[0].thought_signature != call.thought_signature
                ):
                    unsigned.append(f"{call.name} of model turn {index}")
        return unsigned


def _unanswered_calls(request: ModelRequest) -> list[str]:
    """Names of the last model turn's calls without a response (same name, same id if given)."""
    model_turns = [message for message in request.messages if message.role == "model"]
    if not model_turns or not model_turns[-1].function_calls:
        return []
    last = request.messages[-1]
    responses = list(last.function_responses) if last.role == "user" else []
    unanswered = []
    for call in model_turns[-1].function_calls:
        response = next(
            (r for r in responses if r.name == call.name and call.id in (None, r.id)), None
        )
        if response is None:
            unanswered.append(call.name)
        else:
            responses.remove(response)
    return unanswered
