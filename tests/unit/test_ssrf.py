"""SSRF probes against the proxy's HTTP client: every one refused, no connection made.

A raw TCP listener on 127.0.0.1 counts the connections it accepts, and a spy on
``socket.create_connection`` records every address the client dials: a probe passes only when
it is refused with ``egress_refused`` (or rejected as an invalid URL) *and* neither saw it. DNS
names are answered by a scripted resolver, the way a hostile DNS server would answer them.
Redirect probes start at a permitted server on 127.0.0.2 (the only allowed network in those
cases) that redirects to the forbidden target.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from shared.errors import PermanentError, PolicyViolationError
from shared.tools.egress import parse_networks
from shared.tools.safe_http import safe_client, send

LISTENER = "__LISTENER__"  # replaced by the listener's port

# name -> the addresses a hostile DNS answers with
HOSTILE_DNS = {
    "localhost.example": ["127.0.0.1"],
    "internal.example": ["10.0.0.5"],
    "v6-loopback.example": ["::1"],
    "meta.example": ["169.254.169.254"],
    "meta6.example": ["fd00:ec2::254"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "mixed.example": ["93.184.216.34", "127.0.0.1"],  # one bad answer spoils the name
    "zero.example": ["0.0.0.0"],
    "cgnat.example": ["100.64.1.1"],
}

DIRECT_PROBES = [
    # loopback, every spelling, straight at the listener
    f"http://127.0.0.1:{LISTENER}/",
    f"http://localhost:{LISTENER}/",
    f"http://LOCALHOST:{LISTENER}/",
    f"http://127.1:{LISTENER}/",
    f"http://2130706433:{LISTENER}/",
    f"http://0x7f000001:{LISTENER}/",
    f"http://0177.0.0.1:{LISTENER}/",
    f"http://0.0.0.0:{LISTENER}/",
    f"http://[::1]:{LISTENER}/",
    f"http://[::ffff:127.0.0.1]:{LISTENER}/",
    f"http://[::ffff:7f00:1]:{LISTENER}/",
    f"http://localhost.example:{LISTENER}/",
    f"http://mapped.example:{LISTENER}/",
    f"http://mixed.example:{LISTENER}/",
    f"http://zero.example:{LISTENER}/",
    # private, shared, link-local, unique-local, reserved, multicast
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.1.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://internal.example/",
    "http://v6-loopback.example/",
    "http://cgnat.example/",
    # the metadata server in every spelling
    "http://169.254.169.254/computeMetadata/v1/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata.google.internal./computeMetadata/v1/",
    "http://METADATA.Google.Internal/",
    "http://metadata/",
    "http://metadata.goog/",
    "http://2852039166/",
    "http://0xA9FEA9FE/",
    "http://0251.0376.0251.0376/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "http://meta.example/",
    "http://meta6.example/",
    # not http at all
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/",
]

REDIRECT_TARGETS = [
    f"http://127.0.0.1:{LISTENER}/",
    f"http://localhost:{LISTENER}/",
    f"http://2130706433:{LISTENER}/",
    f"http://[::1]:{LISTENER}/",
    f"http://localhost.example:{LISTENER}/",
    "http://169.254.169.254/computeMetadata/v1/",
    "http://metadata.google.internal/",
    "http://[fd00:ec2::254]/",
    "http://10.0.0.1/",
    "file:///etc/passwd",
]

# The local stack allows 127.0.0.0/8; metadata and other private ranges stay refused.
LOCAL_STACK_PROBES = [
    "http://169.254.169.254/",
    "http://2852039166/",
    "http://metadata.google.internal/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:169.254.169.254]/",
    "http://10.0.0.1/",
    "http://192.168.0.1/",
    f"http://[::1]:{LISTENER}/",
]


@dataclass
class Listener:
    """A TCP listener that counts the connections it accepts."""

    port: int = 0
    accepted: int = 0
    _socket: socket.socket | None = None

    def start(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self._socket is not None
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def stop(self) -> None:
        assert self._socket is not None
        self._socket.close()


@dataclass
class Network:
    listener: Listener
    redirector: HttpReceiver
    dialled: list[Any] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    def resolver(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        self.resolved.append(host)
        if host in HOSTILE_DNS:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in HOSTILE_DNS[host]
            ]
        return socket.getaddrinfo(host, port, *args, **kwargs)

    def url(self, template: str) -> str:
        return template.replace(LISTENER, str(self.listener.port))


def _redirect(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    return 302, {"location": request.path.split("to=", 1)[1]}, b""


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    listener = Listener()
    listener.start()
    redirector = HttpReceiver(responder=_redirect)
    with ExitStack() as stack:
        stack.callback(listener.stop)
        stack.enter_context(serve(redirector, host="127.0.0.2"))
        net = Network(listener, redirector)
        real_connect = socket.create_connection

        def spy(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            net.dialled.append(address)
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "create_connection", spy)
        yield net


def _refused(net: Network, url: str, allowed: tuple[str, ...] = ()) -> PermanentError:
    client = safe_client(parse_networks(allowed), resolver=net.resolver)
    with pytest.raises(PermanentError) as caught:
        send(client, "GET", url, timeout_s=2, max_bytes=1000)
    assert isinstance(caught.value, PolicyViolationError) or caught.value.code == "invalid_url"
    return caught.value


@pytest.mark.parametrize("probe", DIRECT_PROBES)
def test_a_direct_probe_is_refused_without_a_connection(network: Network, probe: str) -> None:
    refusal = _refused(network, network.url(probe))

    assert refusal.code in ("egress_refused", "invalid_url")
    assert network.dialled == []
    assert network.listener.accepted == 0


@pytest.mark.parametrize("target", REDIRECT_TARGETS)
def test_a_redirect_to_a_forbidden_target_is_refused(network: Network, target: str) -> None:
    start = f"{network.redirector.url}/go?to={network.url(target)}"

    refusal = _refused(network, start, allowed=("127.0.0.2/32",))

    assert refusal.code == "egress_refused"
    assert len(network.redirector.requests) == 1  # the permitted first hop was made
    assert [address[0] for address in network.dialled] == ["127.0.0.2"]
    assert network.listener.accepted == 0


@pytest.mark.parametrize("probe", LOCAL_STACK_PROBES)
def test_the_local_stack_allow_list_never_opens_the_metadata_server(
    network: Network, probe: str
) -> None:
    refusal = _refused(network, network.url(probe), allowed=("127.0.0.0/8",))

    assert refusal.code == "egress_refused"
    assert network.dialled == []
    assert network.listener.accepted == 0


def test_the_resolved_address_is_pinned_so_dns_rebinding_cannot_switch_it(
    network: Network,
) -> None:
    # The first answer is the permitted server; a rebinding DNS then answers the listener.
    page = HttpReceiver()
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        network.resolved.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    with serve(page, host="127.0.0.2"):
        port = page.url.rsplit(":", 1)[1]
        client = safe_client(parse_networks(["127.0.0.2/32"]), resolver=rebinding)
        fetched = send(client, "GET", f"http://rebind.example:{port}/p", timeout_s=2,
                       max_bytes=100)  # fmt: skip

    assert fetched.status == 200
    assert network.resolved == ["rebind.example"]  # resolved once, by the connection itself
    assert [address[0] for address in network.dialled] == ["127.0.0.2"]
    assert page.requests[0].headers["host"] == f"rebind.example:{port}"  # Host kept
    assert network.listener.accepted == 0


def test_size_cap_truncates_and_allowed_redirects_are_followed(network: Network) -> None:
    page = HttpReceiver(responder=lambda _r: (200, {}, b"x" * 5000))
    with serve(page, host="127.0.0.2"):
        client = safe_client(parse_networks(["127.0.0.2/32"]), resolver=network.resolver)
        fetched = send(client, "GET", f"{network.redirector.url}/go?to={page.url}/big",
                       timeout_s=2, max_bytes=100)  # fmt: skip

    assert fetched.status == 200 and fetched.url == f"{page.url}/big"
    assert fetched.truncated and len(fetched.body) == 100


def test_credentials_are_not_carried_across_origins(network: Network) -> None:
    page = HttpReceiver()
    with serve(page, host="127.0.0.2"):
        client = safe_client(parse_networks(["127.0.0.2/32"]), resolver=network.resolver)
        send(client, "GET", f"{network.redirector.url}/go?to={page.url}/p", timeout_s=2,
             max_bytes=100, headers={"X-Api-Key": "k", "Accept": "text/plain"},
             credential_headers=["x-api-key"])  # fmt: skip

    assert "x-api-key" in network.redirector.requests[0].headers
    assert "x-api-key" not in page.requests[0].headers
    assert page.requests[0].headers["accept"] == "text/plain"


def test_the_suite_has_at_least_thirty_probes() -> None:
    assert len(DIRECT_PROBES) + len(REDIRECT_TARGETS) + len(LOCAL_STACK_PROBES) >= 30
