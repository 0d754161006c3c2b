"""Bearer tokens for the API: signed, expiring, and void once the password changes."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from truce.db import utcnow
from truce.errors import Unauthorized
from truce.users.models import User
from truce.users.service import password_tag

SALT = "truce-api-token"
OFFLINE_EXPIRED = "the offline session has expired; log in again (the queued records stay on the device)"


def issue_token(secret: str, user: User, *, offline: bool = False) -> str:
    """A token naming the user and the password it was issued under.

    `offline`: the token a page's outbox keeps on the device, valid for `offline_s` (days) instead of `max_age_s`.
    """
    payload: dict[str, object] = {"u": user.id, "p": password_tag(user)}
    if offline:
        payload["o"] = 1
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(payload)


def read_token(secret: str, token: str, max_age_s: int, offline_s: int) -> dict[str, object]:
    """The payload of a valid token not older than its kind allows (`offline_s` for an outbox's token)."""
    serializer = URLSafeTimedSerializer(secret, salt=SALT)
    try:
        payload, issued = serializer.loads(token, max_age=max(max_age_s, offline_s), return_timestamp=True)
    except SignatureExpired:
        # The signature held (else BadSignature): the payload can be read to say which kind expired.
        _, expired = serializer.loads_unsafe(token)
        offline = isinstance(expired, dict) and expired.get("o") == 1
        raise Unauthorized(OFFLINE_EXPIRED if offline else "the token has expired; log in again") from None
    except BadSignature:
        raise Unauthorized("the token is not valid") from None
    if not isinstance(payload, dict):
        raise Unauthorized("the token is not valid")
    offline = payload.get("o") == 1
    if (utcnow() - issued).total_seconds() > (offline_s if offline else max_age_s):
        raise Unauthorized(OFFLINE_EXPIRED if offline else "the token has expired; log in again")
    return payload


def user_from_token(session: Session, secret: str, token: str, max_age_s: int, offline_s: int = 0) -> User:
    """The active user a valid, unexpired token names; checked again on every request, offline tokens too."""
    payload = read_token(secret, token, max_age_s, offline_s)
    user = session.get(User, payload.get("u"))
    if user is None or not user.active or payload.get("p") != password_tag(user):
        raise Unauthorized("the token is no longer valid; log in again")
    return user
