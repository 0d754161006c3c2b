"""How deliveries behave, from `TRUCE_WEBHOOK_*` environment variables (the tests shorten the waits)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeliverySettings(BaseSettings):
    """Timeouts, retries and the worker's size."""

    model_config = SettingsConfigDict(env_prefix="TRUCE_WEBHOOK_", extra="ignore")

    # One attempt's whole time: connecting, sending, the receiver's answer.
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    # The wait before the first retry; it doubles after each failure, up to `max_backoff_s`.
    backoff_s: float = Field(default=5.0, gt=0)
    max_backoff_s: float = Field(default=6 * 3600.0, gt=0)
    # After this long failing, an event is dead (the dead letters, visible in the delivery log).
    window_h: float = Field(default=72.0, gt=0)
    # Of a receiver's answer, only this much is read: a 1 GB body costs the worker nothing.
    max_response_bytes: int = Field(default=64 * 1024, ge=0)
    # Receivers served at once by one worker process (one job each), and the POSTs in flight to one receiver.
    concurrency: int = Field(default=8, ge=1, le=256)
    per_receiver: int = Field(default=4, ge=1, le=64)
    # A job takes up to `batch` due events of its receiver at a time, and keeps going for at most `job_s`.
    batch: int = Field(default=50, ge=1, le=1000)
    job_s: float = Field(default=30.0, gt=0)
    # A batch's lease: its rounds of POSTs times the timeout, plus this margin.
    lease_margin_s: float = Field(default=5.0, ge=0)
    # PostgreSQL: a worker's heartbeat (its lease), and when a silent worker's jobs go to another worker.
    heartbeat_s: float = Field(default=5.0, gt=0)
    stalled_s: float = Field(default=30.0, gt=0)
    # SQLite: how often the worker looks for due events.
    poll_s: float = Field(default=0.2, gt=0)
