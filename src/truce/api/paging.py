"""Pages of a list answer: `limit` and `offset`, the total in `X-Total-Count`, the next page in `Link`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response

from truce import limits

Row = TypeVar("Row")
DESCRIPTION = (
    f"at most this many items (1 to {limits.MAX_PAGE:,}, default {limits.DEFAULT_PAGE:,}); "
    'the answer\'s `X-Total-Count` header gives how many there are, and `Link: <...>; rel="next"` the next page'
)

# For the routes that carry `limit` and `offset` in the answer (FeatureCollections, movements).
FEATURES = (
    f"at most this many items (1 to {limits.MAX_PAGE:,}); the answer echoes `limit` and `offset`, "
    "and a page shorter than `limit` is the last"
)


@dataclass
class Paging:
    """The page a list route was asked for, and the response whose headers describe it."""

    request: Request
    response: Response
    limit: int
    offset: int

    def page(self, rows: Sequence[Row]) -> list[Row]:
        """The rows of this page; the headers say how many there are and where the next page is."""
        self.response.headers["X-Total-Count"] = str(len(rows))
        if self.offset + self.limit < len(rows):
            following = self.request.url.include_query_params(limit=self.limit, offset=self.offset + self.limit)
            self.response.headers["Link"] = f'<{following}>; rel="next"'
        return list(rows[self.offset : self.offset + self.limit])


def paging(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE, description=DESCRIPTION)] = limits.DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="items to skip before the page")] = 0,
) -> Paging:
    return Paging(request, response, limit, offset)


Page = Annotated[Paging, Depends(paging)]
