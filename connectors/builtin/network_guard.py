"""Refusing HTTP targets inside the server's own network unless an admin allowed them.

Flows are edited by analysts; without this guard an HTTP node could reach the
database, the metadata service of a cloud host or anything else on the
private network (server-side request forgery).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

from connectors.sdk.errors import PermanentError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _is_internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_internal(address.ipv4_mapped)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _allowed(host: str, addresses: Iterable[IPAddress], allow_list: Iterable[str]) -> bool:
    networks = []
    for entry in allow_list:
        if entry.lower() == host.lower():
            return True
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return all(any(address in network for network in networks) for address in addresses)


def resolve(host: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise PermanentError(
            f"the host {host!r} cannot be resolved: {exc.strerror}", code="dns", field="config.url"
        ) from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str) -> None:
    """Raise :class:`PermanentError` unless ``url`` is http(s) to a public address or an allowed one.

    The allow-list is the ``LEDGERLINE_HTTP_ALLOWED_PRIVATE`` setting: host names or CIDRs.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise PermanentError(
            f"only http and https URLs are allowed, not {parts.scheme or 'none'!r}",
            code="url_scheme",
            field="config.url",
        )
    host = parts.hostname
    if not host:
        raise PermanentError("the URL has no host", code="url_host", field="config.url")
    addresses = resolve(host)
    internal = [address for address in addresses if _is_internal(address)]
    if internal and not _allowed(host, internal, settings.LEDGERLINE_HTTP_ALLOWED_PRIVATE):
        raise PermanentError(
            f"{host} is an internal address ({internal[0]}); an administrator can allow it with "
            "LEDGERLINE_HTTP_ALLOWED_PRIVATE",
            code="url_internal",
            field="config.url",
        )
