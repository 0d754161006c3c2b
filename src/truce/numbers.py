"""Bounds on every whole number Truce accepts: ids, log positions, pages, and what people count.

A number outside these bounds is refused where it enters (API, pages, phones, imports) with the field named,
so that nothing the database, the JSON columns or the log cannot hold exactly is ever stored. The maxima are
what a person would expect of the thing counted, with room to spare; they are not storage limits.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

# SQL BIGINT (log indices, sizes), and the widest integer every reader of a JSON column keeps exact.
INT64_MAX = 2**63 - 1
# SQL INTEGER: every table's id column. PostgreSQL refuses a larger value in a comparison with one (a 500).
ID_MAX = 2**31 - 1

# Rounds, impacts, airbursts counted in one incident: a day-long barrage is thousands, not millions.
MAX_EVENTS = 100_000
# People killed or injured in one incident, per group.
MAX_CASUALTIES = 100_000
# People, families or vehicles crossing in one movement, or handed over in one exchange.
MAX_PEOPLE = 1_000_000
# A number a party or a medium states (returnees, fighters): claims can be wild, but not astronomical.
MAX_STATED = 1_000_000_000
# Personnel and vehicles of a deployment or a mandate's ceiling: the largest peace operations count tens of thousands.
MAX_PERSONNEL = 1_000_000
MAX_VEHICLES = 100_000

# A record's id (path, query or body): rows are numbered from 1; anything beyond INTEGER names no record.
Id = Annotated[int, Ge(1), Le(ID_MAX)]
# A position in the log or a list (an index, a size, an offset): from 0.
Position = Annotated[int, Ge(0), Le(INT64_MAX)]
EventCount = Annotated[int, Ge(0), Le(MAX_EVENTS)]
CasualtyCount = Annotated[int, Ge(0), Le(MAX_CASUALTIES)]
PeopleCount = Annotated[int, Ge(0), Le(MAX_PEOPLE)]
StatedFigure = Annotated[int, Ge(0), Le(MAX_STATED)]
PersonnelCount = Annotated[int, Ge(0), Le(MAX_PERSONNEL)]
VehicleCount = Annotated[int, Ge(0), Le(MAX_VEHICLES)]
# Any other whole number that is only carried along (a GeoJSON Feature's own id): what BIGINT and the log hold.
Int64 = Annotated[int, Ge(-(2**63)), Le(INT64_MAX)]
