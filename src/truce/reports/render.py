"""Reports as HTML (Jinja2) and PDF (WeasyPrint, which may fetch nothing but inline data: URIs)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from truce import translation
from truce.reports import words
from truce.reports.build import DailyContext
from truce.reports.context import STATUS_LABELS, IncidentRow, ProvisionDue, ZoneCount, long_date


class FetchRefused(ValueError):
    """A report asked for something outside itself."""


@cache
def environment(locale: str = translation.DEFAULT) -> Environment:
    """One environment per language, with the shared catalogue's gettext installed (`_()` in the templates)."""
    env = Environment(
        loader=PackageLoader("truce.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translation.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = locale
    env.filters["long_date"] = long_date
    env.filters["num"] = lambda n: f"{int(n):,}"
    env.filters["plural"] = lambda word, n: word if n == 1 else word + "s"
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, str(s).replace("_", " "))
    env.filters["css_string"] = css_string
    _daily_filters(env, locale)
    return env


# CLDR groups Russian thousands with a no-break space; Russian typography (and the pages) use the narrow one.
GROUPING = {"ru": ("\u00a0", "\u202f")}


def number(value: float, locale: str) -> str:
    """26,000 in English, 26 000 (narrow no-break space) in Russian, as the pages write numbers."""
    if locale == translation.DEFAULT:
        return f"{int(value):,}"
    text = format_decimal(int(value), format="#,##0", locale=locale)
    return text.replace(*GROUPING[locale]) if locale in GROUPING else text


def _daily_filters(env: Environment, locale: str) -> None:
    """The daily report's words for codes, dates and numbers in `locale`; English keeps its exact former text."""
    gettext = translation.gettext_for(locale)
    english = locale == translation.DEFAULT
    env.filters["long_date"] = long_date if english else lambda on: format_date(on, "d MMMM y", locale=locale)
    env.filters["day_month"] = (
        (lambda on: f"{on.day} {on.strftime('%b')}") if english else lambda on: format_date(on, "d MMM", locale=locale)
    )
    env.filters["num"] = lambda n: number(n, locale)
    env.filters["status_word"] = words.word(words.STATUS, locale)
    env.filters["type_word"] = words.word(words.TYPE, locale)
    env.filters["subtype_word"] = words.word(words.SUBTYPE, locale)
    env.filters["source_word"] = words.word(words.SOURCE, locale)
    env.filters["category_word"] = words.word(words.RESTRICTION_CATEGORY, locale)
    env.filters["patrol_word"] = words.word(words.PATROL_STATUS, locale)
    env.filters["record_word"] = words.word(words.RECORD, locale)
    level = words.word(words.LEVEL, locale)
    env.filters["level_word"] = lambda n: level(n) if n is not None else gettext("not assessed")
    # A mission's own subtype is named by its label with its ACLED mapping (`subtype_label`), Truce's by its word.
    env.filters["kind"] = lambda i: (
        f"{env.filters['type_word'](i.type)}: {i.subtype_label or env.filters['subtype_word'](i.subtype)}"
    )

    def where(row: IncidentRow) -> str:
        if english or not row.near:
            return row.place
        if row.km < 1:
            return gettext("in %(place)s") % {"place": row.near}
        template = gettext(words.PLACE[row.direction])
        return template % {"km": f"{row.km:.0f}", "place": row.near}

    def change(zone: ZoneCount) -> str:
        delta = zone.today - zone.previous
        return f"{delta:+d}" if delta else gettext("no change")

    def due(provision: ProvisionDue) -> str:
        day = env.filters["long_date"](provision.deadline)
        return (gettext("overdue since %(day)s") if provision.overdue else gettext("due %(day)s")) % {"day": day}

    env.filters["where"] = where
    page_of = gettext("page %(page)s of %(pages)s") % {"page": "\x01", "pages": "\x02"}
    before, _, rest = page_of.partition("\x01")
    middle, _, after = rest.partition("\x02")
    counters = f'{css_string(before)}" counter(page) "{css_string(middle)}" counter(pages) "{css_string(after)}'
    # The footer's "page 1 of 3" in the report's language: a CSS content value with the page counters.
    env.globals["page_counter"] = Markup(f'"{counters}"')  # noqa: S704 - escaped by css_string
    env.filters["zone"] = lambda name: gettext(name) if name in (words.OUTSIDE, words.UNPUBLISHED) else name
    env.filters["change"] = change
    env.filters["due"] = due


def css_string(text: object) -> Markup:
    """Text safe inside a double-quoted CSS string in a <style> element (which HTML never unescapes)."""
    # Every character but letters, digits and a few safe marks becomes a CSS escape, so none can end the string.
    return Markup("".join(c if c.isalnum() or c in " .,:;·-_()/'" else f"\\{ord(c):x} " for c in str(text)))  # noqa: S704


@cache
def stylesheet() -> str:
    return resources.files("truce.reports").joinpath("templates", "report.css").read_text(encoding="utf-8")


def render(template: str, locale: str = translation.DEFAULT, **values: Any) -> str:
    """A template rendered with the report stylesheet; the same values give the same text."""
    page = environment(locale).get_template(template)
    return page.render(css=Markup(stylesheet()), **values)  # noqa: S704 - our own stylesheet


def daily_html(context: DailyContext, *, raster: bool = False, locale: str = translation.DEFAULT) -> str:
    """The daily situation report as one self-contained HTML document (charts inline as SVG, or PNG for PDF)."""
    # matplotlib is imported on first use, so that commands and the app start without it.
    from truce.reports import charts

    env = environment(locale)
    say = translation.gettext_for(locale)
    day = env.filters["long_date"](context.day.on)
    title = say(words.N_("%(mission)s: incidents of %(day)s (%(offset)s)")) % {
        "mission": context.slug,
        "day": day,
        "offset": context.day.offset_label,
    }
    return render(
        "daily.html.j2",
        locale,
        c=context,
        map_figure=charts.day_map(
            context.layers,
            context.incidents,
            context.parties,
            title,
            raster=raster,
            say=say,
            status_word=env.filters["status_word"],
        ),
        trend_figure=charts.trend_chart(
            context.trend,
            raster=raster,
            say=say,
            type_word=env.filters["type_word"],
            day_month=env.filters["day_month"],
        ),
    )


def _weasyprint() -> Any:
    """WeasyPrint, imported without its side effect on Pillow.

    Importing it sets `PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True` for the whole process, after which a
    photo cut off in transfer would decode without complaint and be accepted as evidence.
    """
    from PIL import ImageFile

    refused = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint

    ImageFile.LOAD_TRUNCATED_IMAGES = refused
    return weasyprint


def pdf(html: str) -> bytes:
    """The HTML document laid out as a PDF, with every outside URL refused."""
    HTML = _weasyprint().HTML  # noqa: N806  # WeasyPrint's class name

    document: bytes = HTML(string=html, url_fetcher=_fetcher()).write_pdf()
    return document


def _fetcher() -> Any:
    _weasyprint()
    from weasyprint.urls import URLFetcher

    class InlineOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
        """Serves inline data: URIs only: a report reads nothing from disk or network."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise FetchRefused(f"reports fetch nothing from disk or network: {url[:80]}")
            return super().fetch(url, headers)

    return InlineOnly(allowed_protocols=("data",))
