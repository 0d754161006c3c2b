"""The address phones reach this server at: what the URLs in form lists, manifests and settings start with."""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import urlsplit

from fastapi import Request

from truce.errors import ConfigError

DEFAULT_PORTS = {"http": 80, "https": 443}


def public_base(request: Request) -> str:
    """`TRUCE_PUBLIC_URL`, else the address this server listens on; never the request's Host header.

    A Host header is whatever the client sent: taking URLs from it would let anyone who reaches the server
    (or poisons a cache in front of it) point phones' form downloads, with their logins, at another host.
    """
    configured: str | None = request.app.state.settings.public_url
    if configured:
        return configured
    # The listening socket's own address (`truce serve --host --port`), from the server, not from the request.
    server = request.scope.get("server")
    if not server or _wildcard(str(server[0])):
        raise ConfigError(
            "this server listens on every address, so it cannot tell phones which one reaches it: "
            "set TRUCE_PUBLIC_URL (e.g. https://truce.example.org)"
        )
    host, port = str(server[0]), server[1]
    scheme = str(request.scope.get("scheme", "http"))
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def openrosa_base(request: Request, slug: str) -> str:
    """The OpenRosa server URL of a mission, as phones should use it."""
    return f"{public_base(request)}/openrosa/{slug}"


def openrosa_path(request: Request) -> str:
    """The path all OpenRosa endpoints live under, for the Digest challenge's `domain` (RFC 7616)."""
    configured: str | None = request.app.state.settings.public_url
    return (urlsplit(configured).path if configured else "") + "/openrosa/"


def _wildcard(host: str) -> bool:
    try:
        return ip_address(host).is_unspecified
    except ValueError:
        return False
