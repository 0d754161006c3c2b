"""Every operation of /openapi.json, fuzzed by schemathesis in process: no 5xx, and nothing outside the document.

Requests go to the app over schemathesis's ASGI transport (no server), anonymous and with verifier-ru's bearer
token, a few derandomized examples per operation (Hypothesis's fixed seed), valid and invalid ones. Each
operation runs in the rolled-back `db` of its own test, so what the fuzzer writes is gone afterwards.

Checks, and why these:
- not_a_server_error: a 5xx is a bug whatever the input.
- status_code_conformance: every status answered is documented (401, 403, 404, 409, 413, 422 included).
- response_schema_conformance: each body matches the schema of its status, the 422 body among them.
- content_type_conformance: JSON, GeoJSON, text and files say what they are.
Not negative_data_rejection: a schema cannot say every rule a service checks (a site that must be a checkpoint),
so an input the schema calls invalid but the API accepts is not a fault; the services' own tests cover them.

Only Hypothesis's generate phase runs: schemathesis's coverage phase (boundary values for every parameter, tied
to the explicit phase) multiplies the run time several times over; the boundaries that mattered, whole numbers
at and beyond BIGINT, are checked on every route by tests/api/test_numbers.py instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from support import TEST_SECRET
from truce import auth
from truce.app import create_app
from truce.config import Settings
from truce.db import connect
from truce.users import service as users_service

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
# OpenRosa speaks XML to phones by its own protocol (headers, Digest, OpenRosaResponse bodies); its routes are
# fuzzed for 5xx only until their XML answers are documented.
PROTOCOL_CHECKS = [not_a_server_error]
EXAMPLES = 3


def _schema() -> schemathesis.BaseSchema:
    """The operations, read from an app over an empty in-memory database; each test calls its own app instead."""
    with tempfile.TemporaryDirectory() as directory, connect("sqlite://") as db:
        app = create_app(Settings(data_dir=Path(directory), secret_key=TEST_SECRET), db)
        return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = _schema()


@pytest.fixture(autouse=True)
def _stop_lifespans() -> Iterator[None]:
    yield
    # The transport keeps each app's lifespan running for the rest of the process unless told otherwise.
    asgi.shutdown_lifespans()


def bearer(app: FastAPI, session: Session, account: str) -> dict[str, str]:
    """No login, or a bearer token for the account (signed as the token route signs it, without hashing a password)."""
    if account == "public":
        return {}
    user = users_service.get_by_name(session, account)
    return {"Authorization": f"Bearer {auth.issue_token(app.state.secret, user)}"}


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_anonymous(case: schemathesis.Case, app: FastAPI, session: Session) -> None:
    call(case, app, bearer(app, session, "public"))


@schema.parametrize()
@FUZZ
def test_verifier(case: schemathesis.Case, app: FastAPI, session: Session) -> None:
    call(case, app, bearer(app, session, "verifier-ru"))


def call(case: schemathesis.Case, app: FastAPI, headers: dict[str, str]) -> None:
    checks = PROTOCOL_CHECKS if case.operation.path.startswith("/openrosa/") else CHECKS
    # A generous time limit: the whole suite shares two cores, and a slow answer is not what this test looks for.
    case.call_and_validate(app=app, headers=headers, checks=checks, timeout=60)
