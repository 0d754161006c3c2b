"""Log in for a bearer token (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from pydantic import BaseModel

from truce import auth
from truce.api.problems import UNAUTHORIZED
from truce.deps import client_address, database, now
from truce.errors import WrongCredentials
from truce.routers import DeclaredRouter
from truce.users import logins
from truce.users import service as users_service

router = DeclaredRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@router.post(
    "/auth/token",
    responses={**UNAUTHORIZED, 429: {"description": "too many failed log-ins; see Retry-After"}},
)
def token(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Token:
    """Exchange a username and password for a bearer token (429 with Retry-After after repeated failures)."""
    db, address, at = database(request), client_address(request), now(request)
    # Sessions of its own, one after the other: a failure must be recorded even though the request then fails.
    with db.session(write=False) as session:
        logins.check(session, username, address, now=at, channel="api")
        user = users_service.authenticate(session, username, password)
    with db.session(write=True) as session:
        logins.record(session, username, address, now=at, channel="api", success=user is not None)
    if user is None:
        raise WrongCredentials("wrong username or password")
    return Token(access_token=auth.issue_token(request.app.state.secret, user))
