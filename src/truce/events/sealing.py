"""Subscription secrets: made in Standard Webhooks' `whsec_` form, stored sealed, shown in clear only once."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key_bytes(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def _fernet(server_secret: str) -> Fernet:
    # A key of its own, derived from TRUCE_SECRET_KEY: sealing never reuses the session-signing key as it is.
    digest = hashlib.sha256(b"truce webhook secrets\x00" + server_secret.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str, server_secret: str) -> str:
    """`secret` encrypted and authenticated (Fernet) under a key derived from the server's secret."""
    return _fernet(server_secret).encrypt(secret.encode("utf-8")).decode("ascii")


def unseal(sealed: str, server_secret: str) -> str:
    """The secret in clear; ValueError when it was sealed under another server secret or altered."""
    try:
        return _fernet(server_secret).decrypt(sealed.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("a webhook secret does not open with this TRUCE_SECRET_KEY") from None
