"""The bare baselines: a Flask "hello" app and a "hello" CloudEvent function.

:mod:`benchmarks.servers` serves them with the very command lines the local stack uses for the
API (gunicorn) and for the functions (functions-framework), with only the target swapped.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def hello() -> str:
    """Answer ``hello``."""
    return "hello"


def hello_event(_event: Any) -> None:
    """Accept a CloudEvent and do nothing."""
