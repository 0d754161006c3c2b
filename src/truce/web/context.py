"""What a page works with: the database session, the logged-in user, the mission and the acting Actor.

The Actor comes from `users.service.actor_for`, exactly as for the API, and pages call the same services,
so `truce.policy` decides for both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from truce import deps
from truce.deps import ReadSession, Slug, WriteSession
from truce.errors import Conflict, Invalid, Message, NotFound, Unauthorized
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service
from truce.users.models import User
from truce.web import sessions
from truce.web.forms import Form, absorb_invalid, absorb_validation


@dataclass
class Page:
    """The session, who is logged in (None: the public), the mission in scope (if any) and the Actor."""

    session: Session
    user: User | None
    actor: Actor
    request: Request = field(repr=False)
    mission: Mission | None = None

    @property
    def role(self) -> str:
        return self.actor.role

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A form post's writes in a savepoint: any error rolls them back and rejects the request (`reject`).

        So the form can be shown again over the record as stored, and nothing of the post is committed at the edge.
        """
        try:
            with ledger.savepoint(self.session):
                yield
        except BaseException:
            self.reject()
            raise

    @contextmanager
    def attempt(
        self, form: Form, fields: Mapping[str, str] | None = None, *, conflicts: bool = False
    ) -> Iterator[None]:
        """`writing`, with a refusal put on the form's fields: the handler only shows the form again with them.

        A refusal is the model's checks, a service's `Invalid`, and its `Conflict` when `conflicts`; other errors
        go on to the error page. `fields` maps a model's or a service's dotted path (`""`: the model's own checks)
        to the form's field; a path it does not name goes on its last part's field, a refusal without one on the
        whole form. Routing is by the path the error carries, never by the words of its message.
        """
        names = dict(fields or {})
        try:
            with self.writing():
                yield
        except ValidationError as exc:
            absorb_validation(form, exc, names)
        except Invalid as exc:
            absorb_invalid(form, exc, names)
        except Conflict as exc:
            if not conflicts:
                raise
            absorb_invalid(form, exc, names)

    def reject(self) -> None:
        """Keep nothing this request wrote: the form is shown again with its errors and the edge rolls back."""
        deps.reject(self.request)

    def mission_or_404(self) -> Mission:
        if self.mission is None:
            raise NotFound(Message("no mission here"))
        return self.mission


def _user(request: Request, session: Session) -> User | None:
    return sessions.user_for(session, request.cookies.get(sessions.COOKIE))


def _plain(request: Request, session: Session) -> Page:
    user = _user(request, session)
    page = Page(session=session, user=user, actor=users_service.actor_for(session, user, None), request=request)
    request.state.page = page
    return page


def _scoped(request: Request, session: Session, slug: str) -> Page:
    user = _user(request, session)
    mission = missions_service.get_by_slug(session, slug)
    actor = users_service.actor_for(session, user, mission)
    if mission is None or not missions_service.visible(actor, mission):
        if user is None:
            # Ask the public to log in whether or not the mission exists, so the answer leaks nothing.
            raise Unauthorized(Message("log in to see this mission"))
        raise NotFound(Message("mission %(slug)r not found", slug=slug))
    page = Page(session=session, user=user, actor=actor, request=request, mission=mission)
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
