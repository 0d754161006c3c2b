"""Routers whose routes FastAPI analyses once per process, when the application's route table is built.

A FastAPI `APIRouter` analyses a route (its parameters, dependencies, body and response models) when the route is
declared, and a router included into another has each of its routes analysed again for the application. Every
process that starts the app paid twice. A `DeclaredRouter` only records what its decorators declare; `build_into`
adds each route to the application's router (app.py), which analyses it once.

It carries the router-level settings Truce uses (`prefix`, `tags`, `include_in_schema`, `route_class`) and refuses
the others, which `build_into` would silently drop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


class DeclaredRouter(APIRouter):
    def __init__(self, **settings: Any) -> None:
        carried = {"prefix", "tags", "include_in_schema", "route_class"}
        if unknown := set(settings) - carried:
            raise TypeError(f"DeclaredRouter carries only {sorted(carried)}, not {sorted(unknown)}")
        super().__init__(**settings)
        self.declared: list[tuple[str, Callable[..., Any], dict[str, Any]]] = []

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self.declared.append((path, endpoint, options))

    def build_into(self, target: APIRouter, prefix: str = "") -> None:
        """Add every declared route to `target`, under `prefix` and this router's own prefix, tags and class."""
        if self.routes:  # mounts, websockets, included routers: FastAPI kept them here, and nothing would carry them
            raise TypeError(f"DeclaredRouter carries only API routes, not {[type(r).__name__ for r in self.routes]}")
        for path, endpoint, options in self.declared:
            target.add_api_route(
                prefix + self.prefix + path,
                endpoint,
                **{
                    **options,
                    "tags": [*self.tags, *(options.get("tags") or [])],
                    "include_in_schema": options.get("include_in_schema", True) and self.include_in_schema,
                    "route_class_override": options.get("route_class_override") or self.route_class,
                },
            )
