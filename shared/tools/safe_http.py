"""The one HTTP client of the integration proxy: SSRF-safe, with size and time caps.

Every connection it opens goes to an address :func:`shared.tools.egress.resolve_checked`
approved in the same breath: the network backend resolves the host once, checks every address
and connects to the first one, while TLS still verifies (and SNI names) the URL's host, so a DNS
answer that changes between check and connect (rebinding) cannot redirect the request.
Redirects are followed by :func:`send` one hop at a time, so each hop passes the same check
(and the caller's own, e.g. the tool's allow-list), and credentials are not carried across
origins.

Why not a library: ``httpx-secure`` guards ``httpx.AsyncClient`` only and the tools run sync;
``advocate`` wraps ``requests`` and is unmaintained since 2020. The pinning is one method of
httpcore's network backend, which httpcore documents as its extension point.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

import httpcore
import httpx

from shared.errors import PermanentError, PolicyViolationError, RateLimitedError, TransientError
from shared.tools.egress import IPNetwork, Resolver, check_host_name, resolve_checked

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class PinnedNetworkBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to checked addresses."""

    def __init__(self, allowed_networks: Sequence[IPNetwork], resolver: Resolver) -> None:
        self._allowed = tuple(allowed_networks)
        self._resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve ``host`` once, refuse unless every address passes, connect to the first.

        Raises:
            PolicyViolationError: Code ``egress_refused``.
            httpcore.ConnectError: The checked address did not accept the connection.
        """
        address = resolve_checked(host, port, self._allowed, self._resolver)
        return super().connect_tcp(str(address), port, timeout, local_address, socket_options)


class SafeTransport(httpx.HTTPTransport):
    """An ``httpx`` transport whose every connection goes through :class:`PinnedNetworkBackend`.

    Proxies from the environment are never used (they would connect on the tool's behalf).
    """

    def __init__(
        self, allowed_networks: Sequence[IPNetwork] = (), resolver: Resolver | None = None
    ) -> None:
        super().__init__(trust_env=False)
        # HTTPTransport builds its pool without a network_backend argument; this is the same
        # pool with the pinned backend (httpcore.ConnectionPool's documented parameter).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=PinnedNetworkBackend(allowed_networks, resolver or socket.getaddrinfo),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse non-http(s) URLs and metadata host names before any resolution."""
        if request.url.scheme not in ("http", "https"):
            raise PolicyViolationError("egress_refused", f"scheme {request.url.scheme!r}")
        check_host_name(request.url.host)
        return super().handle_request(request)


def safe_client(
    allowed_networks: Sequence[IPNetwork] = (), resolver: Resolver | None = None
) -> httpx.Client:
    """A client on a :class:`SafeTransport`; it follows no redirects (see :func:`send`)."""
    return httpx.Client(
        transport=SafeTransport(allowed_networks, resolver),
        follow_redirects=False,
        trust_env=False,
    )


@lru_cache(maxsize=4)
def pooled_client(allowed_networks: tuple[IPNetwork, ...]) -> httpx.Client:
    """One pooled safe client per process (and allow-list)."""
    return safe_client(allowed_networks)


@dataclass(frozen=True)
class Fetched:
    """A response read within its caps.

    Attributes:
        status: HTTP status of the last hop.
        url: URL of the last hop.
        headers: Its headers.
        body: At most ``max_bytes`` bytes of its body.
        truncated: The body was longer.
        encoding: The charset the response declared, or ``utf-8``.
    """

    status: int
    url: str
    headers: Mapping[str, str]
    body: bytes
    truncated: bool
    encoding: str

    def text(self) -> str:
        """The body decoded, invalid bytes replaced."""
        return self.body.decode(self.encoding, "replace")

    def raise_for_retryable(self, what: str) -> None:
        """Raise when the target asked to be tried again later: a 429 or a 5xx.

        Args:
            what: The request, for the message (``"GET https://..."``, ``"Slack"``).

        Raises:
            RateLimitedError: Code ``tool_target_rate_limited`` (429) or
                ``tool_target_unavailable`` (5xx) when the answer names a delay in
                ``Retry-After`` (RFC 9110 §10.2.3: seconds or an HTTP date), so the tool's
                queue waits that long before its next attempt.
            TransientError: Code ``tool_target_unavailable``: a 429 or 5xx without a delay;
                the queue's own backoff applies.
        """
        if self.status != 429 and self.status < 500:
            return
        code = "tool_target_rate_limited" if self.status == 429 else "tool_target_unavailable"
        message = f"{what} answered {self.status}"
        delay_s = retry_after_s(self.headers.get("retry-after"))
        if delay_s is not None:
            raise RateLimitedError(code, f"{message}; retry after {delay_s:.0f} s", delay_s)
        raise TransientError("tool_target_unavailable", message)


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (RFC 9110 §10.2.3).

    Args:
        value: The header: delay-seconds (``"120"``) or an HTTP date
            (``"Wed, 21 Oct 2015 07:28:00 GMT"``); None when absent.
        now: The current time (UTC) for a date; the wall clock by default.

    Returns:
        The delay in seconds (0 for a date in the past), or None when absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdecimal():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 850 and asctime dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout_s: float,
    max_bytes: int,
    check_hop: Callable[[httpx.URL], None] | None = None,
    credential_headers: Iterable[str] = (),
    max_redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """Send a request and follow its redirects, each hop checked, within size and time caps.

    Args:
        client: A :func:`safe_client` (its transport refuses non-public addresses).
        method: HTTP method.
        url: Absolute http(s) URL.
        headers: Request headers.
        content: Request body.
        timeout_s: Time limit of the whole exchange, all hops and the body, in seconds.
        max_bytes: Most body bytes read, in bytes.
        check_hop: Called with every URL before it is requested (the first one too); raises to
            refuse it.
        credential_headers: Header names dropped when a redirect leaves the first origin.
        max_redirects: Most redirects followed.

    Returns:
        The last hop's response.

    Raises:
        PermanentError: Code ``invalid_url``; ``too_many_redirects``.
        PolicyViolationError: Code ``egress_refused`` (from the transport) or the
            ``check_hop``'s.
        TransientError: Code ``tool_target_unavailable``: connection failure or timeout.
    """
    deadline = time.monotonic() + timeout_s
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise PermanentError("invalid_url", f"invalid URL: {error}") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise PermanentError("invalid_url", f"{url!r} is not an absolute http(s) URL")
    origin = (target.scheme, target.host, target.port)
    sent = dict(headers or {})
    dropped = {name.lower() for name in credential_headers}
    for _hop in range(max_redirects + 1):
        if check_hop is not None:
            check_hop(target)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransientError("tool_target_unavailable", f"{target.host} timed out")
        try:
            with client.stream(
                method, target, headers=sent, content=content, timeout=remaining
            ) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes or time.monotonic() > deadline:
                        break
        except httpx.HTTPError as error:
            raise TransientError(
                "tool_target_unavailable", f"{method} {target.host} failed: {error}"
            ) from None
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return Fetched(
                status=response.status_code,
                url=str(target),
                headers=dict(response.headers),
                body=bytes(body[:max_bytes]),
                truncated=len(body) > max_bytes,
                encoding=response.encoding or "utf-8",
            )
        try:
            target = target.join(location)
        except httpx.InvalidURL as error:
            raise PermanentError("invalid_url", f"bad redirect: {error}") from None
        if (target.scheme, target.host, target.port) != origin:
            sent = {k: v for k, v in sent.items() if k.lower() not in dropped}
        if response.status_code == 303 or (response.status_code in (301, 302) and method != "HEAD"):
            method, content = "GET", None
    raise PermanentError("too_many_redirects", f"more than {max_redirects} redirects")
