"""`truce worker`: runs the delivery jobs. On PostgreSQL procrastinate runs them (several workers, each job
claimed once, a dead worker's jobs retried by another); on SQLite one process runs the same job function.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from truce.db import Database
from truce.events import delivery, queue
from truce.events.settings import DeliverySettings
from truce.jobs import queue as jobs_queue
from truce.jobs import service as jobs_service

log = logging.getLogger("truce.events")
SWEEP_S = 60.0


def run(
    db: Database, database_url: str, server_secret: str, settings: DeliverySettings, *, idle_exit: bool = False
) -> None:
    """Run deliveries until stopped (SIGINT, SIGTERM), or, with `idle_exit`, until nothing is due."""
    deliverer = delivery.Deliverer.open(db, server_secret, settings)
    try:
        if db.is_sqlite:
            _run_sqlite(deliverer, idle_exit=idle_exit)
        else:
            asyncio.run(_run_postgres(deliverer, database_url, idle_exit=idle_exit))
    finally:
        deliverer.close()


# --- SQLite: one process, a pool of threads, the outbox read directly -----------------------------------------


def _run_sqlite(deliverer: delivery.Deliverer, *, idle_exit: bool) -> None:
    """One job per receiver with due events, `concurrency` receivers at once, as procrastinate would run them."""
    settings = deliverer.settings
    stop = threading.Event()
    _on_signals(stop.set)
    busy: set[int] = set()  # receivers whose job is in hand
    guard = threading.Lock()

    def done(subscription_id: int) -> Callable[[Future[str]], None]:
        def forget(future: Future[str]) -> None:
            with guard:
                busy.discard(subscription_id)
            if future.exception() is not None:
                log.error("deliveries to subscription %s failed: %s", subscription_id, future.exception())

        return forget

    jobs_in_hand: set[int] = set()  # report and export jobs in hand

    def job_done(job_id: int) -> Callable[[Future[str]], None]:
        def forget(future: Future[str]) -> None:
            with guard:
                jobs_in_hand.discard(job_id)
            if future.exception() is not None:
                log.error("job %s failed: %s", job_id, future.exception())

        return forget

    db = deliverer.db
    jobs_service.take_back(db)
    with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="truce-delivery") as pool:
        while not stop.is_set():
            with guard:
                in_hand, jobs_held = set(busy), set(jobs_in_hand)
            free = settings.concurrency - len(in_hand) - len(jobs_held)
            picked = delivery.due_receivers(db, free, in_hand) if free > 0 else []
            jobs = jobs_service.queued(db, free - len(picked), jobs_held) if free > len(picked) else []
            if idle_exit and not picked and not in_hand and not jobs and not jobs_held:
                break
            for subscription_id in picked:
                with guard:
                    busy.add(subscription_id)
                pool.submit(deliverer.run, subscription_id).add_done_callback(done(subscription_id))
            for job_id in jobs:
                with guard:
                    jobs_in_hand.add(job_id)
                pool.submit(jobs_service.run, db, job_id).add_done_callback(job_done(job_id))
            stop.wait(settings.poll_s)


def _subscription_of(db: Database, event_id: int) -> int:
    from sqlalchemy import select

    from truce.events.models import Event

    with db.session(write=False) as session:
        found = session.execute(select(Event.subscription_id).where(Event.id == event_id)).scalar()
    return int(found) if found is not None else 0  # no such event: no such receiver, and a job with nothing to do


def _on_signals(handler: Callable[[], None]) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: handler())


# --- PostgreSQL: procrastinate ----------------------------------------------------------------------------------


def libpq_url(database_url: str) -> str:
    """The URL psycopg takes, from SQLAlchemy's (`postgresql+psycopg://...`)."""
    scheme, rest = database_url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else database_url


def procrastinate_app(database_url: str, deliverer: delivery.Deliverer) -> Any:
    """A procrastinate App with its tasks: a receiver's deliveries, and a report or export job."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq_url(database_url)))

    @app.task(name=queue.DELIVER_RECEIVER, queue=queue.QUEUE)
    def deliver_receiver(subscription_id: int) -> str:
        return deliverer.run(subscription_id)

    @app.task(name=queue.DELIVER, queue=queue.QUEUE)
    def deliver(event_id: int) -> str:
        """A job of the earlier kind (one per event), left on the queue by an older version: its receiver's job."""
        return deliverer.run(_subscription_of(deliverer.db, event_id))

    @app.task(name=jobs_queue.RUN, queue=jobs_queue.QUEUE)
    def run_job(job_id: int) -> str:
        return jobs_service.run(deliverer.db, job_id)

    return app


async def _run_postgres(deliverer: delivery.Deliverer, database_url: str, *, idle_exit: bool) -> None:
    settings = deliverer.settings
    queue.prepare(deliverer.db.engine)
    delivery.sweep(deliverer.db)
    app = procrastinate_app(database_url, deliverer)
    # procrastinate runs a sync task in the loop's default executor, which has min(32, cores + 4) threads: 6 on
    # two cores, fewer than `concurrency`, so jobs it had fetched waited for a thread. One thread per slot.
    threads = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="truce-delivery")
    asyncio.get_running_loop().set_default_executor(threads)
    async with app.open_async():
        rescuer = asyncio.create_task(_rescue_stalled(app, deliverer))
        try:
            await app.run_worker_async(
                queues=[queue.QUEUE, jobs_queue.QUEUE],
                concurrency=settings.concurrency,
                wait=not idle_exit,
                update_heartbeat_interval=settings.heartbeat_s,
                stalled_worker_timeout=settings.stalled_s,
                fetch_job_polling_interval=1.0,
                delete_jobs="successful",
            )
        finally:
            rescuer.cancel()


async def _rescue_stalled(app: Any, deliverer: delivery.Deliverer) -> None:
    """Give the jobs of a worker whose heartbeat stopped (killed, frozen, cut off) back to the queue."""
    from procrastinate import exceptions

    settings = deliverer.settings
    swept = asyncio.get_running_loop().time()
    while True:
        await asyncio.sleep(max(settings.heartbeat_s, 0.5))
        try:
            if asyncio.get_running_loop().time() - swept > SWEEP_S:
                # A safety net: every receiver with pending events has a job (queue.py keeps one; this checks).
                await asyncio.to_thread(delivery.sweep, deliverer.db)
                swept = asyncio.get_running_loop().time()
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.stalled_s)
            for job in stalled:
                try:
                    await app.job_manager.retry_job(job)
                    log.warning("job %s of a stalled worker given back to the queue", job.id)
                except exceptions.ConnectorException:
                    # Another worker gave it back first, or its receiver has a job waiting already (the one
                    # `queueing_lock` per receiver): that one takes the events, so this one ends here.
                    await asyncio.to_thread(queue.drop_stalled, deliverer.db.engine, int(job.id))
        except asyncio.CancelledError:
            raise
        except Exception:  # the rescuer outlives a lost connection; the next round tries again
            log.exception("could not look for stalled jobs")
