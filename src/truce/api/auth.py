"""Log in for a bearer token (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from truce import auth
from truce.api.problems import UNAUTHORIZED
from truce.deps import ReadSession
from truce.errors import Unauthorized
from truce.users import service as users_service

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@router.post("/auth/token", responses=UNAUTHORIZED)
def token(
    request: Request,
    session: ReadSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Token:
    """Exchange a username and password for a bearer token."""
    user = users_service.authenticate(session, username, password)
    if user is None:
        raise Unauthorized("wrong username or password")
    return Token(access_token=auth.issue_token(request.app.state.secret, user))
