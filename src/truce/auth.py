"""Bearer tokens for the API: signed, expiring, and void once the password changes."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from truce.errors import Unauthorized
from truce.users.models import User
from truce.users.service import password_tag

SALT = "truce-api-token"


def issue_token(secret: str, user: User) -> str:
    """A token naming the user and the password it was issued under."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"u": user.id, "p": password_tag(user)})


def user_from_token(session: Session, secret: str, token: str, max_age_s: int) -> User:
    """The active user a valid, unexpired token names."""
    try:
        payload = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise Unauthorized("the token has expired; log in again") from None
    except BadSignature:
        raise Unauthorized("the token is not valid") from None
    user = session.get(User, payload.get("u")) if isinstance(payload, dict) else None
    if user is None or not user.active or payload.get("p") != password_tag(user):
        raise Unauthorized("the token is no longer valid; log in again")
    return user
