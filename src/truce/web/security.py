"""CSRF tokens, cookies and response headers of the pages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from truce.errors import Forbidden, Message
from truce.web import i18n, sessions

# A random value per browser; forms carry an HMAC of it and of the browser's session cookie (the signed
# double-submit pattern, bound to the session): a token from another session, or from before logging in, fails.
CSRF_COOKIE = "truce_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LANG_COOKIE_DAYS = 365


class CsrfError(Forbidden):
    """A form without a valid token: forged, or from before the browser's cookies were cleared."""


class CrossSite(Forbidden):
    """A request that changes the record, caused by another site (a link or an image), not by this one's pages."""


def _seed(request: Request) -> str:
    seed = request.cookies.get(CSRF_COOKIE)
    if seed and 20 <= len(seed) <= 100:
        return seed
    fresh: str | None = getattr(request.state, "csrf_seed", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(32)
        request.state.csrf_seed = fresh
    return fresh


def _session_binding(request: Request) -> str:
    # The session cookie this page goes with: a fresh one when this answer logs in, else the browser's own.
    token: str | None = getattr(request.state, "new_session", None) or request.cookies.get(sessions.COOKIE)
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def csrf_token(request: Request) -> str:
    """The token this browser's forms must send back: bound to its CSRF cookie and to its login session."""
    secret: str = request.app.state.secret
    message = f"csrf|{_seed(request)}|{_session_binding(request)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a state-changing request whose token does not match this browser's cookie."""
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfError(Message("the form has expired or did not come from this site; reload the page and try again"))


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    """A cookie scripts cannot read, not sent on cross-site requests, and Secure over HTTPS."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request), path="/")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    # A browser-session cookie: closing the browser ends it; the server ends it at the latest at expiry.
    set_cookie(response, request, sessions.COOKIE, token)
    # Logging in rotates the CSRF cookie too: no token handed out before the login works after it.
    fresh = secrets.token_urlsafe(32)
    request.state.csrf_seed, request.state.new_session = fresh, token
    set_cookie(response, request, CSRF_COOKIE, fresh)


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))


def set_language_cookie(response: Response, request: Request, locale: str) -> None:
    set_cookie(response, request, i18n.COOKIE, locale, max_age=LANG_COOKIE_DAYS * 86400)


def require_same_origin(request: Request) -> None:
    """Refuse a cookie-authenticated GET that writes (a download joins the chain of custody) unless this site asked.

    SameSite=Lax cookies still go with a top-level cross-site link, so a link elsewhere could otherwise make a
    download, and a custody entry, in a logged-in user's name. Browsers say who caused a request in
    `Sec-Fetch-Site`: this origin (`same-origin`) or the user (`none`: typed, bookmarked) may; other sites may not.
    A browser without Fetch Metadata must send a Referer of this origin, which these pages' Referrer-Policy does.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site in {"same-origin", "none"}:
            return
    else:
        referer = request.headers.get("referer", "")
        try:
            origin = urlsplit(referer).netloc
        except ValueError:
            origin = ""
        if origin and origin == request.url.netloc:
            return
    raise CrossSite(Message("this download was asked for by another site; open it from the incident's page here"))


def finish(request: Request, response: Response) -> None:
    """Headers every page answer carries, and the CSRF cookie of a first visit."""
    fresh = getattr(request.state, "csrf_seed", None)
    if fresh is not None and CSRF_COOKIE not in request.cookies and getattr(request.state, "new_session", None) is None:
        set_cookie(response, request, CSRF_COOKIE, fresh)
    tiles = getattr(request.app.state.settings, "tile_url", None)
    # blob: the PMTiles basemap's tiles, read from the mission's own file by the page's script (web/basemap.py).
    images = "'self' data: blob:" + (" " + _origin(tiles) if tiles else "")
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Vary", "Cookie, Accept-Language")


def _origin(url: str) -> str:
    """The scheme and host of a tile URL template, for the CSP (subdomain placeholders become wildcards)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}" if scheme in {"http", "https"} else ""


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login or a language switch; anything else goes to `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
