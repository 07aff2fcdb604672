"""Registration progress (S6: "point and office staff see registration progress live"):
how many of a jurisdiction's candidates have reached each state, by the unit one level
below and by subject track, in one aggregate query each; and the candidates behind any
number (drill-down), through the same definitions.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Candidate, Stage
from gaokao.photos.models import CandidatePhoto
from gaokao.proofreading.services import proofread_q
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons.models import Season

SUBMITTED_BY_POINT = [Stage.COUNTY, Stage.CITY, Stage.PROVINCE, Stage.ACCEPTED]


@dataclass(frozen=True)
class State:
    key: str
    label: str

    def q(self) -> Q:
        return STATE_Q[self.key]()


STATE_Q = {
    "total": lambda: Q(),
    "card": lambda: Q(credentials_issued_at__isnull=False),
    "signed_in": lambda: ~Q(confirmation_password=""),
    "data": lambda: Q(data_saved_at__isnull=False),
    "photo": lambda: Q(
        Exists(CandidatePhoto.objects.filter(candidate=OuterRef("pk"), is_current=True))
    ),
    "fee": lambda: Q(fee_fen__isnull=False),
    "proofread": proofread_q,
    "by_point": lambda: Q(stage__in=SUBMITTED_BY_POINT),
    "by_county": lambda: Q(stage__in=SUBMITTED_BY_POINT[1:]),
    "by_city": lambda: Q(stage__in=SUBMITTED_BY_POINT[2:]),
    "accepted": lambda: Q(stage=Stage.ACCEPTED),
}
STATES = [
    State("total", _("Taken in")),
    State("card", _("Login card issued")),
    State("signed_in", _("Signed in")),
    State("data", _("Data entered")),
    State("photo", _("Photo")),
    State("fee", _("Fee paid")),
    State("proofread", _("Proofread")),
    State("by_point", _("Submitted by the point")),
    State("by_county", _("Submitted by the county")),
    State("by_city", _("Submitted by the city")),
    State("accepted", _("Accepted")),
]

GRID_SECONDS = 10  # how stale a dashboard may be; one computation serves every user


def _season() -> Season | None:
    return Season.objects.filter(is_current=True).first()


def candidates(user) -> QuerySet:
    return Candidate.objects.visible_to(user).filter(season=_season())


def _zeros() -> list[int]:
    return [0] * len(STATES)


def _add(into: list[int], counts: list[int]) -> None:
    for i, n in enumerate(counts):
        into[i] += n


def _compute(season: Season) -> dict[str, dict]:
    """One scan of the season's candidates, grouped by point and track: per point its total
    and its tracks, and per track the sums of every county, city and the province."""
    annotations = {s.key: Count("pk", filter=s.q()) for s in STATES}
    rows = (
        Candidate.objects.filter(season=season)
        .values_list("point_id", "subject_track")
        .annotate(**annotations)
        .order_by()
    )
    parents = {
        pk: (county, city)
        for pk, county, city in RegistrationPoint.objects.values_list(
            "pk", "county_id", "county__parent_id"
        )
    }
    points: dict[int, tuple[list[int], dict]] = defaultdict(lambda: (_zeros(), {}))
    tracks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(_zeros))
    for point, track, *counts in rows:
        total, by_track = points[point]
        _add(total, counts)
        by_track[track] = counts
        county, city = parents[point]
        for owner in (f"region:{county}", f"region:{city}", "all"):
            _add(tracks[owner][track], counts)
    return {"points": dict(points), **{f"tracks:{k}": dict(v) for k, v in tracks.items()}}


def _grid(season: Season | None, part: str) -> dict:
    """A part of the season's progress grid, from the cache shared by every user and app
    server: "points", or "tracks:<owner>". One request recomputes it when it is older than
    GRID_SECONDS; meanwhile the others keep reading the previous one (no stampede)."""
    if season is None:
        return {}
    prefix = f"progress:{season.pk}"
    generation = cache.get(f"{prefix}:fresh")
    if generation is None and not cache.add(f"{prefix}:computing", 1, 60):
        generation = cache.get(f"{prefix}:last")  # another request is recomputing
    if generation is not None:
        found = cache.get(f"{prefix}:{generation}:{part}")
        if found is not None or part != "points":
            return found or {}
    generation = uuid.uuid4().hex
    parts = _compute(season)
    cache.set_many({f"{prefix}:{generation}:{k}": v for k, v in parts.items()}, 6 * GRID_SECONDS)
    cache.set_many({f"{prefix}:fresh": generation}, GRID_SECONDS)
    cache.set_many({f"{prefix}:last": generation}, 5 * GRID_SECONDS)
    cache.delete(f"{prefix}:computing")
    return parts.get(part, {})


def by_unit(user) -> list[dict]:
    """One row per unit one level below the user (a point: itself), units without
    candidates included, from the part of the grid the user may see."""
    role = user.role
    points = RegistrationPoint.objects.visible_to(user).values_list(
        "pk", "county_id", "county__parent_id"
    )
    unit_of = {pk: {"province": city, "city": county}.get(role, pk) for pk, county, city in points}
    if role in ("county", "point"):
        units = RegistrationPoint.objects.filter(pk__in=unit_of).order_by("code")
    else:
        units = Region.objects.visible_to(user).filter(
            level="city" if role == "province" else "county"
        )
    sums = {u.pk: _zeros() for u in units}
    for point, (counts, _tracks) in _grid(_season(), "points").items():
        if point in unit_of and unit_of[point] in sums:
            _add(sums[unit_of[point]], counts)
    return [{"unit": u, "code": u.code, "counts": sums[u.pk]} for u in units]


def by_track(user) -> list[dict]:
    if user.role == "point":
        counts = _grid(_season(), "points").get(user.point_id, (None, {}))[1]
    else:  # the season is the province's: "all" is all of its candidates
        owner = "all" if user.role == "province" else f"region:{user.region_id}"
        counts = _grid(_season(), f"tracks:{owner}")
    return [{"track": track, "counts": c} for track, c in sorted(counts.items())]


def totals(rows: list[dict]) -> list[int]:
    return [sum(r["counts"][i] for r in rows) for i in range(len(STATES))]


def drill_down(user, state: str, unit: str = "", track: str = "") -> QuerySet:
    """The candidates behind one number of the dashboard (unit code and track optional);
    a unit outside the user's jurisdiction simply has no candidates here."""
    if state not in STATE_Q:
        return Candidate.objects.none()
    qs = candidates(user).filter(STATE_Q[state]())
    if unit:
        qs = qs.filter(
            Q(point__code=unit) | Q(point__county__code=unit) | Q(point__county__parent__code=unit)
        )
    if track:
        qs = qs.filter(subject_track=track)
    return qs
