"""`render(request, template, context)`: a page in the user's language, with the layout's context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from truce import translation
from truce.errors import Message
from truce.web import basemap, flash, i18n, labels, nav, security
from truce.web import taxonomy as web_taxonomy
from truce.web.context import Page
from truce.web.names import Names, word


@cache
def environment(locale: str) -> Environment:
    """One Jinja2 environment per language, with that language's gettext installed."""
    env = Environment(
        loader=PackageLoader("truce.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(labels=labels, locale=locale, locales=i18n.LOCALES, locale_names=i18n.NAMES)
    # For msgids held in variables (labels, error messages): plain text, escaped like any other value.
    # (The `_()` of newstyle gettext marks its result safe, so it is only for literal msgids.)
    env.filters["t"] = _translator(locale)
    env.filters["tr_pair"] = lambda pair: (pair[0], env.filters["t"](pair[1]))
    env.filters["tr_role"] = lambda code: env.filters["t"](labels.ROLE.get(code, code))
    env.filters["zip"] = lambda left, right: zip(left, right, strict=False)
    env.filters["number"] = lambda value, digits=0: number(value, locale, digits)
    env.filters["day"] = lambda value: format_date(value, "medium", locale=locale) if value else ""
    translate = env.filters["t"]
    env.filters["place_kind"] = word(labels.PLACE_KIND, translate)
    env.filters["count_key"] = word(labels.COUNT, translate)
    env.filters["log_action"] = word(labels.LOG_ACTION, translate)
    env.filters["site_status"] = word(labels.SITE_STATUS, translate)
    return env


def _translator(locale: str) -> Callable[[str], str]:
    """The `t` filter: a msgid in the reader's language; a service's `Message` with its parameters filled in."""
    gettext = i18n.gettext_for(locale)

    def t(text: str) -> str:
        if isinstance(text, Message):
            return translation.translate(locale, text.msgid, text.params)
        return gettext(text)

    return t


# CLDR groups Russian thousands with a no-break space; Russian typography wants the narrow one (U+202F).
GROUPING = {"ru": ("\u00a0", "\u202f")}


def number(value: float | int | None, locale: str, digits: int = 0) -> str:
    """`value` as the reader writes numbers: 26,000.5 in English, 26 000,5 (narrow spaces) in Russian."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    text = format_decimal(value, format=pattern, locale=locale)
    if locale in GROUPING:
        text = text.replace(*GROUPING[locale])
    return text


def _zone(page: Page | None) -> ZoneInfo:
    try:
        return ZoneInfo(page.mission.time_zone if page and page.mission else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render `template` with `context` plus what every page needs: who, where, language, CSRF token, nav."""
    locale = i18n.negotiate(request)
    page: Page | None = getattr(request.state, "page", None)
    zone = _zone(page)

    def when(value: datetime | date | None) -> str:
        # Numeric ISO-like times read the same in every language, and strftime is far cheaper than CLDR patterns.
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %z")
        return value.isoformat()

    def url(name: str, **params: Any) -> str:
        return _url_for(request.app, name, params)

    actor = page.actor if page else None
    full = {
        "request": request,
        "page": page,
        "user": page.user if page else None,
        "mission": page.mission if page else None,
        "actor": actor,
        "names": Names(page.session if page else None, page.mission if page else None, locale),
        "nav": nav.items_for(actor) if actor is not None and page and page.mission else [],
        "csrf_token": security.csrf_token(request),
        "csrf_field": security.CSRF_FIELD,
        "when": when,
        "url": url,
        # The PMTiles basemap's version when one is configured (the map pages show it, the outbox keeps it).
        "basemap_version": basemap.version(request.app.state.settings),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **(context or {}),
    }
    if page is not None and page.mission is not None and page.mission.taxonomy:
        # The mission's own subtypes, named in the reader's language on every page that names subtypes.
        full.setdefault("labels", web_taxonomy.labels_for(request, page.mission))
    waiting = flash.pending(request)
    if waiting is not None:
        full["flash_message"] = flash.text(waiting, i18n.gettext_for(locale))
    html = environment(locale).get_template(template).render(full)
    response = HTMLResponse(html, status_code=status_code)
    if waiting is not None:
        flash.shown(request, response)
    return response


def _url_for(app: Any, name: str, params: dict[str, Any]) -> str:
    """`app.url_path_for`, from a template cached per route and parameter names (the lookup walks every route)."""
    cache: dict[tuple[str, tuple[str, ...]], str] | None = getattr(app.state, "web_url_templates", None)
    if cache is None:
        cache = app.state.web_url_templates = {}
    key = (name, tuple(sorted(params)))
    template = cache.get(key)
    if template is None:
        template = str(app.url_path_for(name, **{k: f"TRUCEPARAM{k}TRUCEEND" for k in params}))
        cache[key] = template
    for k, v in params.items():
        template = template.replace(f"TRUCEPARAM{k}TRUCEEND", quote(str(v), safe=""))
    return template


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (303), so reloading does not submit twice."""
    return RedirectResponse(url, status_code=303)
