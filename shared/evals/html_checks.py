"""``is-html`` and ``contains-html``, as promptfoo 0.123 checks them.

Sources: promptfoo ``src/assertions/html.ts``;
https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/#is-html.

- ``contains-html``: promptfoo's heuristic, ported as is: at least two "indicators" among an
  opening tag, a closing tag, a self-closing tag, an entity, a doctype, a comment, an attribute
  and a well-known tag name.
- ``is-html``: the trimmed output is not empty, does not start with ``<?xml``, holds at least one
  element a person wrote (a standard HTML element or a custom element with a dash; ``html``,
  ``head`` and ``body`` only when written explicitly), and has no bare text outside elements
  unless it wrote its own ``<body>``.

promptfoo builds the HTML5 tree with parse5; this module follows the same tree-building rules
that decide the verdict (implied ``html``/``head``/``body``, void elements, raw-text elements,
text in a table moved before it) with the standard library's tokenizer instead of a full HTML5
parser, so exotic markup (mis-nested formatting elements, ``<frameset>``) may be judged
differently.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from shared.evals._js import JS_WHITESPACE_CLASS, js_trim, utf16_length
from shared.evals.results import Check, Outcome

MAX_INPUT_SIZE = 10 * 1024 * 1024  # characters (UTF-16 code units), as promptfoo

_S = f"[{JS_WHITESPACE_CLASS}]"
_INDICATORS = (
    (re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(?:" + _S + r"[^>]*)?/>"), 1),
    (re.compile(r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);"), 1),
    (re.compile(r"<!DOCTYPE" + _S + r"+html", re.IGNORECASE | re.ASCII), 2),
    (re.compile(r"<!--[^-]*(?:-[^-]+)*-->"), 1),
    (re.compile(_S + r"[a-zA-Z-]+=" + _S + r"*[\"'][^\"']*[\"']"), 1),
    (
        re.compile(
            r"<(html|head|body|div|span|p|a|img|h[1-6]|ul|ol|li|table|tr|td|th|form|input|button"
            r"|script|style|link|meta|br|hr)\b",
            re.IGNORECASE | re.ASCII,
        ),
        2,
    ),
)
_OPENING = re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(?:" + _S + r"[^>]*)?>")
_CLOSING = re.compile(r"</[a-zA-Z][a-zA-Z0-9-]*" + _S + r"*>")


def contains_html(text: str) -> bool:
    """promptfoo's ``containsHtml`` heuristic."""
    if utf16_length(text) > MAX_INPUT_SIZE:
        return False
    opening, closing = bool(_OPENING.search(text)), bool(_CLOSING.search(text))
    score = 2 if opening and closing else 1 if opening or closing else 0
    score += sum(points for pattern, points in _INDICATORS if pattern.search(text))
    return score >= 2


VALID_HTML_ELEMENTS = frozenset(
    (
        "html", "head", "title", "base", "link", "meta", "style", "body", "article", "section",
        "nav", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "address", "p",
        "hr", "pre", "blockquote", "ol", "ul", "li", "dl", "dt", "dd", "figure", "figcaption",
        "main", "div", "a", "em", "strong", "small", "s", "cite", "q", "dfn", "abbr", "ruby", "rt",
        "rp", "data", "time", "code", "var", "samp", "kbd", "sub", "sup", "i", "b", "u", "mark",
        "bdi", "bdo", "span", "br", "wbr", "img", "iframe", "embed", "object", "param", "picture",
        "source", "video", "audio", "track", "map", "area", "svg", "math", "script", "noscript",
        "canvas", "ins", "del", "table", "caption", "colgroup", "col", "tbody", "thead", "tfoot",
        "tr", "td", "th", "form", "label", "input", "button", "select", "datalist", "optgroup",
        "option", "textarea", "output", "progress", "meter", "fieldset", "legend", "details",
        "summary", "dialog", "menu", "slot", "template",
    )
)  # fmt: skip
_WRAPPER_LITERALS = {
    name: re.compile(f"<{name}(?=[{JS_WHITESPACE_CLASS}>/])") for name in ("html", "head", "body")
}
_VOID = frozenset(
    (
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen",
    )
)  # fmt: skip
_HEAD_CONTENT = frozenset(
    (
        "base", "basefont", "bgsound", "link", "meta", "title", "style", "script", "noscript",
        "template", "noframes",
    )
)  # fmt: skip
_TABLE_STRUCTURE = frozenset(["table", "tbody", "thead", "tfoot", "tr"])


class _TreeShape(HTMLParser):
    """Follows just enough of HTML5 tree construction to answer promptfoo's questions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.explicit: set[str] = set()
        self.body_implied = False
        self.seen_content = False  # anything but doctype, comments and whitespace
        self.head_implied = False
        self.top_level_text = False
        self.user_elements: list[str] = []

    def _imply_body(self) -> None:
        self.body_implied = True
        self.head_implied = True
        self.seen_content = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            if not self.seen_content:
                self.explicit.add("html")
            self.seen_content = True
            return
        if tag == "head":
            if not self.head_implied and not self.body_implied:
                self.explicit.add("head")
            self.seen_content = self.head_implied = True
            return
        if tag == "body":
            if not self.body_implied:
                self.explicit.add("body")
            self._imply_body()
            return
        if tag in _HEAD_CONTENT and not self.body_implied:
            self.seen_content = self.head_implied = True
        elif not self.body_implied:
            self._imply_body()
        self.user_elements.append(tag)
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag and tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not js_trim(data):
            return
        stack = self.stack
        if stack and stack[-1] in _TABLE_STRUCTURE:
            # Foster parenting: text directly in a table goes before the table.
            stack = stack[: max(i for i, t in enumerate(stack) if t == "table")]
        if not stack:
            self.top_level_text = True
            self._imply_body()


def validate_html(text: str) -> tuple[bool, str]:
    """promptfoo's ``validateHtml``: (valid, reason)."""
    trimmed = js_trim(text)
    if not trimmed:
        return False, "Output is empty"
    if utf16_length(trimmed) > MAX_INPUT_SIZE:
        return False, "Output exceeds maximum size limit"
    if re.match(f"{_S}*<\\?xml", trimmed, re.IGNORECASE):
        return False, "Output appears to be XML, not HTML"
    shape = _TreeShape()
    shape.feed(trimmed)
    shape.close()
    lowered = trimmed.lower()

    def written(wrapper: str) -> bool:
        return wrapper in shape.explicit and bool(_WRAPPER_LITERALS[wrapper].search(lowered))

    if not written("body") and shape.top_level_text:
        return False, "Output must be wrapped in HTML tags"
    user_written = any(
        tag in VALID_HTML_ELEMENTS or "-" in tag for tag in shape.user_elements
    ) or any(written(wrapper) for wrapper in ("html", "head", "body"))
    if not user_written:
        return False, "Output does not contain recognized HTML elements"
    return True, "Output is valid HTML"


def check_html(check: Check) -> Outcome:
    """``is-html`` or ``contains-html``; the value is not used."""
    inverse = check.inverse
    if check.base_type == "contains-html":
        return Outcome.binary(
            contains_html(check.output) != inverse,
            f"Expected output to {'not ' if inverse else ''}contain HTML content",
        )
    valid, reason = validate_html(check.output)
    return Outcome.binary(valid != inverse, reason)
