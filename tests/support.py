"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Login = Callable[[str], dict[str, str]]


def point_feature(lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    """A GeoJSON Point Feature."""
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
