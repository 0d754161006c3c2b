"""Languages of the pages: Babel catalogues, the user's pick, the browser's preference as the default."""

from __future__ import annotations

from collections.abc import Callable

from babel.support import NullTranslations
from starlette.requests import Request

from truce import translation

LOCALES = translation.LOCALES
DEFAULT = translation.DEFAULT
COOKIE = "truce_lang"
# The language names are shown in their own language, so nobody needs to read a foreign one to switch.
NAMES = {"en": "English", "ru": "Русский"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def translations(locale: str) -> NullTranslations:
    """The catalogue of `locale` (shared with the reports and the services' messages: `truce.translation`)."""
    return translation.translations(locale)


def gettext_for(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an Accept-Language header, most preferred first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(request: Request) -> str:
    """The language the user picked, else the first of the browser's that we ship, else English."""
    picked = request.cookies.get(COOKIE)
    if picked in LOCALES:
        return picked
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
    return DEFAULT
