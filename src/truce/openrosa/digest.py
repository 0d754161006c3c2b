"""HTTP Digest authentication (RFC 7616) as ODK Collect speaks it: parse, nonces, challenges and responses.

Pure: no database and no web framework. The nonce is stateless (a timestamp and random bytes under an HMAC of
the server's secret), so any process holding the secret can check it; the record of nonce counts already used
is a `NonceCounts`: this module's `Counts` in one process's memory (SQLite, one process), or the database's table
shared by every process (PostgreSQL, openrosa/nonce_counts.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from truce.errors import Unauthorized, WrongCredentials

# The realm, the algorithms and H(username:realm:password) belong to the account (users/digest_secrets.py).
from truce.users.digest_secrets import ALGORITHMS, REALM, hex_digest

NONCE_SECONDS = 300
MAX_HEADER = 4096
REQUIRED = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce", "opaque")
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_*-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)')
_NC = re.compile(r"^[0-9a-fA-F]{8}$")
_STAMP_BYTES, _SALT_BYTES, _MAC_BYTES = 8, 12, 16


class StaleNonce(Unauthorized):
    """A nonce this server issued that is too old or whose count was used before: retry with a fresh one."""


@dataclass(frozen=True)
class Answer:
    """The parameters of an `Authorization: Digest` header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str
    nc: str
    cnonce: str
    opaque: str
    algorithm: str


class NonceCounts(Protocol):
    """Where the nonce counts already accepted are recorded."""

    def first_use(self, nonce: str, nc: str, expires: float, now: float) -> bool:
        """Record (nonce, nc); False when it was recorded before, that is when the request is a replay."""
        ...


@dataclass
class Counts:
    """The nonce counts already accepted, each forgotten once its nonce has expired (one process's memory)."""

    seen: dict[tuple[str, str], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Only accepted answers are recorded, so the set grows with genuine logins; pruned when it doubles.
    limit: int = 10_000

    def first_use(self, nonce: str, nc: str, expires: float, now: float) -> bool:
        """Record (nonce, nc); False when it was recorded before, that is when the request is a replay."""
        key = (nonce, nc.lower())
        with self.lock:
            if len(self.seen) > self.limit:
                self.seen = {k: until for k, until in self.seen.items() if until > now}
                self.limit = max(10_000, 2 * len(self.seen))
            if key in self.seen:
                return False
            self.seen[key] = expires
            return True


@dataclass(frozen=True)
class Context:
    """What checking a Digest answer needs besides the account: the server's secret and the request."""

    secret: str
    method: str
    target: str
    counts: NonceCounts
    now: float


def is_digest(authorization: str | None) -> bool:
    """Whether an Authorization header uses the Digest scheme."""
    return (authorization or "").lstrip()[:7].lower() == "digest "


def parse(authorization: str) -> Answer:
    """The parameters of a Digest header; 401 with the reason when it is malformed or asks for what we lack."""
    if len(authorization) > MAX_HEADER:
        raise Unauthorized(f"the Digest header is longer than {MAX_HEADER} characters")
    rest = authorization.lstrip()[7:].strip()
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            raise Unauthorized("the Digest header is malformed: expected name=value pairs separated by commas")
        name = match.group(1).lower()
        if name in params:
            raise Unauthorized(f"the Digest header names {name!r} twice")
        quoted = match.group(2)
        params[name] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        position = match.end()
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise Unauthorized(f"the Digest header lacks {', '.join(missing)}")
    if params.get("userhash", "false").lower() != "false" or "username*" in params:
        raise Unauthorized("send the user name in plain username=; userhash and username* are not supported")
    algorithm = next((name for name in ALGORITHMS if name.lower() == params.get("algorithm", "MD5").lower()), None)
    if algorithm is None:
        raise Unauthorized(f"the Digest algorithm must be one of {', '.join(ALGORITHMS)}")
    if params["qop"].lower() != "auth":
        raise Unauthorized('the Digest qop must be "auth"')
    if not _NC.match(params["nc"]):
        raise Unauthorized("the Digest nc must be 8 hexadecimal digits")
    fields = {name: params[name] for name in REQUIRED}
    return Answer(**fields, algorithm=algorithm)


def response(answer: Answer, secret_ha1: str, method: str) -> str:
    """The response a client that knows the password computes for this request (RFC 7616 3.4.1, qop=auth)."""
    ha2 = hex_digest(answer.algorithm, f"{method}:{answer.uri}")
    return hex_digest(answer.algorithm, f"{secret_ha1}:{answer.nonce}:{answer.nc}:{answer.cnonce}:{answer.qop}:{ha2}")


def _key(secret: str) -> bytes:
    # A key of its own, so that nothing signed elsewhere with the server's secret can pass for a nonce.
    return hashlib.sha256(b"truce-digest\0" + secret.encode("utf-8")).digest()


def new_nonce(secret: str, now: float) -> str:
    """A fresh nonce: the time it was made, random bytes, and an HMAC of both under the server's secret."""
    body = int(now).to_bytes(_STAMP_BYTES, "big") + secrets.token_bytes(_SALT_BYTES)
    mac = hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(body + mac).decode("ascii")


def nonce_time(secret: str, nonce: str) -> int:
    """When this server made the nonce; 401 when it did not make it (forged, altered, or another server's)."""
    try:
        raw = base64.urlsafe_b64decode(nonce.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    body, mac = raw[: _STAMP_BYTES + _SALT_BYTES], raw[_STAMP_BYTES + _SALT_BYTES :]
    expected = hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(raw) != _STAMP_BYTES + _SALT_BYTES + _MAC_BYTES or not hmac.compare_digest(mac, expected):
        raise Unauthorized("the Digest nonce was not issued by this server; start again from the challenge")
    return int.from_bytes(body[:_STAMP_BYTES], "big")


def opaque(secret: str) -> str:
    """The opaque value clients echo back; fixed per server, so it needs no state either."""
    return hmac.new(_key(secret), b"opaque", hashlib.sha256).hexdigest()[:32]


def challenges(secret: str, now: float, *, domain: str, stale: bool = False) -> list[str]:
    """One `WWW-Authenticate: Digest` challenge per algorithm, MD5 first, all with the same fresh nonce.

    `domain` (RFC 7616 section 3.3) names the URIs the same login protects: every OpenRosa endpoint, of every
    mission (the realm is one for the server), and nothing else.
    """
    nonce, extra = new_nonce(secret, now), ", stale=true" if stale else ""
    return [
        f'Digest realm="{REALM}", domain="{domain}", qop="auth", nonce="{nonce}", opaque="{opaque(secret)}", '
        f'algorithm={name}, charset="UTF-8"{extra}'
        for name in ALGORITHMS
    ]


def same_target(uri: str, target: str) -> bool:
    """Whether the answer's uri names the request's target (its path and query, or an absolute form of them)."""
    if uri == target:
        return True
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. "http://[" (a broken IPv6 host)
        return False
    return bool(parts.scheme) and parts.path + (f"?{parts.query}" if parts.query else "") == target


def check(answer: Answer, context: Context) -> None:
    """Check everything about an answer that needs no account: realm, opaque, nonce authenticity and target."""
    if answer.realm != REALM:
        raise Unauthorized(f'the Digest realm must be "{REALM}", as the challenge says')
    if not hmac.compare_digest(answer.opaque.encode("utf-8"), opaque(context.secret).encode("utf-8")):
        raise Unauthorized("the Digest opaque value is not the one this server sent")
    nonce_time(context.secret, answer.nonce)
    if not same_target(answer.uri, context.target):
        raise Unauthorized("the Digest uri is not the address of this request")


def accept(answer: Answer, secret_ha1: str, context: Context) -> None:
    """Accept an answer whose account is known: the right response, a nonce still fresh, a count not used before."""
    expected = response(answer, secret_ha1, context.method)
    if not hmac.compare_digest(answer.response.lower().encode("utf-8"), expected.encode("utf-8")):
        raise WrongCredentials("wrong user name or password")
    made = nonce_time(context.secret, answer.nonce)
    if context.now - made > NONCE_SECONDS or made - context.now > 60:
        raise StaleNonce("the Digest nonce has expired; retry with the fresh one in this challenge")
    if not context.counts.first_use(answer.nonce, answer.nc, made + NONCE_SECONDS, context.now):
        raise StaleNonce("this Digest nonce count was used before (a replay?); retry with the fresh nonce")
