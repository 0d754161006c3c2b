"""The logged-in person's own account: change the password with the current one."""

from __future__ import annotations

from fastapi import Request, Response

from truce.config import Settings
from truce.deps import client_address, now
from truce.errors import Invalid, Message, Unauthorized
from truce.users import logins
from truce.users import service as users_service
from truce.web import security, sessions
from truce.web.context import Page, PlainPage, PlainWritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
FIELDS = ("current_password", "new_password", "repeat_password")
# The services' refusals, by field, as the page says them (in the reader's language).
REFUSALS = {
    "current_password": N_("This is not your current password."),
    "new_password": N_("Choose a new password of at least 8 characters, other than the current one."),
}


def _holder(page: Page) -> None:
    if page.user is None:
        raise Unauthorized(Message("log in to change your password"))


@router.get("/account/password", name="password_form")
def password_form(request: Request, page: PlainPage) -> Response:
    _holder(page)
    return render(request, "account/password.html", {"form": Form(), "changed": "changed" in request.query_params})


@router.post("/account/password", name="password_change")
def password_change(request: Request, page: PlainWritePage, form: CheckedForm) -> Response:
    """Change one's password; every other session ends, and this browser gets a fresh one."""
    _holder(page)
    assert page.user is not None
    user = page.user
    for name in FIELDS:
        if not form.values.get(name):
            form.add_error(name, N_("This field is required."))
    if form.ok and form.values["new_password"] != form.values["repeat_password"]:
        form.add_error("repeat_password", N_("The two new passwords differ."))
    address, at = client_address(request), now(request)
    status = 422
    if form.ok:
        try:
            # Wrong current passwords count as failed log-ins: this form is no way around the limits.
            logins.check(page.session, user.username, address, now=at, channel="page")
            users_service.change_password(
                page.session, user, form.values["current_password"], form.values["new_password"], actor=page.actor
            )
        except logins.TooManyAttempts:
            form.add_error("_form", N_("Too many failed attempts. Wait a few minutes, then try again."))
            status = 429
        except Invalid as exc:
            if exc.field == "current_password":
                logins.record(page.session, user.username, address, now=at, channel="page", success=False)
            form.add_error(exc.field or "_form", REFUSALS.get(exc.field or "", N_("Please check what you entered.")))
    if not form.ok:
        for name in FIELDS:
            form.values.pop(name, None)
        return render(request, "account/password.html", {"form": form, "changed": False}, status_code=status)
    sessions.end_all(page.session, user)
    settings: Settings = request.app.state.settings
    token = sessions.start(page.session, user, hours=settings.token_hours)
    response = redirect(str(request.app.url_path_for("password_form")) + "?changed=1")
    security.set_session_cookie(response, request, token)
    return response
