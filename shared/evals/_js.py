"""JavaScript string semantics that promptfoo's assertions rely on, in Python.

promptfoo is TypeScript, so "trim", "split on whitespace", ``String(value)`` and string length
mean what ECMAScript says they mean. These helpers reproduce those meanings so that an assertion
passes here exactly when it passes there:

- ECMAScript's ``\\s`` and ``String.prototype.trim`` use the WhiteSpace and LineTerminator sets
  (ECMA-262 §12.2, §12.3), which differ from Python's ``str.isspace`` (Python counts
  U+001C-U+001F and U+0085; JavaScript counts U+FEFF).
- ``String(1.0)`` is ``"1"``, ``String(true)`` is ``"true"``, ``String(null)`` is ``"null"``.
- JavaScript strings are UTF-16: lengths and edit distances count code units, so an emoji
  counts twice.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# ECMA-262 WhiteSpace + LineTerminator: what /\s/ matches and String.prototype.trim removes.
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
JS_WHITESPACE_CLASS = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_SPLIT = re.compile(f"[{JS_WHITESPACE_CLASS}]+")


def js_trim(text: str) -> str:
    """``text.trim()`` as JavaScript trims (its whitespace set, not Python's)."""
    return text.strip(JS_WHITESPACE)


def js_split_whitespace(text: str) -> list[str]:
    """``text.split(/\\s+/)``: may yield empty strings at either end, as JavaScript does."""
    return _SPLIT.split(text)


def js_is_space(char: str) -> bool:
    """Whether ``/\\s/.test(char)`` holds for one character."""
    return char != "" and char in JS_WHITESPACE


def js_number(value: float | int) -> str:
    """``String(number)`` for the values a spec can hold (ECMA-262 Number::toString)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa.removesuffix('.0')}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def js_string(value: Any) -> str:
    """``String(value)`` for JSON-like values (arrays join with commas, objects are opaque)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return js_number(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


def js_json(value: Any) -> str:
    """``JSON.stringify(value)`` (compact, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def utf16_units(text: str) -> list[int]:
    """The UTF-16 code units of ``text``, as JavaScript indexes a string."""
    data = text.encode("utf-16-le", "surrogatepass")
    return [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]


def utf16_length(text: str) -> int:
    """``text.length`` in JavaScript."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def levenshtein(a: str, b: str) -> int:
    """Edit distance over UTF-16 code units, as npm ``fastest-levenshtein`` computes it.

    Myers' bit-parallel algorithm (J. ACM 46(3), 1999; Hyyrö's formulation), which is what
    fastest-levenshtein implements, on Python integers of any width: O(len(a)) big-integer
    steps instead of the O(len(a)·len(b)) table.
    """
    pattern, text = utf16_units(a), utf16_units(b)
    if len(pattern) < len(text):
        pattern, text = text, pattern
    if not text:
        return len(pattern)
    # Bit i of masks[c] is set when pattern[i] == c.
    masks: dict[int, int] = {}
    for index, unit in enumerate(pattern):
        masks[unit] = masks.get(unit, 0) | (1 << index)
    width = len(pattern)
    full = (1 << width) - 1
    top = 1 << (width - 1)
    vp, vn, distance = full, 0, width
    for unit in text:
        eq = masks.get(unit, 0)
        xv = eq | vn
        xh = ((((eq & vp) + vp) & full) ^ vp) | eq
        hp = vn | ~(xh | vp) & full
        hn = vp & xh
        if hp & top:
            distance += 1
        elif hn & top:
            distance -= 1
        hp = ((hp << 1) | 1) & full
        hn = (hn << 1) & full
        vp = hn | ~(xv | hp) & full
        vn = hp & xv
    return distance
