"""Log in, log out, pick a language, and the list of missions."""

from __future__ import annotations

from fastapi import Request, Response

from truce.config import Settings
from truce.errors import Unauthorized
from truce.missions import service as missions_service
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
    if len(missions) == 1 and page.user is not None:
        return redirect(str(request.app.url_path_for("home", slug=missions[0].slug)))
    return render(request, "start.html", {"missions": missions})


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
    complete = form.ok
    user = users_service.authenticate(page.session, username, password) if complete else None
    if user is None:
        if complete:
            form.add_error("_form", N_("Wrong user name or password."))
        form.values.pop("password", None)
        return render(request, "login.html", {"form": form}, status_code=401 if complete else 422)
    settings: Settings = request.app.state.settings
    token = sessions.start(page.session, user, hours=settings.token_hours)
    response = redirect(security.safe_next(form.get("next")))
    security.set_session_cookie(response, request, token)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, page: PlainWritePage, form: CheckedForm) -> Response:
    if page.user is None:
        raise Unauthorized("you are not logged in")
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
