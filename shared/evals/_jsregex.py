"""Compile a JavaScript regular expression (no flags, as promptfoo's ``regex`` uses it) for Python.

promptfoo runs ``new RegExp(value).test(output)``. Python's ``re`` reads most patterns the same
way, but not all; this translation closes the gaps that change which outputs match:

- ``\\d``, ``\\w`` and ``\\b`` are ASCII in JavaScript (without the ``u`` flag), Unicode in
  Python; ``\\s`` is ECMAScript's whitespace set.
- ``$`` matches only at the very end in JavaScript, also before a final newline in Python.
- ``.`` excludes ``\\r``, U+2028 and U+2029 in JavaScript, only ``\\n`` in Python.
- ``(?<name>…)`` and ``\\k<name>`` are Python's ``(?P<name>…)`` and ``(?P=name)``.
- ``[^]`` (anything) and ``[]`` (nothing) exist only in JavaScript.
- An escaped letter with no meaning is the letter itself in JavaScript (``\\e`` is ``e``),
  but an error, or another meaning (``\\A``, ``\\Z``), in Python.

What remains different is refused when the spec is loaded (``re.error``), never silently
changed: variable-length lookbehind, for example, which Python's ``re`` does not support.
"""

from __future__ import annotations

import functools
import re

from shared.evals._js import JS_WHITESPACE_CLASS

_CLASS_ESCAPES = {"d": "0-9", "w": "A-Za-z0-9_", "s": JS_WHITESPACE_CLASS}
_OUTSIDE_ESCAPES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
    "s": f"[{JS_WHITESPACE_CLASS}]",
    "S": f"[^{JS_WHITESPACE_CLASS}]",
}
# Escapes with a meaning in a JavaScript pattern without flags; any other letter is literal.
_JS_LETTER_ESCAPES = set("dDwWsSbBfnrtvcxuk")
_HEX = set("0123456789abcdefABCDEF")


def translate(pattern: str) -> str:
    """The Python ``re`` pattern (to compile with ``re.ASCII``) matching what ``pattern`` does."""
    out: list[str] = []
    in_class = False
    i = 0
    n = len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if in_class and nxt in _CLASS_ESCAPES:
                out.append(_CLASS_ESCAPES[nxt])
            elif not in_class and nxt in _OUTSIDE_ESCAPES:
                out.append(_OUTSIDE_ESCAPES[nxt])
            elif nxt == "k" and i + 2 < n and pattern[i + 2] == "<":
                end = pattern.find(">", i + 3)
                if end < 0:
                    out.append("k")
                else:
                    out.append(f"(?P={pattern[i + 3 : end]})")
                    i = end + 1
                    continue
            elif nxt == "c" and i + 2 < n and pattern[i + 2].isascii() and pattern[i + 2].isalpha():
                out.append(re.escape(chr(ord(pattern[i + 2]) % 32)))
                i += 3
                continue
            elif nxt == "x" and not (set(pattern[i + 2 : i + 4]) <= _HEX and i + 4 <= n):
                out.append("x")
            elif nxt == "u" and not (set(pattern[i + 2 : i + 6]) <= _HEX and i + 6 <= n):
                out.append("u")
            elif nxt.isascii() and nxt.isalpha() and nxt not in _JS_LETTER_ESCAPES:
                out.append(nxt)
            else:
                out.append(char + nxt)
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
        elif char == "[":
            if pattern.startswith("[^]", i):
                out.append("[\\s\\S]")
                i += 3
                continue
            if pattern.startswith("[]", i):
                out.append("(?!)")
                i += 2
                continue
            in_class = True
            out.append(char)
            # A leading ']' (or '^]') is literal in Python but closes an empty class in JS;
            # the two cases above already took the JavaScript meanings.
        elif char == "$":
            out.append("(?!(?s:.))")
        elif char == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        elif (
            char == "("
            and pattern.startswith("(?<", i)
            and pattern[i + 3 : i + 4] not in ("=", "!")
        ):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_js(pattern: str) -> re.Pattern[str]:
    """Compile a JavaScript pattern.

    Raises:
        re.error: Python cannot express the pattern (or it is invalid in JavaScript too).
    """
    return re.compile(translate(pattern), re.ASCII)
