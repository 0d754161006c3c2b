"""A delivery whose receiver has its slots taken waits for one a short while, then goes back to the queue."""

from __future__ import annotations

import threading
import time

from truce.db import Database
from truce.events.delivery import Deliverer
from truce.events.settings import DeliverySettings


def test_a_slot_freed_soon_is_waited_for_and_a_slow_receiver_is_left(db: Database) -> None:
    settings = DeliverySettings(per_receiver=1, slot_wait_s=2.0, retry_busy_s=0.5)
    deliverer = Deliverer.open(db, "unused-secret", settings)
    try:
        assert deliverer._take(7)
        threading.Timer(0.1, deliverer._give, args=(7,)).start()
        started = time.monotonic()
        assert deliverer._take(7), "the slot freed after 0.1 s is taken"
        assert time.monotonic() - started < 1.9
        assert deliverer._take(8), "another receiver is not held up"

        quick = Deliverer.open(db, "unused-secret", DeliverySettings(per_receiver=1, slot_wait_s=0.2))
        try:
            assert quick._take(7)
            started = time.monotonic()
            assert not quick._take(7), "a receiver that keeps its slot: given up"
            assert time.monotonic() - started >= 0.2
        finally:
            quick.close()
    finally:
        deliverer.close()
