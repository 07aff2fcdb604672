"""Registration progress (S6: "point and office staff see registration progress live"):
how many of a jurisdiction's candidates have reached each state, by the unit one level
below and by subject track, in one aggregate query each; and the candidates behind any
number (drill-down), through the same definitions.
"""

import time
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
from gaokao.seasons import NoCurrentSeason, current
from gaokao.seasons.models import Level, PhaseKind, Season

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
# A grid the refresher (`gaokao progress refresh`) made serves requests until it is this much
# older than the refresher's period: a stopped refresher hands the work back to the requests.
REFRESHER_GRACE = 120
# An earlier grid stays readable this long after a newer one replaces it (a request that
# read the older generation's name still finds its parts).
OLD_GRID_SECONDS = 30


def dashboard_season() -> Season | None:
    """The season the dashboards count: the current one, or None before the province
    opened one (the dashboards then show zeros, not an error page)."""
    try:
        return current()
    except NoCurrentSeason:
        return None


def candidates(user) -> QuerySet:
    season = dashboard_season()
    qs = Candidate.objects.visible_to(user)
    return qs.filter(season=season) if season is not None else qs.none()


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


def _prefix(season: Season) -> str:
    return f"progress:{season.pk}"


def refresh(season: Season | None = None, *, every: int | None = None) -> dict[str, dict]:
    """Recompute the season's progress grid (default: the current season's) and store it in
    the cache shared by every user and app server. `every`: the period of the refresher
    calling this (None: a request); requests rely on a refresher's grid for `every` +
    REFRESHER_GRACE seconds instead of GRID_SECONDS."""
    season = season or dashboard_season()
    if season is None:
        return {}
    prefix = _prefix(season)
    parts = _compute(season)
    serves = GRID_SECONDS if every is None else every + REFRESHER_GRACE
    keep = serves + 60  # outlives the time it serves: readers never find it half gone
    generation = uuid.uuid4().hex
    keys = [f"{prefix}:{generation}:{k}" for k in parts]
    cache.set_many(dict(zip(keys, parts.values(), strict=True)), keep)
    previous = cache.get(f"{prefix}:last")
    stamp = {"generation": generation, "at": time.time(), "serves": serves, "keys": keys}
    cache.set(f"{prefix}:last", stamp, keep)
    if previous:  # the older grid goes soon instead of filling the cache
        for key in previous.get("keys", ()):
            cache.touch(key, OLD_GRID_SECONDS)
    return parts


def refresh_due(every: int | None = None) -> Season | None:
    """The refresher's step: recompute the current season's grid, unless another refresher
    did within the last `every` seconds (several workers share the period instead of
    repeating the work). The season recomputed, or None."""
    season = dashboard_season()
    if season is None:
        return None
    if every is not None and not cache.add(f"{_prefix(season)}:refresher", 1, max(1, every - 1)):
        return None
    refresh(season, every=every)
    return season


def _grid(season: Season | None, part: str) -> dict:
    """A part of the season's progress grid, from the cache shared by every user and app
    server: "points", or "tracks:<owner>". With the refresher running, requests only read
    it. Otherwise one request recomputes it when it is older than GRID_SECONDS, and
    meanwhile the others keep reading the previous one (no stampede); a request finding no
    grid at all computes one."""
    if season is None:
        return {}
    prefix = _prefix(season)
    last, computing = cache.get(f"{prefix}:last"), False
    if last is not None:
        if time.time() - last["at"] > last["serves"]:
            computing = cache.add(f"{prefix}:computing", 1, 60)
        if not computing:  # fresh, or another request is recomputing it
            found = cache.get(f"{prefix}:{last['generation']}:{part}")
            if found is not None or part != "points":
                return found or {}
    try:
        parts = refresh(season)
    finally:
        if computing:
            cache.delete(f"{prefix}:computing")
    return parts.get(part, {})


def by_unit(user, season: Season | None = None) -> list[dict]:
    """One row per unit one level below the user (a point: itself), units without
    candidates included, from the part of the grid the user may see. `season`: the current
    one, if the caller has it already."""
    role = user.role
    points = RegistrationPoint.objects.visible_to(user).values_list(
        "pk", "county_id", "county__parent_id"
    )
    unit_of = {pk: {"province": city, "city": county}.get(role, pk) for pk, county, city in points}
    if role in ("county", "point"):
        units = (
            RegistrationPoint.objects.filter(pk__in=unit_of)
            .select_related("county")
            .order_by("code")
        )
    else:
        units = Region.objects.visible_to(user).filter(
            level="city" if role == "province" else "county"
        )
    sums = {u.pk: _zeros() for u in units}
    for point, (counts, _tracks) in _grid(season or dashboard_season(), "points").items():
        if point in unit_of and unit_of[point] in sums:
            _add(sums[unit_of[point]], counts)
    return [{"unit": u, "code": u.code, "counts": sums[u.pk]} for u in units]


def by_track(user, season: Season | None = None) -> list[dict]:
    season = season or dashboard_season()
    if user.role == "point":
        counts = _grid(season, "points").get(user.point_id, (None, {}))[1]
    else:  # the season is the province's: "all" is all of its candidates
        owner = "all" if user.role == "province" else f"region:{user.region_id}"
        counts = _grid(season, f"tracks:{owner}")
    return [{"track": track, "counts": c} for track, c in sorted(counts.items())]


# The phases whose cut-offs hold the records (gaokao.candidates.stage.submission_phase), the
# level of the units a role's dashboard lists, and the state that counts what a unit of that
# level has submitted.
SUBMISSION_PHASES = (PhaseKind.CITY_ART, PhaseKind.CITY_ALL, PhaseKind.YOUTH)
UNIT_LEVEL = {"province": Level.CITY, "city": Level.COUNTY, "county": Level.POINT}
SUBMITTED_STATE = {Level.POINT: "by_point", Level.COUNTY: "by_county", Level.CITY: "by_city"}


def with_cutoffs(user, rows: list[dict], season: Season | None) -> list[dict]:
    """Each unit's cut-offs (issue 19; extensions for its region included) as `cutoffs`,
    [(phase label, moment or None)], and `submitted`: whether it has candidates and has
    submitted them all to the level above."""
    level = UNIT_LEVEL.get(user.role, Level.POINT)
    phases = []
    if season is not None:  # two queries, whatever the number of units
        found = season.phases.filter(kind__in=SUBMISSION_PHASES).prefetch_related("extensions")
        phases = list(found)
    done = [s.key for s in STATES].index(SUBMITTED_STATE[level])
    known: dict[int, list] = {}
    for row in rows:
        unit = row["unit"]
        region = unit.county if level == Level.POINT else unit
        if region.pk not in known:
            # The region and those above it: the tree is three levels deep and the season
            # is the province's.
            chain = [region.pk, region.parent_id, season.province_id]
            known[region.pk] = [
                (p.get_kind_display(), p.cutoff_for(level, region, chain)) for p in phases
            ]
        row["cutoffs"] = known[region.pk]
        row["submitted"] = bool(row["counts"][0]) and row["counts"][done] == row["counts"][0]
    return rows


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
