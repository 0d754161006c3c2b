"""`truce worker`: runs queued jobs (webhook deliveries, daily reports, exports).

It lives outside `truce.events`, whose import registers the log's listeners and loads SQLAlchemy, so that
`truce --help` does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce.console import friendly_errors, open_database, out, settings_for


def worker_command(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="data directory (default: $TRUCE_DATA_DIR or ./truce-data)")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, max=256, help="deliveries at once (default 8)")
    ] = None,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="stop once nothing is due")] = False,
) -> None:
    """Run queued jobs (webhook deliveries, reports, exports): procrastinate on PostgreSQL, one process on SQLite."""
    from truce.config import resolve_secret
    from truce.events import worker
    from truce.events.settings import DeliverySettings

    with friendly_errors():
        settings = settings_for(data_dir)
        delivery_settings = DeliverySettings()
        if concurrency is not None:
            delivery_settings.concurrency = concurrency
        with open_database(settings, migrate=False) as db:
            backend = "SQLite, one process" if db.is_sqlite else "PostgreSQL, procrastinate"
            out.print(f"worker started ({backend}, {delivery_settings.concurrency} at once)", highlight=False)
            worker.run(db, settings.effective_database_url(), resolve_secret(settings), delivery_settings,
                       idle_exit=until_idle)  # fmt: skip
        out.print("worker stopped", highlight=False)
