"""Error bodies, and the OpenAPI document that describes them: one shape, written down once.

Every error answers `{"detail": "..."}`; a 422 adds `errors`, one per field. The handlers in `truce.app` build
these models, and `document` puts the same models in `/openapi.json` in place of FastAPI's default
`HTTPValidationError` (which Truce never sends), with each status a route can answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute

from truce import deps


class Problem(BaseModel):
    """What every error answers."""

    detail: str


class FieldProblem(BaseModel):
    """One thing wrong with a request, and where: a dotted path such as `properties.counts.events`."""

    field: str
    message: str


class ValidationProblem(Problem):
    """A 422: the request was understood but is wrong; `detail` joins `errors` for people reading it whole."""

    errors: list[FieldProblem] = Field(description="the first 20 errors at most")
    error_count: int = Field(description="how many errors were found, listed or not")


def validation_problem(errors: list[FieldProblem], found: int) -> dict[str, Any]:
    """The body of a 422 listing `errors`, the first of the `found` errors."""
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
    if found > len(errors):
        detail += f"; and {found - len(errors)} more errors"
    return ValidationProblem(detail=detail, errors=errors, error_count=found).model_dump()


def _answer(description: str, model: type[BaseModel] = Problem) -> dict[str, Any]:
    return {"description": description, "model": model}


# For routes whose services refuse a change the record does not allow; the rest is derived in `document`.
CONFLICT: dict[int | str, dict[str, Any]] = {409: _answer("Conflict: the record's state does not allow this")}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _answer("Not found, or not visible to the caller")}
FORBIDDEN: dict[int | str, dict[str, Any]] = {403: _answer("Forbidden: the caller's role may not do this")}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: _answer("Unauthorized: wrong username or password")}

_DERIVED = {
    400: "Bad request: the body could not be parsed (not UTF-8, or a broken multipart or form body)",
    401: "Unauthorized: no login where one is needed, or a bearer token that is not valid or has expired",
    403: "Forbidden: the caller's role may not do this",
    404: "Not found: no such mission or record, or one the caller may not see",
    413: "Too large: the body is over the upload limit (TRUCE_MAX_UPLOAD_MB; 32 MB for JSON)",
    422: "Invalid: the request names the fields that are wrong",
}
_SCOPES = {deps.read_scope, deps.write_scope, deps.report_scope}


def install(app: FastAPI) -> None:
    """Serve an OpenAPI document whose errors are the ones Truce sends."""
    generate = app.openapi
    documented: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's, cached until the routes change
        if id(schema) not in documented:
            document(schema, app.routes)
            documented[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every APIRoute of the app as it answers, with its prefixes (`path_format`, `methods`, `dependant`)."""
    # Included routers are kept whole and resolved lazily; the contexts are what FastAPI's own OpenAPI reads.
    for context in routing.iter_route_contexts(list(routes)):
        if isinstance(context.original_route, APIRoute):
            yield context


def document(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Add each route's error answers to `schema` and replace FastAPI's validation error with Truce's."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for model in (Problem, FieldProblem, ValidationProblem):
        components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for route in api_routes(routes):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format].get(method.lower())
            if operation is not None:
                _document_operation(operation, route)


def _document_operation(operation: dict[str, Any], route: Any) -> None:
    responses = operation.setdefault("responses", {})
    calls = set(_calls(route.dependant))
    body = operation.get("requestBody", {}).get("content", {})
    statuses = set()
    if route.dependant.path_params:
        statuses.add(404)
    if deps.current_user in calls:
        statuses.add(401)
    if calls & _SCOPES:
        # Mission routes: an unknown mission is a 404; a write (or a staff-only read) the role may not do is a 403.
        statuses |= {401, 403, 404}
    if body:
        # Any body may be over the limit, or not be text in the encoding it claims (FastAPI's 400).
        statuses |= {400, 413}
    if route.dependant.path_params or route.dependant.query_params or body or "422" in responses:
        statuses.add(422)
    for code in sorted(statuses):
        model = ValidationProblem if code == 422 else Problem
        existing = responses.get(str(code), {})
        responses[str(code)] = {
            "description": _DERIVED[code] if code == 422 else existing.get("description") or _DERIVED[code],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    for code, answer in responses.items():
        # Statuses declared on the route itself (409, a 403 outside a mission) speak Problem too.
        if code.startswith(("4", "5")) and "content" not in answer:
            answer["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)
