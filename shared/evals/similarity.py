"""Similarity to a reference: ``rouge-n``, ``bleu`` and ``gleu``, as promptfoo 0.123 scores them.

Sources: promptfoo ``src/assertions/{rouge,bleu,gleu,ngrams}.ts``;
https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/#rouge-n,
``#bleu``, ``#gleu``. Default thresholds: 0.75 (ROUGE-N), 0.5 (BLEU, GLEU). A ``not-`` form
passes below the threshold and scores ``1 - score``. ``meteor`` is not available: it needs
WordNet data (see ``shared.domain.spec.UNSUPPORTED_ASSERTIONS``).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

from shared.evals._js import js_number, js_split_whitespace, js_trim
from shared.evals._treebank import tokenize as treebank_tokenize
from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

ROUGE_DEFAULT_THRESHOLD = 0.75
BLEU_DEFAULT_THRESHOLD = 0.5
GLEU_DEFAULT_THRESHOLD = 0.5


def ngrams(words: list[str], n: int) -> list[str]:
    """Contiguous n-grams joined by one space (promptfoo ``getNGrams``)."""
    if n <= 0 or n > len(words):
        return []
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _fixed(value: float, digits: int) -> str:
    # Number.prototype.toFixed rounds half away from zero on the binary value; format() is
    # the same for the values scores take.
    return f"{value:.{digits}f}"


# --- ROUGE-N ---------------------------------------------------------------------------------


def f_measure(precision: float, recall: float, beta: float = 1.0) -> float:
    """js-rouge ``fMeasure`` for beta = 1: the harmonic mean, computed its way."""
    if precision == recall:
        return precision
    if precision == 0 or recall == 0:
        return 0.0
    if precision > recall:
        inv = 1 / beta
        sq = inv * inv
        return min(precision, recall * ((1 + sq) / (1 + sq * (recall / precision))))
    sq = beta * beta
    return min(recall, precision * ((1 + sq) / (1 + sq * (precision / recall))))


def rouge_n(candidate: str, reference: str, n: int = 1) -> float:
    """ROUGE-N F-score with clipped n-gram counts over Treebank tokens (Lin 2004).

    The caller folds case; promptfoo lower-cases both texts first.
    """
    candidate_tokens = treebank_tokenize(candidate)
    reference_tokens = treebank_tokenize(reference)
    if len(candidate_tokens) < n or len(reference_tokens) < n:
        return 0.0
    candidate_grams = ngrams(candidate_tokens, n)
    reference_grams = ngrams(reference_tokens, n)
    reference_counts = Counter(reference_grams)
    overlap = sum(
        min(count, reference_counts[gram]) for gram, count in Counter(candidate_grams).items()
    )
    if overlap == 0:
        return 0.0
    return f_measure(overlap / len(candidate_grams), overlap / len(reference_grams))


def check_rouge_n(check: Check) -> Outcome:
    """ROUGE-1 of the lower-cased output against the lower-cased value."""
    threshold = _threshold(check.assertion, ROUGE_DEFAULT_THRESHOLD)
    score = rouge_n(check.output.lower(), check.assertion.value.lower())
    relation = "greater than or equal to" if score >= threshold else "less than"
    return Outcome(
        passed=(score >= threshold) != check.inverse,
        score=1 - score if check.inverse else score,
        # promptfoo gives the comparison as the reason whether or not the assertion passed.
        reason=f"ROUGE-N score {_fixed(score, 2)} is {relation} threshold {js_number(threshold)}",
    )


# --- BLEU ------------------------------------------------------------------------------------


def _bleu_tokens(text: str) -> list[str]:
    return js_split_whitespace(js_trim(text.lower()))


def bleu(candidate: str, references: list[str]) -> float:
    """Sentence BLEU with uniform 1-4-gram weights, best clipped counts over the references,
    brevity penalty against the closest reference length, and a 1e-7 floor for a zero
    precision (promptfoo ``calculateBleuScore``; Papineni et al., 2002).
    """
    if js_trim(candidate) == "":
        return 0.0
    candidate_words = _bleu_tokens(candidate)
    reference_words = [_bleu_tokens(reference) for reference in references]
    closest = reference_words[0].__len__()
    for words in reference_words[1:]:
        current = abs(len(words) - len(candidate_words))
        previous = abs(closest - len(candidate_words))
        if current < previous or (current == previous and len(words) < closest):
            closest = len(words)
    orders: list[float] = []
    for n in range(1, 5):
        candidate_grams = ngrams(candidate_words, n)
        if not candidate_grams:
            continue
        counts = Counter(candidate_grams)
        best = 0
        for words in reference_words:
            reference_counts = Counter(ngrams(words, n))
            best = max(best, sum(min(c, reference_counts[g]) for g, c in counts.items()))
        orders.append(best / len(candidate_grams))
    penalty = (
        1.0 if len(candidate_words) > closest else math.exp(1 - closest / len(candidate_words))
    )
    weight = 0.25 / (0.25 * len(orders))
    return penalty * math.exp(sum(weight * math.log(p or 1e-7) for p in orders))


def check_bleu(check: Check) -> Outcome:
    """BLEU of the output against one reference or several."""
    threshold = _threshold(check.assertion, BLEU_DEFAULT_THRESHOLD)
    score = bleu(check.output, _references(check.assertion))
    passed = (score >= threshold) != check.inverse
    relation = "greater" if check.inverse else "less"
    return Outcome(
        passed=passed,
        score=1 - score if check.inverse else score,
        reason="Assertion passed"
        if passed
        else f"BLEU score {_fixed(score, 4)} is {relation} than threshold {js_number(threshold)}",
    )


# --- GLEU ------------------------------------------------------------------------------------


def _gleu_tokens(text: str) -> list[str]:
    words = [word.rstrip(".") for word in js_split_whitespace(js_trim(text.lower()))]
    return words if any(words) else []


def gleu(candidate: str, references: list[str], min_n: int = 1, max_n: int = 4) -> float:
    """Google-BLEU: min(precision, recall) of 1-4-grams, best over references; trailing
    periods are dropped from words (promptfoo ``calculateGleuScore``; Wu et al., 2016).
    """
    candidate_words = _gleu_tokens(candidate)
    if not candidate_words:
        return 0.0
    scores = []
    for reference in references:
        reference_words = _gleu_tokens(reference)
        if candidate_words == reference_words:
            scores.append(1.0)
            continue
        matches = candidate_total = reference_total = 0
        for n in range(min_n, max_n + 1):
            candidate_grams = ngrams(candidate_words, n)
            reference_grams = ngrams(reference_words, n)
            reference_counts = Counter(reference_grams)
            matches += sum(
                min(count, reference_counts[gram])
                for gram, count in Counter(candidate_grams).items()
            )
            candidate_total += len(candidate_grams)
            reference_total += len(reference_grams)
        if candidate_total == 0 or reference_total == 0:
            scores.append(0.0)
        else:
            scores.append(min(matches / candidate_total, matches / reference_total))
    return max(scores)


def check_gleu(check: Check) -> Outcome:
    """GLEU of the output against one reference or several."""
    threshold = _threshold(check.assertion, GLEU_DEFAULT_THRESHOLD)
    score = gleu(check.output, _references(check.assertion))
    passed = (score >= threshold) != check.inverse
    relation = "greater than or equal to" if check.inverse else "less than"
    return Outcome(
        passed=passed,
        score=1 - score if check.inverse else score,
        reason="Assertion passed"
        if passed
        else f"GLEU score {_fixed(score, 4)} is {relation} threshold {js_number(threshold)}",
    )


# --- shared ----------------------------------------------------------------------------------


def _threshold(assertion: Assertion, default: float) -> float:
    return default if assertion.threshold is None else assertion.threshold


def _references(assertion: Assertion) -> list[str]:
    value = assertion.value
    return [value] if isinstance(value, str) else list(value)


def validate_rouge(assertion: Assertion) -> None:
    """``rouge-n`` needs a string reference."""
    if not isinstance(assertion.value, str):
        raise AssertionValueError('"rouge-n" needs a string value')


def validate_references(assertion: Assertion) -> None:
    """``bleu``/``gleu`` need a string or a non-empty list of strings."""
    value = assertion.value
    if isinstance(value, str):
        return
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return
    raise AssertionValueError(
        f'"{assertion.type.removeprefix("not-")}" needs a string or a list of strings'
    )
