"""Reports as HTML (Jinja2) and PDF (WeasyPrint, which may fetch nothing but inline data: URIs)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from truce import translation
from truce.reports.build import DailyContext
from truce.reports.context import STATUS_LABELS, long_date


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
    return env


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

    title = f"{context.slug}: incidents of {long_date(context.day.on)} ({context.day.offset_label})"
    return render(
        "daily.html.j2",
        locale,
        c=context,
        map_figure=charts.day_map(context.layers, context.incidents, context.parties, title, raster=raster),
        trend_figure=charts.trend_chart(context.trend, raster=raster),
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
