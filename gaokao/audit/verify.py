"""Walk the audit chains and say what was edited, deleted or reordered (E3).

`Verification(...).problems()` reads every chain in order, one event at a time (memory stays
flat whatever the size of the trail), recomputes each hash and compares it with the stored
one, the link to the event before it, and the chain's end with its head. Used by
``gaokao audit verify``.

What it cannot see from the database alone: a chain whose events *and* head were all
removed, or whose newest events were removed and its head rolled back to match. Against
that, ``gaokao audit heads`` writes the chains' ends to a file kept elsewhere (a printout,
another machine), and ``gaokao audit verify --heads FILE`` checks they are all still there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit import chain as hashing
from gaokao.audit.models import AuditChainHead, AuditEvent

# How far from its place a reordered event is looked for (positions either side), and for
# how many events at most in one run (each search is some thousand HMACs).
MOVE_WINDOW = 1000
MAX_SEARCHES = 1000
PROGRESS_EVERY = 10_000
FIELDS = (
    "id",
    "at",
    "actor",
    "actor_label",
    "action",
    "ip",
    "region",
    "point",
    "target",
    "target_type",
    "target_id",
    "detail",
    "chain",
    "seq",
    "prev_hash",
    "hash",
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    kind: str  # edited, missing, moved, link, tail, beyond, end, no_head, emptied, unchained
    chain: str
    seq: int | None
    message: str
    event_id: int | None = None

    def __str__(self) -> str:
        where = self.chain or "—"
        return f"{where} #{self.seq}: {self.message}" if self.seq else f"{where}: {self.message}"


def _named(event: AuditEvent) -> dict[str, object]:
    return {
        "id": event.pk,
        "action": event.get_action_display(),
        "at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
        "by": event.actor_label or "—",
    }


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class _Chain:
    key: str
    last_seq: int = 0
    last_hash: str = hashing.GENESIS
    last_flagged: bool = False


class Verification:
    """One run over the chains, restricted to one chain or to the days from `since`."""

    def __init__(
        self,
        *,
        chain: str | None = None,
        since: dt.date | None = None,
        progress: Progress | None = None,
    ):
        self.chain, self.since, self.progress = chain, since, progress
        self.events = self.chains = self.edited = self.searches = 0
        self.keys = hashing.keys()

    def _scope(self, qs: QuerySet) -> QuerySet:
        if self.chain:
            qs = qs.filter(chain=self.chain)
        if self.since:
            qs = qs.filter(at__gte=day_start(self.since))
        return qs

    def problems(self) -> Iterator[Problem]:
        """Each problem as it is found. On PostgreSQL the whole walk reads one snapshot,
        so that events appended meanwhile (the trail is verified while in use) do not make
        a chain's head look ahead of its events."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            # SQLite: the open cursor of the walk keeps one read snapshot already.
            yield from self._walk()
            return
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield from self._walk()

    def _walk(self) -> Iterator[Problem]:
        chained = self._scope(AuditEvent.objects.filter(seq__isnull=False).exclude(chain=""))
        total = chained.count()
        current: _Chain | None = None
        rows = chained.order_by("chain", "seq").only(*FIELDS).iterator(chunk_size=2000)
        for event in rows:
            if current is None or event.chain != current.key:
                if current is not None:
                    yield from self._end(current)
                current = _Chain(event.chain)
                self.chains += 1
            yield from self._check(current, event)
            self.events += 1
            if self.progress and self.events % PROGRESS_EVERY == 0:
                self.progress(self.events, total)
        if current is not None:
            yield from self._end(current)
        if self.progress and self.events % PROGRESS_EVERY:
            self.progress(self.events, total)
        yield from self._emptied()
        yield from self._unchained()

    def _check(self, state: _Chain, event: AuditEvent) -> Iterator[Problem]:
        seq, gap = event.seq, event.seq != state.last_seq + 1
        if gap and seq > state.last_seq + 1:
            first, last = state.last_seq + 1, seq - 1
            if first == last:
                message = _("Event %(seq)s of the chain is missing: it was deleted.") % {
                    "seq": first
                }
            else:
                message = _(
                    "Events %(first)s to %(last)s of the chain are missing: they were deleted."
                ) % {"first": first, "last": last}
            yield Problem("missing", state.key, first, message)
        flagged = False
        if not hashing.intact(event, candidates=self.keys):
            flagged = True
            # An event moved elsewhere in its chain no longer links to the one before it;
            # an event edited in place still does, and needs no search.
            moved = gap or state.last_flagged or event.prev_hash != state.last_hash
            written = self._written_at(event) if moved else None
            if written is not None:
                message = _(
                    "Event %(id)s (%(action)s, %(at)s, by %(by)s) was written as number"
                    " %(written)s of the chain and is now number %(now)s: the events were"
                    " reordered."
                ) % {**_named(event), "written": written, "now": seq}
                yield Problem("moved", state.key, seq, message, event.pk)
            else:
                message = _(
                    "Event %(id)s (%(action)s, %(at)s, by %(by)s) was changed after it was"
                    " recorded."
                ) % _named(event)
                self.edited += 1
                yield Problem("edited", state.key, seq, message, event.pk)
        elif not gap and not state.last_flagged and event.prev_hash != state.last_hash:
            flagged = True
            message = _(
                "Event %(id)s (%(action)s, %(at)s, by %(by)s) does not follow the event before"
                " it: an event was replaced or inserted."
            ) % _named(event)
            yield Problem("link", state.key, seq, message, event.pk)
        state.last_seq, state.last_hash, state.last_flagged = seq, event.hash, flagged

    def _written_at(self, event: AuditEvent) -> int | None:
        """The place an intact event was written at, if it was only moved in the chain."""
        if self.searches >= MAX_SEARCHES:  # a trail reordered wholesale: say "changed"
            return None
        self.searches += 1
        low, high = max(1, event.seq - MOVE_WINDOW), event.seq + MOVE_WINDOW
        for seq in range(low, high + 1):
            if seq != event.seq and hashing.intact(event, seq=seq, candidates=self.keys):
                return seq
        return None

    def _end(self, state: _Chain) -> Iterator[Problem]:
        head = AuditChainHead.objects.filter(pk=state.key).first()
        if head is None:
            message = _("The chain's record of its last event is missing: it was deleted.")
            yield Problem("no_head", state.key, None, message)
        elif head.seq > state.last_seq:
            message = _(
                "The chain ends at event %(last)s but had %(count)s events: the last ones were"
                " deleted."
            ) % {"last": state.last_seq, "count": head.seq}
            yield Problem("tail", state.key, state.last_seq + 1, message)
        elif head.seq < state.last_seq:
            message = _(
                "The chain has events after its last recorded event (%(count)s): they were"
                " added outside the application."
            ) % {"count": head.seq}
            yield Problem("beyond", state.key, head.seq + 1, message)
        elif head.hash != state.last_hash:
            message = _("The chain's last event is not the one recorded: it was replaced.")
            yield Problem("end", state.key, head.seq, message)

    def _emptied(self) -> Iterator[Problem]:
        heads = AuditChainHead.objects.filter(seq__gt=0).filter(
            ~Exists(AuditEvent.objects.filter(chain=OuterRef("chain")))
        )
        if self.chain:
            heads = heads.filter(chain=self.chain)
        if self.since:
            heads = heads.filter(day__gte=self.since)
        for head in heads.order_by("chain").iterator():
            self.chains += 1
            message = _("All %(count)s events of the chain are missing: they were deleted.") % {
                "count": head.seq
            }
            yield Problem("emptied", head.chain, None, message)

    def _unchained(self) -> Iterator[Problem]:
        loose = self._scope(AuditEvent.objects.filter(Q(seq__isnull=True) | Q(chain="")))
        for event in loose.order_by("at", "id").iterator():
            message = _(
                "Event %(id)s (%(action)s, %(at)s, by %(by)s) belongs to no chain: it was added"
                " outside the application."
            ) % _named(event)
            yield Problem("unchained", event.chain, None, message, event.pk)


def chain_problems(chains: Iterable[str]) -> dict[str, list[Problem]]:
    """The problems of each of these chains (an empty list: the chain is intact)."""
    return {key: list(Verification(chain=key).problems()) for key in sorted(chains) if key}


# ── the chains' ends, kept outside the database ─────────────────────────────────────────


def heads(*, since: dt.date | None = None) -> Iterator[AuditChainHead]:
    qs = AuditChainHead.objects.filter(seq__gt=0)
    if since:
        qs = qs.filter(day__gte=since)
    return qs.order_by("day", "chain").iterator()


def head_line(head: AuditChainHead) -> str:
    return f"{head.chain}\t{head.day.isoformat()}\t{head.seq}\t{head.hash}"


class HeadsFileError(ValueError):
    pass


def check_heads(lines: Iterable[str]) -> Iterator[Problem]:
    """Every chain end in a file written by `heads` must still be in the trail unchanged."""
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            key, _day, seq, digest = line.rstrip("\n").split("\t")
            seq_number = int(seq)
        except ValueError:
            raise HeadsFileError(
                _("Line %(number)s of the file is not a chain end written by gaokao audit heads.")
                % {"number": number}
            ) from None
        found = AuditEvent.objects.filter(chain=key, seq=seq_number).only("hash").first()
        if found is None or found.hash != digest:
            message = _(
                "Event %(seq)s, the chain's last event when the chain ends were saved, is"
                " missing or changed."
            ) % {"seq": seq_number}
            yield Problem("saved_end", key, seq_number, message)
