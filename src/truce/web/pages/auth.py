"""Log in, log out, pick a language, and the list of missions."""

from __future__ import annotations

from fastapi import Request, Response

from truce import policy
from truce.config import Settings
from truce.deps import client_address, now
from truce.errors import Message, Unauthorized
from truce.missions import service as missions_service
from truce.users import logins
from truce.users import service as users_service
from truce.web import i18n, security, sessions
from truce.web.context import PlainPage, PlainWritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()


@router.get("/", name="start")
def start(request: Request, page: PlainPage) -> Response:
    """The missions the visitor may open; straight into the only one."""
    missions = missions_service.list_visible(page.session, page.actor)
    # An operator sets up missions from here, so is not sent on into the only one.
    if len(missions) == 1 and page.user is not None and not policy.creates_missions(page.actor):
        return redirect(str(request.app.url_path_for("home", slug=missions[0].slug)))
    return render(request, "start.html", {"missions": missions, "operator": policy.creates_missions(page.actor)})


@router.get("/login", name="login")
def login_form(request: Request, page: PlainPage, next: str = "/") -> Response:
    return render(request, "login.html", {"form": Form(values={"next": security.safe_next(next)})})


@router.post("/login", name="login_submit")
def login(request: Request, page: PlainWritePage, form: CheckedForm) -> Response:
    username, password = form.get("username"), form.values.get("password", "")
    if not username:
        form.add_error("username", N_("Enter your user name."))
    if not password:
        form.add_error("password", N_("Enter your password."))
    if not form.ok:
        form.values.pop("password", None)
        return render(request, "login.html", {"form": form}, status_code=422)
    address, at = client_address(request), now(request)
    try:
        logins.check(page.session, username, address, now=at, channel="page")
    except logins.TooManyAttempts as exc:
        form.values.pop("password", None)
        answer = render(request, "login.html", {"form": form, "retry_after": exc.retry_after}, status_code=429)
        answer.headers["Retry-After"] = str(exc.retry_after)
        return answer
    user = users_service.authenticate(page.session, username, password)
    logins.record(page.session, username, address, now=at, channel="page", success=user is not None)
    if user is None:
        form.add_error("_form", N_("Wrong user name or password."))
        form.values.pop("password", None)
        return render(request, "login.html", {"form": form}, status_code=401)
    settings: Settings = request.app.state.settings
    token = sessions.start(page.session, user, hours=settings.token_hours)
    response = redirect(security.safe_next(form.get("next")))
    security.set_session_cookie(response, request, token)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, page: PlainWritePage, form: CheckedForm) -> Response:
    if page.user is None:
        raise Unauthorized(Message("you are not logged in"))
    sessions.end(page.session, request.cookies.get(sessions.COOKIE))
    response = redirect(str(request.app.url_path_for("login")) + "?logged_out=1")
    security.clear_session_cookie(response, request)
    return response


@router.post("/language", name="language")
def language(request: Request, page: PlainPage, form: CheckedForm) -> Response:
    """Remember the language the user picked (a cookie, so that it works before logging in too)."""
    locale = form.get("locale")
    response = redirect(security.safe_next(form.get("next")))
    if locale in i18n.LOCALES:
        security.set_language_cookie(response, request, locale)
    return response
