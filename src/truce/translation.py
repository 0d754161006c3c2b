"""The gettext catalogues Truce ships (src/truce/web/translations): one catalogue for the pages, the reports and
the services' messages, so that a word reads the same wherever it is shown.

Foundation: it imports nothing of Truce, so the reports (a flow) translate without importing the pages; the
catalogue files only live beside the pages, where `make messages` keeps them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("en", "ru")
DEFAULT = "en"
CATALOGUES = ("truce.web", "translations")


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of `locale`, compiled from its .po file in memory (no compiled files to go stale)."""
    if locale not in LOCALES or locale == DEFAULT:
        return NullTranslations()
    package, folder = CATALOGUES
    po = resources.files(package).joinpath(folder, locale, "LC_MESSAGES", "messages.po")
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext_for(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def translate(locale: str, message: str, params: dict[str, object] | None = None) -> str:
    """`message` (an English msgid with %(name)s placeholders) in `locale`, its parameters filled in."""
    text = gettext_for(locale)(message)
    if not params:
        return text
    # A parameter that is itself a message (a status's word, a kind of place) is said in `locale` too.
    params = {name: _said(locale, value) for name, value in params.items()}
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        # A catalogue entry that lost a placeholder (tests/web/test_i18n.py forbids it): English beats nothing.
        return message % params


def _said(locale: str, value: object) -> object:
    msgid = getattr(value, "msgid", None)
    if isinstance(msgid, str):
        return translate(locale, msgid, getattr(value, "params", None))
    return value


def localized(record: object, locale: str, field: str = "name") -> str:
    """`record`'s `field` in `locale` when its `translations` give one ({"ru": {"name": ...}}), else as stored."""
    per_language = getattr(record, "translations", None) or {}
    entry = per_language.get(locale) if isinstance(per_language, dict) else None
    if isinstance(entry, dict) and entry.get(field):
        return str(entry[field])
    return str(getattr(record, field, "") or "")
