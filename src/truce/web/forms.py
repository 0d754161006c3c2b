"""Forms: the CSRF check, and field-level errors that keep what the user typed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from truce.errors import Invalid
from truce.web import security

MAX_FIELDS = 200


@dataclass
class Form:
    """What the user sent (as text, to show it back) and what is wrong with it, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)
    # Every file of a field that takes several (`files` keeps the last of each name).
    uploads: list[tuple[str, UploadFile]] = field(default_factory=list)

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


def absorb_validation(form: Form, exc: ValidationError, fields: dict[str, str] | None = None) -> None:
    """Put Pydantic's errors on the form's fields; `fields` maps a model's dotted path to a form field."""
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()))
        name = (fields or {}).get(path, path.rsplit(".", 1)[-1] if path else "")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        form.add_error(name or "_form", message)


def absorb_invalid(form: Form, exc: Invalid, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the field it names (or on the whole form)."""
    path = exc.field or ""
    name = (fields or {}).get(path, path.rsplit(".", 1)[-1] if path else "_form")
    detail = exc.detail.removeprefix(f"{exc.field}: ") if exc.field else exc.detail
    form.add_error(name, detail)
