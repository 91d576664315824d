"""Where a webhook may be sent: the checks against server-side request forgery.

A URL is vetted when it is registered (to say what is wrong at once) and again at every
delivery (DNS may have changed since). Every address the host resolves to must be public;
the delivery then connects to the vetted address itself, never looking the name up a second
time, so a DNS answer that changes between the check and the connection (DNS rebinding)
cannot steer it inside our network."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

URL_MAX_LENGTH = 500


class UnsafeDestination(Exception):
    """A URL salesflow will not post to, with the reason in words for its owner."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as sent in Host and SNI and checked against the certificate (IDNA-encoded)
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]  # vetted, in the resolver's order


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to. The one place salesflow looks a webhook's host up
    (tests patch it to play a hostile DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """An IPv4 address carried inside an IPv6 one, which reaches that IPv4 host."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(text: str) -> str | None:
    """What kind of address this is when salesflow will not connect to it ("a loopback
    address"), or None when it is public."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            refusal = address_refusal(str(inner))
            return f"an IPv6 form of {inner}, {refusal}" if refusal else None
    for flag, words in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
            return words
    if not address.is_global:  # e.g. 100.64.0.0/10, shared by carriers
        return "not a public address"
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and target of a URL salesflow may post to, or UnsafeDestination."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeDestination("Enter the URL to send events to.")
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        raise UnsafeDestination(f"Keep the URL under {URL_MAX_LENGTH} characters.")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise UnsafeDestination("The URL cannot contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise UnsafeDestination("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if settings.SALESFLOW_WEBHOOKS_ALLOW_HTTP else {"https"}
    if scheme not in allowed:
        raise UnsafeDestination(
            "The URL must start with https://."
            if scheme == "http" or "http" not in allowed
            else "The URL must start with https:// or http://."
        )
    if not host:
        raise UnsafeDestination("The URL needs a host name, e.g. https://example.com/hooks.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("Leave user names and passwords out of the URL.")
    if parts.fragment:
        raise UnsafeDestination("Leave the #fragment out of the URL: it is never sent.")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not _is_ip(host) else host
    except UnicodeError:
        raise UnsafeDestination("The URL's host name is not a valid domain name.") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, ascii_host, port or (443 if scheme == "https" else 80), target


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def vet(url: str) -> Destination:
    """Parse `url`, resolve its host and check every address; UnsafeDestination says why not."""
    scheme, host, port, target = parse(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        raise UnsafeDestination(f"The host {host} could not be found.") from None
    if not addresses:
        raise UnsafeDestination(f"The host {host} could not be found.")
    if not settings.SALESFLOW_WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            refusal = address_refusal(address)
            if refusal:
                raise UnsafeDestination(
                    f"{host} leads to {address}, {refusal}: webhooks go to public addresses only."
                )
    return Destination(scheme, host, port, target, tuple(addresses))
