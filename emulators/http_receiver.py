"""A local HTTP endpoint that records what it receives: the outside world's stand-in.

Tests, benchmarks and the demo point pushes, Cloud Tasks, webhooks and tool calls at it and read
back what arrived, when, and how many requests were in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it.

    Attributes:
        method: HTTP method.
        path: Path with query string.
        headers: Header names lower-cased to values.
        body: Raw body bytes.
        received_at: ``time.monotonic()`` when the request arrived, in seconds.
        attempt: How many requests to the same ``path`` arrived before this one (0 for the
            first), so a responder can fail the first attempts of a retried delivery.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    attempt: int = 0


Responder = Callable[[ReceivedRequest], tuple[int, dict[str, str], bytes]]


def _ok(_request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, b"ok"


@dataclass
class HttpReceiver:
    """Records requests; ``responder`` decides each answer; tracks the peak of concurrent requests.

    Attributes:
        responder: ``responder(request) -> (status, headers, body)``; 200 "ok" by default.
        hold_s: Seconds each request is held before it is answered (to observe concurrency).
        requests: Every request answered, in the order they were answered.
        peak_in_flight: The largest number of requests being handled at once.
    """

    responder: Responder = _ok
    hold_s: float = 0.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    peak_in_flight: int = 0
    _in_flight: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""
    _arrivals: dict[str, int] = field(default_factory=dict)  # path -> requests arrived so far

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        payload = handler.rfile.read(length) if length else b""
        received_at = time.monotonic()
        with self._lock:
            attempt = self._arrivals.get(handler.path, 0)
            self._arrivals[handler.path] = attempt + 1
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        request = ReceivedRequest(
            method=handler.command,
            path=handler.path,
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=payload,
            received_at=received_at,
            attempt=attempt,
        )
        try:
            if self.hold_s:
                time.sleep(self.hold_s)  # simulates a slow target; not a test wait
            status, headers, body = self.responder(request)
        finally:
            with self._lock:
                self._in_flight -= 1
                self.requests.append(request)
                self._lock.notify_all()
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def wait_for(
        self, count: int, timeout_s: float, path: str | None = None
    ) -> list[ReceivedRequest]:
        """Block until ``count`` requests have been answered or ``timeout_s`` seconds pass.

        Args:
            count: Requests to wait for.
            timeout_s: Seconds to wait at most.
            path: Count only requests to this path (with its query string); None counts all.

        Returns:
            A copy of the requests answered so far (to ``path`` when given), possibly fewer
            than ``count``.
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(answered := self._answered(path)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return answered

    def arrived(self, path: str) -> int:
        """How many requests to ``path`` have arrived, answered or still being handled."""
        with self._lock:
            return self._arrivals.get(path, 0)

    def _answered(self, path: str | None) -> list[ReceivedRequest]:
        return [request for request in self.requests if path is None or request.path == path]


@contextmanager
def serve(receiver: HttpReceiver, host: str = "127.0.0.1") -> Iterator[HttpReceiver]:
    """Serve ``receiver`` on a free port of ``host``; sets ``receiver.url`` to its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            receiver._handle(self)

        do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://{host}:{server.server_address[1]}"
    # A short poll interval, so leaving the block (once per test) takes milliseconds, not 0.5 s.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
