"""Device tokens, HTTP Basic credentials, and the ODK Collect settings a QR code carries."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

import segno

from truce.errors import Unauthorized

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random device token (256 bits), shown once."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256. A 256-bit random token needs no slow hash to resist guessing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether `token` hashes to `stored_hash`, compared in constant time."""
    return hmac.compare_digest(token_hash(token), stored_hash)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def basic_credentials(authorization: str | None) -> Credentials:
    """The user name and password of an `Authorization: Basic` header; 401 when there is none or it is garbled."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise Unauthorized("log in with a device token (HTTP Basic) or an account (HTTP Basic over HTTPS, or Digest)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("the Basic credentials are not valid base64 of UTF-8 text") from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise Unauthorized("the Basic credentials must be 'username:password'")
    return Credentials(username, password)


def collect_settings(server_url: str, username: str, token: str, project: str) -> dict[str, Any]:
    """ODK Collect's settings: the server, the device's account and token, and the project's name."""
    return {
        "general": {"server_url": server_url, "username": username, "password": token},
        "admin": {},
        "project": {"name": project, "icon": "T"},
    }


def settings_payload(settings: dict[str, Any]) -> str:
    """What an ODK Collect configuration QR code carries: base64 of the zlib-compressed settings JSON."""
    return base64.b64encode(zlib.compress(json.dumps(settings).encode("utf-8"))).decode("ascii")


def read_payload(payload: str) -> dict[str, Any]:
    """The settings a QR payload carries (the inverse of `settings_payload`)."""
    settings: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))
    return settings


def qr_svg(payload: str) -> str:
    """The QR code of a payload as an SVG document."""
    buffer = io.BytesIO()
    segno.make(payload, micro=False, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def qr_terminal(payload: str) -> str:
    """The QR code of a payload drawn with block characters, to scan off a terminal."""
    buffer = io.StringIO()
    segno.make(payload, micro=False, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue()
