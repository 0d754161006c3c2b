"""One error type that carries its HTTP status; entry points turn it into a response or a message."""

from __future__ import annotations

from typing import Any


class Message(str):
    """An English sentence that keeps its msgid and parameters, so that an entry point can say it in the reader's
    language: `Message("%(day)s is in the future", day="2031-01-01")` is the text "2031-01-01 is in the future".

    The API answers with the English text (and its problem type); the pages translate `msgid` with the shared
    catalogue (`truce.translation`) and fill in `params`. `make messages` extracts the first argument of every
    `Message(...)` call.
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid = msgid
        text.params = params
        return text


def worded(text: str, msgid: str, **params: Any) -> Message:
    """A Message whose text for programs (the API, the command line) stays `text`, codes and all, while a page says
    `msgid` in the reader's language: `worded("the monitor role may not do incident.verify here",
    "Your role (%(role)s) does not allow this here: %(action)s.", role=..., action=...)`. `make messages` extracts
    its second argument."""
    said = str.__new__(Message, text)
    said.msgid = msgid
    said.params = params
    return said


class TruceError(Exception):
    """A failure a person can act on; `detail` is the message shown to them.

    `retry_after`, when set, is the seconds to wait before trying again: every entry point sends it as Retry-After.
    `message` is the detail as given: a `Message` when the pages can say it in another language.
    """

    status_code = 400
    retry_after: int | None = None
    # The input it is about, as a dotted path (`properties.planned_end`), when one field is to blame.
    field: str | None = None
    # The kind of problem, a stable name (`in_future`) that pages route by where the field alone does not say it:
    # a page never reads the English of a message to decide where it goes or what to say.
    code: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.message: str = detail


class BadRequest(TruceError):
    status_code = 400


class Unauthorized(TruceError):
    status_code = 401


class Forbidden(TruceError):
    status_code = 403


class NotFound(TruceError):
    status_code = 404


class Conflict(TruceError):
    """The request clashes with the record as it stands; `field`, when given, names the input that would settle it."""

    status_code = 409

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class TooLarge(TruceError):
    status_code = 413


class WrongCredentials(Unauthorized):
    """A user name and password (or Digest answer) that do not match: it counts toward the login limits."""


class TooManyRequests(TruceError):
    """Refused for now; `retry_after` says in how many seconds to try again."""

    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Invalid(TruceError):
    """Input that is well-formed but wrong; `field` names where, as a dotted path, and `code` what kind of wrong."""

    status_code = 422

    def __init__(self, detail: str, field: str | None = None, *, code: str | None = None) -> None:
        super().__init__(f"{field}: {detail}" if field else detail)
        self.field = field
        self.code = code
        # Without the field's name: the pages put the message beside the field.
        self.message = detail


class Inconsistent(ValueError):
    """A model-wide validator's complaint that names the field it is about and the kind of problem.

    Pydantic reports it like any ValueError (type `value_error`, message "Value error, ...", at the model's own
    location), so the API's answers do not change; a page reads `field` (a dotted path below that location, or ""
    for the model itself) and `code` (a stable name such as `end_before_start`) to put it on the right input, in its
    own words. `message` is a `Message`, so that a page without words of its own still translates it.
    """

    def __init__(self, message: str, *, field: str, code: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class ConfigError(TruceError):
    """The installation is set up wrongly: a bad data directory, database URL or secret."""

    status_code = 500


class Unavailable(TruceError):
    """The work could not be done in time (the database is busy with other writers); the caller may retry.

    Nothing of it was stored. `retry_after` is the Retry-After header's seconds: ODK Collect and HTTP clients retry
    a 503 that carries it.
    """

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
