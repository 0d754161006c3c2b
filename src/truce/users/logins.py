"""Limits on wrong passwords, per account and per address, kept in the database so every process shares them.

After 5 failures in a row for one account (since its last success, with no quiet quarter-hour between them), each
further try must wait: 1 s after the last failure, then 2, 4, ... up to 5 minutes. One address gets 50 failures in
a row over any accounts before the same waits apply to it (see `Limits`). A limited try is refused before its
password is hashed, and it is not counted: an attacker who keeps trying does not lengthen the real user's wait
beyond the longest wait. Successes and failures are rows of `login_attempts`; refusals go to the log only (a flood of
them costs one read each, never a write).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from truce.errors import Message, TooManyRequests
from truce.users.models import LoginAttempt

log = logging.getLogger("truce.logins")

Clock = Callable[[], datetime]
KEEP = timedelta(days=30)
NAME_LENGTH = 64
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class Limits:
    """How many failures are free, and how long the waits after them grow."""

    # A quiet spell this long ends a run of failures.
    window: timedelta = timedelta(minutes=15)
    account_free: int = 5
    # Larger: an office or a phone network puts many people behind one address.
    address_free: int = 50
    first_wait_s: float = 1.0
    max_wait_s: float = 300.0

    def wait_s(self, failures: int, free: int) -> float:
        """The wait after the last of `failures` failures, when `free` of them cost nothing."""
        if failures < free:
            return 0.0
        # 2**n overflows a float past n = 1023; the cap is reached long before.
        return min(self.first_wait_s * 2.0 ** min(failures - free, 64), self.max_wait_s)

    def rows_needed(self, free: int) -> int:
        """How many recent failures decide the wait: past them it is `max_wait_s` anyway."""
        return free + math.ceil(math.log2(max(self.max_wait_s / self.first_wait_s, 1))) + 1


LIMITS = Limits()


class TooManyAttempts(TooManyRequests):
    """Too many wrong passwords for this account or from this address: try again in `retry_after` seconds."""


def address_key(host: str | None) -> str:
    """What one address counts under: an IPv4 address, or the /64 an IPv6 host chooses its addresses from."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:NAME_LENGTH]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _name(username: str) -> str:
    return username[:NAME_LENGTH]


def _account_failures(session: Session, username: str, now: datetime, limits: Limits) -> list[datetime]:
    """The account's current run of failures since its last success, newest first (as many as decide the wait)."""
    rows = session.execute(
        select(LoginAttempt.at, LoginAttempt.success)
        .where(LoginAttempt.username == _name(username))
        .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
        .limit(limits.rows_needed(limits.account_free))
    ).all()
    failures: list[datetime] = []
    for at, success in rows:
        if success:  # a success resets the account's count
            break
        failures.append(at)
    return _run(failures, now, limits)


def _address_failures(session: Session, address: str, now: datetime, limits: Limits) -> list[datetime]:
    """The address's current run of failures, over any accounts, newest first."""
    failures = session.execute(
        select(LoginAttempt.at)
        .where(LoginAttempt.address == address, ~LoginAttempt.success)
        .order_by(LoginAttempt.at.desc())
        .limit(limits.rows_needed(limits.address_free))
    ).scalars()
    return _run(list(failures), now, limits)


def _run(failures: list[datetime], now: datetime, limits: Limits) -> list[datetime]:
    """The newest failures that follow each other with no quiet spell of `window` between them (or since).

    A run, not a sliding window: someone who keeps trying at the longest wait keeps the wait at its longest,
    where a count over the last quarter-hour would fall back below the free tries every few minutes.
    """
    run: list[datetime] = []
    later = now
    for at in failures:
        if later - at > limits.window:
            break
        run.append(at)
        later = at
    return run


def _remaining(failures: list[datetime], free: int, now: datetime, limits: Limits) -> float:
    """Seconds left to wait after the newest of `failures` (newest first)."""
    if len(failures) < free:
        return 0.0
    until = failures[0] + timedelta(seconds=limits.wait_s(len(failures), free))
    return max((until - now).total_seconds(), 0.0)


def check(
    session: Session, username: str, address: str, *, now: datetime, channel: str, limits: Limits = LIMITS
) -> int:
    """Refuse (429) a login to `username` from `address` that must wait; call it before hashing the password.

    Answers how many failures the account has had since its last success (what a success now would clear).
    """
    failures = _account_failures(session, username, now, limits)
    from_address = _address_failures(session, address, now, limits)
    wait = max(
        _remaining(failures, limits.account_free, now, limits),
        _remaining(from_address, limits.address_free, now, limits),
    )
    if wait <= 0:
        return len(failures)
    seconds = max(1, math.ceil(wait))
    log.info("login refused for %r from %s via %s: limited for %d s more", _name(username), address, channel, seconds)
    raise TooManyAttempts(
        Message(
            "too many failed log-ins for this account or from this address; try again in %(seconds)s s", seconds=seconds
        ),
        seconds,
    )


def record(session: Session, username: str, address: str, *, now: datetime, channel: str, success: bool) -> None:
    """Remember one checked password; old rows go as new ones come."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.add(LoginAttempt(at=now, username=_name(username), address=address, channel=channel, success=success))
    session.flush()
    if success:
        log.info("login of %r from %s via %s", _name(username), address, channel)
    else:
        log.warning("failed login for %r from %s via %s", _name(username), address, channel)
