"""A track's points packed as one column: longitude, latitude, time and accuracy per point, little-endian.

One row per point cost a log entry or a bulk insert per point; packed, 100,000 points are 3.2 MB read and written
in one go, and the log keeps their SHA-256.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from truce import limits
from truce.errors import Invalid, Message

# Time in seconds since 1970 (NaN: no time); accuracy in metres (NaN: unknown).
DTYPE = np.dtype([("lon", "<f8"), ("lat", "<f8"), ("time", "<f8"), ("accuracy", "<f8")])
Floats = NDArray[np.float64]
# What is wrong with a point, said with its number (`number`) and its value (`value`).
OFF_LATITUDE = Message("point %(number)s: latitude %(value)s is off the globe (-90 to 90)").msgid
OFF_LONGITUDE = Message("point %(number)s: longitude %(value)s is off the globe (-180 to 180)").msgid
BAD_ACCURACY = Message("point %(number)s: accuracy %(value)s is not a distance in metres").msgid
NO_TIME = Message("point %(number)s: has no time, unlike the points before it").msgid
A_TIME = Message("point %(number)s: has a time, unlike the points before it").msgid


@dataclass(frozen=True)
class Points:
    """A track's points as arrays of equal length, in the order they were recorded."""

    lon: Floats
    lat: Floats
    time: Floats
    accuracy: Floats

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def timed(self) -> bool:
        """Whether every point has a time."""
        return len(self) > 0 and not bool(np.isnan(self.time).any())

    def moment(self, index: int) -> datetime | None:
        """The time of point `index`, if it has one."""
        return at(float(self.time[index]))


def at(seconds: float) -> datetime | None:
    """A UTC time from seconds since 1970; None for NaN."""
    return None if np.isnan(seconds) else datetime.fromtimestamp(seconds, UTC)


def pack(points: Points) -> bytes:
    """The points as bytes for the `points` column."""
    packed = np.empty(len(points), dtype=DTYPE)
    packed["lon"], packed["lat"] = points.lon, points.lat
    packed["time"], packed["accuracy"] = points.time, points.accuracy
    return packed.tobytes()


def unpack(blob: bytes) -> Points:
    """The points a `points` column holds."""
    packed = np.frombuffer(blob, dtype=DTYPE)
    return Points(
        lon=packed["lon"].astype(np.float64),
        lat=packed["lat"].astype(np.float64),
        time=packed["time"].astype(np.float64),
        accuracy=packed["accuracy"].astype(np.float64),
    )


def digest(blob: bytes) -> str:
    """The SHA-256 of packed points, hex."""
    return hashlib.sha256(blob).hexdigest()


class PointsBuilder:
    """Collects points one by one and refuses what no track can hold, naming the first bad point.

    Positions off the globe, times that go backwards, a mix of timed and untimed points, and more than
    `limits.MAX_TRACK_POINTS` points. Points are checked in batches of `BATCH` with numpy (one by one in Python
    the checks cost as much as reading the XML), so a bad file is refused within a batch of its first bad point.
    """

    BATCH = 8192

    def __init__(self, field: str) -> None:
        self.field = field
        # Arrays of doubles, 8 bytes a value (a list held 32): memory stays at what the points are worth.
        self._lon = array("d")
        self._lat = array("d")
        self._time = array("d")
        self._accuracy = array("d")
        self._checked = 0
        self._timed: bool | None = None
        # Times as written (`add_text`), turned into seconds a batch at a time.
        self._texts: list[str | None] = []

    @property
    def count(self) -> int:
        """How many points were added."""
        return len(self._lon)

    def add(self, lon: float, lat: float, seconds: float | None, accuracy: float | None) -> None:
        """Add the next point (None: no time, accuracy unknown)."""
        self._lon.append(lon)
        self._lat.append(lat)
        self._time.append(math.nan if seconds is None else seconds)
        self._accuracy.append(math.nan if accuracy is None else accuracy)
        if len(self._lon) - self._checked >= self.BATCH:
            self._check()

    def add_text(self, lon: float, lat: float, time: str | None, accuracy: float | None) -> None:
        """Add the next point with its time as an ISO 8601 text (None: no time); not mixed with `add`.

        A batch of times in UTC written `...Z` (as GPX writers do) is read by numpy at once: per point in Python the
        parsing cost a tenth of the import. Any other form is read by `datetime.fromisoformat`, a naive time as UTC.
        """
        self._lon.append(lon)
        self._lat.append(lat)
        self._texts.append(time)
        self._accuracy.append(math.nan if accuracy is None else accuracy)
        if len(self._lon) - self._checked >= self.BATCH:
            self._check()

    def finish(self) -> Points:
        """The points collected; Invalid when there are fewer than two or one of them is bad."""
        self._check()
        if len(self._lon) < 2:
            raise Invalid(
                Message("a track needs at least two points; this one has %(count)s", count=len(self._lon)), self.field
            )
        return Points(
            lon=np.frombuffer(self._lon, dtype=np.float64),
            lat=np.frombuffer(self._lat, dtype=np.float64),
            time=np.frombuffer(self._time, dtype=np.float64),
            accuracy=np.frombuffer(self._accuracy, dtype=np.float64),
        )

    def _check(self) -> None:
        """Check the points added since the last check."""
        if self._texts:
            self._time.extend(_seconds(self._texts, self._checked, self.field))
            self._texts.clear()
        first, end = self._checked, len(self._lon)
        if end > limits.MAX_TRACK_POINTS:
            raise Invalid(
                Message("more than %(most)s points; split the track", most=f"{limits.MAX_TRACK_POINTS:,}"), self.field
            )
        if first == end:
            return
        lon = self._slice(self._lon, first, end)
        lat = self._slice(self._lat, first, end)
        self._first_bad(~(np.abs(lat) <= 90.0), first, lat, OFF_LATITUDE)
        self._first_bad(~(np.abs(lon) <= 180.0), first, lon, OFF_LONGITUDE)
        accuracy = self._slice(self._accuracy, first, end)
        self._first_bad(~np.isnan(accuracy) & ~((accuracy >= 0) & (accuracy <= 1e6)), first, accuracy,
                        BAD_ACCURACY)  # fmt: skip
        # Times: all or none, each no earlier than the one before (the last of the previous batch included).
        start = max(first - 1, 0)
        times = self._slice(self._time, start, end)
        missing = np.isnan(times)
        if self._timed is None:
            self._timed = not bool(missing[0])
        mixed = missing if self._timed else ~missing
        self._first_bad(mixed, start, times, NO_TIME if self._timed else A_TIME)
        if self._timed:
            backwards = np.flatnonzero(np.diff(times) < 0)
            if len(backwards):
                number = start + int(backwards[0]) + 2
                earlier, later = at(self._time[number - 2]), at(self._time[number - 1])
                raise Invalid(
                    Message(
                        "point %(number)s: its time %(later)s is before that of point %(previous)s (%(earlier)s); "
                        "times must not go backwards",
                        number=number,
                        later=f"{later:%Y-%m-%dT%H:%M:%SZ}",
                        previous=number - 1,
                        earlier=f"{earlier:%Y-%m-%dT%H:%M:%SZ}",
                    ),
                    self.field,
                )
        self._checked = end

    @staticmethod
    def _slice(values: array[float], first: int, end: int) -> Floats:
        """Values [first, end) as a numpy array, copied (the array may grow and move afterwards)."""
        return np.frombuffer(values, dtype=np.float64, count=end - first, offset=first * 8).copy()

    def _first_bad(self, bad: NDArray[np.bool_], offset: int, values: Floats, msgid: str) -> None:
        found = np.flatnonzero(bad)
        if len(found):
            index = int(found[0])
            raise Invalid(Message(msgid, number=offset + index + 1, value=float(values[index])), self.field)


def _seconds(texts: list[str | None], offset: int, field: str) -> array[float]:
    """Seconds since 1970 (NaN: no time) of ISO 8601 texts, point `offset + 1` first."""
    if all(t is not None and len(t) == 20 and t[10] == "T" and t[19] == "Z" for t in texts):
        try:
            # numpy reads a time without an offset; these are all UTC ("Z"), so the offset is dropped.
            parsed = np.array([t[:19] for t in texts if t is not None], dtype="datetime64[s]")
            return array("d", parsed.astype(np.int64).astype(np.float64).tobytes())
        except ValueError:
            pass  # one of them is not a time: read them one by one, for the error's point number
    return array("d", (_one_time(text, offset + i + 1, field) for i, text in enumerate(texts)))


def _one_time(text: str | None, number: int, field: str) -> float:
    if text is None:
        return math.nan
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            Message("point %(number)s: time %(text)r is not an ISO 8601 time", number=number, text=text[:40]), field
        ) from None
    # GPX times are UTC; one written without an offset is read as UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
