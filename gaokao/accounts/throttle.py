"""Brute-force defence: count failures per key, lock the key for a while past a limit.

Counts live in the database (`Throttle`), so several app servers share them. Each scope
has its own policy; a locked key is refused before its password or code is even checked,
so guessing stops while the lock lasts.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gaokao.accounts.models import Throttle


@dataclass(frozen=True)
class Policy:
    limit: int  # failures allowed within the window
    window: dt.timedelta
    lockout: dt.timedelta


DEFAULT_POLICIES = {
    "staff-user": Policy(5, dt.timedelta(minutes=15), dt.timedelta(minutes=15)),
    "staff-ip": Policy(30, dt.timedelta(minutes=15), dt.timedelta(minutes=15)),
    "staff-totp": Policy(5, dt.timedelta(minutes=15), dt.timedelta(minutes=15)),
    "candidate-number": Policy(5, dt.timedelta(minutes=15), dt.timedelta(minutes=15)),
    # A school's computer room shares one address: a generous limit per address.
    "candidate-ip": Policy(100, dt.timedelta(minutes=15), dt.timedelta(minutes=15)),
}


def policy(scope: str) -> Policy:
    return getattr(settings, "GAOKAO_THROTTLE_POLICIES", {}).get(scope) or DEFAULT_POLICIES[scope]


def locked_until(scope: str, key: str) -> dt.datetime | None:
    """When the lock on this key ends, or None if it is not locked."""
    row = Throttle.objects.filter(scope=scope, key=key, locked_until__gt=timezone.now()).first()
    return row.locked_until if row else None


def record_failure(scope: str, key: str) -> dt.datetime | None:
    """Count one failure; returns the end of the lock if this failure locked the key."""
    rule, now = policy(scope), timezone.now()
    with transaction.atomic():
        row = _locked_row(scope, key, now)
        if now - row.window_started_at > rule.window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        just_locked = row.failures >= rule.limit
        if just_locked:
            # A new window starts with the lock, so one more failure after it ends does
            # not lock again at once.
            row.locked_until, row.failures, row.window_started_at = now + rule.lockout, 0, now
        row.save()
    return row.locked_until if just_locked else None


def reset(scope: str, key: str) -> None:
    Throttle.objects.filter(scope=scope, key=key).delete()


def _locked_row(scope: str, key: str, now: dt.datetime) -> Throttle:
    """The key's row, locked for update; created on the first failure. Two first failures
    at once race to insert: the loser's unique-constraint error sends it to the lock."""
    try:
        with transaction.atomic():
            Throttle.objects.get_or_create(
                scope=scope, key=key, defaults={"window_started_at": now}
            )
    except IntegrityError:
        pass
    return Throttle.objects.select_for_update().get(scope=scope, key=key)
