"""Events out: webhooks (Standard Webhooks), Atom feeds and CAP alerts, all born from the log.

Importing the package registers the outbox with the log (`ledger.service.listen`): `truce.models` imports
`truce.events.models`, so every process that loads the tables (the app, the CLI, the worker, the tests) fills
the outbox in the same transaction as each log entry. The listeners import the outbox and the CAP rules when
they are first called, so a command that writes nothing (`truce --help`, `truce worker`'s parsing) does not
load them and what they import (the missions' schemas, FastAPI's parameter types).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from truce.ledger import service as _ledger


def _outbox(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    from truce.events import outbox

    outbox.on_entries(session, entries)


def _cap(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    from truce.events import cap

    cap.on_entries(session, entries)


_ledger.listen(_outbox)
_ledger.listen(_cap)
