"""``is-xml`` and ``contains-xml``, with optional required elements, as promptfoo 0.123 checks them.

Sources: promptfoo ``src/assertions/xml.ts``;
https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/#is-xml.

- ``is-xml``: the whole output is one well-formed, namespace-well-formed XML document (promptfoo
  uses the strict ``saxes`` parser; here the standard library's expat). A DOCTYPE with an
  internal subset is refused (it could define entities), as promptfoo refuses it.
- ``contains-xml``: some balanced run of tags in the output (promptfoo's candidate scanner,
  ported below) parses as XML.
- ``value`` names elements that must be present, as dotted paths from the root
  (``"analysis.classification"``, ``"items.item.1"``): a comma-separated string, a list, or
  ``{requiredElements: [...]}``. Paths walk the object promptfoo builds with fast-xml-parser:
  repeated siblings form a list, attributes are ``@_name``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from shared.evals._js import js_is_space
from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

_INTERNAL_SUBSET = "DTD internal subsets are not supported by is-xml validation"


class _Refused(Exception):
    pass


def _parse(text: str, *, namespaces: bool, lenient_entities: bool = False) -> dict[str, Any]:
    """Parse ``text``; return the fast-xml-parser-like object of its elements.

    ``lenient_entities`` lets undefined entity references through (as if an external DTD
    declared them), as fast-xml-parser does for ``contains-xml`` candidates.

    Raises:
        expat.ExpatError: Not well-formed.
        _Refused: A DOCTYPE with an internal subset.
    """
    parser = expat.ParserCreate(namespace_separator=" " if namespaces else None)
    if lenient_entities:
        parser.UseForeignDTD(True)
    root: dict[str, Any] = {}
    stack: list[dict[str, Any]] = [root]
    names: list[str] = []

    def doctype(_name: str, _sys: str | None, _pub: str | None, internal: int) -> None:
        if internal:
            raise _Refused(_INTERNAL_SUBSET)

    def start(name: str, attributes: dict[str, str]) -> None:
        node: dict[str, Any] = {f"@_{key}": value for key, value in attributes.items()}
        stack.append(node)
        names.append(name)

    def end(_name: str) -> None:
        node = stack.pop()
        name = names.pop()
        value: Any = node if node else ""
        parent = stack[-1]
        if name in parent:
            existing = parent[name]
            parent[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            parent[name] = value

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(text, True)
    return root


def _missing(parsed: dict[str, Any], required: list[str] | None) -> list[str]:
    missing = []
    for element in required or []:
        current: Any = parsed
        for key in element.split("."):
            if isinstance(current, list):
                if not (key.isdigit() and str(int(key)) == key and int(key) < len(current)):
                    current = None
                    break
                current = current[int(key)]
            elif isinstance(current, dict) and key in current:
                current = current[key]
            else:
                current = None
                break
        if current is None:
            missing.append(element)
    return missing


@dataclass(frozen=True)
class _Validity:
    valid: bool
    reason: str
    well_formed: bool = False


def _validate_candidate(
    text: str, required: list[str] | None, *, lenient: bool = False
) -> _Validity:
    try:
        parsed = _parse(text, namespaces=False, lenient_entities=lenient)
    except (expat.ExpatError, _Refused) as error:
        return _Validity(False, f"XML parsing failed: {error}")
    missing = _missing(parsed, required)
    if missing:
        return _Validity(False, f"XML is missing required elements: {', '.join(missing)}", True)
    return _Validity(True, "XML is valid and contains all required elements", True)


def validate_xml(text: str, required: list[str] | None) -> _Validity:
    """Whether the whole of ``text`` is XML holding the ``required`` element paths."""
    try:
        _parse(text, namespaces=True)
    except _Refused:
        return _Validity(False, _INTERNAL_SUBSET)
    except expat.ExpatError as error:
        return _Validity(False, f"XML parsing failed: {expat.ErrorString(error.code)}")
    return _validate_candidate(text, required)


def contains_xml(text: str, required: list[str] | None) -> _Validity:
    """Whether some part of ``text`` is XML holding the ``required`` element paths."""
    candidates = _candidates(text)
    if not candidates:
        return _Validity(False, "No XML content found in the output")
    well_formed: list[tuple[int, int]] = []
    for start, end in candidates:
        if any(start >= s and end <= e for s, e in well_formed):
            continue
        result = _validate_candidate(text[start:end], required, lenient=True)
        if result.valid:
            return result
        if result.well_formed:
            well_formed.append((start, end))
    return _Validity(False, "No valid XML content found matching the requirements")


# --- promptfoo's candidate scanner (extractXmlCandidates, orderXmlCandidates) ----------------


def _name_start(char: str) -> bool:
    c = ord(char)
    return (
        char in ":_"
        or "A" <= char <= "Z"
        or "a" <= char <= "z"
        or 0xC0 <= c <= 0xD6
        or 0xD8 <= c <= 0xF6
        or 0xF8 <= c <= 0x2FF
        or 0x370 <= c <= 0x37D
        or 0x37F <= c <= 0x1FFF
        or 0x200C <= c <= 0x200D
        or 0x2070 <= c <= 0x218F
        or 0x2C00 <= c <= 0x2FEF
        or 0x3001 <= c <= 0xD7FF
        or 0xF900 <= c <= 0xFDCF
        or 0xFDF0 <= c <= 0xFFFD
        or 0x10000 <= c <= 0xEFFFF
    )


def _name_char(char: str) -> bool:
    c = ord(char)
    return (
        _name_start(char)
        or char in "-."
        or "0" <= char <= "9"
        or c == 0xB7
        or 0x300 <= c <= 0x36F
        or 0x203F <= c <= 0x2040
    )


def _read_name(text: str, start: int) -> str | None:
    if start >= len(text) or not _name_start(text[start]):
        return None
    end = start + 1
    while end < len(text) and _name_char(text[end]):
        end += 1
    return text[start:end]


def _tag_end(text: str, start: int) -> int:
    quote = ""
    for i in range(start + 1, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "<":
            return -1
        elif char == ">":
            return i
    return -1


def _delimited_end(text: str, start: int, delimiter: str) -> int:
    found = text.find(delimiter, start)
    return len(text) - 1 if found < 0 else found + len(delimiter) - 1


def _declaration_end(text: str, start: int) -> int:
    if text.startswith("<!--", start):
        return _delimited_end(text, start + 4, "-->")
    if text.startswith("<![CDATA[", start):
        return _delimited_end(text, start + 9, "]]>")
    quote, depth = "", 0
    for i in range(start + 2, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]" and depth > 0:
            depth -= 1
        elif char == ">" and depth == 0:
            return i
    return len(text) - 1


def _read_tag(text: str, start: int) -> tuple[str, int, str, bool] | None:
    """(kind, end, name, self_closing) of the tag at ``start``, or None."""
    nxt = text[start + 1 : start + 2]
    if not nxt:
        return None
    if nxt == "!":
        return "declaration", _declaration_end(text, start), "", False
    if nxt == "?":
        return "declaration", _delimited_end(text, start + 2, "?>"), "", False
    closing = nxt == "/"
    name = _read_name(text, start + (2 if closing else 1))
    if name is None:
        return None
    end = _tag_end(text, start)
    if end < 0:
        return None
    if closing:
        return "closing", end, name, False
    last = end - 1
    while last > start and js_is_space(text[last]):
        last -= 1
    return "opening", end, name, text[last] == "/"


def _candidates(text: str) -> list[tuple[int, int]]:
    stack: list[tuple[str, int]] = []
    found: list[tuple[int, int, int | None]] = []
    i = 0
    while i < len(text):
        if text[i] != "<":
            i += 1
            continue
        tag = _read_tag(text, i)
        if tag is None:
            i += 1
            continue
        kind, end, name, self_closing = tag
        parent = stack[-1][1] if stack else None
        if kind == "opening":
            if self_closing:
                found.append((i, end + 1, parent))
            else:
                stack.append((name, i))
        elif kind == "closing":
            if stack and stack[-1][0] == name:
                _, start = stack.pop()
                found.append((start, end + 1, stack[-1][1] if stack else None))
            else:
                stack.clear()
        i = end + 1
    return _order(found)


def _order(found: list[tuple[int, int, int | None]]) -> list[tuple[int, int]]:
    ordered: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    starts = {start for start, _, _ in found}
    by_parent: dict[int | None, list[tuple[int, int, int | None]]] = {}
    for candidate in found:
        by_parent.setdefault(candidate[2], []).append(candidate)

    def add(start: int, end: int) -> None:
        if (start, end) not in seen:
            seen.add((start, end))
            ordered.append((start, end))

    for parent, siblings in by_parent.items():
        if len(siblings) <= 1 or (parent is not None and parent in starts):
            continue
        siblings.sort(key=lambda c: (c[0], c[1]))
        add(siblings[0][0], siblings[-1][1])
    maximal = sorted(
        (c for c in found if c[2] is None or c[2] not in starts), key=lambda c: (c[0], -c[1])
    )
    for start, end, _ in maximal:
        add(start, end)
    return ordered


# --- the assertion -------------------------------------------------------------------------


def _required(assertion: Assertion) -> list[str] | None:
    value = assertion.value
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    if isinstance(value, list) and value:
        return [str(v) for v in value]
    if isinstance(value, dict) and value:
        return [str(v) for v in value["requiredElements"]]
    return None


def check_xml(check: Check) -> Outcome:
    """``is-xml`` on the whole output, ``contains-xml`` on its parts."""
    validate = validate_xml if check.base_type == "is-xml" else contains_xml
    result = validate(check.output, _required(check.assertion))
    return Outcome.binary(result.valid != check.inverse, result.reason)


def validate_xml_value(assertion: Assertion) -> None:
    """Required elements: a string, a list, or ``{requiredElements: [...]}``."""
    value = assertion.value
    if value is None or isinstance(value, str | list):
        return
    if isinstance(value, dict) and (not value or isinstance(value.get("requiredElements"), list)):
        return
    raise AssertionValueError("xml assertion must contain a string, array value, or no value")
