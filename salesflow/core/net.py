from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the person signing in, for the lock-out.

    Behind TRUSTED_PROXY_COUNT proxies, each proxy appends the address it received from to
    X-Forwarded-For, so the client is that many entries from the right; entries further
    left were written by the client itself and are never trusted. Without proxies (or with
    a malformed header) the socket's address is used.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate
