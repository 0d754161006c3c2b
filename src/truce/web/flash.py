"""Success messages after an action: set on the redirect, shown once by the next page, in the reader's language.

The message travels in a cookie as a msgid and its parameters (never as text), signed with the installation's
secret, so a link or another site cannot make a page say something of its own; the page that shows it clears it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from truce.web import security

COOKIE = "truce_flash"
MAX_PARAMS = 10
MAX_VALUE = 200  # characters of one parameter: a name or a number, never a text people wrote at length


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"flash|" + payload, hashlib.sha256).hexdigest()[:32]


def encode(secret: str, message: str, params: dict[str, Any]) -> str:
    plain = {k: str(v)[:MAX_VALUE] for k, v in list(params.items())[:MAX_PARAMS]}
    payload = base64.urlsafe_b64encode(json.dumps([message, plain], ensure_ascii=False).encode()).decode()
    return f"{payload}.{_sign(secret, payload.encode())}"


def decode(secret: str, value: str | None) -> tuple[str, dict[str, str]] | None:
    """The msgid and parameters of a cookie this installation signed; None for anything else."""
    if not value or len(value) > 4000 or "." not in value:
        return None
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        return None
    try:
        message, params = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(message, str) or not isinstance(params, dict):
        return None
    return message, {str(k): str(v) for k, v in params.items()}


def redirect_with(request: Request, url: str, message: str, **params: Any) -> RedirectResponse:
    """Redirect (303) to `url`, which then says `message` (a msgid marked with N_) with `params`, once."""
    response = RedirectResponse(url, status_code=303)
    security.set_cookie(response, request, COOKIE, encode(request.app.state.secret, message, params))
    return response


def pending(request: Request) -> tuple[str, dict[str, str]] | None:
    """The message waiting for this browser, if any."""
    return decode(request.app.state.secret, request.cookies.get(COOKIE))


def shown(request: Request, response: Response) -> None:
    """Clear the message once a page has shown it."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=security.is_https(request))


def text(waiting: tuple[str, dict[str, str]], gettext: Callable[[str], str]) -> str:
    """The message in the reader's language, its parameters filled in."""
    message, params = waiting
    translated = gettext(message)
    try:
        return translated % params if params else translated
    except (KeyError, ValueError, TypeError):
        # A catalogue entry that lost a placeholder (the i18n test forbids it): the English rather than nothing.
        return message % params if params else message
