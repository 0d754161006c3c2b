"""The server-side table of logged-in browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow


class WebSession(Base):
    """One browser's login; deleting the row logs the browser out everywhere the cookie went.

    Only a SHA-256 of the cookie's token is stored, so a copy of the database cannot be replayed as cookies.
    These rows are authentication state, not mission records, so they are not in the tamper-evident log.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # A digest of the password hash at login: changing the password ends every session.
    password_tag: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
