"""Text and similarity assertions: the edge cases promptfoo's docs and source pin down.

References: https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/ and
promptfoo 0.123 ``src/assertions/{contains,equals,regex,wordCount,levenshtein,rouge,bleu,gleu}.ts``.
Scores marked "promptfoo:" were read from promptfoo 0.123.1 on the same input.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.spec import Assertion
from shared.evals._js import js_number, js_string, js_trim, levenshtein
from shared.evals._jsregex import compile_js
from shared.evals._treebank import tokenize
from shared.evals.assertions import run_assertion
from shared.evals.similarity import bleu, gleu, rouge_n
from shared.evals.text import count_words, parse_comma_separated


def _run(kind: str, value: Any, output: str, **fields: Any) -> tuple[bool, float, str]:
    result = run_assertion(Assertion(type=kind, value=value, **fields), output)
    return result.passed, result.score, result.reason


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("a, b ,c", ["a", "b", "c"]),  # unquoted fields are trimmed
        ('"a,b", c', ["a,b", "c"]),  # quotes keep commas
        ('" padded "', [" padded "]),  # ... and spaces
        (r'"say \"hi\"", x', ['say "hi"', "x"]),  # backslash escapes
        ('"say ""hi"""', ['say "hi"']),  # doubled quotes
        ("a,,b", ["a", "b"]),  # repeated commas make no empty field
        ("", []),
    ],
)
def test_comma_separated_values_parse_like_promptfoo(text: str, fields: list[str]) -> None:
    assert parse_comma_separated(text) == fields


def test_contains_any_and_all_report_what_is_missing() -> None:
    assert _run("contains-all", ["a", "z", "y"], "abc") == (
        False,
        0.0,
        "Expected output to contain all of [a, z, y]. Missing: [z, y]",
    )
    assert _run("icontains-any", "X, B", "abc")[0]


def test_values_are_stringified_as_javascript_does() -> None:
    assert js_string(1.0) == "1" and js_string(True) == "true" and js_string(None) == "null"
    assert js_number(1e21) == "1e+21" and js_number(0.1) == "0.1"
    assert _run("contains", 1.0, "v1.0")[0]  # "1" is in "v1.0"
    assert not _run("equals", 5.0, "5.0")[0]  # String(5.0) is "5"
    assert _run("equals", True, "true")[0]


def test_equals_with_an_object_needs_strictly_equal_json() -> None:
    assert _run("equals", {"a": 1}, '{"a": 1.0}')[0]  # one JS number
    assert not _run("equals", {"a": True}, '{"a": 1}')[0]  # isDeepStrictEqual: no coercion
    assert _run("not-equals", {"a": 1}, "not json")[0]


def test_nothing_is_trimmed() -> None:
    assert not _run("starts-with", "Hi", " Hi")[0]
    assert not _run("equals", "ok", "ok\n")[0]
    assert _run("contains", " 12", "price 12")[0]


def test_case_folding_is_javascript_lower_casing() -> None:
    # toLowerCase, not casefold: "ß" does not match "SS"; "İ" lowers to "i̇" on both sides.
    assert not _run("icontains", "STRASSE", "straße")[0]
    assert _run("icontains", "İ", "i̇x")[0]


def test_whitespace_is_ecmascripts() -> None:
    # U+FEFF is whitespace to JavaScript's trim, U+001C is not (Python disagrees on both).
    assert js_trim("\ufeffx\u001c") == "x\u001c"
    assert count_words("\ufeffone\u00a0two\u2028three ") == 3
    assert count_words("   ") == 0


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (r"^\d+$", "12\n", False),  # $ is the very end in JavaScript
        (r"\d", "٣", False),  # \d is ASCII
        (r"\s", "\u00a0", True),  # \s is Unicode whitespace
        (r"a.c", "a\rc", False),  # . excludes \r
        (r"(?<y>\d{2})-\k<y>", "12-12", True),  # JavaScript named groups
        (r"[^]", "\n", True),  # anything
        (r"\bcaf\b", "café", True),  # \b is ASCII: é is not a word character
        (r"\e\A", "eA", True),  # a meaningless escape is the letter
    ],
)
def test_regex_reads_javascript_syntax(pattern: str, text: str, matches: bool) -> None:
    assert (compile_js(pattern).search(text) is not None) is matches


def test_word_count_bounds_and_reasons() -> None:
    assert _run("word-count", {"min": 2, "max": 4}, "a b c d e") == (
        False,
        0.0,
        "Word count 5 is not between 2 and 4",
    )
    assert _run("word-count", {"max": 2}, "a b")[0]
    assert _run("not-word-count", 3, "one two")[0]


def test_levenshtein_counts_utf16_units_with_default_threshold_5() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("😀", "😁") == 1  # surrogate pairs share their high half
    assert levenshtein("😀a", "a") == 2
    assert _run("levenshtein", "kitten", "sitting")[0]
    assert _run("levenshtein", "kitten", "sitting", threshold=2) == (
        False,
        0.0,
        "Levenshtein distance 3 is greater than threshold 2",
    )


def test_levenshtein_is_fast_on_long_texts() -> None:
    a, b = "lorem ipsum " * 400, "lorem ipsun " * 400

    assert levenshtein(a, b) == 400


def test_treebank_tokens_match_js_rouge() -> None:
    # js-rouge 3.2 treeBankTokenize on the same strings.
    assert tokenize("I can't believe it's not butter!") == [
        "I", "ca", "n't", "believe", "it", "'s", "not", "butter", "!",
    ]  # fmt: skip
    assert tokenize('He said "hello" to me.') == [
        "He", "said", "``", "hello", "''", "to", "me", ".",
    ]  # fmt: skip
    assert tokenize("gonna wanna cannot") == ["gon", "na", "wan", "na", "can", "not"]


def test_rouge_n_uses_clipped_counts_and_lower_cases() -> None:
    assert rouge_n("the cat sat on the mat", "the cat sat on the mat") == 1.0
    passed, score, reason = _run("rouge-n", "The cat sat on the mat", "the cat sat on the mat")
    assert (passed, score) == (True, 1.0)
    assert reason == "ROUGE-N score 1.00 is greater than or equal to threshold 0.75"
    # promptfoo: 0.5 for "A quick brown dog" against "The quick brown fox".
    assert _run("rouge-n", "The quick brown fox", "A quick brown dog")[:2] == (False, 0.5)
    assert _run("not-rouge-n", "The quick brown fox", "A quick brown dog")[:2] == (True, 0.5)


def test_bleu_and_gleu_scores() -> None:
    assert bleu("The cat sat on the mat", ["The cat sat on the mat"]) == pytest.approx(1.0)
    # promptfoo: 0.010573712634 (no 4-gram in common: its precision is floored at 1e-7).
    assert bleu("The cat is on the mat", ["The cat sat on the mat"]) == pytest.approx(
        0.010573712634
    )
    assert gleu("The cat is on the mat", ["The cat sat on the mat"]) == 0.5  # promptfoo: 0.5
    assert bleu("   ", ["x"]) == 0.0
    assert gleu("a b c d e.", ["a b c d e"]) == 1.0  # trailing periods are dropped
    assert gleu("hi", ["hello world"]) == 0.0
    passed, score, _ = _run("not-bleu", "The cat sat on the mat", "The cat sat on the mat")
    assert (passed, score) == (False, pytest.approx(0.0))


def test_bleu_takes_several_references() -> None:
    references = ["the cat is on the mat", "there is a cat on the mat"]

    passed, score, _ = _run("bleu", references, "the cat the cat on the mat")

    assert not passed and 0 < score < 0.5
