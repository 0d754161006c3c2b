"""Browser logins kept on the server, so that logging out (or an administrator) can end them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from truce.db import utcnow
from truce.users.models import User
from truce.users.service import password_tag
from truce.web.models import WebSession

COOKIE = "truce_session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, hours: int) -> str:
    """Open a session for `user` and return the cookie's token (a fresh one each login, against fixation)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_digest(token),
            user_id=user.id,
            password_tag=password_tag(user),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def user_for(session: Session, token: str | None) -> User | None:
    """The active user whose live session the token opens, or None."""
    if not token or len(token) > 128:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or row.password_tag != password_tag(user):
        return None
    return user


def end(session: Session, token: str | None) -> None:
    """Forget the session the token opens, if any."""
    if token:
        session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def end_all(session: Session, user: User) -> None:
    """End every session of `user` (after a password change, a deactivation)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
