"""What a page works with: the database session, the logged-in user, the mission and the acting Actor.

The Actor comes from `users.service.actor_for`, exactly as for the API, and pages call the same services,
so `truce.policy` decides for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from truce.deps import ReadSession, Slug, WriteSession
from truce.errors import NotFound, Unauthorized
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service
from truce.users.models import User
from truce.web import sessions


@dataclass
class Page:
    """The session, who is logged in (None: the public), the mission in scope (if any) and the Actor."""

    session: Session
    user: User | None
    actor: Actor
    mission: Mission | None = None

    @property
    def role(self) -> str:
        return self.actor.role

    def mission_or_404(self) -> Mission:
        if self.mission is None:
            raise NotFound("no mission here")
        return self.mission


def _user(request: Request, session: Session) -> User | None:
    return sessions.user_for(session, request.cookies.get(sessions.COOKIE))


def _plain(request: Request, session: Session) -> Page:
    user = _user(request, session)
    page = Page(session=session, user=user, actor=users_service.actor_for(session, user, None))
    request.state.page = page
    return page


def _scoped(request: Request, session: Session, slug: str) -> Page:
    user = _user(request, session)
    mission = missions_service.get_by_slug(session, slug)
    actor = users_service.actor_for(session, user, mission)
    if mission is None or not missions_service.visible(actor, mission):
        if user is None:
            # Ask the public to log in whether or not the mission exists, so the answer leaks nothing.
            raise Unauthorized("log in to see this mission")
        raise NotFound(f"mission {slug!r} not found")
    page = Page(session=session, user=user, actor=actor, mission=mission)
    request.state.page = page
    return page


def read_plain(request: Request, session: ReadSession) -> Page:
    return _plain(request, session)


def write_plain(request: Request, session: WriteSession) -> Page:
    return _plain(request, session)


def read_page(request: Request, session: ReadSession, slug: Slug) -> Page:
    return _scoped(request, session, slug)


def write_page(request: Request, session: WriteSession, slug: Slug) -> Page:
    return _scoped(request, session, slug)


# Pages without a mission (login, the mission list) and pages under /m/{slug}/, for reading and for writing.
PlainPage = Annotated[Page, Depends(read_plain)]
PlainWritePage = Annotated[Page, Depends(write_plain)]
ReadPage = Annotated[Page, Depends(read_page)]
WritePage = Annotated[Page, Depends(write_page)]
