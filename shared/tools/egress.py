"""Where agent tools and deliveries may send requests: public addresses only.

A destination is refused when its host is a metadata-server name, when it is a metadata-server
address in any spelling (``169.254.169.254``, ``2852039166``, ``0xa9fea9fe``,
``0251.0376.0251.0376``, ``[::ffff:169.254.169.254]``, ``[fd00:ec2::254]``: the resolver turns
every spelling into the address), or when any address it resolves to is not globally routable
(private ranges, loopback, link-local, unique-local, reserved, multicast) unless the operator
allowed that network explicitly (``SWITCHYARD_EGRESS_ALLOWED_NETWORKS``, for the local demo).
Metadata addresses are refused even inside an allowed network. Ranges follow Python's
``ipaddress.is_global``, i.e. the IANA special-purpose registries (RFC 6890).

:func:`check_destination` resolves the name and then the HTTP client resolves it again, so it
is only a pre-check (webhook deliveries). Tool calls use :mod:`shared.tools.safe_http`, which
connects to the very address :func:`resolve_checked` approved (no DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from shared.errors import PermanentError, PolicyViolationError

METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog"})
# GCP/AWS/Azure 169.254.169.254, AWS IPv6 fd00:ec2::254, Alibaba 100.100.100.200.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[Any]]
"""``socket.getaddrinfo``'s signature; tests pass their own to play a hostile DNS."""


def parse_networks(cidrs: Sequence[str]) -> tuple[IPNetwork, ...]:
    """``["127.0.0.0/8"]`` → networks; raises ``ValueError`` on a malformed block."""
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


def check_host_name(host: str) -> str:
    """The normalised ``host``; refuses metadata-server names.

    Raises:
        PolicyViolationError: Code ``egress_refused``.
    """
    normalised = host.strip("[]").rstrip(".").lower()
    if normalised in METADATA_HOSTS or not normalised:
        raise PolicyViolationError("egress_refused", f"{host!r} is the metadata server")
    return normalised


def check_address(address: IPAddress, allowed_networks: Sequence[IPNetwork] = ()) -> None:
    """Refuse ``address`` unless it is public or in an allowed network (never metadata).

    Raises:
        PolicyViolationError: Code ``egress_refused``.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        raise PolicyViolationError("egress_refused", f"{address} is the metadata server")
    # is_global counts multicast as global (Python 3.11); a tool never needs multicast.
    public = address.is_global and not address.is_multicast
    if public or any(address in network for network in allowed_networks):
        return
    raise PolicyViolationError("egress_refused", f"{address} is not a public address")


def resolve_checked(
    host: str,
    port: int,
    allowed_networks: Sequence[IPNetwork] = (),
    resolver: Resolver = socket.getaddrinfo,
) -> IPAddress:
    """Resolve ``host`` once; every address must pass :func:`check_address`; returns the first.

    Raises:
        PolicyViolationError: Code ``egress_refused``: metadata host, a non-public address, or a
            name that does not resolve.
    """
    name = check_host_name(host)
    try:
        infos = resolver(name, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise PolicyViolationError("egress_refused", f"{name} does not resolve") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise PolicyViolationError("egress_refused", f"{name} does not resolve")
    for address in addresses:
        try:
            check_address(address, allowed_networks)
        except PolicyViolationError as refused:
            raise PolicyViolationError(
                "egress_refused", f"{name} resolves to {address}: {refused.message}"
            ) from None
    return addresses[0]


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
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    resolve_checked(parsed.host, port, allowed_networks)
