"""The WSGI entry point: ``gunicorn -k gthread --threads 8 cloudrun.api.main:app``.

Threads, because each SSE stream holds a worker thread for its whole life. Dependencies are
built on the first request, not on import.
"""

from __future__ import annotations

from cloudrun.api import create_app

app = create_app()
