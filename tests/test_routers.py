"""DeclaredRouter: routes recorded where they are declared, built once into the application's router."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from truce.routers import DeclaredRouter


class Marked(APIRoute):
    """A route class of the router's own, as the pages use."""


def test_declared_routes_are_built_once_with_the_router_s_prefix_tags_and_class() -> None:
    declared = DeclaredRouter(prefix="/things", tags=["things"], route_class=Marked)

    @declared.get("/{thing_id}", tags=["read"])
    def one(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @declared.post("/", include_in_schema=False, status_code=201)
    def add() -> dict[str, str]:
        return {}

    assert declared.routes == []  # nothing analysed where it was declared
    app = FastAPI()
    declared.build_into(app.router, "/api")
    built = {route.path: route for route in app.router.routes if isinstance(route, APIRoute)}
    assert set(built) == {"/api/things/{thing_id}", "/api/things/"}
    read, added = built["/api/things/{thing_id}"], built["/api/things/"]
    assert isinstance(read, Marked)
    assert isinstance(added, Marked)
    assert read.tags == ["things", "read"]
    assert read.include_in_schema
    assert not added.include_in_schema
    assert added.status_code == 201
    with TestClient(app) as client:
        assert client.get("/api/things/7").json() == {"id": 7}
        assert client.get("/api/things/seven").status_code == 422
        assert client.post("/api/things/").status_code == 201
    assert list(app.openapi()["paths"]) == ["/api/things/{thing_id}"]


def test_a_router_hidden_from_the_schema_hides_its_routes() -> None:
    declared = DeclaredRouter(include_in_schema=False)
    declared.add_api_route("/hidden", lambda: {}, methods=["GET"])
    target = APIRouter()
    declared.build_into(target)
    (route,) = target.routes
    assert isinstance(route, APIRoute)
    assert not route.include_in_schema


@pytest.mark.parametrize(
    "settings",
    [{"dependencies": [Depends(lambda: None)]}, {"responses": {404: {}}}, {"deprecated": True}, {"callbacks": []}],
)
def test_router_settings_it_would_drop_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="DeclaredRouter carries only"):
        DeclaredRouter(**settings)  # type: ignore[arg-type]


def test_routes_of_other_kinds_are_refused_not_dropped() -> None:
    declared = DeclaredRouter()
    declared.add_route("/plain", lambda request: None)
    with pytest.raises(TypeError, match="carries only API routes"):
        declared.build_into(APIRouter())
