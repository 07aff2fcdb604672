"""Retention (个人信息保留期限): once a closed season's retention date has passed, its
personal data is removed and only aggregate statistics remain.

`purge(season)` removes the season's candidates with everything that names them — their
data, résumé and family rows, photos (rows and files), proofreading, comments, results,
moves, professional registrations with their payment orders and gateway messages, sync
receipts and conflicts, sign-in throttles by registration number — in batches, each its
own transaction, so that a purge of 600,000 candidates can be stopped and run again. The
statistics are taken once, before anything is removed, and kept in PurgedSeason.

What stays: the season, its schedule, number ranges and categories (no personal data),
and the audit trail, which is the record of who did what and has its own retention.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gaokao.accounts.models import Throttle
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate
from gaokao.payments.models import GatewayMessage, PaymentOrder
from gaokao.photos.models import CandidatePhoto
from gaokao.professional.models import Registration
from gaokao.retention.models import PurgedSeason
from gaokao.seasons.models import Season
from gaokao.sync.models import Receipt

BATCH = 2000


class RetentionRefused(ValidationError):
    """The purge may not run (yet); the message says why."""


def check_purgeable(season: Season, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    if season.is_current:
        raise RetentionRefused(_("%(season)s is the current season.") % {"season": season})
    if season.retain_until is None:
        raise RetentionRefused(
            _("%(season)s has no retention date: set it in the admin (seasons) first.")
            % {"season": season}
        )
    if today <= season.retain_until:
        raise RetentionRefused(
            _(
                "The personal data of %(season)s must be kept until %(date)s; it can be"
                " removed from the next day on."
            )
            % {"season": season, "date": date_format(season.retain_until, "Y-m-d")}
        )


def _counts(queryset, *fields: str) -> list[dict]:
    rows = queryset.values(*fields).annotate(n=Count("pk")).order_by(*fields)
    return [dict(row) for row in rows]


def statistics(season: Season) -> dict:
    """What remains of the season: counts without a single person in them."""
    candidates = Candidate.objects.filter(season=season)
    orders = PaymentOrder.objects.filter(registration__candidate__season=season)
    return {
        "taken_at": timezone.now().isoformat(),
        "candidates": candidates.count(),
        "by_county_track_stage": _counts(
            candidates, "point__county__code", "subject_track", "stage"
        ),
        "by_sex": _counts(candidates, "sex"),
        "by_ethnicity": _counts(candidates, "ethnicity"),
        "by_eligibility_path": _counts(candidates, "eligibility_path"),
        "by_identity_source": _counts(candidates, "identity_source"),
        "keyed_from_paper": candidates.filter(keyed_from_paper=True).count(),
        "photos": CandidatePhoto.objects.filter(candidate__season=season).count(),
        "professional": _counts(
            Registration.objects.filter(candidate__season=season), "category__code", "status"
        ),
        "payments": [
            dict(row)
            for row in orders.values("channel", "state")
            .annotate(n=Count("pk"), fen=Sum("amount_fen"))
            .order_by("channel", "state")
        ],
    }


@dataclass
class Plan:
    """What a purge removes."""

    candidates: int
    photos: int
    orders: int
    already_started: bool


def plan(season: Season) -> Plan:
    return Plan(
        candidates=Candidate.objects.filter(season=season).count(),
        photos=CandidatePhoto.objects.filter(candidate__season=season).count(),
        orders=PaymentOrder.objects.filter(registration__candidate__season=season).count(),
        already_started=PurgedSeason.objects.filter(season=season).exists(),
    )


def _remove_batch(ids: list, numbers: list[str]) -> list[str]:
    """Remove these candidates and what names them; returns the photo files to delete
    once the transaction has committed."""
    orders = PaymentOrder.objects.filter(registration__candidate__in=ids)
    GatewayMessage.objects.filter(order__in=orders).delete()
    orders.delete()
    photos = CandidatePhoto.objects.filter(candidate__in=ids)
    files = [name for pair in photos.values_list("original", "normalised") for name in pair if name]
    photos.delete()
    Candidate.objects.filter(pk__in=ids).delete()  # cascades to their rows elsewhere
    Receipt.objects.filter(candidate_id__in=ids).delete()
    Throttle.objects.filter(key__in=[n for n in numbers if n]).delete()
    return files


def purge(
    season: Season,
    *,
    by: str,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PurgedSeason:
    """Remove the season's personal data (see the module's docstring). Runs again where
    a stopped run left off; the statistics are those taken by the first run."""
    check_purgeable(season, today)
    purged = PurgedSeason.objects.filter(season=season).first()
    if purged is None:
        with transaction.atomic():
            purged = PurgedSeason.objects.create(
                season=season, started_at=timezone.now(), by=by, statistics=statistics(season)
            )
            record(Action.PURGED, label=by, unit=season.province, target=season, step="started")
    total = purged.statistics.get("candidates", 0)
    storage = CandidatePhoto._meta.get_field("original").storage
    while True:
        batch = list(
            Candidate.objects.filter(season=season)
            .order_by("pk")
            .values_list("pk", "registration_number")[:BATCH]
        )
        if not batch:
            break
        with transaction.atomic():
            files = _remove_batch([pk for pk, _n in batch], [n for _pk, n in batch])
        for name in files:
            storage.delete(name)
        if progress is not None:
            progress(total - Candidate.objects.filter(season=season).count(), total)
    if purged.finished_at is None:
        with transaction.atomic():
            purged.finished_at = timezone.now()
            purged.save(update_fields=["finished_at"])
            record(
                Action.PURGED,
                label=by,
                unit=season.province,
                target=season,
                step="finished",
                candidates=total,
            )
    return purged
