"""Script selection, conversation position and function-response checks of the Gemini emulator."""

from __future__ import annotations

import pytest
from google.genai import types

from emulators.vertex.conversation import (
    UnscriptedRequestError,
    choose_turn,
    declared_functions,
    missing_function_responses,
    position,
    select_script,
)
from emulators.vertex.script import Script, ScriptedFunctionCall, Turn

FETCH = ScriptedFunctionCall(name="http_fetch", args={"url": "http://127.0.0.1/p1"})
TOOLS = [types.Tool(function_declarations=[types.FunctionDeclaration(name="http_fetch")])]


def _script(name: str, match: dict[str, str], *turns: Turn) -> Script:
    return Script(script=name, match=match, turns=turns or (Turn(text=f"answer of {name}"),))


def _user(*parts: types.Part) -> types.Content:
    return types.Content(role="user", parts=list(parts))


def _model(*parts: types.Part) -> types.Content:
    return types.Content(role="model", parts=list(parts))


def _response(name: str, call_id: str | None = None) -> types.Part:
    return types.Part(
        function_response=types.FunctionResponse(name=name, id=call_id, response={"ok": True})
    )


def test_select_script_needs_every_match_label() -> None:
    monitor = _script("monitor", {"switchyard-agent": "monitor", "env": "test"})

    assert select_script([monitor], {"switchyard-agent": "monitor"}) is None
    assert select_script([monitor], {"switchyard-agent": "monitor", "env": "prod"}) is None
    labels = {"switchyard-agent": "monitor", "env": "test", "run": "r1"}
    assert select_script([monitor], labels) is monitor


def test_select_script_prefers_the_most_recently_registered() -> None:
    catch_all = _script("catch-all", {})
    older = _script("older", {"agent": "a"})
    newer = _script("newer", {"agent": "a"})

    assert select_script([older, newer], {"agent": "a"}) is newer
    assert select_script([newer, older], {"agent": "a"}) is older
    assert select_script([older, newer, catch_all], {"agent": "a"}) is catch_all
    assert select_script([catch_all, older], {"agent": "b"}) is catch_all


def test_position_counts_model_turns() -> None:
    contents = [_user(types.Part(text="hi")), _model(types.Part(text="x")), _user(_response("f"))]

    assert position(contents[:1]) == 0
    assert position(contents) == 1


def test_missing_function_responses_matches_name_and_given_id() -> None:
    calls = [
        ScriptedFunctionCall(name="http_fetch", id="call-1"),
        ScriptedFunctionCall(name="slack_post"),
    ]

    answered = [_user(_response("slack_post", "any"), _response("http_fetch", "call-1"))]
    wrong_id = [_user(_response("http_fetch", "call-2"), _response("slack_post"))]

    assert missing_function_responses(calls, answered) == []
    assert missing_function_responses(calls, wrong_id) == [calls[0]]
    assert missing_function_responses(calls, [_user(types.Part(text="done?"))]) == calls
    roleless = types.Content(parts=answered[0].parts)
    assert missing_function_responses(calls, [roleless]) == []


def test_each_call_of_one_function_needs_its_own_response() -> None:
    calls = [FETCH, FETCH]

    assert missing_function_responses(calls, [_user(_response("http_fetch"))]) == [FETCH]
    answered = [_user(_response("http_fetch"), _response("http_fetch"))]
    assert missing_function_responses(calls, answered) == []


def test_a_call_with_id_keeps_its_response_from_a_same_named_call() -> None:
    calls = [FETCH, ScriptedFunctionCall(name="http_fetch", id="c2")]

    # The only response carries id c2: it answers the call with that id, not the first call.
    assert missing_function_responses(calls, [_user(_response("http_fetch", "c2"))]) == [FETCH]


def test_responses_must_be_in_the_last_user_content() -> None:
    earlier = [_user(_response("http_fetch")), _model(types.Part(text="thinking"))]

    assert missing_function_responses([FETCH], earlier) == [FETCH]


def test_choose_turn_answers_by_position() -> None:
    script = _script("s", {"a": "1"}, Turn(function_calls=(FETCH,)), Turn(text="12.99 EUR"))
    first = [_user(types.Part(text="price?"))]
    second = [*first, _model(types.Part(function_call=types.FunctionCall(name="http_fetch")))]
    second.append(_user(_response("http_fetch")))

    assert choose_turn([script], {"a": "1"}, first, TOOLS) == (script, 0, script.turns[0])
    assert choose_turn([script], {"a": "1"}, second, TOOLS) == (script, 1, script.turns[1])


def test_choose_turn_refuses_unmatched_labels() -> None:
    script = _script("s", {"a": "1"})

    with pytest.raises(
        UnscriptedRequestError, match=r"no script matches .*'a': '2'.*s \{'a': '1'\}"
    ):
        choose_turn([script], {"a": "2"}, [_user(types.Part(text="hi"))], TOOLS)


def test_choose_turn_refuses_past_the_last_turn() -> None:
    script = _script("s", {})
    contents = [_user(types.Part(text="hi")), _model(types.Part(text="x")), _user()]

    with pytest.raises(UnscriptedRequestError, match=r"has 1 turns.*does not invent turn 1"):
        choose_turn([script], {}, contents, TOOLS)


def test_choose_turn_refuses_unanswered_function_calls() -> None:
    call = ScriptedFunctionCall(name="http_fetch", id="c1")
    script = _script("s", {}, Turn(function_calls=(call,)), Turn(text="done"))
    contents = [_user(types.Part(text="go")), _model(), _user(_response("http_fetch"))]

    with pytest.raises(UnscriptedRequestError, match=r"turn 1.*missing: http_fetch \(id 'c1'\)"):
        choose_turn([script], {}, contents, TOOLS)


def test_declared_functions_collects_every_tool() -> None:
    tools = [
        *TOOLS,
        types.Tool(function_declarations=[types.FunctionDeclaration(name="slack_post")]),
    ]

    assert declared_functions(tools) == {"http_fetch", "slack_post"}
    assert declared_functions([types.Tool(google_search=types.GoogleSearch())]) == set()


def test_choose_turn_refuses_calls_of_undeclared_functions() -> None:
    post = ScriptedFunctionCall(name="slack_post")
    script = _script("s", {}, Turn(function_calls=(FETCH, post)))

    with pytest.raises(UnscriptedRequestError, match=r"calls slack_post, .*declared: http_fetch"):
        choose_turn([script], {}, [_user(types.Part(text="go"))], TOOLS)
