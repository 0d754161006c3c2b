"""Forms: the CSRF check, and field-level errors that keep what the user typed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from truce.errors import Inconsistent, Message, TruceError
from truce.web import security
from truce.web.i18n import N_

MAX_FIELDS = 200


@dataclass
class Form:
    """What the user sent (as text, to show it back) and what is wrong with it, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)
    # Every file of a field that takes several (`files` keeps the last of each name).
    uploads: list[tuple[str, UploadFile]] = field(default_factory=list)
    # Before each field's element ids (`f-`, `e-`, `h-`): two forms on one page with fields of the same name
    # keep ids of their own, so the error summary's links and the labels lead to the right form's field.
    ids: str = ""

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default).strip()

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def file_list(self, name: str) -> list[UploadFile]:
        return [upload for field_name, upload in self.uploads if field_name == name]

    @property
    def ok(self) -> bool:
        return not self.errors


async def checked_form(request: Request) -> AsyncIterator[Form]:
    """The posted form, after its CSRF token has been checked; its files are closed when the page is done."""
    data = await request.form(max_fields=MAX_FIELDS)
    security.check_csrf(request, _text(data.get(security.CSRF_FIELD)) or request.headers.get(security.CSRF_HEADER))
    form = Form()
    for name, value in data.multi_items():
        if name == security.CSRF_FIELD:
            continue
        if isinstance(value, UploadFile):
            form.files[name] = value
            form.uploads.append((name, value))
        else:
            form.values[name] = value
    try:
        yield form
    finally:
        for _, upload in form.uploads:
            await upload.close()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


CheckedForm = Annotated[Form, Depends(checked_form)]


# Pydantic's errors by type, as sentences the catalogue holds; `ctx` fills the placeholders. A type not listed
# here keeps Pydantic's English (the API's words), so a new kind of check is seen untranslated, not silently lost.
VALIDATION_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("Write at least %(min_length)s characters."),
    "string_too_long": N_("Write at most %(max_length)s characters."),
    "too_long": N_("Give at most %(max_length)s."),
    "string_pattern_mismatch": N_("This is not in the expected form."),
    "int_parsing": N_("Write a whole number."),
    "int_from_float": N_("Write a whole number."),
    "float_parsing": N_("Write a number."),
    "greater_than_equal": N_("Give at least %(ge)s."),
    "greater_than": N_("Give more than %(gt)s."),
    "less_than_equal": N_("Give at most %(le)s."),
    "less_than": N_("Give less than %(lt)s."),
    "date_parsing": N_("Give a day as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Give a day as YYYY-MM-DD."),
    "date_from_datetime_inexact": N_("Give a day as YYYY-MM-DD."),
    "datetime_parsing": N_("Give a date and time."),
    "datetime_from_date_parsing": N_("Give a date and time."),
    "literal_error": N_("Choose one of the offered values."),
    "enum": N_("Choose one of the offered values."),
    "bool_parsing": N_("Choose yes or no."),
    "url_parsing": N_("Give a web address starting with http:// or https://."),
}


def validation_message(error: Mapping[str, Any]) -> str:
    """One Pydantic error as a `Message` the pages translate, or its English when no sentence is known."""
    ctx = error.get("ctx") or {}
    raised = ctx.get("error")
    if isinstance(raised, Exception) and raised.args and isinstance(raised.args[0], Message):
        # A validator of ours that raised ValueError(Message(...)).
        return raised.args[0]
    template = VALIDATION_MESSAGES.get(str(error.get("type", "")))
    if template is not None:
        try:
            return Message(template, **{k: v for k, v in ctx.items() if isinstance(v, int | float | str)})
        except (KeyError, ValueError, TypeError):
            pass
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def located(error: Mapping[str, Any]) -> tuple[str, str]:
    """Where one Pydantic error is (a dotted path) and what kind it is (its type, or the code of our own
    `Inconsistent`, whose field is added below the model's location): what a page routes by, never its words."""
    path = [str(part) for part in error.get("loc", ())]
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, Inconsistent):
        return ".".join([*path, *filter(None, [raised.field])]), raised.code
    return ".".join(path), str(error.get("type", ""))


def field_for(path: str, fields: dict[str, str] | None, default: str) -> str:
    """The form field of an error at `path`: the one `fields` gives it or the nearest path above it
    (`geometry` covers `geometry.coordinates.3`), else the path's last part, else `default`."""
    names = fields or {}
    if path in names:
        return names[path]
    above = path
    while "." in above:
        above = above.rsplit(".", 1)[0]
        if above in names:
            return names[above]
    return path.rsplit(".", 1)[-1] if path else default


def absorb_validation(form: Form, exc: ValidationError, fields: dict[str, str] | None = None) -> None:
    """Put Pydantic's errors on the form's fields; `fields` maps a model's dotted path to a form field."""
    for error in exc.errors():
        path, _ = located(error)
        form.add_error(field_for(path, fields, "") or "_form", validation_message(error))


def absorb_invalid(form: Form, exc: TruceError, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the field it names (or on the whole form), in words the page can translate."""
    form.add_error(field_for(exc.field or "", fields, "_form"), exc.message)
