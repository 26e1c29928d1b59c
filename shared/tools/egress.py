"""Where agent tools and deliveries may send requests: public addresses only.

A destination is refused when its host is a metadata-server name, or when any address it resolves
to is not globally routable (private ranges, loopback, link-local including 169.254.169.254,
unique-local, reserved, multicast) unless the operator allowed that network explicitly
(``SWITCHYARD_EGRESS_ALLOWED_NETWORKS``, for the local demo). Ranges follow Python's
``ipaddress.is_global``, i.e. the IANA special-purpose registries (RFC 6890).

This check resolves the name and then the HTTP client resolves it again, so a DNS answer that
changes in between (rebinding) is not caught; pinning the resolved address is the integration
proxy's job (issue 6).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import httpx

from shared.errors import PermanentError, PolicyViolationError

METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog"})
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Sequence[str]) -> tuple[IPNetwork, ...]:
    """``["127.0.0.0/8"]`` → networks; raises ``ValueError`` on a malformed block."""
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


def check_destination(url: str, allowed_networks: Sequence[IPNetwork] = ()) -> None:
    """Refuse ``url`` unless it is http(s) to a host whose every address may be reached.

    Args:
        url: Absolute URL.
        allowed_networks: Non-public networks that are nevertheless allowed.

    Raises:
        PermanentError: Code ``invalid_url``: not an absolute http(s) URL.
        PolicyViolationError: Code ``egress_refused``: metadata host, a non-public address, or a
            name that does not resolve.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise PermanentError("invalid_url", f"invalid URL: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise PermanentError("invalid_url", f"{url!r} is not an absolute http(s) URL")
    host = parsed.host.rstrip(".").lower()
    if host in METADATA_HOSTS:
        raise PolicyViolationError("egress_refused", f"{host} is the metadata server")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise PolicyViolationError("egress_refused", f"{host} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address.is_global or any(address in network for network in allowed_networks):
            continue
        raise PolicyViolationError(
            "egress_refused", f"{host} resolves to {address}, which is not a public address"
        )
