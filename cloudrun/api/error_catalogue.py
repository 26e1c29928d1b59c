"""Every problem ``code`` the API can answer, found in the source rather than kept by hand.

A code is the first argument of an error of Switchyard's tree (``NotFoundError("agent_not_found",
...)``); its HTTP status is the class's ``http_status``, its description the message next to it.
Reading the source means a code added by any module is documented the moment it exists.
Werkzeug's own errors (unknown route, wrong method, body too large, ...) get their codes from
the reason phrase (:func:`cloudrun.api.problems.handle_http_exception`) and are listed here too.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from cloudrun.api.auth import InsufficientScopeError
from cloudrun.api.wire import InvalidRequestError
from shared import errors
from shared.auth.memberships import NotAMemberError

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("shared", "cloudrun")
_CLASSES: dict[str, type[errors.SwitchyardError]] = {
    cls.__name__: cls
    for cls in (
        errors.PermanentError,
        errors.ValidationError,
        errors.NotFoundError,
        errors.ConflictError,
        errors.UnauthenticatedError,
        errors.PolicyViolationError,
        errors.TransientError,
        errors.RateLimitedError,
        InsufficientScopeError,
        InvalidRequestError,
        NotAMemberError,
    )
}
_HTTP_CODES = {
    "bad_request": (400, "the request is malformed"),
    "not_found": (404, "no such route"),
    "method_not_allowed": (405, "the route does not take this method"),
    "request_entity_too_large": (413, "the body is larger than the limit"),
    "content_too_large": (413, "the body is larger than the limit"),
    "unsupported_media_type": (415, "the body's media type is not accepted"),
    "internal": (500, "an unexpected error occurred (never expected: report it)"),
}


@dataclass(frozen=True)
class ErrorCode:
    """One documented problem code.

    Attributes:
        code: The stable ``code`` member (also the end of ``type``).
        status: Its HTTP status.
        description: What it means (the message the source gives it).
    """

    code: str
    status: int
    description: str


def _message(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _message(part) if isinstance(part, ast.Constant) else "{...}" for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _message(node.left) + _message(node.right)
    return ""


def _found_in(path: Path) -> list[ErrorCode]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        first = node.args[0]
        if name in _CLASSES and isinstance(first, ast.Constant) and isinstance(first.value, str):
            cls = _CLASSES[name]
            message = _message(node.args[1] if len(node.args) > 1 else None)
            # A message built at run time: say what the error class means instead.
            fallback = (cls.__doc__ or "").strip().splitlines()[0]
            found.append(ErrorCode(first.value, cls.http_status, message or fallback))
    return found


@functools.cache
def error_catalogue() -> tuple[ErrorCode, ...]:
    """Every code, by code then status (a code raised with two statuses is listed twice)."""
    codes: dict[tuple[str, int], ErrorCode] = {
        (code, status): ErrorCode(code, status, text)
        for code, (status, text) in _HTTP_CODES.items()
    }
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for error in _found_in(path):
                codes.setdefault((error.code, error.status), error)
    return tuple(sorted(codes.values(), key=lambda error: (error.code, error.status)))
