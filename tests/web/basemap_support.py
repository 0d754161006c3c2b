"""A tiny PMTiles v3 archive of raster tiles, written in the test with the `pmtiles` package (nothing downloaded)."""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

# Around the demo mission (nk-2020), at the zooms its map opens on.
WEST, SOUTH, EAST, NORTH = 45.5, 39.0, 47.6, 40.8
MIN_ZOOM, MAX_ZOOM = 5, 12
# One colour per zoom: a tile drawn from the archive is told apart from any other background.
COLOUR = (20, 160, 90)


def _tile_range(zoom: int) -> tuple[range, range]:
    def x_of(lon: float) -> int:
        return int((lon + 180) / 360 * 2**zoom)

    def y_of(lat: float) -> int:
        rad = math.radians(lat)
        return int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * 2**zoom)

    return range(x_of(WEST), x_of(EAST) + 1), range(y_of(NORTH), y_of(SOUTH) + 1)


def png(zoom: int) -> bytes:
    image = Image.new("RGB", (256, 256), (COLOUR[0], COLOUR[1], COLOUR[2] + zoom))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def write_pmtiles(path: Path) -> Path:
    """Write the archive at `path`: PNG tiles over the mission's area, zooms MIN_ZOOM to MAX_ZOOM."""
    tiles: dict[int, bytes] = {}
    for zoom in range(MIN_ZOOM, MAX_ZOOM + 1):
        data = png(zoom)
        xs, ys = _tile_range(zoom)
        for x in xs:
            for y in ys:
                tiles[zxy_to_tileid(zoom, x, y)] = data
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        writer = Writer(out)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        e7 = 10_000_000
        header = {
            "tile_type": TileType.PNG,
            "tile_compression": Compression.NONE,
            "min_lon_e7": int(WEST * e7),
            "min_lat_e7": int(SOUTH * e7),
            "max_lon_e7": int(EAST * e7),
            "max_lat_e7": int(NORTH * e7),
            "center_zoom": 8,
            "center_lon_e7": int((WEST + EAST) / 2 * e7),
            "center_lat_e7": int((SOUTH + NORTH) / 2 * e7),
        }
        writer.finalize(header, {"attribution": "Truce test tiles", "name": "test"})
    return path
