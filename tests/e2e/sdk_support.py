"""What the SDK and CLI end-to-end tests share: clients on a tenant, a proxy that drops streams,
and a product page that answers only when told to."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from emulators.http_receiver import ReceivedRequest
from examples.scenario import OutsideWorld

HELD_PAGE_S = 20.0  # longest a held page waits for release before answering anyway


@dataclass
class HeldPages:
    """A responder for the pages receiver that holds every request until :meth:`release`."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def __call__(self, request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
        self.arrived.set()
        self.released.wait(HELD_PAGE_S)
        return 200, {"content-type": "text/html"}, b"<p class=price>9.99 EUR</p>"

    def release(self) -> None:
        """Let every held request, and every later one, be answered."""
        self.released.set()


def hold_pages(world: OutsideWorld) -> HeldPages:
    """Make the world's product pages wait for :meth:`HeldPages.release`."""
    held = HeldPages()
    world.pages.responder = held
    return held


@dataclass
class DroppingProxy:
    """A TCP proxy to the API that cuts event streams after their first event, ``drops`` times.

    Attributes:
        upstream: The API's URL.
        drops: How many event streams to cut.
        url: The proxy's URL, once started.
        stream_requests: The head of every event-stream request that went through.
    """

    upstream: str
    drops: int = 1
    url: str = ""
    stream_requests: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _take_drop(self) -> bool:
        with self._lock:
            if self.drops <= 0:
                return False
            self.drops -= 1
            return True

    def _pipe(self, client: socket.socket) -> None:
        target = urlsplit(self.upstream)
        upstream = socket.create_connection((target.hostname, target.port or 80))
        streaming = threading.Event()
        cut = threading.Event()

        def forward_requests() -> None:
            while chunk := _recv(client):
                head = chunk.decode("latin-1")
                if "/events" in head.split("\r\n", 1)[0]:
                    self.stream_requests.append(head)
                    if self._take_drop():
                        streaming.set()
                upstream.sendall(chunk)
            _close(upstream)

        threading.Thread(target=forward_requests, daemon=True).start()
        while not cut.is_set() and (chunk := _recv(upstream)):
            client.sendall(chunk)
            if streaming.is_set() and b"\nid: " in b"\n" + chunk:
                cut.set()  # one event through, then the connection drops
        _close(client)
        _close(upstream)

    @contextmanager
    def running(self) -> Iterator[DroppingProxy]:
        """Serve on a free local port until the block ends."""
        listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"

        def accept() -> None:
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        try:
            yield self
        finally:
            listener.close()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
