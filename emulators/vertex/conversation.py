"""Which scripted turn answers a request: selection, position and function-response checks.

Pure functions of the registered scripts and the request, with no server state, so concurrent
runs of one script cannot disturb each other and a retried request gets the same answer.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

from google.genai import types

from emulators.vertex.script import Script, ScriptedFunctionCall, Turn


class UnscriptedRequestError(Exception):
    """The scripts hold no answer for a request; the emulator never invents one.

    Answered as HTTP 400 ``INVALID_ARGUMENT``, which google-genai raises as ``ClientError``.

    Attributes:
        message: What is missing and how to script it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def select_script(scripts: Sequence[Script], labels: Mapping[str, str]) -> Script | None:
    """The script whose ``match`` the labels satisfy, the last registered winning.

    Args:
        scripts: Registered scripts, oldest first.
        labels: The request's ``labels``.

    Returns:
        The most recently registered script whose every ``match`` entry is among the labels,
        or None.
    """
    for script in reversed(scripts):
        if all(labels.get(key) == value for key, value in script.match.items()):
            return script
    return None


def position(contents: Sequence[types.Content]) -> int:
    """The index of the turn to answer: the number of model turns already in ``contents``."""
    return sum(1 for content in contents if content.role == "model")


def _describe(call: ScriptedFunctionCall) -> str:
    return call.name if call.id is None else f"{call.name} (id {call.id!r})"


def missing_function_responses(
    calls: Sequence[ScriptedFunctionCall], contents: Sequence[types.Content]
) -> list[ScriptedFunctionCall]:
    """The calls that the last content of the conversation does not answer.

    Each call needs its own ``functionResponse`` part in the last content, which must be the
    user's (as on Vertex AI, a content without a role is the user's): same name, and same id
    when the script gives one. Two calls of one function need two responses.

    Args:
        calls: Function calls of the previous model turn, as scripted.
        contents: The request's ``contents``.

    Returns:
        The unanswered calls, in script order; empty when all are answered.
    """
    last = contents[-1] if contents else None
    if last is None or last.role == "model":
        return list(calls)
    responses = [
        part.function_response for part in last.parts or () if part.function_response is not None
    ]
    # Calls with an id claim their response first, so a same-named call without one cannot
    # take it from them.
    missing = set()
    for index in sorted(range(len(calls)), key=lambda i: calls[i].id is None):
        call = calls[index]
        found = next(
            (
                response
                for response in responses
                if response.name == call.name and (call.id is None or response.id == call.id)
            ),
            None,
        )
        if found is None:
            missing.add(index)
        else:
            responses.remove(found)
    return [call for index, call in enumerate(calls) if index in missing]


def unsigned_function_calls(script: Script, contents: Sequence[types.Content]) -> list[str]:
    """The scripted calls whose ``thoughtSignature`` does not come back in the conversation.

    Gemini 3 signs its function calls and refuses a request whose earlier model turns lack the
    signatures (https://cloud.google.com/vertex-ai/generative-ai/docs/thinking#thought-signatures);
    the emulator checks the calls its script signed, each in its model turn at the same position.

    Args:
        script: The script answering the conversation.
        contents: The request's ``contents``.

    Returns:
        ``"<name> of model turn <k>"`` for each signed call sent back without its signature.
    """
    model_turns = [content for content in contents if content.role == "model"]
    unsigned = []
    for index, content in enumerate(model_turns[: len(script.turns)]):
        sent = [part for part in content.parts or () if part.function_call is not None]
        for call_index, call in enumerate(script.turns[index].function_calls):
            if call.thought_signature is None:
                continue
            part = sent[call_index] if call_index < len(sent) else None
            if part is None or part.thought_signature != base64.b64decode(call.thought_signature):
                unsigned.append(f"{call.name} of model turn {index}")
    return unsigned


def declared_functions(tools: Sequence[types.Tool]) -> set[str]:
    """The names of the functions that the request's ``tools`` declare."""
    return {
        declaration.name
        for tool in tools
        for declaration in tool.function_declarations or ()
        if declaration.name
    }


def choose_turn(
    scripts: Sequence[Script],
    labels: Mapping[str, str],
    contents: Sequence[types.Content],
    tools: Sequence[types.Tool],
) -> tuple[Script, int, Turn]:
    """The scripted turn that answers a request.

    Args:
        scripts: Registered scripts, oldest first.
        labels: The request's ``labels``.
        contents: The request's ``contents``.
        tools: The request's ``tools``; Gemini calls only functions declared there.

    Returns:
        ``(script, index, turn)``: the selected script and the turn at the conversation's
        position.

    Raises:
        UnscriptedRequestError: When no script matches the labels, the conversation is past the
            script's last turn, the previous turn's function calls are not all answered, an
            earlier model turn lacks a thought signature its call was given, or the turn calls a
            function the request does not declare.
    """
    script = select_script(scripts, labels)
    if script is None:
        registered = "; ".join(f"{s.name} {s.match}" for s in scripts) or "none"
        raise UnscriptedRequestError(
            f"no script matches the request labels {dict(labels)} (registered scripts: "
            f"{registered}); register one with PUT /emulator/scripts/{{name}}"
        )
    index = position(contents)
    if index >= len(script.turns):
        raise UnscriptedRequestError(
            f"script {script.name!r} has {len(script.turns)} turns, but the request already "
            f"holds {index} model turns; the emulator does not invent turn {index}"
        )
    if index > 0:
        missing = missing_function_responses(script.turns[index - 1].function_calls, contents)
        if missing:
            raise UnscriptedRequestError(
                f"script {script.name!r} turn {index}: the last user content must carry a "
                f"functionResponse for every call of turn {index - 1}; missing: "
                + ", ".join(_describe(call) for call in missing)
            )
    unsigned = unsigned_function_calls(script, contents)
    if unsigned:
        raise UnscriptedRequestError(
            "Function call is missing a thought_signature in functionCall parts; send every "
            "model turn back with its signatures. Missing: " + ", ".join(unsigned)
        )
    turn = script.turns[index]
    declared = declared_functions(tools)
    undeclared = [call.name for call in turn.function_calls if call.name not in declared]
    if undeclared:
        raise UnscriptedRequestError(
            f"script {script.name!r} turn {index} calls {', '.join(undeclared)}, which the "
            f"request's tools do not declare (declared: {', '.join(sorted(declared)) or 'none'})"
        )
    return script, index, turn
