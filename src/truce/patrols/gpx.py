"""GPX 1.0 and 1.1 tracks read as a stream: `trk/trkseg/trkpt` with `lat`, `lon`, `time` and an accuracy.

No tree is built: memory grows by the 32 bytes each point is kept in, whatever else the file holds. The guards are
defusedxml's (`defusedxml.expatreader`): a DTD, an entity declaration or an external reference refuses the file.
They are set on expat directly because defusedxml's SAX and ElementTree layers call Python code several times per
element: 100,000 points took 1.6 s through its SAX reader and 0.4 s here. gpxpy, the usual GPX library, builds the
whole document and an object per point with the standard library's unguarded parser, so it is not used for files
from outside (benchmarks/patrol_tracks.py).
"""

from __future__ import annotations

import pyexpat
from typing import BinaryIO, NoReturn

from truce.errors import Invalid, Message
from truce.patrols.points import Points, PointsBuilder

FIELD = "file"
# Extension elements some recorders use for a point's horizontal accuracy in metres (OsmAnd, GPSLogger, Locus).
ACCURACY_TAGS = frozenset({"accuracy", "hacc", "horizontal_accuracy"})
CHUNK = 256 * 1024
NOT_A_NUMBER = {"accuracy": Message("point %(number)s: accuracy %(text)r is not a number").msgid}


def read(source: BinaryIO, field: str = FIELD) -> Points:
    """The points of every track segment in the file, in order; Invalid with a clear reason otherwise."""
    reader = _Reader(field)
    try:
        while chunk := source.read(CHUNK):
            reader.parser.Parse(chunk, False)
        reader.parser.Parse(b"", True)
    except pyexpat.ExpatError as exc:
        if reader.root is None:
            raise Invalid(Message("the file is empty or not XML"), field) from None
        raise Invalid(
            Message("not well-formed XML at line %(line)s, column %(column)s", line=exc.lineno, column=exc.offset),
            field,
        ) from None
    return reader.builder.finish()


class _Reader:
    """Keeps each `trkpt`'s position, time and accuracy, and nothing else of the document."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.builder = PointsBuilder(field)
        self.root: str | None = None
        self._point: tuple[float, float] | None = None
        self._time: str | None = None
        self._accuracy: float | None = None
        self._text: list[str] = []
        parser = pyexpat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        # defusedxml's guards (forbid_dtd, forbid_entities, forbid_external).
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_entity
        parser.UnparsedEntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_external
        self.parser = parser

    def _refuse_dtd(self, *_: object) -> NoReturn:
        raise Invalid(
            Message("refused: the file declares a DTD (<!DOCTYPE>), which a GPX file has no use for"), self.field
        )

    def _refuse_entity(self, *_: object) -> NoReturn:
        raise Invalid(Message("refused: the file declares XML entities"), self.field)

    def _refuse_external(self, *_: object) -> NoReturn:
        raise Invalid(Message("refused: the file refers to an external resource"), self.field)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        # Called for every element: a dictionary look-up decides, and most elements stop there.
        kind = _KINDS.get(name)
        if kind is None:
            kind = _kind(name)
        if kind == 0:
            if self.root is None:
                raise Invalid(
                    Message("not a GPX file: its root element is <%(name)s>, not <gpx>", name=name), self.field
                )
            return
        if kind == POINT:
            try:
                self._point = (float(attrs["lon"]), float(attrs["lat"]))
            except (KeyError, ValueError):
                raise Invalid(
                    Message("point %(number)s: no readable lat and lon", number=self.builder.count + 1), self.field
                ) from None
            self._time = self._accuracy = None
        elif kind == GPX:
            self.root = self.root or name
        elif self._point is not None:
            # Text is collected only here: a handler for every run of whitespace doubled the reading time.
            self._text = []
            self.parser.CharacterDataHandler = self._text.append
        if self.root is None:
            raise Invalid(Message("not a GPX file: its root element is <%(name)s>, not <gpx>", name=name), self.field)

    def _end(self, name: str) -> None:
        if self._point is None:
            return
        kind = _KINDS.get(name)
        if kind == POINT:
            lon, lat = self._point
            self.builder.add_text(lon, lat, self._time, self._accuracy)
            self._point = None
        elif self.parser.CharacterDataHandler is not None:
            self.parser.CharacterDataHandler = None
            text = "".join(self._text).strip()
            if kind == TIME:
                # Read with the rest of its batch (points.PointsBuilder.add_text).
                self._time = text
            elif text:
                self._accuracy = self._number(text, "accuracy")

    def _number(self, text: str, what: str) -> float:
        try:
            return float(text)
        except ValueError:
            number = self.builder.count + 1
            raise Invalid(Message(NOT_A_NUMBER[what], number=number, text=text[:40]), self.field) from None


# What each element name is to the reader, by its name as written (with any prefix); 0: nothing.
GPX, POINT, TIME, ACCURACY = 1, 2, 3, 4
_KINDS: dict[str, int] = {"gpx": GPX, "trkpt": POINT, "time": TIME, "ele": 0, "trk": 0, "trkseg": 0, "name": 0}


def _kind(name: str) -> int:
    """GPX, POINT, TIME, ACCURACY or 0 for an element name: GPX 1.0 and 1.1 differ only in their namespace."""
    local = name.rpartition(":")[2]
    kind = {"gpx": GPX, "trkpt": POINT, "time": TIME}.get(local, ACCURACY if local in ACCURACY_TAGS else 0)
    if len(_KINDS) < 1000:  # a file of a million made-up names does not grow the cache
        _KINDS[name] = kind
    return kind
