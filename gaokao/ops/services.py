"""运行状态 — the system's health for probes, metrics and the province's status page (E3).

Everything here is cheap: a `SELECT 1`, a cache round trip, simple counts. The status page
must answer quickly with 600,000 candidates, and the probes are called every few seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.db import connection
from django.db.models import Count

from gaokao.ops import backup
from gaokao.ops.version import app_version

log = logging.getLogger(__name__)

STAGE_CACHE_KEY = "ops:candidates-by-stage"
STAGE_CACHE_SECONDS = 30


# ── probes ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Check:
    ok: bool
    milliseconds: float | None = None


def check_database() -> Check:
    """`SELECT 1` on the default database."""
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.exception("readiness: the database does not answer")
        return Check(False)
    return Check(True, (time.perf_counter() - start) * 1000)


def check_cache() -> Check:
    """Set and read back a key of its own (two servers probing at once do not collide)."""
    start = time.perf_counter()
    key, value = f"ops:ready:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        default_cache.set(key, value, timeout=10)
        ok = default_cache.get(key) == value
        default_cache.delete(key)
    except Exception:
        log.exception("readiness: the cache does not answer")
        return Check(False)
    if not ok:
        log.error("readiness: the cache did not return what was stored")
        return Check(False)
    return Check(True, (time.perf_counter() - start) * 1000)


def readiness() -> dict[str, Check]:
    return {"database": check_database(), "cache": check_cache()}


# ── the gate (E1, E3) ───────────────────────────────────────────────────────────────────


def active_sessions() -> int:
    from gaokao.gate import services as gate

    return gate.active_sessions()


def waiting() -> int:
    from gaokao.gate import services as gate

    return gate.waiting()


def pauses() -> list:
    """The pauses in force (gaokao.gate's Pause rows: scope, message, since, by)."""
    from gaokao.gate import services as gate

    return sorted(gate.pauses().values(), key=lambda p: p.scope)


def paused_scopes() -> dict[str, bool]:
    from gaokao.gate.models import Scope

    current = {p.scope for p in pauses()}
    return {scope: scope in current for scope in Scope.values}


def last_backup() -> backup.Archive | None:
    """The newest archive in the default backup folder (DATA_DIR/backups)."""
    return backup.latest()


# ── counts ──────────────────────────────────────────────────────────────────────────────


def candidates_by_stage(*, cached: bool = False) -> dict[str, int]:
    """Candidates of the current season per submission stage (every stage, zeros too):
    one GROUP BY, about 0.2 s at 600,000 candidates on PostgreSQL. `cached` shares the
    answer for STAGE_CACHE_SECONDS between page loads, scrapes and processes."""
    if cached:
        value = default_cache.get(STAGE_CACHE_KEY)
        if value is not None:
            return value
    from gaokao.candidates.models import Candidate, Stage
    from gaokao.seasons import NoCurrentSeason, current

    counts = dict.fromkeys(Stage.values, 0)
    try:
        season = current()
    except NoCurrentSeason:  # between seasons the status page and metrics count zeros
        season = None
    if season is not None:
        rows = (
            Candidate.objects.filter(season=season)
            .order_by()
            .values_list("stage")
            .annotate(n=Count("pk"))
        )
        counts.update(dict(rows))
    if cached:
        default_cache.set(STAGE_CACHE_KEY, counts, STAGE_CACHE_SECONDS)
    return counts


# ── the status page ─────────────────────────────────────────────────────────────────────


@dataclass
class SystemStatus:
    version: str
    host: str
    pid: int
    database_vendor: str
    database: Check
    cache_backend: str
    cache: Check
    active_sessions: int | None
    waiting: int | None
    pauses: list
    last_backup: backup.Archive | None
    backup_dir: str
    stages: list[tuple[str, str, int]]  # (value, label, count)
    candidates: int
    devices: int | None
    open_conflicts: int | None


def _safely(read, default=None):
    try:
        return read()
    except Exception:
        log.exception("system status: %s failed", getattr(read, "__name__", read))
        return default


def system_status() -> SystemStatus:
    """What the province's system-status page shows about this app server and the system."""
    from gaokao.candidates.models import Stage
    from gaokao.sync.models import Conflict, Device

    database = check_database()
    cache_check = check_cache()
    # Shared with the metrics for STAGE_CACHE_SECONDS: a GROUP BY over 600,000 candidates
    # takes a fifth of a second, too much for every reload of every office.
    stage_counts = (
        _safely(lambda: candidates_by_stage(cached=True), dict.fromkeys(Stage.values, 0))
        if database.ok
        else {}
    )
    backend = caches["default"].__class__
    return SystemStatus(
        version=app_version(),
        host=socket.gethostname(),
        pid=os.getpid(),
        database_vendor=connection.display_name,
        database=database,
        cache_backend=f"{backend.__module__}.{backend.__qualname__}",
        cache=cache_check,
        active_sessions=_safely(active_sessions) if database.ok else None,
        waiting=_safely(waiting) if database.ok else None,
        pauses=_safely(pauses, []) if database.ok else [],
        last_backup=_safely(last_backup),
        backup_dir=str(backup.default_dir()),
        stages=[(value, label, stage_counts.get(value, 0)) for value, label in Stage.choices],
        candidates=sum(stage_counts.values()),
        devices=(
            _safely(Device.objects.filter(revoked_at__isnull=True).count) if database.ok else None
        ),
        open_conflicts=(
            _safely(Conflict.objects.filter(resolved_at__isnull=True).count)
            if database.ok
            else None
        ),
    )
