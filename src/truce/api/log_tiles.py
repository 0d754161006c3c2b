"""The log per C2SP tlog-tiles under /api/v1/log/tiles: the checkpoint, hash tiles and entry bundles.

Hash tiles hold hashes only (a leaf hash of an entry with a microsecond timestamp cannot be guessed back), so every
logged-in user reads them; an entry bundle goes only to a caller who may read every entry in it. The others take
the leaf hashes of the entries they may not read from the level-0 tiles and the rest from the entries API.
"""

from __future__ import annotations

import json

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse

from truce import policy
from truce.api.log import entry_owners, log_reader_for
from truce.api.problems import FORBIDDEN, NOT_FOUND
from truce.deps import CurrentUser, ReadSession, WriteSession
from truce.errors import Forbidden, Unauthorized
from truce.ledger import service as ledger
from truce.ledger import tiles
from truce.routers import DeclaredRouter

router = DeclaredRouter(prefix="/log/tiles", tags=["log"])
# A tile, full or partial, never changes once served; the checkpoint changes with every write.
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
OCTETS = "application/octet-stream"


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(request: Request, session: WriteSession, user: CurrentUser) -> Response:
    """The latest signed checkpoint (C2SP signed note) with its cosignatures: the root the tiles build."""
    if user is None:
        raise Unauthorized("log in to read the log")
    stored = ledger.checkpoint(session, request.app.state.log_signer)
    text = ledger.checkpoint_with_cosignatures(session, stored)
    return PlainTextResponse(text, headers={"Cache-Control": "no-cache"})


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the tile's or bundle's bytes"},
        **FORBIDDEN,
        **NOT_FOUND,
    },
)
def tile(session: ReadSession, user: CurrentUser, path: str) -> Response:
    """A hash tile `<L>/<N>[.p/<W>]` or an entry bundle `entries/<N>[.p/<W>]` (N written as x001/x234/067)."""
    if user is None:
        raise Unauthorized("log in to read the log")
    wanted = tiles.parse(path)
    size = ledger.size(session)
    if wanted.level is not None:
        return Response(tiles.hash_tile(session, wanted, size), media_type=OCTETS, headers=IMMUTABLE)
    entries = tiles.bundle_entries(session, wanted, size)
    reader = log_reader_for(session, user)
    owners = entry_owners(session, entries)
    hidden = [
        e.idx
        for e in entries
        if not policy.can_read_entry(
            reader,
            e.mission_id,
            e.entity_type,
            json.loads(e.data)["entity"],
            owners.get((e.entity_type, e.entity_id), set()),
        )
    ]
    if hidden:
        raise Forbidden(
            f"{len(hidden)} entries of this bundle (first {hidden[0]}) are about records you may not read: take their "
            "leaf hashes from the level-0 tile and the other entries from /api/v1/log/entries"
        )
    return Response(tiles.bundle(entries), media_type=OCTETS, headers=IMMUTABLE)
