"""Events out: webhooks (Standard Webhooks), Atom feeds and CAP alerts, all born from the log.

Importing the package registers the outbox with the log (`ledger.service.listen`): `truce.models` imports
`truce.events.models`, so every process that loads the tables (the app, the CLI, the worker, the tests) fills
the outbox in the same transaction as each log entry.
"""

from truce.events import cap, outbox
from truce.ledger import service as _ledger

_ledger.listen(outbox.on_entries)
_ledger.listen(cap.on_entries)
