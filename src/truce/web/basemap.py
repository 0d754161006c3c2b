"""A mission-provided basemap: one local PMTiles file (TRUCE_BASEMAP_PMTILES), served by Truce itself.

The map pages read it with the `pmtiles` library (vendored from npm like Leaflet) through HTTP range requests,
so nothing comes from a tile server or a CDN; the service worker keeps the whole file for offline use when it is
no larger than MAX_OFFLINE_BYTES (docs/offline.md).
"""

from __future__ import annotations

from pathlib import Path

from truce.config import Settings

# The largest file the service worker keeps for offline use (a region's raster or vector tiles, a few zooms).
MAX_OFFLINE_BYTES = 512 * 1024 * 1024
MEDIA_TYPE = "application/vnd.pmtiles"


def path(settings: Settings) -> Path | None:
    """The configured file, when there is one and it can be read."""
    found = settings.basemap_pmtiles
    return found if found is not None and found.is_file() else None


def version(settings: Settings) -> str | None:
    """Names this version of the file (its size and modification time): a new file is a new URL and cache."""
    found = path(settings)
    if found is None:
        return None
    stat = found.stat()
    return f"{stat.st_size:x}-{stat.st_mtime_ns:x}"
