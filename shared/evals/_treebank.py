"""The Penn Treebank word tokenizer of npm ``js-rouge`` 3.2 (``treeBankTokenize``), in Python.

promptfoo's ``rouge-n`` tokenizes with js-rouge, so ROUGE scores depend on exactly these rules:
quotes become ``` `` ``` or ``''``, punctuation and brackets are split off, a sentence-final period
is separated, and contractions (``can't`` → ``ca n't``, ``gonna`` → ``gon na``) are split.

Difference: js-rouge also treats a quote after a Unicode modifier letter that ends a sentence
(its ``isModifierLetterSentenceBoundary``) as an opening quote; that rare case is not reproduced.
"""

from __future__ import annotations

import re
import unicodedata

from shared.evals._js import JS_WHITESPACE_CLASS

_COLLAPSE = re.compile(f"[{JS_WHITESPACE_CLASS}\\u0085]+")
_QUOTES = re.compile(r"``|''|\"")
_NEXT_QUOTE = re.compile(r"``|''|\"")
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\.{3}"), " ... "),
    (re.compile(r"[:,](?!\d)"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (
        re.compile(
            rf"([^.])(?<!\b[A-Za-z]\.[A-Za-z])(\.)([\])}}>'{JS_WHITESPACE_CLASS}]*)\Z", re.ASCII
        ),
        r"\1 \2\3 ",
    ),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"[\][(){}<>]"), r" \g<0> "),
    (re.compile(r"--"), " -- "),
)
_CONTRACTION_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"'([sSmMdD]) "), r" '\1 "),
    (re.compile(r"('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r" \1 "),
)
_WORD = r"[\w\u200c\u200d]"
_CONTRACTIONS = tuple(
    re.compile(rf"(?<!{_WORD}){body}(?!{_WORD})", re.IGNORECASE)
    for body in (
        "(can)(not)", "(d)('ye)", "(gim)(me)", "(gon)(na)", "(got)(ta)", "(lem)(me)",
        "(more)('n)", "(wan)(na)(?= )", "('t)(is)", "('t)(was)",
    )
)  # fmt: skip


def _category(char: str) -> str:
    return unicodedata.category(char) if char else ""


def _opens(text: str, index: int, inside: bool) -> bool:
    # js-rouge opensDoubleQuote: not already inside, and at the start or after whitespace,
    # punctuation, '<' or a `` pair.
    if inside:
        return False
    if index == 0:
        return True
    before = text[index - 1]
    return (
        bool(_COLLAPSE.fullmatch(before))
        or _category(before).startswith("P")
        or before == "<"
        or text[index - 2 : index] == "``"
    )


def tokenize(value: str) -> list[str]:
    """Split ``value`` into Treebank tokens, as js-rouge's ``treeBankTokenize`` does."""
    text = _COLLAPSE.sub(" ", value).strip(" ")
    if not text:
        return []
    inside = False

    def quote(match: re.Match[str]) -> str:
        nonlocal inside
        mark, index = match.group(), match.start()
        before = text[index - 1] if index > 0 else ""
        after = text[index + 2] if index + 2 < len(text) else ""
        following = _NEXT_QUOTE.search(text, index + 2) if index + 2 <= len(text) else None
        inside = mark == "``" or (
            (
                index + len(mark) < len(text)
                or index == 0
                or (before != "" and (before == " " or _category(before) == "Ps" or before == "<"))
            )
            and _opens(text, index, inside)
            and before not in (".", "!", "?")
            and (
                mark == '"'
                or (
                    index > 0
                    and after != ""
                    and (_category(after)[0] in "LN" or _category(after) in ("Sc", "Ps"))
                    and following is not None
                    and following.group() == "''"
                )
            )
        )
        return " `` " if inside else " '' "

    parse = _QUOTES.sub(quote, text)
    for pattern, replacement in _RULES:
        parse = pattern.sub(replacement, parse)
    parse = f" {parse} "
    for pattern, replacement in _CONTRACTION_RULES:
        parse = pattern.sub(replacement, parse)
    for pattern in _CONTRACTIONS:
        parse = pattern.sub(r" \1 \2 ", parse)
    parse = re.sub(" {2,}", " ", parse)
    parse = re.sub("^ | $", "", parse)
    return parse.split(" ")
