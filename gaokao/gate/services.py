"""Access to the portal and the office web under load and attack (E1, E3): the pause
switch, the portal's regional time slots and admission control.

All state lives in the database, shared by every app server. The pause is read on every
request, so each process keeps its read for `CACHE_SECONDS`: a pause set on one server is
obeyed by all within a few seconds. Slots and admission are decided at portal sign-in only.

Admission counts *seats*: one per signed-in candidate, refreshed by the candidate's portal
requests at most once a minute and expiring after the portal's idle limit. Beyond the cap,
a candidate whose password was right gets a *ticket* and waits on /ks/wait/, which polls;
the queue is first come, first served, and a ticket whose page stopped polling drops out.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate
from gaokao.candidates.sessions import IDLE_SECONDS
from gaokao.gate.models import Admission, Pause, Scope, Seat, Ticket, TimeSlot
from gaokao.lib.text import clean_text
from gaokao.regions.models import Region

CACHE_SECONDS = 2  # how stale one process's view of the pause may be
RETRY_AFTER_SECONDS = 120  # what a paused page tells browsers and clients
SEAT_REFRESH_SECONDS = 60  # a portal request refreshes its seat at most this often
POLL_SECONDS = 10  # the waiting page reloads itself this often
TICKET_TIMEOUT_SECONDS = 60  # a ticket not polled for this long drops out of the queue
ESTIMATE_WINDOW = dt.timedelta(minutes=10)  # admissions from the queue that set the pace
MESSAGE_LIMIT = 500

TICKET_KEY = "gate_ticket"  # the browser's waiting ticket, in its session
SEAT_KEY = "gate_seat_refreshed"  # when this browser last refreshed its seat (epoch seconds)

# ── the pause (E3) ──────────────────────────────────────────────────────────────────────

PORTAL_PREFIXES = ("/ks/",)
OFFICE_PREFIXES = ("/office/", "/api/v1/", "/admin/")
# The office sign-in (password, code, first-time setup) and sign-out stay open, so that
# the province can sign in to lift a pause and everyone else can leave.
NEVER_PAUSED = ("/office/login/", "/office/logout/")

_cached: tuple[float, dict[str, Pause]] | None = None


def forget_cached_state() -> None:
    """Drop this process's cached read of the pause (after a change, and in tests)."""
    global _cached
    _cached = None


def pauses() -> dict[str, Pause]:
    """The pauses in force, by scope, as this process read them at most CACHE_SECONDS ago."""
    global _cached
    now = time.time()
    cached = _cached
    if cached is not None and 0 <= now - cached[0] < CACHE_SECONDS:
        return cached[1]
    current = {p.scope: p for p in Pause.objects.all()}
    _cached = (now, current)
    return current


def scope_of(path: str) -> str | None:
    """Which pause a path obeys: the portal's, the office's, or none (payment
    notifications, the sandbox, probes, static files, and the office sign-in)."""
    if path.startswith(PORTAL_PREFIXES):
        return Scope.PORTAL
    if path.startswith(NEVER_PAUSED):
        return None
    if path.startswith(OFFICE_PREFIXES):
        return Scope.OFFICE
    return None


def pause_for(request) -> Pause | None:
    """The pause that stops this request, if any. The province's staff pass everywhere."""
    scope = scope_of(request.path_info)
    if scope is None:
        return None
    pause = pauses().get(scope)
    if pause is None:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "role", None) == "province":
        return None
    return pause


def _scopes(value: str) -> list[str]:
    """The scopes named by a form's choice: portal, office or both."""
    if value == "both":
        return [Scope.PORTAL.value, Scope.OFFICE.value]
    if value in Scope.values:
        return [str(value)]
    raise ValidationError(_("Choose what to pause."))


def pause(scope: str, message: str, *, request) -> list[str]:
    """Pause the portal, the office web of the levels below, or both, with a message.
    Pausing what is already paused changes its message and keeps the time it began."""
    scopes = _scopes(scope)
    message = clean_text(message, multiline=True)  # shown on every paused page
    if not message:
        raise ValidationError({"message": _("Write a message for those who find the site paused.")})
    if len(message) > MESSAGE_LIMIT:
        raise ValidationError(
            {"message": _("At most %(limit)s characters.") % {"limit": MESSAGE_LIMIT}}
        )
    now = timezone.now()
    with transaction.atomic():
        for s in scopes:
            Pause.objects.update_or_create(
                scope=s,
                defaults={"message": message, "by": request.user},
                create_defaults={"message": message, "by": request.user, "since": now},
            )
        record(Action.PAUSED, request=request, scopes=scopes, message=message)
    forget_cached_state()  # this server obeys at once, the others within CACHE_SECONDS
    return scopes


def resume(scope: str, *, request) -> list[str]:
    """Lift the pause of the portal, the office web or both; returns what was lifted."""
    scopes = _scopes(scope)
    with transaction.atomic():
        lifted = list(
            Pause.objects.select_for_update()
            .filter(scope__in=scopes)
            .values_list("scope", flat=True)
        )
        if lifted:
            Pause.objects.filter(scope__in=lifted).delete()
            record(Action.RESUMED, request=request, scopes=lifted)
    forget_cached_state()
    return lifted


# ── regional time slots (E1) ────────────────────────────────────────────────────────────


def _areas(candidate: Candidate) -> list[Region]:
    """A candidate's region: its point's county and that county's city."""
    county = candidate.point.county
    return [county, county.parent] if county.parent_id else [county]


def _restricted(slots: list[TimeSlot], day: dt.date) -> list[TimeSlot]:
    return [s for s in slots if s.first_day <= day <= s.last_day]


def _month_day(day: dt.date) -> str:
    return _("%(month)s/%(day)s") % {"month": day.month, "day": day.day}


def slot_refusal(candidate: Candidate, at: dt.datetime | None = None) -> str | None:
    """Why `candidate` may not sign in to the portal at `at` (default now), naming when
    their area's next slot opens; None if they may. On a day without a slot for their
    county or city, their area is not restricted."""
    at = timezone.localtime(at or timezone.now())
    today, now = at.date(), at.time()
    slots = list(
        TimeSlot.objects.filter(regions__in=_areas(candidate), last_day__gte=today).distinct()
    )
    todays = _restricted(slots, today)
    if not todays or any(s.starts <= now < s.ends for s in todays):
        return None
    openings = []
    for s in slots:
        day = max(s.first_day, today)
        if day == today and s.starts <= now:  # today's is over: this slot's next day
            day += dt.timedelta(days=1)
        if day <= s.last_day:
            openings.append((day, s.starts, s.ends))
    free_day = today + dt.timedelta(days=1)
    while _restricted(slots, free_day):
        free_day += dt.timedelta(days=1)
    nearest = min(openings, default=None)
    if nearest is not None and nearest[0] < free_day:
        day, starts, ends = nearest
        return _(
            "Candidates of your area sign in during set time slots. The next portal time "
            "slot for your area: %(day)s %(starts)s–%(ends)s."
        ) % {"day": _month_day(day), "starts": f"{starts:%H:%M}", "ends": f"{ends:%H:%M}"}
    return _(
        "Candidates of your area sign in during set time slots, and today's are over. "
        "From %(day)s on, the portal is open to your area at any time."
    ) % {"day": _month_day(free_day)}


def slot_regions(province: Region) -> QuerySet[Region]:
    """The regions a slot may name: the province's cities and counties."""
    return Region.objects.filter(
        Q(parent=province) | Q(parent__parent=province),
        level__in=[Region.Level.CITY, Region.Level.COUNTY],
    )


def save_slot(
    slot: TimeSlot | None,
    *,
    name: str,
    first_day: dt.date,
    last_day: dt.date,
    starts: dt.time,
    ends: dt.time,
    region_ids: list[int],
    province: Region,
    request,
) -> TimeSlot:
    """Create (`slot` None) or change a time slot; ValidationError by field if it is
    not coherent."""
    errors: dict[str, str] = {}
    name = clean_text(name)
    if not name:
        errors["name"] = _("Give the slot a name, e.g. “Changsha mornings”.")
    if first_day > last_day:
        errors["last_day"] = _("The last day cannot be before the first day.")
    if starts >= ends:
        errors["ends"] = _("The slot must end after it starts on the same day.")
    ids = set(region_ids)
    regions = list(slot_regions(province).filter(pk__in=ids))
    if not ids:
        errors["regions"] = _("Choose at least one city or county.")
    elif len(regions) != len(ids):
        errors["regions"] = _("Choose only cities or counties of the province.")
    if errors:
        raise ValidationError(errors)
    created = slot is None
    with transaction.atomic():
        if created:
            slot = TimeSlot()
        slot.name, slot.first_day, slot.last_day = name, first_day, last_day
        slot.starts, slot.ends = starts, ends
        slot.save()
        slot.regions.set(regions)
        record(
            Action.SLOTS_SAVED,
            request=request,
            target=slot.name,
            created=created,
            days=[first_day.isoformat(), last_day.isoformat()],
            hours=[f"{starts:%H:%M}", f"{ends:%H:%M}"],
            regions=sorted(r.name for r in regions),
        )
    return slot


def delete_slot(slot: TimeSlot, *, request) -> None:
    with transaction.atomic():
        record(
            Action.SLOTS_DELETED,
            request=request,
            target=slot.name,
            days=[slot.first_day.isoformat(), slot.last_day.isoformat()],
            hours=[f"{slot.starts:%H:%M}", f"{slot.ends:%H:%M}"],
        )
        slot.delete()


# ── admission control (E1) ──────────────────────────────────────────────────────────────


def _seat_lifetime() -> dt.timedelta:
    # A seat outlives its session's idle limit by one refresh interval, so that a session
    # still alive always still holds its seat.
    return dt.timedelta(seconds=IDLE_SECONDS + SEAT_REFRESH_SECONDS)


def _live_seats(now: dt.datetime) -> QuerySet[Seat]:
    return Seat.objects.filter(last_seen__gte=now - _seat_lifetime())


def _queue(now: dt.datetime) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        admitted_at__isnull=True,
        last_poll__gte=now - dt.timedelta(seconds=TICKET_TIMEOUT_SECONDS),
    )


def active_sessions() -> int:
    """Candidate sessions active now, across all app servers."""
    return _live_seats(timezone.now()).count()


def waiting() -> int:
    """Candidates in the admission queue now."""
    return _queue(timezone.now()).count()


def cap() -> int:
    """The cap on active candidate sessions; 0: no limit."""
    row = Admission.objects.filter(pk=1).first()
    return row.cap if row is not None else 0


def _locked_admission() -> Admission:
    """The setting row, locked until the transaction ends: every admission decision on
    every app server queues here, so that two sign-ins never both take the last seat."""
    row, _created = Admission.objects.select_for_update().get_or_create(pk=1)
    return row


def set_cap(value: int, *, request) -> bool:
    """Change the cap; False if it was already `value`."""
    if value < 0:
        raise ValidationError({"cap": _("Enter 0 (no limit) or a positive number.")})
    with transaction.atomic():
        row = _locked_admission()
        if row.cap == value:
            return False
        old, row.cap = row.cap, value
        row.save(update_fields=["cap"])
        record(Action.ADMISSION_CHANGED, request=request, old=old, new=value)
    return True


def _purge(now: dt.datetime) -> None:
    Seat.objects.filter(last_seen__lt=now - _seat_lifetime()).delete()
    Ticket.objects.filter(
        admitted_at__isnull=True,
        last_poll__lt=now - dt.timedelta(seconds=TICKET_TIMEOUT_SECONDS),
    ).delete()
    Ticket.objects.filter(admitted_at__lt=now - ESTIMATE_WINDOW).delete()


def _take_seat(request, candidate_id: Any, now: dt.datetime) -> None:
    Seat.objects.update_or_create(
        candidate_id=candidate_id,
        defaults={"last_seen": now},
        create_defaults={"since": now, "last_seen": now},
    )
    request.session.pop(TICKET_KEY, None)
    request.session[SEAT_KEY] = time.time()


def admit(request, candidate: Candidate) -> bool:
    """At portal sign-in, after the password and the slot: True if the candidate has a
    seat now (the caller signs them in); False if they got a waiting ticket (kept in the
    browser's session; the caller sends them to the waiting page). Nobody jumps the
    queue: a seat is free for a newcomer only if those waiting leave it free."""
    now = timezone.now()
    if cap() == 0:  # no limit: seats are only counted, no need to queue for the lock
        _take_seat(request, candidate.pk, now)
        return True
    with transaction.atomic():
        limit = _locked_admission().cap
        _purge(now)
        if limit == 0 or _live_seats(now).filter(candidate=candidate).exists():
            _take_seat(request, candidate.pk, now)
            return True
        token = request.session.get(TICKET_KEY)
        mine = _queue(now).filter(token=token, candidate=candidate).first() if token else None
        if mine is not None:  # signed in again while waiting: keep the place
            mine.last_poll = now
            mine.save(update_fields=["last_poll"])
            return False
        if _live_seats(now).count() + _queue(now).count() < limit:
            _take_seat(request, candidate.pk, now)
            return True
        ticket = Ticket.objects.create(
            token=secrets.token_urlsafe(32),
            candidate=candidate,
            created_at=now,
            last_poll=now,
        )
    request.session[TICKET_KEY] = ticket.token
    return False


@dataclass(frozen=True)
class Wait:
    """What the waiting page learnt: `candidate` if they are in now; else their place
    (`position`, 1 = next) and the estimated minutes (None while there is nothing to
    estimate from); `lapsed` if their ticket dropped out of the queue."""

    candidate: Candidate | None = None
    position: int = 0
    minutes: int | None = None
    lapsed: bool = False


def _estimate(position: int, now: dt.datetime) -> int | None:
    admitted = Ticket.objects.filter(admitted_at__gte=now - ESTIMATE_WINDOW).count()
    if not admitted:
        return None
    seconds = position * ESTIMATE_WINDOW.total_seconds() / admitted
    return max(1, math.ceil(seconds / 60))


def _turn_has_come(ticket: Ticket, limit: int, now: dt.datetime) -> tuple[bool, int]:
    """Whether `ticket` may take a seat now, and its place in the queue."""
    position = _queue(now).filter(id__lte=ticket.id).count()
    seats = _live_seats(now)
    if limit == 0 or seats.filter(candidate=ticket.candidate_id).exists():
        return True, position
    return position <= limit - seats.count(), position


def poll(request) -> Wait | None:
    """The waiting page's poll: keeps the browser's ticket alive, and gives it a seat
    when its turn has come and a seat is free. None if the browser holds no ticket."""
    token = request.session.get(TICKET_KEY)
    if not token:
        return None
    now = timezone.now()
    # Most of the queue only keeps its place: that needs no lock. Only a ticket that
    # looks to be next queues for the lock, and the decision is taken again under it.
    if not _queue(now).filter(token=token).update(last_poll=now):
        request.session.pop(TICKET_KEY, None)
        return Wait(lapsed=True)
    ticket = Ticket.objects.get(token=token)
    turn, position = _turn_has_come(ticket, cap(), now)
    if turn:
        with transaction.atomic():
            limit = _locked_admission().cap
            _purge(now)
            ticket = _queue(now).select_related("candidate").filter(token=token).first()
            if ticket is None:  # admitted meanwhile through another tab of this browser
                request.session.pop(TICKET_KEY, None)
                return Wait(lapsed=True)
            turn, position = _turn_has_come(ticket, limit, now)
            if turn:
                ticket.admitted_at = now
                ticket.save(update_fields=["admitted_at"])
                _take_seat(request, ticket.candidate_id, now)
                return Wait(candidate=ticket.candidate)
    return Wait(position=position, minutes=_estimate(position, now))


def refresh_seat(request, candidate_id: Any) -> None:
    """A portal request of a signed-in candidate: keep the seat (at most once a minute)."""
    last = request.session.get(SEAT_KEY, 0)
    if 0 <= time.time() - last < SEAT_REFRESH_SECONDS:
        return
    request.session[SEAT_KEY] = time.time()
    now = timezone.now()
    if not Seat.objects.filter(candidate_id=candidate_id).update(last_seen=now):
        # Lost (expired, or freed by a sign-out in another browser): the session lives on.
        Seat.objects.get_or_create(
            candidate_id=candidate_id, defaults={"since": now, "last_seen": now}
        )


def free_seat(request, candidate_id: Any) -> None:
    """Sign-out, or the session's idle end: the seat goes to the next in line."""
    Seat.objects.filter(candidate_id=candidate_id).delete()
    request.session.pop(SEAT_KEY, None)
